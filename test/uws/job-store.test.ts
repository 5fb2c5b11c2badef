/**
 * The job stores behave alike on DuckDB and PostgreSQL; on PostgreSQL, several nodes
 * claiming at once never get the same job.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { DuckDbJobStore } from '../../src/engine/job-store-duckdb.js';
import { PostgresJobStore } from '../../src/engine/job-store-postgres.js';
import type { JobStore, StoredJob } from '../../src/engine/job-store.js';
import { openJobStore } from '../../src/engine/job-stores.js';
import { DEFAULT_TIMING } from '../../src/uws/index.js';
import { tempDir } from '../helpers/tmp.js';
import { freshPostgres } from './fixtures.js';

const T0 = Date.parse('2030-05-06T07:08:09.123Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

function job(jobId: string, phase: string, created: number, extra: Partial<StoredJob> = {}) {
  const stored: StoredJob = {
    jobId,
    capability: 'tap',
    runId: null,
    ownerId: null,
    ownerCredential: null,
    serviceUrl: null,
    phase,
    creationTime: at(created),
    startTime: null,
    endTime: null,
    executionDuration: 60,
    destruction: at(created + 3600),
    parameters: [{ name: 'query', value: 'SELECT 1' }],
    errorMessage: null,
    resultType: null,
    resultSize: null,
    runner: null,
    heartbeat: null,
  };
  return { ...stored, ...extra };
}

const ids = (jobs: readonly StoredJob[]): string[] => jobs.map((j) => j.jobId);

/** What every store does, whatever its database. */
async function storeConformance(t: TestContext, store: JobStore): Promise<void> {
  await store.init();
  await store.init();

  await t.test('a job reads back as it was stored', async () => {
    const full = job('full', 'COMPLETED', 0, {
      runId: 'run 1',
      ownerId: 'someone',
      ownerCredential: '{"via":"api-token","tokenId":"abc"}',
      startTime: at(1),
      endTime: at(2),
      parameters: [
        { name: 'query', value: "SELECT 'ü ≥ 5' FROM t" },
        { name: 'upload', value: 'a,b' },
        { name: 'upload', value: 'c,d' },
      ],
      errorMessage: null,
      resultType: 'application/x-votable+xml',
      resultSize: 12_345_678_901,
      runner: 'node-a',
      heartbeat: at(2),
    });
    await store.insert(full);
    assert.deepEqual(await store.get('full'), full);
    assert.equal(await store.get('none'), undefined);
    assert.equal(await store.delete('full'), true);
    assert.equal(await store.delete('full'), false);
  });

  await t.test('the list filters by phase, creation time and count, newest first', async () => {
    await store.insert(job('l1', 'PENDING', 10));
    await store.insert(job('l2', 'COMPLETED', 20));
    await store.insert(job('l3', 'ERROR', 30));
    assert.deepEqual(ids(await store.list()), ['l3', 'l2', 'l1']);
    assert.deepEqual(ids(await store.list({ phases: ['PENDING', 'ERROR'] })), ['l3', 'l1']);
    assert.deepEqual(ids(await store.list({ after: at(10) })), ['l3', 'l2']);
    assert.deepEqual(ids(await store.list({ last: 2 })), ['l3', 'l2']);
    assert.deepEqual(ids(await store.list({ phases: ['PENDING'], last: 5, after: at(5) })), ['l1']);
    assert.deepEqual(ids(await store.list({ phases: ['ARCHIVED'] })), []);
    await store.insert(job('l4', 'PENDING', 40, { ownerId: 'ada' }));
    await store.insert(job('l5', 'PENDING', 50, { ownerId: 'bob' }));
    await store.insert(job('l6', 'PENDING', 60, { ownerId: 'ada', capability: 'soda' }));
    assert.deepEqual(ids(await store.list({ ownedBy: 'ada', last: 2 })), ['l6', 'l4']);
    assert.deepEqual(ids(await store.list({ ownedBy: 'ada', capability: 'tap' })), ['l4']);
    assert.deepEqual(ids(await store.list({ ownedBy: null })), ['l3', 'l2', 'l1']);
    assert.deepEqual(ids(await store.list({ capability: 'soda' })), ['l6']);
    assert.equal((await store.get('l6'))?.capability, 'soda');
    assert.equal((await store.list()).length, 6);
    for (const id of ['l1', 'l2', 'l3', 'l4', 'l5', 'l6']) await store.delete(id);
  });

  await t.test('an update happens only in the phases given', async () => {
    await store.insert(job('u', 'PENDING', 0));
    const queued = await store.update('u', { phase: 'QUEUED' }, ['PENDING']);
    assert.equal(queued?.phase, 'QUEUED');
    assert.equal(await store.update('u', { phase: 'ERROR' }, ['PENDING']), undefined);
    assert.equal(await store.update('missing', { phase: 'ERROR' }), undefined);
    const changed = await store.update('u', { destruction: at(99), errorMessage: 'x' });
    assert.deepEqual(changed, { ...job('u', 'QUEUED', 0), destruction: at(99), errorMessage: 'x' });
    assert.deepEqual(await store.get('u'), changed);
    await store.delete('u');
  });

  await t.test('claims take the oldest queued job, each once', async () => {
    for (let i = 0; i < 6; i++) await store.insert(job(`q${i}`, 'QUEUED', 100 + i));
    await store.insert(job('p', 'PENDING', 50));
    const first = await store.claim('runner-a', at(200));
    assert.equal(first?.jobId, 'q0');
    assert.equal(first?.phase, 'EXECUTING');
    assert.equal(first?.runner, 'runner-a');
    assert.deepEqual(first?.startTime, at(200));
    const rest = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.claim(`runner-${i}`, at(201))),
    );
    const claimed = rest.filter((j): j is StoredJob => j !== undefined).map((j) => j.jobId);
    assert.deepEqual(claimed.sort(), ['q1', 'q2', 'q3', 'q4', 'q5']);
    assert.equal(await store.claim('runner-a', at(202)), undefined);
    assert.equal((await store.get('p'))?.phase, 'PENDING');
    assert.equal(await store.heartbeat('q0', 'runner-a', at(203)), 'EXECUTING');
    await store.update('q1', { phase: 'ABORTED' });
    assert.equal(await store.heartbeat('q1', 'runner-0', at(203)), 'ABORTED');
    assert.equal(await store.heartbeat('gone', 'runner-a', at(203)), undefined);
  });

  await t.test('jobs of dead runners are recovered, never those of the caller', async () => {
    const recovered = await store.recover('runner-a', at(10_000), {
      phase: 'ERROR',
      errorMessage: 'restarted',
      endTime: at(300),
    });
    assert.deepEqual(ids(recovered).sort(), ['q2', 'q3', 'q4', 'q5']);
    assert.equal((await store.get('q3'))?.errorMessage, 'restarted');
    assert.equal((await store.get('q0'))?.phase, 'EXECUTING');
  });

  await t.test('expired jobs are deleted', async () => {
    const expired = await store.deleteExpired(at(100 + 3600 + 2));
    assert.deepEqual(expired.sort(), ['p', 'q0', 'q1', 'q2']);
    assert.deepEqual(ids(await store.list()), ['q5', 'q4', 'q3']);
    await store.deleteExpired(at(1e6));
    assert.deepEqual(await store.list(), []);
  });
}

