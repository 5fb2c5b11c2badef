/**
 * A withdrawn collection in the registry: /oai keeps answering for its identifier with a
 * deleted record (header status="deleted", the withdrawal's datestamp, the set) in every
 * list and in GetRecord, selected by from/until on that date and kept across restarts;
 * Identify says deletedRecord persistent; the RegTAP rows and dates follow; a hearc that
 * harvests this one drops the collection; pyvo no longer finds it. Publishing it again
 * ends the deleted record.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { capabilityOptionsFor, jobTimeLimitsOf, tapLimitsOf } from '../../src/http/server.js';
import { buildServer } from '../../src/http/server.js';
import { servedCatalog } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { withdrawObservations } from '../../src/ingest/withdraw.js';
import { OaiRepository, ResourcePublisher } from '../../src/registry/index.js';
import { rrResource } from '../../src/schema/regtap.js';
import { loadServiceDescription } from '../../src/service/index.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { captureIo } from '../helpers/io.js';
import { freePort } from '../helpers/net.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { requireSchemas, schemaErrors } from '../helpers/xsd.js';
import { twoCollectionCatalog } from './fixtures.js';

const BASE = 'https://vo.example.org/hearc';
const SOUTH = 'ivo://test.hearc/south';

function valid(xml: string, what: string): string {
  const errors = schemaErrors(xml);
  assert.equal(errors, '', `${what}:\n${errors}\n${xml.slice(0, 2000)}`);
  return xml;
}

const errorCode = (xml: string): string | undefined => /<error code="(\w+)"/.exec(xml)?.[1];
const all = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}(?: [^>]*)?>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);
/** The identifiers of the deleted headers of an answer. */
const deletedIds = (xml: string): string[] =>
  [...xml.matchAll(/<header status="deleted">\s*<identifier>([^<]*)<\/identifier>/g)].map(
    (m) => m[1]!,
  );

/**
 * An OAI repository over `engine` as a freshly started server would answer; `hidden`
 * gives the observations whose metadata are hidden from the public now.
 */
function repository(engine: Engine, hidden?: () => Promise<ReadonlySet<string>>) {
  const service = loadServiceDescription({ env: {}, overrides: { authority: 'test.hearc' } });
  const publisher = new ResourcePublisher({
    service,
    engine,
    schema: servedSchema(servedCatalog),
    ...(hidden ? { hidden } : {}),
    capabilities: capabilityOptionsFor(
      tapLimitsOf(service.limits),
      jobTimeLimitsOf(service.limits),
    ),
  });
  const oai = new OaiRepository(publisher);
  const ask = async (query: string): Promise<string> =>
    valid(
      await oai.answer({
        endpoint: `${BASE}/oai`,
        baseUrl: BASE,
        arguments: [...new URLSearchParams(query)],
      }),
      query,
    );
  return { ask, publisher };
}

