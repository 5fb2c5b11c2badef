/**
 * hearc.events on a coordinator PostgreSQL with its partitions on two shard clusters
 * (pg_createcluster on other ports, postgres_fdw): `hearc shards add` moves partitions
 * there, TAP answers the same counts as before, and a re-ingest writes through.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import postgres from 'postgres';
import { compileAdql, type RowVisibility } from '../../src/adql/index.js';
import { main } from '../../src/cli/main.js';
import { RightsStore } from '../../src/auth/rights.js';
import { observationRightsTable } from '../../src/auth/tables.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import { engineDialect } from '../../src/engine/dialects.js';
import { openEngine } from '../../src/engine/index.js';
import type { SqlValue } from '../../src/engine/types.js';
import { eventsTable } from '../../src/events/schema.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreTable, publishedSchema } from '../../src/obscore/schema.js';
import { requirePostgres } from '../adql/engines.js';
import { serveStore } from '../datalink/fixtures.js';
import { canRun, onCi, requireTestData } from '../helpers/env.js';
import { captureIo } from '../helpers/io.js';
import { freePort } from '../helpers/net.js';
import { POSTGRES_SERVER } from '../helpers/postgres.js';
import { tapRows } from '../helpers/tap.js';

const QUERIES = [
  'SELECT COUNT(*) AS n FROM hearc.events',
  "SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.633, 22.0145, 0.5))",
  "SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 329.71694, -30.2255, 0.3)) AND energy > 1",
  'SELECT COUNT(*) AS n FROM hearc.events WHERE energy > 10',
  'SELECT COUNT(DISTINCT obs_id) AS n FROM hearc.events',
];

/**
 * Aggregates the engine's dialect computes per shard partition once partitions are on
 * shards (dialect/postgres.ts); their whole answers must not change.
 */
const AGGREGATES = [
  'SELECT obs_id, COUNT(*) AS n, MIN(energy) AS lo, MAX(event_time) AS hi FROM hearc.events GROUP BY obs_id ORDER BY obs_id',
  'SELECT COUNT(*) AS n, AVG(energy) AS e, SUM(energy) AS s, MIN(ra) AS ra FROM hearc.events WHERE energy > 1',
  // No rows: COUNT 0, the others NULL; and no group at all.
  'SELECT COUNT(*) AS n, AVG(energy) AS e, MAX(energy) AS m FROM hearc.events WHERE energy > 1e9',
  'SELECT obs_id, COUNT(*) AS n FROM hearc.events WHERE energy > 1e9 GROUP BY obs_id',
  // NULL groups are one group across the parts.
  'SELECT event_type, COUNT(*) AS n FROM hearc.events GROUP BY event_type ORDER BY n DESC',
  "SELECT TOP 3 obs_id, COUNT(*) AS n, AVG(energy) AS e FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.633, 22.0145, 2)) GROUP BY obs_id HAVING COUNT(*) > 10 ORDER BY COUNT(*) DESC, obs_id",
  'SELECT MAX(n) AS most, COUNT(*) * 2 + 1 AS odd FROM (SELECT obs_id, COUNT(*) AS n FROM hearc.events GROUP BY obs_id) AS c',
];

/** A PostgreSQL cluster of its own on a free port, with a database 'shard'; dropped after the test. */
async function shardCluster(t: TestContext, name: string): Promise<string | undefined> {
  const port = await freePort();
  const cluster = `hearc_${name}_${process.pid}`;
  const create = spawnSync(
    'pg_createcluster',
    ['15', cluster, '-p', String(port), '--start', '--', '--auth=trust'],
    { encoding: 'utf8' },
  );
  if (create.status !== 0) {
    const why = `pg_createcluster failed: ${create.stderr}`;
    if (onCi) throw new Error(why);
    t.skip(why);
    return undefined;
  }
  t.after(() => void spawnSync('pg_dropcluster', ['--stop', '15', cluster]));
  const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
    max: 1,
    onnotice: () => undefined,
  });
  try {
    await admin.unsafe('CREATE DATABASE shard');
  } finally {
    await admin.end();
  }
  return `postgres://postgres@127.0.0.1:${port}/shard`;
}

