/**
 * RegTAP 1.1: the records /oai publishes are also the rows of the rr tables in the
 * service's own TAP, written when the server starts and when ingest changes the catalog
 * (never while answering), with the RegTAP UDFs; pyvo 1.2's registry search pointed at
 * hearc finds the service and its collections by service type, waveband, keyword and
 * data model.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables, servedCatalog } from '../../src/ingest/catalog.js';
import { loadServiceDescription } from '../../src/service/index.js';
import { rrResource, rrStcTemporal } from '../../src/schema/regtap.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { simulatedStore } from '../datalink/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';
import { requirePostgres } from '../adql/engines.js';
import { HESS_COLLECTION } from '../datalink/fixtures.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { PYTHON, requireChecker, requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { freePort } from '../helpers/net.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tapRows } from '../helpers/tap.js';
import { requireSchemas, schemaErrors } from '../helpers/xsd.js';
import { twoCollectionCatalog } from './fixtures.js';

async function serveRegistry(t: TestContext, open?: () => Promise<Engine>) {
  const { engine } = await twoCollectionCatalog(t, open);
  return serveCatalog(t, engine, 'test.hearc');
}

/** Serves `engine` (closed with the test) under the IVOA authority `authority`. */
async function serveCatalog(t: TestContext, engine: Engine, authority: string) {
  const service = loadServiceDescription({ env: {}, overrides: { authority } });
  const app = await buildServer({ engine, service, schema: servedSchema(servedCatalog) });
  const address = `http://127.0.0.1:${await freePort()}`;
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  return { address, engine, service };
}

async function assertRegtapServed(address: string): Promise<void> {
  const resources = await tapRows(
    address,
    'SELECT ivoid, res_type, res_title, waveband, reference_url FROM rr.resource ORDER BY ivoid',
  );
  const base = `${address}/`;
  assert.deepEqual(
    resources.map((r) => [r.ivoid, r.res_type, r.waveband, r.reference_url]),
    [
      ['ivo://test.hearc', 'vg:authority', null, base],
      ['ivo://test.hearc/north', 'vs:catalogresource', 'gamma-ray', base],
      ['ivo://test.hearc/registry', 'vg:registry', null, base],
      ['ivo://test.hearc/south', 'vs:catalogresource', 'gamma-ray', base],
      ['ivo://test.hearc/tap', 'vs:catalogservice', 'gamma-ray', base],
    ],
  );
  const urls = await tapRows(
    address,
    'SELECT DISTINCT ivoid, standard_id, access_url, authenticated_only FROM rr.capability NATURAL JOIN rr.interface ORDER BY ivoid, standard_id, access_url',
  );
  const tapUrls = urls.filter((u) => String(u.standard_id).startsWith('ivo://ivoa.net/std/tap'));
  assert.deepEqual(
    tapUrls.map((u) => [u.ivoid, u.standard_id, u.access_url, u.authenticated_only]),
    [
      ['ivo://test.hearc/north', 'ivo://ivoa.net/std/tap#aux', `${address}/tap`, 0],
      ['ivo://test.hearc/south', 'ivo://ivoa.net/std/tap#aux', `${address}/tap`, 0],
      // One interface, open to anyone and to bearer tokens.
      ['ivo://test.hearc/tap', 'ivo://ivoa.net/std/tap', `${address}/tap`, 0],
    ],
  );
  assert.ok(
    urls.some(
      (u) => u.standard_id === 'ivo://ivoa.net/std/registry' && u.access_url === `${address}/oai`,
    ),
  );
  // The service's tables, its data models and coverage, as RegTAP clients ask for them.
  const models = await tapRows(
    address,
    "SELECT detail_value FROM rr.res_detail WHERE ivoid = 'ivo://test.hearc/tap' AND detail_xpath = '/capability/dataModel/@ivo-id'",
  );
  assert.ok(models.some((m) => String(m.detail_value).startsWith('ivo://ivoa.net/std/ObsCore')));
  const tables = await tapRows(
    address,
    "SELECT table_name FROM rr.res_table WHERE ivoid = 'ivo://test.hearc/tap' AND table_name = 'ivoa.obscore'",
  );
  assert.equal(tables.length, 1);
  const columns = await tapRows(
    address,
    "SELECT name, unit, ucd, flag FROM rr.table_column NATURAL JOIN rr.res_table WHERE ivoid = 'ivo://test.hearc/tap' AND table_name = 'ivoa.obscore' AND name = 's_ra'",
  );
  assert.deepEqual(
    columns.map((c) => [c.unit, c.ucd]),
    [['deg', 'pos.eq.ra']],
  );
  const schemas = await tapRows(
    address,
    "SELECT utype FROM tap_schema.schemas WHERE schema_name = 'rr'",
  );
  assert.deepEqual(schemas, [{ utype: 'ivo://ivoa.net/std/RegTAP#1.1' }]);
  // Coverage: the southern collection's MOC, its time intervals (MJD) and energies (J).
  const south = await tapRows(
    address,
    "SELECT coverage, time_start, time_end, spectral_start, spectral_end FROM rr.stc_spatial NATURAL JOIN rr.stc_temporal NATURAL JOIN rr.stc_spectral WHERE ivoid = 'ivo://test.hearc/south'",
  );
  assert.ok(south.length > 0);
  for (const row of south) {
    assert.match(String(row.coverage), /^\d+\/\d/);
    assert.ok(Number(row.time_start) > 50000 && Number(row.time_end) >= Number(row.time_start));
    assert.ok(
      Number(row.spectral_start) > 0 && Number(row.spectral_end) > Number(row.spectral_start),
    );
  }
  // RegTAP's own discovery patterns with its UDFs.
  const words = await tapRows(
    address,
    "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_title, 'NORTH') AND 1 = ivo_hashlist_has(waveband, 'Gamma-Ray')",
  );
  assert.deepEqual(words, [{ ivoid: 'ivo://test.hearc/north' }]);
  const roles = await tapRows(
    address,
    "SELECT ivo_string_agg(base_role, '#') AS roles FROM rr.res_role WHERE ivoid = 'ivo://test.hearc/tap' AND 1 = ivo_nocasematch(base_role, 'PUB%')",
  );
  assert.deepEqual(roles, [{ roles: 'publisher' }]);
}

