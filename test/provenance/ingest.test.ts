/**
 * Ingest records the provenance of every published dataset on both engines: the event
 * list, each IRF component and the original file as entities; the DL3 production as
 * the headers tell it; hearc's ingest with its software, version and settings; the
 * publisher and the instrument as agents. Re-ingesting replaces the records.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import type { PublishConfig } from '../../src/obscore/config.js';
import {
  activityTable,
  agentTable,
  entityTable,
  parameterTable,
  readGraph,
  usedTable,
  wasAssociatedWithTable,
  wasGeneratedByTable,
} from '../../src/provenance/index.js';
import { requirePostgres } from '../adql/engines.js';
import { requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { testService } from '../helpers/service.js';
import { tempDir } from '../helpers/tmp.js';

const config: PublishConfig = {
  authority: 'test.hearc',
  collection: 'hess-dr1',
  accessMode: 'datalink',
  dataRights: 'public',
};
const DID = 'ivo://test.hearc/hess-dr1?23523';

async function checkIngest(t: TestContext, engine: Engine, dir: string): Promise<void> {
  const service = testService();
  const report = await ingestDataStore(engine, dir, config, { service });
  assert.equal(report.failed.length, 0);
  const entities = await engine.selectRows(entityTable, {
    column: 'obs_publisher_did',
    values: [DID],
  });
  const byType = (type: string) => entities.filter((e) => e.type === type).map((e) => e.id);
  assert.deepEqual(byType('hea-event-list'), [DID]);
  assert.deepEqual(
    byType('response-function').sort(),
    ['aeff', 'bkgrate', 'edisp', 'psf'].map((c) => `/products/hess-dr1/23523/${c}.fits`),
  );
  assert.deepEqual(byType('file'), ['/files/hess-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz']);

  const generated = await engine.selectRows(wasGeneratedByTable, {
    column: 'entity_id',
    values: [DID],
  });
  assert.deepEqual(
    generated.map((g) => g.activity_id),
    ['/activity/ingest/hess-dr1/23523'],
  );
  const [ingest] = await engine.selectRows(activityTable, {
    column: 'id',
    values: ['/activity/ingest/hess-dr1/23523'],
  });
  assert.ok(ingest?.start_time instanceof Date && ingest.end_time instanceof Date);
  const parameters = await engine.selectRows(parameterTable, {
    column: 'activity_id',
    values: ['/activity/ingest/hess-dr1/23523', '/activity/dl3/hess-dr1/23523'],
  });
  const value = (name: string) => parameters.find((p) => p.name === name)?.value;
  assert.equal(value('collection'), 'hess-dr1');
  assert.equal(value('data_rights'), 'public');
  assert.equal(value('TELESCOP'), 'HESS');
  assert.match(String(value('CREATOR')), /\S/);
  assert.match(String(value('HDUDOC')), /gamma-astro-data-formats/);
  const aeff = entities.find((e) => e.id === '/products/hess-dr1/23523/aeff.fits');
  assert.match(String(aeff?.annotation), /HDU aeff \(aeff_2d\)/);

  const used = await engine.selectRows(usedTable, {
    column: 'activity_id',
    values: ['/activity/ingest/hess-dr1/23523'],
  });
  assert.deepEqual(
    used.map((u) => u.entity_id),
    ['/files/hess-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz'],
  );
  const associations = await engine.selectRows(wasAssociatedWithTable, {
    column: 'activity_id',
    values: ['/activity/ingest/hess-dr1/23523'],
  });
  assert.deepEqual(associations.map((a) => a.role).sort(), ['publisher', 'software']);
  const agents = await engine.selectRows(agentTable);
  const service_ = agents.find((a) => a.id === '/agent/service');
  assert.match(String(service_?.name), new RegExp(service.software.version.replace(/\./g, '\\.')));
  assert.equal(agents.find((a) => a.id === '/agent/publisher')?.name, service.publisher);
  assert.ok(agents.some((a) => a.type === 'voprov:Instrument' && /HESS/.test(String(a.name))));

  // Back from the dataset: the ingest, the file it read, the DL3 production behind the file.
  const graph = await readGraph(engine, DID, { depth: Infinity, direction: 'BACK' });
  assert.ok(graph);
  assert.deepEqual(graph.activities.map((a) => a.id).sort(), [
    '/activity/dl3/hess-dr1/23523',
    '/activity/ingest/hess-dr1/23523',
  ]);
  const one = await readGraph(engine, DID, { depth: 1, direction: 'BACK' });
  assert.deepEqual(
    one?.activities.map((a) => a.id),
    ['/activity/ingest/hess-dr1/23523'],
  );
  // Forth from the file: the dataset and its components.
  const forth = await readGraph(engine, '/files/hess-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz', {
    depth: 1,
    direction: 'FORTH',
  });
  assert.equal(forth?.entities.length, 6);
  assert.equal(
    await readGraph(engine, 'ivo://test.hearc/nothing?1', { depth: 1, direction: 'BACK' }),
    undefined,
  );

  // Re-ingesting with other settings replaces the records instead of adding to them.
  const again = await ingestDataStore(
    engine,
    dir,
    { ...config, dataRights: 'proprietary' },
    { service },
  );
  assert.equal(again.updated.length, report.added.length);
  const after = await engine.selectRows(entityTable, {
    column: 'obs_publisher_did',
    values: [DID],
  });
  assert.equal(after.length, entities.length);
  assert.ok(after.every((e) => e.rights === 'proprietary'));
  void t;
}

test('ingest records provenance (DuckDB)', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir) return;
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  await checkIngest(t, engine, dir);
});

test('ingest records provenance (PostgreSQL)', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir || !requirePostgres(t)) return;
  const engine = await freshPostgresCatalog('hearc_prov');
  t.after(() => engine.close());
  await checkIngest(t, engine, dir);
});
