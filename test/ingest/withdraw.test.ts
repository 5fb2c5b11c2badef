/**
 * Withdrawing observations: every row of the datasets goes in one transaction on both
 * engines (ObsCore, HE extension, IRFs, events, rights, ingest state), their provenance
 * stays with the withdrawal recorded in it, the audit trail says who withdrew what,
 * unknown collections and obs_ids are named, a failure leaves everything, and ingesting
 * the store again publishes them again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { AuditTrail, observationRightsTable } from '../../src/auth/index.js';
import type { Engine } from '../../src/engine/types.js';
import { eventsTable } from '../../src/events/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { WithdrawError, withdrawObservations } from '../../src/ingest/withdraw.js';
import {
  ingestStateTable,
  irfTable,
  obscoreHeaTable,
  obscoreTable,
  withdrawnObservationTable,
} from '../../src/obscore/schema.js';
import { activityTable, entityTable, usedTable } from '../../src/provenance/index.js';
import { requirePostgres } from '../adql/engines.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { twoCollectionCatalog } from '../registry/fixtures.js';

const DATASET_TABLES = [
  obscoreTable,
  obscoreHeaTable,
  irfTable,
  eventsTable,
  ingestStateTable,
  observationRightsTable,
];

/** Rows of each dataset table belonging to `dids`, by table name. */
async function rowsOf(engine: Engine, dids: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of DATASET_TABLES) {
    const rows = await engine.selectRows(table, { column: 'obs_publisher_did', values: dids });
    counts[table.name] = rows.length;
  }
  return counts;
}

async function withdrawAndPublishAgain(t: TestContext, open?: () => Promise<Engine>) {
  const { engine, dir } = await twoCollectionCatalog(t, open);
  t.after(() => engine.close());
  const north = await engine.selectRows(obscoreTable, {
    column: 'obs_collection',
    values: ['north'],
  });
  const [first, ...rest] = north.map((r) => ({
    obsId: String(r.obs_id),
    did: String(r.obs_publisher_did),
  }));
  assert.ok(first && rest.length === 2);
  const before = await rowsOf(engine, [first.did]);
  for (const [table, n] of Object.entries(before)) assert.ok(n > 0, `${table} has rows`);

  // Unknown names are errors that change nothing.
  await assert.rejects(
    withdrawObservations(engine, { collection: 'nowhere', by: 'ada' }),
    (e: Error) =>
      e instanceof WithdrawError && /'nowhere' has no published.*north, south/.test(e.message),
  );
  await assert.rejects(
    withdrawObservations(engine, { collection: 'north', obsIds: [first.obsId, '999'], by: 'ada' }),
    /observation 999 is not published in collection 'north'/,
  );
  // A failure half-way (after the deletions) leaves every row where it was.
  await assert.rejects(
    withdrawObservations(engine, {
      collection: 'north',
      obsIds: [first.obsId],
      by: 'ada',
      at: new Date(Number.NaN),
    }),
  );
  assert.deepEqual(await rowsOf(engine, [first.did]), before);
  assert.deepEqual(await engine.selectRows(withdrawnObservationTable), []);

  const at = new Date('2030-01-02T03:04:05Z');
  const one = await withdrawObservations(engine, {
    collection: 'north',
    obsIds: [first.obsId],
    by: 'ada',
    at,
  });
  assert.deepEqual(one.withdrawn, [first]);
  assert.equal(one.collectionWithdrawn, false);
  for (const [table, n] of Object.entries(await rowsOf(engine, [first.did]))) {
    assert.equal(n, 0, `${table} keeps no row of the withdrawn dataset`);
  }
  const others = await rowsOf(
    engine,
    rest.map((r) => r.did),
  );
  assert.ok(
    Object.values(others).every((n) => n > 0),
    'the other observations stay',
  );

  // Provenance: the dataset's entity stays; the withdrawal used it, ended then, by ada.
  const [entity] = await engine.selectRows(entityTable, { column: 'id', values: [first.did] });
  assert.equal(entity?.type, 'hea-event-list');
  const used = await engine.selectRows(usedTable, { column: 'entity_id', values: [first.did] });
  const withdrawal = used.find((u) => u.role === 'withdrawn');
  assert.ok(withdrawal, 'a used relation with role withdrawn');
  const [activity] = await engine.selectRows(activityTable, {
    column: 'id',
    values: [withdrawal.activity_id ?? null],
  });
  assert.equal((activity?.end_time as Date).toISOString(), at.toISOString());
  assert.equal(activity?.activitydescription_id, '/activitydescription/withdrawal');

  const audit = await new AuditTrail(engine).list({ user: 'ada' });
  assert.deepEqual(
    audit.map((e) => [e.kind, e.via, e.did]),
    [['withdrawn', 'operator', first.did]],
  );

  const all = await withdrawObservations(engine, { collection: 'north', by: 'ada' });
  assert.equal(all.withdrawn.length, 2);
  assert.equal(all.collectionWithdrawn, true);
  assert.equal((await engine.selectRows(withdrawnObservationTable)).length, 3);

  // Ingesting the store again publishes it again, provenance and all.
  const report = await ingestDataStore(engine, join(dir, 'north'), {
    authority: 'test.hearc',
    collection: 'north',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  assert.equal(report.added.length, 3);
  assert.deepEqual(await rowsOf(engine, [first.did]), before);
  assert.deepEqual(await engine.selectRows(withdrawnObservationTable), []);
  const ingestActivities = await engine.selectRows(activityTable, {
    column: 'obs_publisher_did',
    values: [first.did],
  });
  assert.ok(ingestActivities.some((a) => String(a.id).startsWith('/activity/ingest/')));
  assert.ok(ingestActivities.some((a) => String(a.id).startsWith('/activity/withdrawal/')));
}

test('withdraw removes every row of the datasets in one transaction (DuckDB)', async (t) => {
  await withdrawAndPublishAgain(t);
});

test('withdraw removes every row of the datasets in one transaction (PostgreSQL)', async (t) => {
  if (!requirePostgres(t)) return;
  await withdrawAndPublishAgain(t, () => freshPostgresCatalog('hearc_withdraw'));
});
