/**
 * PostgreSQL results read by binary COPY (src/engine/postgres-binary.ts) give the
 * values the text protocol gives: every type the decoder reads, on the same rows,
 * against the same query made to take the text path (a bytea column, which the
 * binary path does not read, sends the whole result there).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import postgres from 'postgres';
import {
  copyPlan,
  copySql,
  CopyTupleDecoder,
  type CopyPlan,
} from '../../src/engine/postgres-binary.js';
import { EngineError, type Engine, type SqlValue } from '../../src/engine/types.js';
import { requirePostgres } from '../adql/engines.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';

/** Columns of every type the binary path reads or casts to text, with their SQL types. */
const COLUMNS: readonly (readonly [string, string])[] = [
  ['i2', 'smallint'],
  ['i4', 'integer'],
  ['i8', 'bigint'],
  ['f4', 'real'],
  ['f8', 'double precision'],
  ['b', 'boolean'],
  ['t', 'text'],
  ['vc', 'varchar(40)'],
  ['nm', 'name'],
  ['o', 'oid'],
  ['js', 'json'],
  ['jb', 'jsonb'],
  ['ts', 'timestamp'],
  ['tz', 'timestamptz'],
  ['d', 'date'],
  ['n', 'numeric'],
  ['na', 'numeric[]'],
  ['a2', 'smallint[]'],
  ['a4', 'integer[]'],
  ['a8', 'bigint[]'],
  ['af4', 'real[]'],
  ['af8', 'double precision[]'],
  ['p', 'spoint'],
  ['c', 'scircle'],
  ['poly', 'spoly'],
  ['bx', 'sbox'],
];

/** Hand-picked rows: each cell a SQL literal (columns left out are NULL). */
const EDGE_ROWS: readonly Readonly<Record<string, string>>[] = [
  {},
  {
    i2: '-32768',
    i4: '-2147483648',
    i8: '-9223372036854775808',
    f4: "'NaN'",
    f8: "'NaN'",
    b: 'false',
    t: "''",
    vc: "''",
    nm: "''",
    o: '0',
    js: "'[]'",
    jb: "'{}'",
    ts: "'1999-12-31 23:59:59.999999'",
    tz: "'1969-07-20 20:17:40.123456+00'",
    d: "'1999-12-31'",
    n: "'NaN'",
    na: "'{}'",
    a2: "'{}'",
    a4: "'{}'",
    a8: "'{}'",
    af4: "'{}'",
    af8: "'{}'",
    p: "spoint '(0d, -90d)'",
    c: "scircle '<(359.999999d, 89.5d), 0.0001d>'",
    poly: "spoly '{(0d,0d),(1d,0d),(1d,1d)}'",
    bx: "sbox '((0d,0d),(1d,1d))'",
  },
  {
    i2: '32767',
    i4: '2147483647',
    i8: '9223372036854775807',
    f4: "'Infinity'",
    f8: "'Infinity'",
    b: 'true',
    t: "'Ωmega ☃ 𝄞 é, tab\there'",
    vc: "'ünïcödé'",
    nm: "'naïve'",
    o: '4294967295',
    js: '\'{"a": [1, 2.5, "ü"]}\'',
    jb: '\'{"b": null, "a": [1, 2.5, "ü"]}\'',
    ts: "'1969-07-20 20:17:40.123456'",
    tz: "'2020-02-29 23:59:59.999999+00'",
    d: "'0500-02-28'",
    n: "'1234567890.123456789012345'",
    na: "'{1.5,NULL,-2.25}'",
    a2: "'{1,NULL,-3}'",
    a4: "'{NULL}'",
    a8: "'{9007199254740993,-9223372036854775808,NULL}'",
    af4: "'{0.1,NULL,NaN,-Infinity}'",
    af8: "'{1e308,NULL,5e-324,-0,NaN,Infinity}'",
    p: "spoint '(123.456789012345d, 12.3456789d)'",
  },
  {
    i8: '9007199254740993',
    f4: "'-Infinity'",
    f8: "'-Infinity'",
    ts: "'0999-01-01 00:00:00.5'",
    tz: "'infinity'",
    d: "'0001-01-01 BC'",
    n: "'-0.000000000000000000001'",
  },
  {
    i8: '-9007199254740993',
    f4: "'-0'",
    f8: "'-0'",
    ts: "'0044-03-15 12:00:00.000001 BC'",
    d: "'12345-06-07'",
    n: "'1e400'",
  },
  { f4: '3.4028235e38', f8: '1.7976931348623157e308', ts: "'12345-06-07 08:09:10.111213'" },
  { f4: '1.4e-45', f8: '5e-324', ts: "'infinity'", d: "'infinity'" },
  { f4: '1.1754944e-38', f8: '2.2250738585072014e-308', ts: "'-infinity'", d: "'-infinity'" },
  { f4: '0.1', f8: '0.1', ts: "'2000-01-01 00:00:00'", d: "'2000-01-01'" },
  { f8: '1e-300', ts: "'1000-01-01 00:00:00'", d: "'1000-01-01'" },
  { f8: '123456789.123456789', ts: "'0999-12-31 23:59:59.999999'", d: "'0999-12-31'" },
  { ts: "'9999-12-31 23:59:59.999999'", d: "'9999-12-31'" },
  { ts: "'10000-01-01 00:00:00'", d: "'10000-01-01'" },
  { ts: "'0004-02-29 12:34:56.789'", d: "'0004-02-29'" },
  { ts: "'4713-01-01 00:00:00 BC'", d: "'4713-01-01 BC'" },
  { ts: "'294276-12-31 23:59:59.999999'", d: "'5874897-12-31'" },
];

