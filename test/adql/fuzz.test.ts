/**
 * Safety under fire: random text, token soup, mutated real queries and random valid
 * queries thrown at the parser and compiler. Whatever comes in, the only error is
 * AdqlError; nothing hangs; no text from the query reaches the SQL except inside a
 * quoted identifier or an escaped string literal; and what compiles runs on DuckDB
 * without a parser or binder error.
 *
 * Runs: HEARC_FUZZ_RUNS (default 2000 for the cheap properties); e.g.
 * `HEARC_FUZZ_RUNS=100000 npm test -- test/adql/fuzz` for the long run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { AdqlError, compileAdql } from '../../src/adql/index.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import type { Engine } from '../../src/engine/types.js';
import { corpus } from './corpus/queries.js';
import { openDuckDbCorpus, runSql } from './engines.js';
import { testSchema } from './fixtures.js';

const runs = Number(process.env.HEARC_FUZZ_RUNS ?? 2000);
/** Properties that execute SQL are a tenth as many. */
const sqlRuns = Math.max(50, Math.round(runs / 10));
const seed = Number(process.env.HEARC_FUZZ_SEED ?? 20261124);

/** Words the compiler itself writes into SQL: every word of its source files (and of the AST's keyword sets). */
const vocabulary = new Set(
  [
    'src/adql/ast.ts',
    'src/adql/compiler.ts',
    'src/engine/dialect/duckdb.ts',
    'src/engine/dialect/postgres.ts',
  ]
    .flatMap((file) => readFileSync(file, 'utf8').match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])
    .map((w) => w.toLowerCase()),
);

/** Bare words of SQL once string literals, quoted identifiers and numbers are removed. */
function bareWords(sql: string): string[] {
  const stripped = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' ');
  return (stripped.match(/[0-9.]+(?:E[+-]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*/g) ?? []).filter(
    (w) => !/^[0-9.]/.test(w),
  );
}

/** Parses and compiles for both dialects; only AdqlError may escape. */
function compileBoth(adql: string): string[] {
  const out: string[] = [];
  for (const dialect of [duckDbDialect, postgresDialect]) {
    try {
      out.push(compileAdql(adql, testSchema, dialect, { maxRows: 100 }).sql);
    } catch (err) {
      if (!(err instanceof AdqlError)) throw err;
      assert.ok(err.line >= 1 && err.column >= 1, 'errors carry a position');
      assert.ok(err.detail.length > 0);
    }
  }
  for (const sql of out) {
    const leaked = bareWords(sql).filter((w) => !vocabulary.has(w.toLowerCase()));
    assert.deepEqual(leaked, [], `unquoted words in ${sql}`);
  }
  return out;
}

const tokens = [
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'JOIN',
  'LEFT',
  'NATURAL',
  'ON',
  'USING',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'ALL',
  'WITH',
  'AS',
  'TOP',
  'ORDER',
  'BY',
  'GROUP',
  'HAVING',
  'OFFSET',
  'DISTINCT',
  'CAST',
  'COUNT',
  'SUM',
  'POINT',
  'CIRCLE',
  'POLYGON',
  'BOX',
  'CONTAINS',
  'INTERSECTS',
  'DISTANCE',
  'AREA',
  'COORD1',
  'IS',
  'NULL',
  'BETWEEN',
  'LIKE',
  'ILIKE',
  'EXISTS',
  'COALESCE',
  'IN_UNIT',
  'LOWER',
  'INTEGER',
  'VARCHAR',
  'DOUBLE',
  'PRECISION',
  'ivo_hasword',
  'zq_udf',
  'hearc.sample',
  'ivoa.obscore',
  'sample',
  'id',
  'ra',
  'dec',
  'name',
  'pos',
  'cone',
  'footprint',
  's_ra',
  'zq_col',
  't',
  'x',
  '"zq weird"',
  '"ra"',
  "'str'",
  "'it''s'",
  "'; DROP TABLE x; --'",
  '1',
  '2.5',
  '1e3',
  '0x1F',
  '-',
  '+',
  '*',
  '/',
  '%',
  '||',
  '(',
  ')',
  ',',
  '.',
  '=',
  '<',
  '>',
  '<=',
  '>=',
  '<>',
  '!=',
  ';',
  '--',
  '\n',
  '"',
  "'",
  'TRUE',
  '1e999',
  '-1e308',
  '99999999999999999999999',
  '0xFFFFFFFFFFFFFFFF',
  "IN_UNIT(ra, '10**400 m')",
  'CIRCLE(1e308, 1e308, 1e308)',
  'POLYGON(1e308, 1, 2, 3, 4, 5)',
  'DISTANCE(ra, dec, 1e308, 0) < 1e308',
];

