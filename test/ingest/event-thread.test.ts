/**
 * Events read and sorted on a thread of their own (the default for large stores) give
 * the same catalog as on one thread: the same ObsCore rows (their event statistics come
 * back from the thread), the same events, and a re-ingest keeps hearc.events whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { eventsTable } from '../../src/events/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { tempCatalog } from '../helpers/catalog.js';
import { requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { requirePostgres } from '../adql/engines.js';

const config = {
  authority: 'test',
  collection: 'hess',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

async function rows(engine: Engine, sql: string): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of await engine.stream(sql)) out.push(...batch.map((r) => [...r]));
  return out.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** What a user sees of the catalog: ObsCore + HE rows and the events, observation by observation. */
async function published(engine: Engine) {
  const byDid = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    String(a.obs_publisher_did).localeCompare(String(b.obs_publisher_did));
  return {
    obscore: (await engine.selectRows(obscoreTable)).sort(byDid),
    hea: (await engine.selectRows(obscoreHeaTable)).sort(byDid),
    events: await rows(
      engine,
      `SELECT obs_publisher_did, count(*), count(DISTINCT event_id), min(energy), max(event_time),
         sum(healpix_index) FROM ${eventsTable.schema}.${eventsTable.name} GROUP BY 1 ORDER BY 1`,
    ),
  };
}

test('ingest with the event thread publishes what ingest on one thread does', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store) return;
  const [single, threaded] = [await tempCatalog(t), await tempCatalog(t)];
  const one = await ingestDataStore(single, store, config, { eventThread: false });
  // A small buffer: several flushes while lists are still being read.
  const two = await ingestDataStore(threaded, store, config, {
    eventThread: true,
    eventBufferRows: 20_000,
  });
  assert.deepEqual(two.added, one.added);
  assert.deepEqual(two.failed, []);
  const expected = await published(single);
  assert.ok(expected.events.length > 10, `${expected.events.length} observations with events`);
  assert.deepEqual(await published(threaded), expected);
  // Published otherwise (a re-ingest of every observation): the events are replaced, not doubled.
  const again = await ingestDataStore(
    threaded,
    store,
    { ...config, accessMode: 'file' },
    { eventThread: true, eventBufferRows: 20_000 },
  );
  assert.equal(again.updated.length, one.added.length);
  assert.deepEqual((await published(threaded)).events, expected.events);
});

test('on PostgreSQL too (COPY of the batches the thread sends)', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store || !requirePostgres(t)) return;
  const single = await tempCatalog(t);
  const threaded = await freshPostgresCatalog('hearc_event_thread');
  await ingestDataStore(single, store, config, { eventThread: false });
  await ingestDataStore(threaded, store, config, { eventThread: true, eventBufferRows: 20_000 });
  const [expected, actual] = [await published(single), await published(threaded)];
  assert.deepEqual(actual.events, expected.events);
  assert.deepEqual(
    actual.obscore.map((r) => [r.obs_publisher_did, r.t_min, r.em_min, r.em_max, r.s_fov]),
    expected.obscore.map((r) => [r.obs_publisher_did, r.t_min, r.em_min, r.em_max, r.s_fov]),
  );
});
