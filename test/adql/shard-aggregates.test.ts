/**
 * Aggregates and first rows over a table with partitions on shards (PostgreSQL,
 * postgres_fdw): the dialect compiles one aggregate (or one ORDER BY … LIMIT) per shard
 * partition, which PostgreSQL 15 can send whole to the shard, and combines their rows;
 * every query it does not fit compiles as before.
 * The answers on real shards are compared in test/engine/shards.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileAdql, type CompileOptions } from '../../src/adql/index.js';
import { observationRightsTable } from '../../src/auth/tables.js';
import { postgresDialect, postgresDialectWith } from '../../src/engine/dialect/postgres.js';
import { EVENT_HEALPIX_ORDER } from '../../src/events/schema.js';
import { obscoreTable, publishedSchema } from '../../src/obscore/schema.js';
import { publishPublic } from '../helpers/catalog.js';
import { requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { requirePostgres } from './engines.js';

/** Partitions 0-5 of hearc.events on shards, 6-11 local (as after one `hearc shards add`). */
const halfSharded = postgresDialectWith({
  foreignPartitions: (table) => (table.name === 'events' ? [0, 1, 2, 3, 4, 5] : []),
});
const allSharded = postgresDialectWith({
  foreignPartitions: (table) => (table.name === 'events' ? [...Array(12).keys()] : []),
});
const compile = (adql: string, dialect = halfSharded, options?: CompileOptions): string =>
  compileAdql(adql, publishedSchema, dialect, options).sql;
const plain = (adql: string, options?: CompileOptions): string =>
  compileAdql(adql, publishedSchema, postgresDialect, options).sql;
/** Compile options of a caller in `groups`, rows filtered by their rights. */
const seenBy = (groups: string[]): CompileOptions => ({
  visibility: {
    filters: () => true,
    rights: { observations: obscoreTable, owners: observationRightsTable },
    now: new Date('2030-01-01T00:00:00Z'),
    groups,
  },
});
const branches = (sql: string): string[] =>
  [...sql.matchAll(/FROM "hearc"\."events(_p\d+)?"/g)].map((m) => m[0]);

test('a full-sky aggregate is one aggregate per shard partition and one over the local partitions', () => {
  const sql = compile('SELECT COUNT(*) AS n, AVG(energy) AS e FROM hearc.events WHERE energy > 1');
  assert.deepEqual(branches(sql), [
    ...[0, 1, 2, 3, 4, 5].map((p) => `FROM "hearc"."events_p${p}"`),
    'FROM "hearc"."events"',
  ]);
  // Each part counts and sums; the whole adds the parts (AVG as a sum over a count).
  assert.match(
    sql,
    /^SELECT CAST\(COALESCE\(sum\("hearc_parts"\."hearc_a0"\), 0\) AS bigint\) AS "n", CAST\(sum\("hearc_parts"\."hearc_a1"\) \/ NULLIF\(sum\("hearc_parts"\."hearc_a2"\), 0\) AS double precision\) AS "e" FROM \(/,
  );
  assert.equal(sql.split(' UNION ALL ').length, 7);
  // The local branch is pruned by PostgreSQL to the partitions still here (cells from 6/12 of the sky).
  const half = 6 * 4 ** EVENT_HEALPIX_ORDER;
  assert.ok(
    sql.includes(`("t1"."healpix_index" >= ${half} AND "t1"."healpix_index" < ${2 * half})`),
    sql,
  );
  // With every partition on a shard, no local branch.
  assert.equal(branches(compile('SELECT COUNT(*) AS n FROM hearc.events', allSharded)).length, 12);
});

test('groups, HAVING, ORDER BY, TOP and the service limit are applied to the combined rows', () => {
  const sql = compile(
    'SELECT TOP 5 obs_id, COUNT(*) AS n, MIN(energy) AS lo, MAX(energy) AS hi, SUM(energy) AS s FROM hearc.events GROUP BY obs_id HAVING COUNT(*) > 10 ORDER BY n DESC, obs_id',
    halfSharded,
    { maxRows: 3 },
  );
  assert.match(
    sql,
    /GROUP BY "t1"\."obs_id"\) AS "hearc_parts" GROUP BY "hearc_parts"\."hearc_g0" HAVING \(CAST\(COALESCE\(sum\("hearc_parts"\."hearc_a1"\), 0\) AS bigint\) > 10\) ORDER BY "n" DESC NULLS FIRST, "obs_id" ASC NULLS LAST LIMIT 3$/,
  );
  assert.match(sql, /^SELECT "hearc_parts"\."hearc_g0" AS "obs_id", /);
  assert.match(
    sql,
    /min\("hearc_parts"\."hearc_a2"\) AS "lo", max\("hearc_parts"\."hearc_a3"\) AS "hi"/,
  );
  // The same aggregate twice is computed once per part.
  const twice = compile('SELECT COUNT(*) AS a, COUNT(*) * 2 AS b FROM hearc.events');
  assert.equal([...twice.matchAll(/count\(\*\)/g)].length, 7, twice);
});

