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

test('an alternative statement runs only on a snapshot whose commit log holds no commit beyond the mark, whoever wrote', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine, url) => {
    assert.equal(engine.countsEveryCommit, false);
    const { everyTypeTable } = await import('./conformance.js');
    const table = { ...everyTypeTable('hearc', 'marked'), logCommits: true };
    const unlogged = everyTypeTable('hearc', 'unlogged');
    await engine.ensureTables([table, unlogged]);
    const other = postgres(url, { max: 2, onnotice: () => undefined });
    t.after(() => other.end());
    const first = async (sql: string, alternative: string, commits: number): Promise<unknown> => {
      const cursor = await engine.stream(sql, {
        whenUnchanged: { sql: alternative, since: [{ tables: [table], commits }] },
      });
      const rows: (readonly SqlValue[])[] = [];
      for await (const batch of cursor) rows.push(...batch);
      return rows[0]?.[0];
    };
    const which = (commits: number): Promise<unknown> =>
      first('SELECT 1 AS which', 'SELECT 2 AS which', commits);

    const mark = await engine.readMark([table]);
    assert.equal(typeof mark, 'number');
    assert.equal(engine.markOf([table]), mark, 'kept');
    assert.equal(await which(mark!), 2, 'nothing committed since the mark');
    // Run in the snapshot its mark was read in.
    assert.equal(
      await first("SELECT 'none'", "SELECT current_setting('transaction_isolation')", mark!),
      'repeatable read',
    );

    // Another process commits: the snapshot holds it, the statement given runs.
    await other.unsafe('INSERT INTO hearc.marked (id) VALUES (1)');
    assert.equal(await which(mark!), 1, 'a commit by another process since the mark');
    const seen = engine.markOf([table]);
    assert.ok(seen !== undefined && seen > mark!, 'the mark seen in that snapshot is kept');
    assert.equal(await which(seen), 2);

    // A write rolled back, one not yet committed, and a write to another table: no commit.
    await other
      .begin(async (tx) => {
        await tx.unsafe('DELETE FROM hearc.marked');
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await other.unsafe('INSERT INTO hearc.unlogged (id) VALUES (1)');
    const pending = other.begin(async (tx) => {
      await tx.unsafe('INSERT INTO hearc.marked (id) VALUES (2)');
      assert.equal(await which(seen), 2, 'a write not yet committed is in no snapshot');
    });
    await pending;
    assert.equal(await which(seen), 1, 'once committed, it is');

    // This process's own commits make the mark unknown until read again.
    const before = await engine.readMark([table]);
    await engine.transaction((tx) => tx.deleteRows(table, 'id', [1]));
    assert.equal(engine.markOf([table]), undefined);
    assert.equal(await which(before!), 1);
    assert.ok((await engine.readMark([table]))! > before!);

    // A table (or partition) without the log's trigger cannot be checked.
    await other.unsafe('DROP TRIGGER hearc_commit_log ON hearc.marked');
    assert.equal(await engine.readMark([table]), undefined);
    assert.equal(engine.markOf([table]), undefined);
    assert.equal(await which(seen), 1);
    await engine.ensureTables([table]);
    assert.equal(typeof (await engine.readMark([table])), 'number', 'the trigger is put back');

    // No transaction is left open on the connections after.
    for (let i = 0; i < 6; i++) {
      await which(-1);
      const rows: (readonly SqlValue[])[] = [];
      for await (const batch of await engine.stream(
        "SELECT current_setting('transaction_isolation')",
      ))
        rows.push(...batch);
      assert.deepEqual(rows, [['read committed']]);
    }
  });
});

test('DISTANCE is one expression the planner inlines: no function call per row, same values, NULL in NULL out', async (t) => {
  if (!requirePgSphere(t)) return;
  await withFreshDatabase(async (engine, url) => {
    const rows = async (sql: string): Promise<(readonly SqlValue[])[]> => {
      const all: (readonly SqlValue[])[] = [];
      for await (const batch of await engine.stream(sql)) all.push(...batch);
      return all;
    };
    // The plan, read as psql shows it (the engine's cursors return no rows of EXPLAIN).
    const direct = postgres(url, { max: 1, onnotice: () => undefined });
    const plan = await direct
      .unsafe(
        'EXPLAIN VERBOSE SELECT hearc_dist(g::float8, 0, 0, 90) FROM generate_series(1, 3) AS g',
      )
      .values()
      .finally(() => direct.end());
    assert.match(plan.join('\n'), /Output: degrees/);
    assert.doesNotMatch(plan.join('\n'), /hearc_dist/);
    const [[right, none, antipodes]] = (await rows(
      `SELECT hearc_dist(10, 0, 10, 90), hearc_dist(NULL, 0, 10, 90), hearc_dist(0, 0, 180, 0)`,
    )) as [[number, null, number]];
    assert.ok(Math.abs(right - 90) < 1e-12);
    assert.equal(none, null);
    assert.ok(Math.abs(antipodes - 180) < 1e-12);
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