const columnList = COLUMNS.map(([name]) => name).join(', ');

async function createCases(url: string): Promise<void> {
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(
      `CREATE TABLE binary_cases (id integer PRIMARY KEY, ${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`,
    );
    for (const [i, row] of EDGE_ROWS.entries()) {
      const values = COLUMNS.map(([name, type]) =>
        row[name] === undefined ? 'NULL' : `(${row[name]})::${type}`,
      );
      await admin.unsafe(`INSERT INTO binary_cases VALUES (${i}, ${values.join(', ')})`);
    }
    // Rows enough for many batches, with values of every kind.
    await admin.unsafe(
      `INSERT INTO binary_cases (id, i2, i4, i8, f4, f8, b, t, ts, tz, d, n, af8, a8, p, poly)
       SELECT 1000 + g, (g % 30000)::smallint, g * 7919, g::bigint * 1000000007 * 1000003,
         (sin(g) * 1e6)::real, sin(g) * 10 ^ (g % 40 - 20), g % 3 = 0, repeat('é' || g, g % 5),
         timestamp '1990-01-01' + g * interval '1 hour 0.123457 second',
         timestamptz '2000-01-01 00:00:00+00' + g * interval '1.5 second',
         date '1900-01-01' + g, (g / 7.0)::numeric(20, 9),
         ARRAY[g * 0.5, NULL, -g / 3.0]::float8[], ARRAY[g, -g]::bigint[],
         spoint(radians(g % 360), radians((g % 170) - 85)),
         spoly(format('{(%sd,0d),(%sd,1d),(%sd,1d)}', g % 359, g % 359, g % 359 + 0.5))
       FROM generate_series(1, 3000) AS g`,
    );
  } finally {
    await admin.end();
  }
}

/** The whole result by column, and its column names. */
async function readColumns(
  engine: Engine,
  sql: string,
  batchSize: number,
): Promise<{ names: readonly string[]; columns: SqlValue[][] }> {
  const cursor = await engine.stream(sql, { batchSize });
  const columns: SqlValue[][] = cursor.columnNames.map(() => []);
  for await (const batch of cursor.columnBatches()) {
    batch.columns.forEach((column, c) => {
      for (const value of column) columns[c]!.push(value);
    });
  }
  return { names: cursor.columnNames, columns };
}

