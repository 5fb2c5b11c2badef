import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import postgres from 'postgres';
import { openEngine } from '../../src/engine/index.js';
import { QueryCancelledError, type Engine, type SqlValue } from '../../src/engine/types.js';
import { requireChecker } from '../helpers/env.js';
import { conformance } from './conformance.js';

/** A database where this test may create and drop others (CI: the local cluster's `test`). */
const adminUrl = process.env.HEARC_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

const requirePgSphere = (t: TestContext): boolean =>
  requireChecker(t, 'PostgreSQL with pg_sphere', [
    'psql',
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-d',
    adminUrl,
    '-c',
    'BEGIN',
    '-c',
    'CREATE EXTENSION IF NOT EXISTS pg_sphere',
    '-c',
    'ROLLBACK',
  ]);

/** Runs `work` against an engine on a database of its own, dropped afterwards. */
async function withFreshDatabase(
  work: (engine: Engine, url: string) => Promise<void>,
): Promise<void> {
  const name = `hearc_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const engine = await openEngine(url.toString());
    try {
      await work(engine, url.toString());
    } finally {
      await engine.close();
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

// Four nested series of a thousand rows: a trillion combinations, minutes of CPU, no memory.
const slowSql = `SELECT count(*) FROM generate_series(1, 1000) a, generate_series(1, 1000) b,
  generate_series(1, 1000) c, generate_series(1, 1000) d`;

test('PostgreSQL + pg_sphere engine conforms', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine) => {
    assert.equal(engine.dialect, 'postgres');
    await conformance(t, { engine, slowSql });
  });
});

test('sessions scan tables from their start (synchronize_seqscans off): TOP n is stable', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine) => {
    const rows: (readonly SqlValue[])[] = [];
    for await (const batch of await engine.stream("SELECT current_setting('synchronize_seqscans')"))
      rows.push(...batch);
    assert.deepEqual(rows, [['off']]);
  });
});

test('an alternative statement valid on an unchanged snapshot is never run: other processes write the catalog', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine) => {
    assert.equal(engine.countsEveryCommit, false);
    const { everyTypeTable } = await import('./conformance.js');
    const table = everyTypeTable('hearc', 'marked');
    await engine.ensureTables([table]);
    const cursor = await engine.stream('SELECT 1 AS which', {
      whenUnchanged: {
        sql: 'SELECT 2 AS which',
        since: [{ tables: [table], commits: engine.commitsWriting([table]) }],
      },
    });
    const rows: (readonly SqlValue[])[] = [];
    for await (const batch of cursor) rows.push(...batch);
    assert.deepEqual(rows, [[1]]);
  });
});

test('pg_sphere values from any query come back as DALI arrays in degrees', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine) => {
    const cursor = await engine.stream(
      `SELECT spoint '(10d, 20d)' AS p, scircle '<(83.5d, -22.25d), 0.5d>' AS c,
              spoly '{(1d, 2d), (3d, 2d), (2d, 4d)}' AS poly, sbox '((1d, 2d), (3d, 4d))' AS box,
              CAST(NULL AS spoint) AS none, ARRAY[1, 2]::bigint[] AS longs`,
    );
    const rows: (readonly SqlValue[])[] = [];
    for await (const batch of cursor) rows.push(...batch);
    assert.deepEqual(rows, [
      [[10, 20], [83.5, -22.25, 0.5], [1, 2, 3, 2, 2, 4], [1, 2, 3, 4], null, [1, 2]],
    ]);
  });
});

test('ensureTables indexes positions with GiST and indexed columns with b-trees', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine, url) => {
    const { everyTypeTable } = await import('./conformance.js');
    await engine.ensureTables([everyTypeTable('ivoa', 'obscore')]);
    const sql = postgres(url, { max: 1 });
    try {
      const indexes = await sql<{ indexname: string; indexdef: string }[]>`
        SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'ivoa' ORDER BY indexname`;
      const defs = Object.fromEntries(indexes.map((i) => [i.indexname, i.indexdef]));
      assert.match(defs.obscore_s_pos_idx ?? '', /USING gist \(s_pos\)/);
      assert.match(defs.obscore_s_region_idx ?? '', /USING gist \(s_region\)/);
      assert.match(defs.obscore_name_idx ?? '', /USING btree \(name\)/);
      assert.ok(defs.obscore_pkey, 'primary key index');
    } finally {
      await sql.end();
    }
  });
});

test(
  'a timeout stops the query in the server, not only in the client',
  { timeout: 120_000 },
  async (t) => {
    if (!requirePgSphere(t)) return;
    await withFreshDatabase(async (engine, url) => {
      await assert.rejects(engine.stream(slowSql, { timeoutMs: 300 }), QueryCancelledError);
      const sql = postgres(url, { max: 1 });
      try {
        const running = await sql`SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'active' AND query LIKE '%generate_series(1, 1000) a%'
          AND pid <> pg_backend_pid()`;
        assert.equal(running.length, 0);
      } finally {
        await sql.end();
      }
    });
  },
);