/** The first rows in some order, which the engine's dialect finds per shard partition. */
const TOP_ROWS = [
  'SELECT TOP 10 obs_id, event_id, energy, ra, dec FROM hearc.events ORDER BY energy DESC, obs_id, event_id',
  "SELECT TOP 7 event_id, energy * 2 AS e2, obs_id FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.633, 22.0145, 2)) ORDER BY event_time DESC, e2, obs_id, event_id OFFSET 3",
];

/** Every row of every aggregate, doubles to 12 significant digits (sums differ in the last ones). */
const cell = (v: unknown): string =>
  typeof v === 'number' && !Number.isInteger(v)
    ? v.toPrecision(12)
    : JSON.stringify(typeof v === 'bigint' ? Number(v) : v);

async function aggregates(address: string): Promise<string[]> {
  const out: string[] = [];
  for (const q of [...AGGREGATES, ...TOP_ROWS]) {
    const rows = await tapRows(address, q);
    out.push(rows.map((r) => Object.values(r).map(cell).join()).join(';'));
  }
  return out;
}

async function counts(address: string): Promise<number[]> {
  const out: number[] = [];
  for (const q of QUERIES) out.push(Number((await tapRows(address, q))[0]?.n));
  return out;
}

test('hearc.events sharded over two PostgreSQL clusters', { timeout: 600_000 }, async (t) => {
  const hess = requireTestData(t, 'hess-dl3-dr1');
  if (!hess || !requirePostgres(t)) return;
  if (!canRun('pg_lsclusters', ['--help'])) {
    const why = 'pg_createcluster (Debian postgresql-common) is not available';
    if (onCi) throw new Error(why);
    t.skip(why);
    return;
  }
  const shardA = await shardCluster(t, 'a');
  const shardB = shardA && (await shardCluster(t, 'b'));
  if (!shardA || !shardB) return;

  const database = `hearc_shards_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${database}`);
  await admin.end();
  const coordinator = `${POSTGRES_SERVER}/${database}`;
  const served = await serveStore(t, hess, 'hess-dr1', () => openEngine(coordinator));
  t.after(async () => {
    const cleanup = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
    await cleanup.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await cleanup.end();
  });
  const before = await counts(served.address);
  assert.ok(
    before.every((n) => n > 0),
    String(before),
  );
  const aggregated = await aggregates(served.address);
  assert.ok(aggregated.filter((rows) => rows.length > 0).length >= 5, String(aggregated));
  /** The coordinator's plan of `sql` (EXPLAIN VERBOSE), a line each. */
  const plan = async (sql: string): Promise<string[]> => {
    const client = postgres(coordinator, { max: 1, onnotice: () => undefined });
    try {
      const rows = await client.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (VERBOSE) ${sql}`);
      return rows.map((r) => r['QUERY PLAN'].trim());
    } finally {
      await client.end();
    }
  };
  /**
   * How many shard partitions the served engine's dialect sends an aggregate to (`Remote
   * SQL` with count), and how many of those scans run at the same time (async).
   */
  const pushedDown = async (
    adql: string,
    visibility?: RowVisibility,
  ): Promise<{ pushed: number; async: number }> => {
    const options = visibility ? { visibility } : {};
    const { sql } = compileAdql(adql, publishedSchema, engineDialect(served.engine), options);
    const lines = await plan(sql);
    return {
      pushed: lines.filter((l) =>
        /^Remote SQL: SELECT .*count\(\*\).* FROM hearc\.events_p\d+/.test(l),
      ).length,
      async: lines.filter((l) => /Async Foreign Scan/.test(l)).length,
    };
  };

  /** Every aggregate, compiled per shard partition and for one node, gives the same rows. */
  const sameAsPlain = async (visibility?: RowVisibility): Promise<string[]> => {
    const answers: string[] = [];
    // The first rows are found on the shards for the stored rows only.
    for (const adql of visibility ? AGGREGATES : [...AGGREGATES, ...TOP_ROWS]) {
      const [split, plain] = await Promise.all(
        [engineDialect(served.engine), postgresDialect].map(async (dialect) => {
          const rows: string[] = [];
          const options = visibility ? { visibility } : {};
          const { sql } = compileAdql(adql, publishedSchema, dialect, options);
          for await (const batch of await served.engine.stream(sql)) {
            for (const r of batch) rows.push(r.map(cell).join());
          }
          return { sql, rows: rows.join(';') };
        }),
      );
      assert.notEqual(split!.sql, plain!.sql, adql);
      assert.equal(split!.rows, plain!.rows, adql);
      answers.push(split!.rows);
    }
    return answers;
  };

  for (const [shard, partitions] of [
    [shardA, '0-5'],
    [shardB, '6-11'],
  ] as const) {
    const io = captureIo();
    const code = await main(
      ['shards', 'add', shard, '--db', coordinator, '--partitions', partitions],
      io,
    );
    assert.equal(code, 0, io.err());
    assert.match(io.out(), /of hearc\.events are on hearc_shard_\w+ \(\d+ events moved\)/);
    // The served engine reads where the partitions are (here at once; by itself within seconds).
    await served.engine.readMark([eventsTable, obscoreTable, observationRightsTable]);
    const moved = partitions === '0-5' ? [0, 1, 2, 3, 4, 5] : [...Array(12).keys()];
    assert.deepEqual(served.engine.foreignPartitions?.(eventsTable), moved);
    // Half on shards, half local, then all on shards: each shard partition counts for itself,
    // with the same answers as the SQL compiled for one node, on the same catalog.
    const count = 'SELECT COUNT(*) AS n FROM hearc.events';
    assert.deepEqual(await pushedDown(count), { pushed: moved.length, async: moved.length });
    // The first rows by energy: each shard partition sorts and sends its own first ten.
    const first = await plan(
      compileAdql(TOP_ROWS[0]!, publishedSchema, engineDialect(served.engine)).sql,
    );
    assert.equal(
      first.filter((l) => /^Remote SQL: .* ORDER BY energy DESC .* LIMIT 10::bigint$/.test(l))
        .length,
      moved.length,
    );
    assert.equal(first.filter((l) => /Async Foreign Scan/.test(l)).length, moved.length);
    await sameAsPlain();
    // Through TAP, once the rights filter is judged to hide nothing (the first queries ask).
    for (let i = 0; i < 3; i++) {
      await tapRows(served.address, AGGREGATES[0]!);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.deepEqual(await aggregates(served.address), aggregated);
  }
  const list = captureIo();
  assert.equal(await main(['shards', 'list', '--db', coordinator], list), 0, list.err());
  const lines = list.out().trim().split('\n').slice(1);
  assert.equal(lines.length, 12);
  assert.ok(
    lines.every((l) => !l.endsWith('\tlocal')),
    list.out(),
  );

  // The same answers, now from the shards; each shard holds part of the events.
  assert.deepEqual(await counts(served.address), before);
  const held: number[] = [];
  for (const shard of [shardA, shardB]) {
    const sql = postgres(shard, { max: 1, onnotice: () => undefined });
    let n = 0;
    for (let p = 0; p < 12; p++) {
      const [row] = await sql.unsafe(
        `SELECT count(*)::int AS n FROM information_schema.tables t WHERE t.table_schema = 'hearc' AND t.table_name = 'events_p${p}'`,
      );
      if (row?.n === 1)
        n += (await sql.unsafe(`SELECT count(*)::int AS n FROM hearc.events_p${p}`))[0]
          ?.n as number;
    }
    await sql.end();
    held.push(n);
  }
  assert.ok(
    held.every((n) => n > 0),
    String(held),
  );
  assert.equal(held[0]! + held[1]!, before[0]);

  // A re-ingest (the publishing settings changed) deletes and writes the events
  // through the foreign partitions.
  const report = await ingestDataStore(served.engine, hess, {
    ...served.config,
    ownerGroup: 'shard-test',
  });
  assert.equal(report.failed.length, 0);
  assert.equal(report.updated.length, 13);
  assert.deepEqual(await counts(served.address), before);
  assert.deepEqual(await aggregates(served.address), aggregated);

  // A proprietary run: its events are left out of the parts an outsider's aggregates
  // combine, and counted for its group (the same rows as the filtered plain SQL).
  const [first] = await tapRows(served.address, AGGREGATES[0]!);
  await new RightsStore(served.engine).set(
    [String(first?.obs_id)],
    { dataRights: 'proprietary', releaseDate: new Date('2099-01-01T00:00:00Z'), ownerGroup: 'g' },
    { by: 'test', via: 'test', at: new Date() },
  );
  const seenBy = (groups: string[]): RowVisibility => ({
    filters: () => true,
    rights: { observations: obscoreTable, owners: observationRightsTable },
    now: new Date(),
    groups,
  });
  // Its parts are per observation; they still run on the shards, at the same time.
  for (const adql of [
    AGGREGATES[1]!,
    'SELECT COUNT(*) AS n, obs_id FROM hearc.events GROUP BY obs_id',
  ]) {
    assert.deepEqual(await pushedDown(adql, seenBy([])), { pushed: 12, async: 12 }, adql);
  }
  const outsider = await sameAsPlain(seenBy([]));
  const member = await sameAsPlain(seenBy(['g']));
  assert.equal(member[0], aggregated[0]);
  assert.notEqual(outsider[0], aggregated[0]);
  // One group (the run's obs_id) fewer.
  assert.equal(outsider[0]!.split(';').length, aggregated[0]!.split(';').length - 1);
  const total = Number(aggregated[1]!.split(',')[0]);
  assert.ok(Number(outsider[1]!.split(',')[0]) < total, outsider[1]);
  await new RightsStore(served.engine).set(
    [String(first?.obs_id)],
    { dataRights: 'public', releaseDate: null, ownerGroup: null },
    { by: 'test', via: 'test', at: new Date() },
  );

  // Bad input is named.
  const bad = captureIo();
  assert.equal(
    await main(['shards', 'add', shardA, '--db', coordinator, '--partitions', '12'], bad),
    1,
  );
  assert.match(bad.err(), /partitions 0 to 11, not 12/);

  // A query's snapshot can tell commits on the shards too (each shard's commit log, read
  // with the coordinator's in the snapshot the query then runs in), so rights filters
  // that hide nothing may be left out of sharded tables as well.
  const engine = served.engine;
  const tables = [eventsTable, obscoreTable, observationRightsTable];
  const which = async (commits: number): Promise<unknown> => {
    const cursor = await engine.stream('SELECT 1 AS which', {
      whenUnchanged: { sql: 'SELECT 2 AS which', since: [{ tables, commits }] },
    });
    const rows: (readonly SqlValue[])[] = [];
    for await (const batch of cursor) rows.push(...batch);
    return rows[0]?.[0];
  };
  const mark = await engine.readMark(tables);
  assert.equal(typeof mark, 'number', 'a sharded table can be checked');
  assert.equal(await which(mark!), 2);
  // A commit on a shard alone (as when a shard has committed and the coordinator not yet).
  const onShard = postgres(shardA, { max: 1, onnotice: () => undefined });
  t.after(() => onShard.end());
  await onShard.unsafe('DELETE FROM hearc.events_p0 WHERE false');
  assert.equal(await which(mark!), 1, 'a commit on a shard since the mark');
  const seen = engine.markOf(tables);
  assert.ok(seen !== undefined && seen > mark!);
  assert.equal(await which(seen), 2);
  // Each transaction writing a shard's partition adds a row to its log; the coordinator
  // folds the log when it reads the mark past 256 rows, and the mark stays what it was.
  for (let i = 0; i < 300; i++) await onShard.unsafe('DELETE FROM hearc.events_p0 WHERE false');
  const logRows = async (): Promise<number> =>
    Number((await onShard.unsafe('SELECT count(*) AS n FROM hearc_internal.commit_log'))[0]?.n);
  assert.ok((await logRows()) > 300);
  const grown = await engine.readMark(tables);
  assert.ok(grown !== undefined && grown >= seen + 300, `${grown} after ${seen}`);
  assert.ok((await logRows()) <= 6, String(await logRows()));
  assert.equal(await engine.readMark(tables), grown);
  assert.equal(await which(grown), 2);
  // A shard's partition without the log's trigger cannot be checked.
  await onShard.unsafe('DROP TRIGGER hearc_commit_log ON hearc.events_p0');
  assert.equal(await which(grown), 1);
  assert.equal(await engine.readMark(tables), undefined);
  // Adding the shard's partitions again puts it back.
  const again = captureIo();
  assert.equal(
    await main(['shards', 'add', shardA, '--db', coordinator, '--partitions', '0-5'], again),
    0,
    again.err(),
  );
  const back = await engine.readMark(tables);
  assert.equal(typeof back, 'number');
  assert.equal(await which(back!), 2);
  assert.deepEqual(await counts(served.address), before);
  // A shard down: queries that need only the others still run (with their filter).
  const stop = spawnSync('pg_ctlcluster', ['15', `hearc_b_${process.pid}`, 'stop'], {
    encoding: 'utf8',
  });
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(await which(back!), 1);
});