/** A value as text that tells -0, NaN, bigint and (invalid) Dates apart. */
function shown(value: SqlValue | undefined): string {
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Object.is(value, -0)) return '-0';
  if (Array.isArray(value)) return `[${value.map(shown).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The first row where two columns differ, shown (numbers shown are equal only when they are the same double). */
function firstDifference(a: readonly SqlValue[], b: readonly SqlValue[]): string | undefined {
  if (a.length !== b.length) return `${a.length} rows against ${b.length}`;
  for (let r = 0; r < a.length; r++) {
    if (shown(a[r]) !== shown(b[r])) return `row ${r}: ${shown(a[r])} against ${shown(b[r])}`;
  }
  return undefined;
}

/** The same query, made to take the text path by a bytea column the binary path does not read. */
const onTextPath = (sql: string): string =>
  sql.replace(' FROM ', ', NULL::bytea AS text_path FROM ');

/** What the engine's connections run now of the endless series below. */
async function activeQueries(url: string): Promise<string[]> {
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    // Only this test's series: other test files run beside this one on the same server.
    const rows = await admin.unsafe<{ query: string }[]>(
      "SELECT query FROM pg_stat_activity WHERE application_name = 'hearc' AND state = 'active' AND query LIKE '%generate_series(1, 200000000)%'",
    );
    return rows.map((r) => r.query);
  } finally {
    await admin.end();
  }
}

async function open(t: TestContext): Promise<Engine | undefined> {
  if (!requirePostgres(t)) return undefined;
  const engine = await freshPostgresCatalog('hearc_binary', 1);
  t.after(() => engine.close());
  return engine;
}

/** The binary plan the engine makes for `sql`'s result columns (pg_sphere's types read as text). */
async function planOf(client: postgres.Sql, sql: string): Promise<CopyPlan | undefined> {
  const described = await client.unsafe(`SELECT * FROM (${sql}) AS q LIMIT 0`);
  const sphere = await client.unsafe<{ oid: number }[]>(
    "SELECT oid::int AS oid FROM pg_type WHERE typname IN ('spoint', 'scircle', 'spoly', 'sbox')",
  );
  const types = (described.columns ?? []).map((c) => c.type);
  return copyPlan(types, {}, new Set(sphere.map((s) => s.oid)));
}

test('binary COPY gives the values of the text path, type by type', async (t) => {
  const engine = await open(t);
  if (!engine) return;
  await createCases(engine.location);
  const sql = `SELECT id, ${columnList} FROM binary_cases ORDER BY id`;
  const client = postgres(engine.location, { max: 1, onnotice: () => undefined });
  t.after(() => client.end());
  assert.ok(await planOf(client, sql), 'every column is read by the binary path');
  for (const batchSize of [7, 4096]) {
    const binary = await readColumns(engine, sql, batchSize);
    const text = await readColumns(engine, onTextPath(sql), batchSize);
    assert.deepEqual(binary.names, ['id', ...COLUMNS.map(([name]) => name)]);
    assert.deepEqual(text.names.slice(0, -1), binary.names);
    assert.equal(binary.columns[0]!.length, EDGE_ROWS.length + 3000);
    for (const [c, name] of binary.names.entries()) {
      assert.equal(firstDifference(binary.columns[c]!, text.columns[c]!), undefined, name);
    }
  }
});

test('a result with a type the binary path does not read takes the text path', async (t) => {
  const engine = await open(t);
  if (!engine) return;
  const { columns } = await readColumns(
    engine,
    "SELECT 1::int4 AS one, '\\x00ff'::bytea IS NOT NULL AS ok, spoint '(1d, 2d)' AS p",
    10,
  );
  assert.deepStrictEqual(columns, [[1], [true], [[1, 2]]]);
  assert.equal(copyPlan([23, 17], {}, new Set()), undefined);
  assert.equal(copyPlan([], {}, new Set()), undefined);
  assert.notEqual(copyPlan([23, 701, 1700], {}, new Set()), undefined);
});

test('an error in the middle of a binary result fails the cursor with the text path message', async (t) => {
  const engine = await open(t);
  if (!engine) return;
  const sql = 'SELECT g, 1 / (g - 40000) AS x FROM generate_series(1, 100000) AS g';
  const failure = async (text: string): Promise<{ rows: number; error: unknown }> => {
    let rows = 0;
    try {
      const cursor = await engine.stream(text, { batchSize: 100 });
      for await (const batch of cursor.columnBatches()) rows += batch.rowCount;
    } catch (error) {
      return { rows, error };
    }
    return { rows, error: undefined };
  };
  const binary = await failure(sql);
  const text = await failure(onTextPath(sql));
  assert.ok(binary.error instanceof EngineError, String(binary.error));
  assert.ok(text.error instanceof EngineError, String(text.error));
  assert.equal(binary.error.message, text.error.message);
  assert.match(binary.error.message, /division by zero/);
  assert.ok(binary.rows > 0 && binary.rows < 40000, `${binary.rows} rows before the error`);
  // The only connection is usable again.
  const after = await readColumns(engine, 'SELECT 2::int8 AS two', 10);
  assert.deepStrictEqual(after.columns, [[2n]]);
});

test('a binary result closed half-read stops the COPY in the server and frees the connection', async (t) => {
  const engine = await open(t);
  if (!engine) return;
  // Streams (ProjectSet) rather than materialising: minutes of rows if left running.
  const sql = 'SELECT generate_series(1, 200000000)::int8 AS g, 0.5::float8 AS half';
  const cursor = await engine.stream(sql, { batchSize: 1000 });
  const running = await activeQueries(engine.location);
  assert.ok(
    running.some((q) => q.startsWith('COPY (SELECT q.c0::int8, q.c1::float8 FROM (')),
    running.join('\n'),
  );
  let rows = 0;
  for await (const batch of cursor.columnBatches()) {
    rows += batch.rowCount;
    assert.deepStrictEqual(batch.columns[0]!.slice(0, 2), [BigInt(rows - 999), BigInt(rows - 998)]);
    if (rows >= 3000) break;
  }
  const started = Date.now();
  await cursor.close();
  assert.ok(Date.now() - started < 10_000, 'closed in time');
  assert.deepEqual(await activeQueries(engine.location), []);
  const after = await readColumns(engine, 'SELECT 3::int4 AS three', 10);
  assert.deepStrictEqual(after.columns, [[3]]);
});

test('a result read to its LIMIT closes without a cancel, and maxRows stops early', async (t) => {
  const engine = await open(t);
  if (!engine) return;
  const sql = 'SELECT g::int4 AS g FROM generate_series(1, 10) AS g LIMIT 5';
  const cursor = await engine.stream(sql, { maxRows: 5, batchSize: 2 });
  const seen: SqlValue[] = [];
  for await (const batch of cursor) for (const row of batch) seen.push(row[0]!);
  assert.deepStrictEqual(seen, [1, 2, 3, 4, 5]);
  const capped = await engine.stream('SELECT generate_series(1, 10)::int4 AS g', { maxRows: 3 });
  const rows: SqlValue[] = [];
  for await (const batch of capped) for (const row of batch) rows.push(row[0]!);
  assert.deepStrictEqual(rows, [1, 2, 3]);
  const after = await readColumns(engine, 'SELECT 4::int2 AS four', 10);
  assert.deepStrictEqual(after.columns, [[4]]);
});

test('the decoder reads tuples cut anywhere by the chunks they arrive in', async (t) => {
  const engine = await open(t);
  if (!engine) return;
  await createCases(engine.location);
  const client = postgres(engine.location, { max: 1, onnotice: () => undefined });
  t.after(() => client.end());
  const sql = `SELECT id, ${columnList} FROM binary_cases ORDER BY id LIMIT 40`;
  const plan = await planOf(client, sql);
  assert.ok(plan);
  const stream = await client.unsafe(copySql(sql, plan)).readable();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const decodeInPieces = (size: number): SqlValue[][] => {
    const decoder = new CopyTupleDecoder(plan);
    const columns: SqlValue[][] = plan.reads.map(() => []);
    let rows = 0;
    for (let at = 0; at < bytes.length; at += size) {
      decoder.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
      rows += decoder.decode(columns, rows, 1000);
    }
    assert.ok(decoder.finished);
    return columns;
  };
  const whole = decodeInPieces(bytes.length);
  assert.equal(whole[0]!.length, 40);
  for (const size of [1, 2, 3, 5, 64, 1000]) {
    const pieces = decodeInPieces(size);
    whole.forEach((column, c) => assert.equal(firstDifference(pieces[c]!, column), undefined));
  }
});