test('the DuckDB job store', async (t) => {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const store = openJobStore(engine, 'catalog.duckdb');
  assert.ok(store instanceof DuckDbJobStore);
  assert.equal(store.shared, false);
  await storeConformance(t, store);
  await store.close();
});

test('the PostgreSQL job store', async (t) => {
  const database = await freshPostgres(t);
  if (!database) return;
  const { url } = database;
  const engine = await openEngine(url);
  t.after(() => engine.close());
  t.after(database.drop);
  const store = openJobStore(engine, url);
  assert.ok(store instanceof PostgresJobStore);
  assert.equal(store.shared, true);
  await storeConformance(t, store);

  await t.test('only runners silent since before the lease are taken for dead', async () => {
    await store.insert(job('alive', 'QUEUED', 0));
    await store.insert(job('dead', 'QUEUED', 1));
    await store.claim('node-1', at(10));
    await store.claim('node-2', at(10));
    assert.equal(await store.heartbeat('alive', 'node-1', at(50)), 'EXECUTING');
    const recovered = await store.recover('node-3', at(40), { phase: 'ERROR' });
    assert.deepEqual(ids(recovered), ['dead']);
    assert.equal((await store.get('alive'))?.phase, 'EXECUTING');
    await store.deleteExpired(at(1e6));
  });

  await t.test('nodes claiming at once each get different jobs (SKIP LOCKED)', async () => {
    const nodes = [store, PostgresJobStore.open(url, engine), PostgresJobStore.open(url, engine)];
    t.after(() => Promise.all(nodes.slice(1).map((n) => n.close())));
    const count = 30;
    for (let i = 0; i < count; i++) {
      await store.insert(job(`c${String(i).padStart(2, '0')}`, 'QUEUED', i));
    }
    const claims = await Promise.all(
      Array.from({ length: 45 }, (_, i) => nodes[i % 3]!.claim(`node-${i % 3}`, at(100))),
    );
    const claimed = claims.filter((j): j is StoredJob => j !== undefined);
    const unique = new Set(claimed.map((j) => j.jobId));
    assert.equal(claimed.length, count, 'every queued job is claimed');
    assert.equal(unique.size, count, 'no job is claimed twice');
    const stored = await store.list({ phases: ['EXECUTING'] });
    for (const s of stored) {
      const claim = claimed.find((c) => c.jobId === s.jobId);
      assert.equal(s.runner, claim?.runner, `${s.jobId} is run by the node that claimed it`);
    }
  });
  await store.close();
});

test('a crashed runner is found out within about 15 s, after several missed heartbeats', () => {
  const { leaseMs, reapIntervalMs, heartbeatMs } = DEFAULT_TIMING;
  assert.ok(leaseMs + reapIntervalMs <= 15_000, `${leaseMs} + ${reapIntervalMs} ms`);
  assert.ok(leaseMs >= 4 * heartbeatMs, `lease ${leaseMs} ms, heartbeat ${heartbeatMs} ms`);
});
