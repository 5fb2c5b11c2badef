/**
 * Two server nodes sharing a PostgreSQL catalog and a results folder: a job created
 * on one is seen, run and fetched through the other, and an ABORT sent to the node
 * that does not run a job stops the query in the database all the same.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import postgres from 'postgres';
import { openEngine } from '../../src/engine/index.js';
import { openJobStore } from '../../src/engine/job-stores.js';
import { tempDir } from '../helpers/tmp.js';
import {
  createJob,
  freshPostgres,
  listenAsync,
  post,
  simulatedCatalog,
  SLOW_QUERY,
  uwsValue,
  waitForEnd,
} from './fixtures.js';

const FAST = { pollMs: 100, heartbeatMs: 100 };

test('async TAP nodes share jobs through PostgreSQL', async (t) => {
  const database = await freshPostgres(t);
  if (!database) return;
  const { url } = database;
  const results = join(tempDir(t), 'results');
  const addressA = `http://127.0.0.1:${await freePort()}`;
  const { engine: engineA } = await simulatedCatalog(t, addressA, url);
  const nodeA = await listenAsync(t, engineA, addressA, {
    store: openJobStore(engineA, url),
    resultsDir: results,
    timing: FAST,
  });
  t.after(() => engineA.close());
  const running = postgres(url, { max: 1 });
  t.after(() => running.end());
  /** Statements of the slow query running in the database now. */
  const slowStatements = async (): Promise<number> => {
    const [row] = await running<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE state = 'active' AND query ILIKE '%tap_schema%columns%columns%' AND pid <> pg_backend_pid()`;
    return row?.n ?? 0;
  };

  // Node A alone runs this one.
  const slow = await createJob(nodeA.jobs, { LANG: 'ADQL', QUERY: SLOW_QUERY, PHASE: 'RUN' });
  for (;;) {
    const phase = uwsValue(await (await fetch(`${slow}?WAIT=30&PHASE=QUEUED`)).text(), 'phase');
    if (phase !== 'QUEUED') break;
  }
  while ((await slowStatements()) === 0) await new Promise((r) => setTimeout(r, 50));

  const addressB = `http://127.0.0.1:${await freePort()}`;
  const engineB = await openEngine(url);
  const nodeB = await listenAsync(t, engineB, addressB, {
    store: openJobStore(engineB, url),
    resultsDir: results,
    timing: FAST,
  });
  t.after(() => engineB.close());
  t.after(database.drop);
  const slowOnB = slow.replace(nodeA.address, nodeB.address);
  assert.equal(await (await fetch(`${slowOnB}/phase`)).text(), 'EXECUTING');

  await t.test('an ABORT through the other node cancels the query where it runs', async () => {
    assert.equal((await post(`${slowOnB}/phase`, { PHASE: 'ABORT' })).status, 303);
    assert.equal(await (await fetch(`${slow}/phase`)).text(), 'ABORTED');
    // Node A notices at its next heartbeat and cancels the statement.
    while ((await slowStatements()) > 0) await new Promise((r) => setTimeout(r, 50));
  });

  await t.test('a job created on one node is run and served by either', async () => {
    const jobUrl = await createJob(nodeB.jobs, {
      LANG: 'ADQL',
      QUERY: 'SELECT obs_id FROM ivoa.obscore ORDER BY obs_id',
      RESPONSEFORMAT: 'csv',
      PHASE: 'RUN',
    });
    const onA = jobUrl.replace(nodeB.address, nodeA.address);
    assert.equal(uwsValue(await waitForEnd(onA), 'phase'), 'COMPLETED');
    const fromA = await (await fetch(`${onA}/results/result`)).text();
    const fromB = await (await fetch(`${jobUrl}/results/result`)).text();
    assert.equal(fromA, fromB);
    assert.equal(fromA.trim().split('\n').length, 3);
    assert.equal((await fetch(onA, { method: 'DELETE', redirect: 'manual' })).status, 303);
    assert.equal((await fetch(jobUrl)).status, 404);
  });
});