const tokenSoup = fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((ts) => ts.join(' '));

const seeds = [
  ...corpus.map((q) => q.adql),
  'SELECT TOP 10 s_ra, s_dec, obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT(s_ra, s_dec), CIRCLE(83.6, 22, 1)) ORDER BY s_ra',
];

/** A mutation: delete, insert or replace a span of a real query with a token or character. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.nat({ max: 6 }),
        fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 3 }), fc.constant('')),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([text, edits]) =>
    edits.reduce((s, [at, length, insert]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(i + length);
    }, text),
  );

const anyCodeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

test('random text: only AdqlError, never a crash', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), anyCodeUnits), (s) => void compileBoth(s)),
    { numRuns: runs, seed },
  );
});

test('token soup: only AdqlError, and no unquoted query text in the SQL', () => {
  fc.assert(
    fc.property(tokenSoup, (s) => void compileBoth(s)),
    { numRuns: runs, seed },
  );
});

test('mutated real queries: only AdqlError, and no unquoted query text in the SQL', () => {
  fc.assert(
    fc.property(mutated, (s) => void compileBoth(s)),
    { numRuns: runs, seed },
  );
});

test('pathological nesting and length fail cleanly', () => {
  for (const text of [
    `SELECT ${'('.repeat(100000)}1${')'.repeat(100000)} FROM hearc.sample`,
    `SELECT * FROM hearc.sample WHERE ${'NOT '.repeat(50000)}id = 1`,
    `SELECT ${'-'.repeat(3)}${' -'.repeat(50000)}1 FROM hearc.sample`,
    `SELECT ${Array.from({ length: 20000 }, () => 'id').join(' + ')} FROM hearc.sample`,
    `SELECT "${'x'.repeat(200000)}" FROM hearc.sample`,
    `SELECT ${'a'.repeat(200000)} FROM hearc.sample`,
    `SELECT * FROM hearc.sample WHERE id IN (${Array.from({ length: 20000 }, (_, i) => i).join(',')})`,
    'SELECT 1e999, -1e999 FROM hearc.sample',
    "SELECT IN_UNIT(ra, '10**400 m'), IN_UNIT(ra, '10**-400 deg') FROM hearc.sample",
    'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(1e308 * 10, 1e308, 1e308 * 1e308))',
    'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON(1e308, 1, 1e308 * 2, 3, 4, 5))',
    'SELECT id FROM hearc.sample WHERE DISTANCE(ra, dec, 1e308 * 10, 0) < 1e308 * 10',
    "SELECT 'a\u0000b' FROM hearc.sample",
  ]) {
    compileBoth(text);
  }
});

// ------------------------------------------------------------------ valid random queries

const numericColumns = ['id', 'small', 'big', 'real_value', 'ra', 'dec'];
const numericLiteral = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc
    .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
    .map((v) => (Number.isInteger(v) ? `${v}.5` : String(v))),
  fc.constantFrom('0x10', '1e3', '.5', '7.'),
);

const numeric: fc.Arbitrary<string> = fc.letrec<{ n: string }>((tie) => ({
  n: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...numericColumns),
    numericLiteral,
    fc
      .tuple(tie('n'), fc.constantFrom('+', '-', '*'), tie('n'))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('n').map((a) => `ABS(${a})`),
    tie('n').map((a) => `ROUND(${a}, 2)`),
    tie('n').map((a) => `SIN(${a})`),
    fc.tuple(tie('n'), tie('n')).map(([a, b]) => `COALESCE(${a}, ${b})`),
    tie('n').map((a) => `CAST(${a} AS DOUBLE PRECISION)`),
    fc.constantFrom(
      'DISTANCE(pos, POINT(10, 20))',
      'DISTANCE(ra, dec, 1, 2)',
      'AREA(cone)',
      'COORD1(pos)',
      'ivo_healpix_index(3, ra, dec)',
      'CONTAINS(pos, footprint)',
    ),
  ),
})).n;

const text: fc.Arbitrary<string> = fc.oneof(
  fc.constant('name'),
  fc.string({ maxLength: 12 }).map((s) => `'${s.replaceAll("'", "''")}'`),
  fc.constantFrom('LOWER(name)', "name || '-'", "COALESCE(name, 'none')", 'CAST(id AS VARCHAR(4))'),
);

const condition: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(numeric, fc.constantFrom('=', '<', '>=', '<>'), numeric)
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(text, fc.constantFrom('LIKE', 'ILIKE', 'NOT LIKE'), text)
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(numeric, numeric, numeric).map(([a, b, c]) => `${a} BETWEEN ${b} AND ${c}`),
    numeric.map((a) => `${a} IS NULL`),
    fc
      .tuple(numeric, fc.array(numericLiteral, { minLength: 1, maxLength: 4 }))
      .map(([a, l]) => `${a} IN (${l.join(', ')})`),
    fc.constantFrom(
      '1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 5))',
      '0 = INTERSECTS(cone, footprint)',
      'flag = 1',
      "obs_time > '2020-01-01'",
      'EXISTS (SELECT * FROM ivoa.obscore_hea AS h WHERE h.ev_xel > id)',
    ),
    fc
      .tuple(tie('c'), fc.constantFrom('AND', 'OR'), tie('c'))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('c').map((a) => `NOT (${a})`),
  ),
})).c;

const validQuery = fc
  .record({
    top: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
    items: fc.array(fc.oneof(numeric, text), { minLength: 1, maxLength: 4 }),
    where: fc.option(condition, { nil: undefined }),
    order: fc.boolean(),
  })
  .map(({ top, items, where, order }) => {
    const select = items.map((e, i) => `${e} AS "c${i} ""q"""`).join(', ');
    return `SELECT ${top === undefined ? '' : `TOP ${top} `}${select} FROM hearc.sample${where ? ` WHERE ${where}` : ''}${order ? ' ORDER BY 1 DESC' : ''}`;
  });

let duckdb: Engine;
before(async () => {
  duckdb = await openDuckDbCorpus();
});
after(async () => {
  await duckdb?.close();
});

/** Data errors (a square root of -1, an overflow) are the query's business; SQL errors are ours. */
const dataError = /Out of Range Error|Invalid Input Error|Conversion Error|Overflow|cannot take/;

