/**
 * Two server nodes sharing a PostgreSQL catalog and a results folder: a job created
 * on one is seen, run and fetched through the other, and an ABORT sent to the node
 * that does not run a job stops the query in the database all the same. Once in one
 * process, once as two `hearc serve` processes, as they run behind a load balancer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import postgres from 'postgres';
import { openEngine } from '../../src/engine/index.js';
import { openJobStore } from '../../src/engine/job-stores.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';
import {
  createJob,
  freshPostgres,
  jobIdOf,
  listenAsync,
  post,
  simulatedCatalog,
  SLOW_QUERY,
  type ServeProcess,
  startServeProcess,
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

function listedIds(xml: string): string[] {
  return [...xml.matchAll(/<uws:jobref id="([^"]+)"/g)].map((m) => m[1]!).sort();
}

test('two hearc serve processes on one PostgreSQL catalog share async jobs', async (t) => {
  // After-hooks run in the order they were added: the nodes stop before their folders go.
  const nodes: ServeProcess[] = [];
  t.after(async () => {
    for (const n of nodes) {
      n.child.kill('SIGKILL');
      if (n.child.exitCode === null && n.child.signalCode === null) await once(n.child, 'exit');
    }
  });
  const database = await freshPostgres(t);
  if (!database) return;
  const { url } = database;
  const dir = tempDir(t);
  const results = join(dir, 'results');
  const [portA, portB] = [await freePort(), await freePort()];
  const { engine } = await simulatedCatalog(t, `http://127.0.0.1:${portA}`, url);
  await engine.close();
  // Job lists are per caller: the jobs belong to a token holder.
  const io = captureIo();
  assert.equal(await main(['token', 'create', '--user', 'ada', '--db', url], io), 0, io.err());
  const ada = { authorization: `Bearer ${io.out().trim()}` };
  const get = (address: string) => fetch(address, { headers: ada, redirect: 'manual' });
  // Each node has a private cache (as on two machines) and the one shared results folder.
  const node = (port: number, name: string) =>
    startServeProcess([
      ...['--db', url, '--port', String(port), '--jobs-dir', results],
      ...['--cache-dir', join(dir, `cache-${name}`), '--workers', '1'],
    ]);
  nodes.push(await node(portA, 'a'), await node(portB, 'b'));
  t.after(database.drop);
  const [jobsA, jobsB] = [portA, portB].map((p) => `http://127.0.0.1:${p}/tap/async`) as [
    string,
    string,
  ];

  const params = {
    LANG: 'ADQL',
    QUERY: 'SELECT obs_id FROM ivoa.obscore ORDER BY obs_id',
    RESPONSEFORMAT: 'csv',
  };
  const created = await createJob(jobsA, params, ada);
  const id = jobIdOf(created);
  const onB = `${jobsB}/${id}`;
  assert.deepEqual(listedIds(await (await get(jobsB)).text()), [id]);
  assert.equal(await (await get(`${onB}/phase`)).text(), 'PENDING');
  // Started through B, run by whichever node claims it, polled and fetched through B.
  assert.equal((await post(`${onB}/phase`, { PHASE: 'RUN' }, ada)).status, 303);
  let phase: string | undefined;
  while (phase === undefined || ['PENDING', 'QUEUED', 'EXECUTING'].includes(phase)) {
    phase = uwsValue(await (await get(`${onB}?WAIT=30`)).text(), 'phase');
  }
  assert.equal(phase, 'COMPLETED');
  const fromB = await (await get(`${onB}/results/result`)).text();
  assert.deepEqual(fromB.trim().split(/\r?\n/), ['obs_id', '100001', '100002']);
  assert.equal(await (await get(`${created}/results/result`)).text(), fromB);

  // Deleted through B, gone from A: the job, its listing and its result.
  assert.equal(
    (await fetch(onB, { method: 'DELETE', headers: ada, redirect: 'manual' })).status,
    303,
  );
  assert.equal((await get(created)).status, 404);
  assert.equal((await get(`${created}/results/result`)).status, 404);
  assert.deepEqual(listedIds(await (await get(jobsA)).text()), []);
});
