/**
 * Jobs survive the server: a `hearc serve` child process is killed with SIGKILL while
 * async jobs run, and after a restart every job is in a consistent phase.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import { openEngine } from '../../src/engine/index.js';
import { DuckDbJobStore } from '../../src/engine/job-store-duckdb.js';
import { RESTART_MESSAGE } from '../../src/uws/index.js';
import {
  createJob,
  jobIdOf,
  simulatedCatalog,
  SLOW_QUERY,
  startServeProcess,
  uwsValue,
  waitForEnd,
} from './fixtures.js';

async function phaseOf(jobUrl: string): Promise<string> {
  return (await fetch(`${jobUrl}/phase`)).text();
}

/** Waits (WAIT) while the job is QUEUED. */
async function waitUntilStarted(jobUrl: string): Promise<string> {
  for (;;) {
    const xml = await (await fetch(`${jobUrl}?WAIT=30&PHASE=QUEUED`)).text();
    const phase = uwsValue(xml, 'phase') ?? '';
    if (phase !== 'QUEUED') return phase;
  }
}

function listedIds(xml: string): string[] {
  return [...xml.matchAll(/<uws:jobref id="([^"]+)"/g)].map((m) => m[1]!).sort();
}

test('jobs are consistent after the server is killed and restarted', async (t) => {
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const jobs = `${address}/tap/async`;
  const { engine, path } = await simulatedCatalog(t, address);
  await engine.close();

  const first = await startServeProcess(['--db', path, '--port', String(port), '--workers', '2']);
  t.after(() => first.child.kill('SIGKILL'));
  const quick = { LANG: 'ADQL', QUERY: 'SELECT obs_id FROM ivoa.obscore', PHASE: 'RUN' };
  const done = await createJob(jobs, quick);
  assert.equal(uwsValue(await waitForEnd(done), 'phase'), 'COMPLETED');
  const result = await (await fetch(`${done}/results/result`)).text();
  const failed = await createJob(jobs, { ...quick, QUERY: 'SELECT nosuch FROM ivoa.obscore' });
  assert.equal(uwsValue(await waitForEnd(failed), 'phase'), 'ERROR');
  const pending = await createJob(jobs, { LANG: 'ADQL', QUERY: 'SELECT 1 FROM ivoa.obscore' });
  const slow = { LANG: 'ADQL', QUERY: SLOW_QUERY, PHASE: 'RUN' };
  const running = [await createJob(jobs, slow), await createJob(jobs, slow)];
  for (const job of running) assert.equal(await waitUntilStarted(job), 'EXECUTING');
  // Both workers are busy: this one waits in the queue.
  const queued = await createJob(jobs, slow);
  assert.equal(await phaseOf(queued), 'QUEUED');
  const before = listedIds(await (await fetch(jobs)).text());

  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const second = await startServeProcess(['--db', path, '--port', String(port), '--workers', '2']);
  t.after(() => second.child.kill('SIGKILL'));
  assert.deepEqual(listedIds(await (await fetch(jobs)).text()), before);
  for (const job of running) {
    const xml = await (await fetch(job)).text();
    assert.equal(uwsValue(xml, 'phase'), 'ERROR');
    assert.equal(uwsValue(xml, 'message'), RESTART_MESSAGE);
    assert.notEqual(uwsValue(xml, 'endTime'), undefined);
    assert.equal((await fetch(`${job}/results/result`)).status, 404);
  }
  // A queued job is queued again and runs after the restart.
  assert.equal(await waitUntilStarted(queued), 'EXECUTING');
  assert.equal(await phaseOf(done), 'COMPLETED');
  assert.equal(await (await fetch(`${done}/results/result`)).text(), result);
  assert.equal(await phaseOf(pending), 'PENDING');
  assert.match((await (await fetch(failed)).text()) ?? '', /nosuch/);

  // A clean stop puts the running job back in the queue, for the next start.
  second.child.kill('SIGTERM');
  const [code] = (await once(second.child, 'exit')) as [number | null];
  assert.equal(code, 0, second.stderr());
  const catalog = await openEngine(path);
  t.after(() => catalog.close());
  const stored = await new DuckDbJobStore(catalog).get(jobIdOf(queued));
  assert.equal(stored?.phase, 'QUEUED');
  assert.equal(stored?.startTime, null);
});