test('random valid queries compile and run on DuckDB without SQL errors', async () => {
  await fc.assert(
    fc.asyncProperty(validQuery, async (adql) => {
      const [sql] = compileBoth(adql);
      assert.ok(sql, `valid ADQL was rejected: ${adql}`);
      try {
        await runSql(duckdb, sql);
      } catch (err) {
        if (!dataError.test(String(err)))
          throw new Error(`${String(err)}\nADQL: ${adql}\nSQL: ${sql}`);
      }
    }),
    { numRuns: sqlRuns, seed },
  );
});

test('string literals and delimited names reach the database exactly as written', async () => {
  const anyText = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\u0000'));
  await fc.assert(
    fc.asyncProperty(
      anyText,
      fc
        .string({ unit: 'binary', minLength: 1, maxLength: 20 })
        .filter((s) => !s.includes('\u0000')),
      async (value, alias) => {
        const adql = `SELECT '${value.replaceAll("'", "''")}' AS "${alias.replaceAll('"', '""')}" FROM hearc.sample WHERE id = 1`;
        const compiled = compileAdql(adql, testSchema, duckDbDialect);
        const { columns, rows } = await runSql(duckdb, compiled.sql);
        assert.deepEqual(rows, [[value]]);
        assert.deepEqual(columns, [alias]);
      },
    ),
    { numRuns: sqlRuns, seed },
  );
});