test('rr holds the records /oai serves, with URLs of the answering service', async (t) => {
  const { address } = await serveRegistry(t);
  await assertRegtapServed(address);
});

test('rr and the RegTAP functions on PostgreSQL', async (t) => {
  if (!requirePostgres(t)) return;
  const { address } = await serveRegistry(t, () => freshPostgresCatalog('hearc_regtap'));
  await assertRegtapServed(address);
});

const PYVO_SEARCH = `import json, os, sys
os.environ['IVOA_REGISTRY'] = sys.argv[1] + '/tap'
import pyvo
from pyvo.registry import regtap
out = {'endpoint': regtap.REGISTRY_BASEURL}
def found(**constraints):
    return sorted(set((r.ivoid, r.standard_id, r.access_url) for r in pyvo.regsearch(**constraints)))
out['tap_gamma'] = found(servicetype='tap', waveband='gamma-ray')
out['keyword'] = found(keywords=[sys.argv[2]], includeaux=True)
out['obscore'] = found(datamodel='obscore')
out['radio'] = found(servicetype='tap', waveband='radio')
print(json.dumps(out))
`;

test('pyvo 1.2 registry search pointed at hearc finds the service and its collections', async (t) => {
  if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo.registry'])) {
    return;
  }
  const { address } = await serveRegistry(t);
  const found = await runPythonJsonAsync<Record<string, [string, string, string][]>>(PYVO_SEARCH, [
    address,
    'North',
  ]);
  const tap = `${address}/tap`;
  assert.equal(found.endpoint, tap);
  assert.deepEqual(found.tap_gamma, [['ivo://test.hearc/tap', 'ivo://ivoa.net/std/tap', tap]]);
  assert.deepEqual(found.keyword, [['ivo://test.hearc/north', 'ivo://ivoa.net/std/tap#aux', tap]]);
  assert.deepEqual(found.obscore, [['ivo://test.hearc/tap', 'ivo://ivoa.net/std/tap', tap]]);
  assert.deepEqual(found.radio, []);
});

test('pyvo 1.2 registry search finds the H.E.S.S. DR1 service and collection', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store) return;
  if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo.registry'])) {
    return;
  }
  const engine = await openEngine(join(tempDir(t), 'hess.duckdb'));
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, store, {
    authority: 'test.hearc',
    collection: HESS_COLLECTION,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  const { address } = await serveCatalog(t, engine, 'test.hearc');
  const found = await runPythonJsonAsync<Record<string, [string, string, string][]>>(PYVO_SEARCH, [
    address,
    'dr1',
  ]);
  const tap = `${address}/tap`;
  assert.deepEqual(found.tap_gamma, [['ivo://test.hearc/tap', 'ivo://ivoa.net/std/tap', tap]]);
  assert.deepEqual(found.keyword, [
    [`ivo://test.hearc/${HESS_COLLECTION}`, 'ivo://ivoa.net/std/tap#aux', tap],
  ]);
  assert.deepEqual(found.obscore, [['ivo://test.hearc/tap', 'ivo://ivoa.net/std/tap', tap]]);
});