test('a DISTINCT aggregate: each part holds each value once, the whole aggregates the distinct values', () => {
  const sql = compile(
    'SELECT event_type, COUNT(DISTINCT obs_id) AS n, COUNT(*) AS m FROM hearc.events GROUP BY event_type',
    allSharded,
  );
  assert.ok(
    sql.includes(
      'SELECT "t1"."event_type" AS "hearc_g0", "t1"."obs_id" AS "hearc_d1", CAST(count(*) AS bigint) AS "hearc_a2" FROM "hearc"."events_p0" AS "t1" GROUP BY "t1"."event_type", "t1"."obs_id" UNION ALL',
    ),
    sql,
  );
  assert.match(
    sql,
    /^SELECT "hearc_parts"\."hearc_g0" AS "event_type", CAST\(count\(DISTINCT "hearc_parts"\."hearc_d1"\) AS bigint\) AS "n", CAST\(COALESCE\(sum\("hearc_parts"\."hearc_a2"\), 0\) AS bigint\) AS "m" FROM /,
  );
});

test('a cone reaches only the partitions its cells can be in', () => {
  const cone = (where: string): string[] =>
    branches(
      compile(`SELECT COUNT(*) AS n FROM hearc.events WHERE ${where} AND energy > 0.3`, allSharded),
    );
  // The Crab (RA 83.6°, Dec 22°) lies in base cell 5.
  assert.deepEqual(cone("1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.6, 22.0, 0.5))"), [
    'FROM "hearc"."events_p5"',
  ]);
  assert.deepEqual(cone('DISTANCE(POINT(ra, dec), POINT(83.6, 22.0)) < 0.5'), [
    'FROM "hearc"."events_p5"',
  ]);
  assert.deepEqual(cone('CONTAINS(POINT(ra, dec), CIRCLE(83.6, 22.0, 0.5)) <> 0'), [
    'FROM "hearc"."events_p5"',
  ]);
  // Not confining: a negated cone, or one under OR.
  assert.equal(
    cone("0 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.6, 22.0, 0.5))").length,
    12,
  );
  assert.equal(
    cone('(1 = CONTAINS(POINT(ra, dec), CIRCLE(83.6, 22.0, 0.5)) OR energy > 10)').length,
    12,
  );
  // A cone on the local half only: nothing to send to a shard, the plain query.
  const local =
    'SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(300.1, -20.5, 1))';
  assert.equal(compile(local), plain(local));
});

test('queries the rewrite does not fit compile as before', () => {
  for (const adql of [
    'SELECT ra, dec FROM hearc.events WHERE energy > 10',
    'SELECT DISTINCT obs_id FROM hearc.events',
    'SELECT COUNT(DISTINCT obs_id) AS a, COUNT(DISTINCT event_type) AS b, COUNT(DISTINCT multip) AS c FROM hearc.events',
    'SELECT COUNT(*) AS n FROM hearc.events AS e JOIN ivoa.obscore AS o ON o.obs_publisher_did = e.obs_publisher_did',
    "SELECT COUNT(*) AS n FROM hearc.events WHERE obs_id IN (SELECT obs_id FROM ivoa.obscore WHERE target_name = 'Crab')",
    'SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM ivoa.obscore) AS m FROM hearc.events',
    'SELECT COUNT(*) AS n FROM ivoa.obscore',
    'WITH e AS (SELECT energy FROM hearc.events) SELECT COUNT(*) AS n FROM e',
  ]) {
    assert.equal(compile(adql), plain(adql), adql);
  }
  const adql = 'SELECT COUNT(*) AS n FROM hearc.events';
  // Nothing on a shard: as before.
  assert.equal(compile(adql, postgresDialectWith({ foreignPartitions: () => [] })), plain(adql));
  // A derived table's aggregate is rewritten inside the outer query.
  const nested = compile(
    'SELECT MAX(n) AS m FROM (SELECT obs_id, COUNT(*) AS n FROM hearc.events GROUP BY obs_id) AS c',
  );
  assert.equal(branches(nested).length, 7, nested);
});