test('a collection withdrawn whole is a deleted record of /oai until published again', async (t) => {
  if (!requireSchemas(t)) return;
  const { engine, dir } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  const at = new Date(Date.now() + 3_600_000);
  at.setUTCMilliseconds(0);
  const stamp = `${at.toISOString().slice(0, 19)}Z`;
  // Told of (as hearc ingest and hearc serve do), then withdrawn.
  await repository(engine).publisher.records(BASE);
  await withdrawObservations(engine, { collection: 'south', by: 'ada', at });

  // A new repository on the same catalog: the deleted record is kept in the catalog.
  const { ask, publisher } = repository(engine);
  assert.deepEqual(
    (await publisher.records(BASE)).map((r) => r.identifier).filter((id) => id === SOUTH),
    [],
  );
  assert.deepEqual(all(await ask('verb=Identify'), 'deletedRecord'), ['persistent']);

  const records = await ask('verb=ListRecords&metadataPrefix=ivo_vor');
  assert.deepEqual(deletedIds(records), [SOUTH]);
  const deleted = /<record>\s*<header status="deleted">[\s\S]*?<\/record>/.exec(records)![0];
  assert.doesNotMatch(deleted, /<metadata>/, 'a deleted record has no metadata');
  assert.deepEqual(all(deleted, 'datestamp'), [stamp]);
  assert.deepEqual(all(deleted, 'setSpec'), ['ivo_managed']);
  assert.equal(all(records, 'identifier').length - deletedIds(records).length, 8); // 4 records x 2

  for (const prefix of ['ivo_vor', 'oai_dc']) {
    const got = await ask(`verb=GetRecord&metadataPrefix=${prefix}&identifier=${SOUTH}`);
    assert.equal(errorCode(got), undefined);
    assert.deepEqual(deletedIds(got), [SOUTH]);
    assert.doesNotMatch(got, /<metadata>/);
  }
  assert.equal(
    errorCode(await ask(`verb=ListMetadataFormats&identifier=${SOUTH}`)),
    undefined,
    'a deleted record still exists for ListMetadataFormats',
  );

  // from/until select on the withdrawal's datestamp; the service record's date follows it.
  const since = await ask(`verb=ListIdentifiers&metadataPrefix=ivo_vor&from=${stamp}`);
  assert.deepEqual(deletedIds(since), [SOUTH]);
  assert.ok(all(since, 'identifier').includes('ivo://test.hearc/tap'));
  assert.ok(!all(since, 'identifier').includes('ivo://test.hearc/north'));
  const before = new Date(at.getTime() - 1000).toISOString().slice(0, 19) + 'Z';
  const until = await ask(`verb=ListIdentifiers&metadataPrefix=ivo_vor&until=${before}`);
  assert.deepEqual(deletedIds(until), []);
  assert.ok(all(until, 'identifier').includes('ivo://test.hearc/north'));

  // RegTAP: the rows are rewritten without the collection.
  await publisher.publishRegtap();
  const ivoids = (await engine.selectRows(rrResource)).map((r) => r.ivoid);
  assert.ok(!ivoids.includes(SOUTH) && ivoids.includes('ivo://test.hearc/north'));

  // Published again: a record, no longer a deleted one.
  const report = await ingestDataStore(engine, join(dir, 'south'), {
    authority: 'test.hearc',
    collection: 'south',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  const again = repository(engine);
  const got = await again.ask(`verb=GetRecord&metadataPrefix=ivo_vor&identifier=${SOUTH}`);
  assert.deepEqual(deletedIds(got), []);
  assert.match(got, /xsi:type="vs:CatalogResource"/);
  assert.deepEqual(deletedIds(await again.ask('verb=ListIdentifiers&metadataPrefix=oai_dc')), []);
});

test('a collection told of and then all hidden is a deleted record; one never told of is never named', async (t) => {
  if (!requireSchemas(t)) return;
  const { engine } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  const southDids = (await engine.selectRows(obscoreTable))
    .filter((row) => row.obs_collection === 'south')
    .map((row) => String(row.obs_publisher_did));
  let hidden = new Set<string>();
  const identifiers = async (ask: (query: string) => Promise<string>) => {
    const xml = await ask('verb=ListIdentifiers&metadataPrefix=ivo_vor');
    return {
      live: all(xml, 'identifier').filter((id) => !deletedIds(xml).includes(id)),
      deleted: deletedIds(xml),
    };
  };

  // Hidden from the first answer on: the collection is neither a record nor a deleted one.
  hidden = new Set(southDids);
  const secret = repository(engine, async () => hidden);
  const first = await identifiers(secret.ask);
  assert.ok(!first.live.includes(SOUTH) && first.deleted.length === 0, JSON.stringify(first));

  // Told of once (released), then all hidden again: a deleted record, dated when it was seen.
  hidden = new Set();
  const { ask } = repository(engine, async () => hidden);
  assert.ok((await identifiers(ask)).live.includes(SOUTH));
  hidden = new Set(southDids);
  const seen = new Date();
  const gone = repository(engine, async () => hidden);
  const after = await identifiers(gone.ask);
  assert.deepEqual(after.deleted, [SOUTH]);
  assert.ok(!after.live.includes(SOUTH));
  const got = await gone.ask(`verb=GetRecord&metadataPrefix=ivo_vor&identifier=${SOUTH}`);
  assert.deepEqual(deletedIds(got), [SOUTH]);
  const stamp = new Date(all(got, 'datestamp')[0]!);
  assert.ok(
    Math.abs(stamp.getTime() - seen.getTime()) < 60_000,
    `dated when seen: ${stamp.toISOString()}`,
  );
  // RegTAP follows: the collection's rows go.
  await gone.publisher.publishRegtap();
  assert.ok(!(await engine.selectRows(rrResource)).map((r) => r.ivoid).includes(SOUTH));

  // Its observations public again: a record again, no deleted one.
  hidden = new Set();
  const back = await identifiers(repository(engine, async () => hidden).ask);
  assert.ok(back.live.includes(SOUTH));
  assert.deepEqual(back.deleted, []);
});

test('a collection never told of (all hidden) and then withdrawn whole is not named by /oai', async (t) => {
  if (!requireSchemas(t)) return;
  const { engine } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  const southDids = new Set(
    (await engine.selectRows(obscoreTable))
      .filter((row) => row.obs_collection === 'south')
      .map((row) => String(row.obs_publisher_did)),
  );
  const { ask } = repository(engine, async () => southDids);
  assert.ok(
    !all(await ask('verb=ListIdentifiers&metadataPrefix=oai_dc'), 'identifier').includes(SOUTH),
  );
  await withdrawObservations(engine, { collection: 'south', by: 'ada' });
  const after = repository(engine, async () => southDids);
  const xml = await after.ask('verb=ListIdentifiers&metadataPrefix=oai_dc');
  assert.ok(!all(xml, 'identifier').includes(SOUTH), xml);
  assert.equal(
    errorCode(await after.ask(`verb=GetRecord&metadataPrefix=oai_dc&identifier=${SOUTH}`)),
    'idDoesNotExist',
  );
});

const PYVO_KEYWORD = `import json, os, sys
os.environ['IVOA_REGISTRY'] = sys.argv[1] + '/tap'
import pyvo
print(json.dumps(sorted(set(r.ivoid for r in pyvo.regsearch(keywords=[sys.argv[2]], includeaux=True)))))
`;

test('hearc withdraw over a served catalog: /oai, harvesters and pyvo see the collection go', async (t) => {
  const { db, engine } = await twoCollectionCatalog(t);
  const service = loadServiceDescription({ env: {}, overrides: { authority: 'test.hearc' } });
  const app = await buildServer({ engine, service, schema: servedSchema(servedCatalog) });
  const address = `http://127.0.0.1:${await freePort()}`;
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  const run = async (...args: string[]) => {
    const io = captureIo();
    const code = await main(args, io);
    return { code, out: io.out(), err: io.err() };
  };
  const harvesterDb = join(tempDir(t), 'harvester.duckdb');
  const harvest = (...extra: string[]) =>
    run('registry', 'harvest', `${address}/oai`, '--db', harvesterDb, ...extra);
  const full = await harvest();
  assert.equal(full.code, 0, full.err);
  assert.match(full.out, /harvested 5 records/);

  const pyvo = requireChecker(t, 'pyvo (Debian python3-pyvo)', [
    PYTHON,
    '-c',
    'import pyvo.registry',
  ]);
  const keyword = () => runPythonJsonAsync<string[]>(PYVO_KEYWORD, [address, 'South']);
  if (pyvo) assert.deepEqual(await keyword(), [SOUTH]);

  // Clear errors, nothing withdrawn.
  const unknown = await run('withdraw', '--db', db, '--collection', 'nowhere');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /collection 'nowhere' has no published observation.*nothing was/);
  const badObs = await run('withdraw', '--db', db, '--collection', 'south', '--obs-id', '42x');
  assert.equal(badObs.code, 1);
  assert.match(badObs.err, /observation 42x is not published in collection 'south'/);
  assert.equal((await run('withdraw', '--db', db)).code, 2);

  const day = new Date().toISOString().slice(0, 10);
  const withdrawn = await run(
    'withdraw',
    ...['--db', db, '--collection', 'south', '--by', 'ada', '--authority', 'test.hearc'],
  );
  assert.equal(withdrawn.code, 0, withdrawn.err);
  assert.match(withdrawn.out, /collection south withdrawn whole/);

  // The server notices within its coverage recheck (5 s).
  let record = '';
  for (let i = 0; i < 80; i++) {
    record = await (
      await fetch(`${address}/oai?verb=GetRecord&metadataPrefix=ivo_vor&identifier=${SOUTH}`)
    ).text();
    if (deletedIds(record).length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(deletedIds(record), [SOUTH], record);
  if (requireSchemas(t)) valid(record, 'GetRecord of a deleted record over HTTP');

  const shown = await run(
    ...['registry', 'show', '--db', db, '--base-url', BASE, '--authority', 'test.hearc'],
    ...['--identifier', SOUTH],
  );
  assert.equal(shown.code, 1);
  assert.match(
    shown.err,
    /ivo:\/\/test.hearc\/south is a deleted record: its collection was withdrawn/,
  );

  const incremental = await harvest('--from', day);
  assert.equal(incremental.code, 0, incremental.err);
  assert.match(incremental.out, /harvested 4 records .*\(1 deleted/);
  const harvester = await openEngine(harvesterDb);
  try {
    const ivoids = (await harvester.selectRows(rrResource)).map((r) => String(r.ivoid)).sort();
    assert.ok(!ivoids.includes(SOUTH), 'the harvested rr rows of the collection are gone');
    assert.ok(ivoids.includes('ivo://test.hearc/north'));
  } finally {
    await harvester.close();
  }
  if (pyvo) assert.deepEqual(await keyword(), []);
});