test('the service record with the rr schema in its tableset stays schema-valid', async (t) => {
  if (!requireSchemas(t)) return;
  const { address } = await serveRegistry(t);
  const answer = await fetch(
    `${address}/oai?verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://test.hearc/tap`,
  );
  const xml = await answer.text();
  assert.match(xml, /<utype>ivo:\/\/ivoa.net\/std\/RegTAP#1.1<\/utype>/);
  assert.equal(schemaErrors(xml), '');
});

test('hearc ingest rewrites the rr rows with the new collection and coverage', async (t) => {
  const { dir } = await simulatedStore(t);
  const db = join(tempDir(t), 'catalog.duckdb');
  const ingest = (collection: string) =>
    main(
      ['ingest', dir, '--db', db, '--collection', collection, '--authority', 'test.hearc'],
      captureIo(),
    );
  assert.equal(await ingest('first'), 0);
  assert.equal(await ingest('second'), 0);
  const engine = await openEngine(db);
  t.after(() => engine.close());
  const ids = (await engine.selectRows(rrResource)).map((r) => r.ivoid).sort();
  assert.deepEqual(ids, [
    'ivo://test.hearc',
    'ivo://test.hearc/first',
    'ivo://test.hearc/registry',
    'ivo://test.hearc/second',
    'ivo://test.hearc/tap',
  ]);
  const temporal = await engine.selectRows(rrStcTemporal, {
    column: 'ivoid',
    values: ['ivo://test.hearc/second'],
  });
  assert.ok(temporal.length > 0);
});

test('one hearc harvests another: its records join rr, incrementally with --from', async (t) => {
  const a = await serveRegistry(t);
  const db = join(tempDir(t), 'b.duckdb');
  const harvest = async (...extra: string[]) => {
    const io = captureIo();
    const code = await main(['registry', 'harvest', `${a.address}/oai`, '--db', db, ...extra], io);
    return { code, out: io.out(), err: io.err() };
  };
  const first = await harvest();
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /harvested 5 records/);
  // Nothing changed since tomorrow: noRecordsMatch, nothing removed.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const none = await harvest('--from', tomorrow);
  assert.equal(none.code, 0, none.err);
  assert.match(none.out, /harvested 0 records/);
  const again = await harvest('--from', '2000-01-01');
  assert.match(again.out, /harvested 5 records/);

  const engine = await openEngine(db);
  await engine.ensureTables(catalogTables);
  const { address } = await serveCatalog(t, engine, 'b.hearc');
  const resources = await tapRows(
    address,
    'SELECT ivoid, harvested_from FROM rr.resource ORDER BY ivoid',
  );
  const endpoint = `${a.address}/oai`;
  assert.deepEqual(resources, [
    { ivoid: 'ivo://b.hearc', harvested_from: null },
    { ivoid: 'ivo://b.hearc/registry', harvested_from: null },
    { ivoid: 'ivo://b.hearc/tap', harvested_from: null },
    { ivoid: 'ivo://test.hearc', harvested_from: endpoint },
    { ivoid: 'ivo://test.hearc/north', harvested_from: endpoint },
    { ivoid: 'ivo://test.hearc/registry', harvested_from: endpoint },
    { ivoid: 'ivo://test.hearc/south', harvested_from: endpoint },
    { ivoid: 'ivo://test.hearc/tap', harvested_from: endpoint },
  ]);
  // Which TAP services hold gamma-ray data of the southern sky observed after MJD 50000?
  const services = await tapRows(
    address,
    `SELECT DISTINCT ivoid, access_url FROM rr.resource NATURAL JOIN rr.capability
       NATURAL JOIN rr.interface NATURAL JOIN rr.stc_temporal
     WHERE 1 = ivo_hashlist_has(waveband, 'gamma-ray') AND standard_id LIKE 'ivo://ivoa.net/std/tap%'
       AND 1 = ivo_interval_overlaps(time_start, time_end, 50000, 70000)
       AND ivoid IN (SELECT ivoid FROM rr.stc_spatial)
       AND 1 = ivo_hasword(res_title, 'south')`,
  );
  assert.deepEqual(services, [{ ivoid: 'ivo://test.hearc/south', access_url: `${a.address}/tap` }]);
});

test('hearc registry harvest names what is wrong with the endpoint', async (t) => {
  const a = await serveRegistry(t);
  const db = join(tempDir(t), 'b.duckdb');
  const run = async (...args: string[]) => {
    const io = captureIo();
    const code = await main(['registry', 'harvest', ...args, '--db', db], io);
    return { code, err: io.err() };
  };
  const notUrl = await run('not-a-url');
  assert.equal(notUrl.code, 1);
  assert.match(notUrl.err, /'not-a-url' is not a URL/);
  const notOai = await run(`${a.address}/health`);
  assert.equal(notOai.code, 1);
  assert.match(notOai.err, /health/);
  const badFrom = await run(`${a.address}/oai`, '--from', 'yesterday');
  assert.equal(badFrom.code, 1);
  assert.match(badFrom.err, /from 'yesterday' is not an OAI datestamp/);
});