test('rows filtered by access rights: the parts are per observation, and only those the caller may see are combined', () => {
  const options = seenBy(['hess']);
  const sql = compile(
    'SELECT obs_id, COUNT(*) AS n FROM hearc.events WHERE energy > 1 GROUP BY obs_id',
    allSharded,
    options,
  );
  assert.equal(branches(sql).length, 12);
  // Each part: grouped by the query's groups and the rows' rights key, on the shard.
  assert.ok(
    sql.includes(
      'FROM "hearc"."events_p0" AS "t1" WHERE ("t1"."energy" > 1) GROUP BY "t1"."obs_id", "t1"."obs_publisher_did" UNION ALL',
    ),
    sql,
  );
  // The coordinator keeps the parts of visible keys (the same rule as the plain filter), then combines.
  const keys = plain('SELECT COUNT(*) AS n FROM hearc.events', options).match(
    /"obs_publisher_did" IN \((SELECT .*)\)\) AS "t1"$/,
  )?.[1];
  assert.ok(keys?.includes("'hess'"), keys);
  assert.ok(
    sql.includes(
      `) AS "hearc_parts" WHERE "hearc_parts"."hearc_k1" IN (${keys}) GROUP BY "hearc_parts"."hearc_g0"`,
    ),
    sql,
  );
  // A count of nothing visible is 0, not NULL.
  assert.match(
    compile('SELECT COUNT(*) AS n FROM hearc.events', allSharded, options),
    /^SELECT CAST\(COALESCE\(sum/,
  );
});

test('the first rows in some order are each partition first rows, found there, then the first of those', () => {
  const sql = compile(
    'SELECT TOP 10 obs_id, energy FROM hearc.events WHERE energy > 1 ORDER BY energy DESC, event_time OFFSET 5',
    allSharded,
  );
  assert.equal(branches(sql).length, 12);
  // Each branch sorts and limits itself (TOP plus OFFSET rows), with a key of its own for
  // an order that is not an output; the union is not merged (OFFSET 0), then sorted.
  assert.ok(
    sql.includes(
      '(SELECT "t1"."obs_id" AS "obs_id", "t1"."energy" AS "energy", "t1"."event_time" AS "hearc_o1" FROM "hearc"."events_p0" AS "t1" WHERE ("t1"."energy" > 1) ORDER BY "energy" DESC NULLS FIRST, "t1"."event_time" ASC NULLS LAST LIMIT 15) UNION ALL',
    ),
    sql,
  );
  assert.match(
    sql,
    /^SELECT "hearc_parts"\."obs_id" AS "obs_id", "hearc_parts"\."energy" AS "energy" FROM \(SELECT \* FROM \(/,
  );
  assert.match(
    sql,
    /\) AS "hearc_union" OFFSET 0\) AS "hearc_parts" ORDER BY "hearc_parts"\."energy" DESC NULLS FIRST, "hearc_parts"\."hearc_o1" ASC NULLS LAST LIMIT 10 OFFSET 5$/,
  );
  // Not for results bounded only by the service limit, nor for rows a rights filter keeps.
  const unbounded = 'SELECT obs_id FROM hearc.events ORDER BY energy DESC';
  assert.equal(
    compile(unbounded, allSharded, { maxRows: 100_001 }),
    plain(unbounded, { maxRows: 100_001 }),
  );
  const options = seenBy([]);
  const top = 'SELECT TOP 3 obs_id FROM hearc.events ORDER BY energy DESC';
  assert.equal(compile(top, allSharded, options), plain(top, options));
  assert.notEqual(compile(top, allSharded), plain(top));
});

/** Queries whose rewritten SQL must give the plain SQL's rows (deterministic orders). */
const SAME_ROWS = [
  'SELECT COUNT(*) AS n FROM hearc.events',
  'SELECT COUNT(energy) AS n, COUNT(*) AS m, SUM(event_id) AS s, AVG(event_id) AS a FROM hearc.events',
  'SELECT MIN(obs_publisher_did) AS lo, MAX(obs_publisher_did) AS hi FROM hearc.events',
  'SELECT obs_id, COUNT(*) AS n FROM hearc.events GROUP BY obs_id HAVING COUNT(*) > 1000 ORDER BY COUNT(*) DESC, obs_id',
  'SELECT COUNT(*) AS n FROM hearc.events HAVING COUNT(*) > 5',
  'SELECT COUNT(*) AS n FROM hearc.events HAVING COUNT(*) > 5000000000',
  'SELECT event_type, obs_id, MAX(energy) AS m FROM hearc.events GROUP BY event_type, obs_id ORDER BY obs_id, event_type',
  'SELECT FLOOR(energy) AS b, COUNT(*) AS n FROM hearc.events WHERE energy < 20 GROUP BY FLOOR(energy) ORDER BY b',
  'SELECT obs_id, COUNT(*) * 2 + MIN(energy) AS x FROM hearc.events GROUP BY obs_id ORDER BY x DESC OFFSET 2',
  "SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.633, 22.0145, 0.3)) AND energy BETWEEN 1 AND 10",
  "SELECT COUNT(*) AS n FROM hearc.events WHERE DISTANCE(POINT('ICRS', ra, dec), POINT('ICRS', 329.71694, -30.2255)) < 0.5",
  'SELECT COUNT(*) AS n, AVG(energy) AS e FROM hearc.events WHERE energy > 1e9',
  'SELECT obs_id, SUM(energy) AS s FROM hearc.events WHERE energy > 1e9 GROUP BY obs_id',
  'SELECT MAX(n) AS m, MIN(n) AS l FROM (SELECT obs_id, COUNT(*) AS n FROM hearc.events GROUP BY obs_id) AS c',
  'SELECT o.obs_id, e.n FROM ivoa.obscore AS o JOIN (SELECT obs_publisher_did, COUNT(*) AS n FROM hearc.events GROUP BY obs_publisher_did) AS e ON e.obs_publisher_did = o.obs_publisher_did ORDER BY o.obs_id',
  'SELECT TOP 5 obs_id, event_id, energy FROM hearc.events ORDER BY energy DESC, obs_id, event_id',
  'SELECT TOP 5 obs_id, event_id FROM hearc.events ORDER BY event_time, event_id OFFSET 10',
  'SELECT TOP 3 * FROM hearc.events WHERE energy > 5 ORDER BY energy, event_id',
  'SELECT TOP 4 obs_id, event_id, energy / 2 AS half FROM hearc.events WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(83.633, 22.0145, 1)) ORDER BY half DESC, event_id',
  'SELECT TOP 2 obs_id, COUNT(*) AS n FROM hearc.events GROUP BY obs_id ORDER BY n DESC, obs_id',
  'SELECT COUNT(DISTINCT obs_id) AS n, COUNT(*) AS m, AVG(DISTINCT multip) AS a FROM hearc.events WHERE energy > 1',
  'SELECT event_type, COUNT(DISTINCT obs_id) AS n, SUM(DISTINCT multip) AS s, MAX(DISTINCT energy) AS e FROM hearc.events GROUP BY event_type ORDER BY event_type',
  'SELECT COUNT(DISTINCT obs_id) AS n FROM hearc.events WHERE energy > 1e9',
];

test('on PostgreSQL, the rewritten SQL gives the rows of the plain SQL (partitions named as if on shards)', async (t) => {
  const hess = requireTestData(t, 'hess-dl3-dr1');
  if (!hess || !requirePostgres(t)) return;
  // The partitions are local here: named in the rewritten SQL all the same, they give its
  // answers without shard clusters (test/engine/shards.test.ts runs the same with them).
  const engine = await freshPostgresCatalog('hearc_shard_sql');
  t.after(() => engine.close());
  await publishPublic(engine, hess, 'hess-dr1');
  const placements = [allSharded, halfSharded];
  const cell = (v: unknown): string =>
    typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(10) : String(v);
  const rows = async (sql: string): Promise<string> => {
    const out: string[] = [];
    for await (const batch of await engine.stream(sql)) {
      for (const r of batch) out.push(r.map(cell).join());
    }
    return out.join(';');
  };
  let rewritten = 0;
  for (const adql of SAME_ROWS) {
    const expected = await rows(plain(adql, { maxRows: 1001 }));
    for (const dialect of placements) {
      const sql = compile(adql, dialect, { maxRows: 1001 });
      if (sql !== plain(adql, { maxRows: 1001 })) rewritten++;
      assert.equal(await rows(sql), expected, adql);
    }
  }
  assert.ok(rewritten >= 2 * SAME_ROWS.length - 4, String(rewritten));
});
