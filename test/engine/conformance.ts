/**
 * The behaviour every catalog engine must share, run against DuckDB always and
 * against PostgreSQL + pg_sphere when it is available. Each case works in its own
 * schema so that the cases (and the test files) never see each other's tables.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { stcsOf, type ColumnDef, type TableDef } from '../../src/schema/types.js';
import {
  EngineError,
  QueryCancelledError,
  type CatalogRow,
  type Engine,
  type SqlValue,
} from '../../src/engine/types.js';

export interface EngineUnderTest {
  readonly engine: Engine;
  /** A query in this engine's SQL that runs for minutes unless cancelled. */
  readonly slowSql: string;
}

const column = (
  name: string,
  datatype: ColumnDef['datatype'],
  extra: Partial<ColumnDef> = {},
): ColumnDef => ({
  name,
  datatype,
  description: `test column ${name}`,
  ...extra,
});

/** One column of every kind the catalog stores. */
export function everyTypeTable(schema: string, name = 'every_type'): TableDef {
  return {
    schema,
    name,
    description: 'one column of each stored kind',
    primaryKey: ['id'],
    columns: [
      column('id', 'long', { nullable: false, indexed: true }),
      column('flag', 'boolean'),
      column('tiny', 'unsignedByte'),
      column('small', 'short'),
      column('count', 'int'),
      column('big', 'long'),
      column('ratio', 'float'),
      column('value', 'double'),
      column('name', 'char', { arraysize: '*', indexed: true }),
      column('label', 'unicodeChar', { arraysize: '*' }),
      column('t_obs', 'char', { arraysize: '*', xtype: 'timestamp' }),
      column('s_pos', 'double', { arraysize: '2', xtype: 'point', indexed: true }),
      column('s_circle', 'double', { arraysize: '3', xtype: 'circle' }),
      column('s_region', 'double', { arraysize: '*', xtype: 'polygon' }),
      column('t_range', 'double', { arraysize: '2', xtype: 'interval' }),
      column('t_moc', 'char', { arraysize: '*', xtype: 'moc' }),
      column('samples', 'double', { arraysize: '*' }),
      column('counts', 'int', { arraysize: '*' }),
    ],
  };
}

const fullRow: CatalogRow = {
  id: 1n,
  flag: true,
  tiny: 255,
  small: -32768,
  count: 2147483647,
  big: 9007199254740993n, // beyond 2^53: must come back exact
  ratio: Math.fround(0.1),
  value: 83.63308333,
  name: "ivo://hearc/obs?23523 'quoted'",
  label: 'Crab Nébuleuse ✓',
  t_obs: new Date('2004-12-04T22:04:48.123Z'),
  s_pos: [83.63308333, 22.0145],
  s_circle: [83.63308333, 22.0145, 2.5],
  s_region: [10, 10, 12, 10, 11, 12],
  t_range: [53343.92, 53343.94],
  t_moc: '8/12345 9/99-100',
  samples: [0.5, 1e-7, -3.25],
  counts: [1, 2, 3],
};

const nullRow: CatalogRow = { id: 2n, name: 'all nulls' };

function withNulls(table: TableDef, row: CatalogRow): CatalogRow {
  return Object.fromEntries(table.columns.map((c) => [c.name, row[c.name] ?? null]));
}

/** Rows by id, so that the comparison does not depend on storage order. */
function byId(rows: readonly CatalogRow[]): CatalogRow[] {
  return [...rows].sort((a, b) => Number(a.id) - Number(b.id));
}

async function collect(engine: Engine, sql: string, options = {}) {
  const cursor = await engine.stream(sql, options);
  const batches: (readonly (readonly SqlValue[])[])[] = [];
  for await (const batch of cursor) batches.push(batch);
  return { columnNames: cursor.columnNames, batches, rows: batches.flat() };
}

async function expectCancelled(
  promise: Promise<unknown>,
  reason: 'timeout' | 'aborted',
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(
      error instanceof QueryCancelledError,
      `expected QueryCancelledError, got ${String(error)}`,
    );
    assert.equal(error.reason, reason);
    return true;
  });
}

const series = (n: number): string =>
  `SELECT CAST(i AS INTEGER) AS i FROM generate_series(0, ${n - 1}) AS s(i)`;

/** Runs every conformance case as a subtest of `t`. */
export async function conformance(t: TestContext, under: EngineUnderTest): Promise<void> {
  const { engine, slowSql } = under;

  await t.test(
    'ensureTables creates schemas and tables, idempotently, and adds new columns',
    async () => {
      const table = everyTypeTable('c_ensure');
      await engine.ensureTables([table]);
      await engine.ensureTables([table]);
      assert.deepEqual(await engine.selectRows(table), []);
      const grown: TableDef = { ...table, columns: [...table.columns, column('added', 'double')] };
      await engine.ensureTables([grown]);
      await engine.transaction((tx) => tx.insertRows(grown, [{ id: 7n, added: 1.5 }]));
      const [row] = await engine.selectRows(grown);
      assert.equal(row?.added, 1.5);
    },
  );

  await t.test(
    'a geometry presented as STC-S is stored with its text: written with each row, filled in for rows stored before',
    async () => {
      const presented = (presentation: ColumnDef['presentation']): TableDef => ({
        schema: 'c_stcs',
        name: 'footprints',
        description: 'footprints shown as STC-S',
        primaryKey: ['did'],
        columns: [
          column('did', 'char', { arraysize: '*', nullable: false }),
          column('s_region', 'double', {
            arraysize: '*',
            xtype: 'polygon',
            ...(presentation ? { presentation } : {}),
          }),
        ],
      });
      const polygon = (i: number): number[] => [i + 0.1, -1, i + 1 / 3, 2e-7, i, 1e21 / 3];
      const rows = (from: number, to: number): CatalogRow[] =>
        Array.from({ length: to - from }, (_, k) => ({
          did: `ivo://x/'${from + k}'`,
          s_region: (from + k) % 7 === 0 ? null : polygon(from + k),
        }));
      // A catalog made before the text existed: 4500 rows (more than one fill per statement).
      const before = presented(undefined);
      await engine.ensureTables([before]);
      await engine.transaction((tx) => tx.insertRows(before, rows(0, 4500)));
      const table = presented({ as: 'stc-s' });
      await engine.ensureTables([table]);
      await engine.transaction((tx) => tx.insertRows(table, rows(4500, 4600)));
      const { columnNames, rows: texts } = await collect(
        engine,
        'SELECT did, hearc_stcs_s_region FROM c_stcs.footprints',
      );
      assert.deepEqual(columnNames, ['did', 'hearc_stcs_s_region']);
      assert.equal(texts.length, 4600);
      // The text of each geometry as the engine reads it back (pg_sphere wraps longitudes
      // and keeps 15 digits): what results showed before the text was stored.
      const stored = new Map(
        (await engine.selectRows(table)).map((r) => [r.did, r.s_region as number[] | null]),
      );
      assert.equal(stored.size, 4600);
      for (const [did, text] of texts) {
        const geometry = stored.get(did as string);
        assert.equal(text, geometry ? stcsOf('polygon', geometry) : null, String(did));
      }
      // The text is not one of the table's columns: rows read back without it.
      const [first] = await engine.selectRows(table, { column: 'did', values: ["ivo://x/'1'"] });
      assert.deepEqual(Object.keys(first ?? {}), ['did', 's_region']);
    },
  );

  await t.test('rows of every datatype come back as they went in, NULLs included', async () => {
    const table = everyTypeTable('c_roundtrip');
    await engine.ensureTables([table]);
    await engine.transaction((tx) => tx.insertRows(table, [fullRow, nullRow]));
    const rows = byId(await engine.selectRows(table));
    assert.deepEqual(rows, [withNulls(table, fullRow), withNulls(table, nullRow)]);
    // Integers that fit a JS number are numbers; long (BIGINT) is always a bigint.
    assert.equal(typeof rows[0]?.count, 'number');
    assert.equal(typeof rows[0]?.big, 'bigint');
  });

  await t.test('the cursor returns stored geometry as DALI arrays in degrees', async () => {
    const table = everyTypeTable('c_geometry');
    await engine.ensureTables([table]);
    await engine.transaction((tx) => tx.insertRows(table, [fullRow]));
    const { columnNames, rows } = await collect(
      engine,
      'SELECT s_pos, s_circle, s_region, t_range, t_obs, big FROM c_geometry.every_type',
    );
    assert.deepEqual(columnNames, ['s_pos', 's_circle', 's_region', 't_range', 't_obs', 'big']);
    assert.deepEqual(rows, [
      [
        fullRow.s_pos,
        fullRow.s_circle,
        fullRow.s_region,
        fullRow.t_range,
        fullRow.t_obs,
        fullRow.big,
      ],
    ]);
  });

  await t.test('computed values follow the same rules in every engine', async () => {
    const { rows } = await collect(
      engine,
      `SELECT CAST(1.1 AS REAL) AS f, CAST(2 AS BIGINT) AS b, CAST(3 AS INTEGER) AS i,
              CAST(1.5 AS DOUBLE PRECISION) AS d, TIMESTAMP '2020-01-02 03:04:05.123' AS t,
              CAST(NULL AS DOUBLE PRECISION) AS n, 'x' AS s, true AS flag, count(*) AS c`,
    );
    assert.deepEqual(rows, [
      [Math.fround(1.1), 2n, 3, 1.5, new Date('2020-01-02T03:04:05.123Z'), null, 'x', true, 1n],
    ]);
    const dates = await collect(
      engine,
      `SELECT TIMESTAMP '2000-02-29 23:59:59.999999' AS leap, DATE '2020-01-02' AS day,
              TIMESTAMP '0050-03-01 12:00:00' AS ancient, TIMESTAMP '12000-01-01 00:00:00' AS far`,
    );
    const ancient = new Date(Date.UTC(2000, 2, 1, 12));
    ancient.setUTCFullYear(50);
    assert.deepEqual(dates.rows, [
      [
        new Date('2000-02-29T23:59:59.999Z'),
        new Date('2020-01-02T00:00:00Z'),
        ancient,
        new Date('+012000-01-01T00:00:00Z'),
      ],
    ]);
  });

  await t.test('selectRows and deleteRows pick rows by column values', async () => {
    const table = everyTypeTable('c_select');
    await engine.ensureTables([table]);
    const rows = [1, 2, 3, 4].map((i) => ({ id: BigInt(i), name: `obs-${i}`, count: i * 10 }));
    await engine.transaction((tx) => tx.insertRows(table, rows));
    const picked = await engine.selectRows(table, {
      column: 'name',
      values: ['obs-2', 'obs-4', 'none'],
    });
    assert.deepEqual(
      byId(picked).map((r) => r.count),
      [20, 40],
    );
    assert.deepEqual(await engine.selectRows(table, { column: 'id', values: [] }), []);
    const deleted = await engine.transaction(async (tx) => {
      const n = await tx.deleteRows(table, 'id', [1n, 3n, 99n]);
      assert.deepEqual(
        byId(await tx.selectRows(table)).map((r) => r.id),
        [2n, 4n],
      );
      return n;
    });
    assert.equal(deleted, 2);
    assert.deepEqual(
      byId(await engine.selectRows(table)).map((r) => r.id),
      [2n, 4n],
    );
  });

  await t.test(
    'appendColumns loads columns in bulk: typed arrays, repeats, NULLs, sorted on request',
    async () => {
      const table: TableDef = {
        schema: 'c_append',
        name: 'bulk',
        description: 'bulk-loaded rows',
        columns: [
          column('key', 'char', { arraysize: '*', nullable: false }),
          column('n', 'long', { nullable: false }),
          column('x', 'double'),
          column('f', 'float'),
          column('k', 'int'),
          column('note', 'char', { arraysize: '*' }),
          column('unset', 'double'),
        ],
      };
      await engine.ensureTables([table]);
      // More than two DuckDB chunks, a partial one at the end, NaN read as NULL.
      const count = 5000;
      const x = Float64Array.from({ length: count }, (_, i) => (i % 1000 === 7 ? NaN : i / 2));
      const batch = (key: string, offset: number) => ({
        rowCount: count,
        columns: {
          key: { repeat: key },
          n: BigInt64Array.from({ length: count }, (_, i) => BigInt(count - i + offset)),
          x,
          f: Float32Array.from({ length: count }, (_, i) => i),
          k: Int32Array.from({ length: count }, (_, i) => -i),
          note: Array.from({ length: count }, (_, i) => (i % 2 ? `odd\t${i}` : null)),
        },
      });
      await engine.transaction(async (tx) => {
        await tx.appendColumns(table, batch('a', 0));
        await tx.appendColumns(table, batch('b', count));
      });
      const cursor = await engine.stream(
        'SELECT key, count(*), count(x), sum(k), count(note), count(unset), min(n), max(n) FROM c_append.bulk GROUP BY key ORDER BY key',
      );
      const rows: (readonly unknown[])[] = [];
      for await (const b of cursor) rows.push(...b);
      const sumK = -((count - 1) * count) / 2;
      assert.deepEqual(
        rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v))),
        [
          ['a', count, count - 5, sumK, count / 2, 0, 1, count],
          ['b', count, count - 5, sumK, count / 2, 0, count + 1, 2 * count],
        ],
      );
      const [odd] = await engine.selectRows(table, { column: 'n', values: [BigInt(count - 1)] });
      assert.equal(odd?.note, 'odd\t1');
      assert.equal(odd?.x, 0.5);

      await assert.rejects(
        engine.transaction((tx) =>
          tx.appendColumns(table, { rowCount: 2, columns: { key: { repeat: 'c' } } }),
        ),
        /c_append\.bulk\.n cannot be NULL/,
      );
      await assert.rejects(
        engine.transaction((tx) =>
          tx.appendColumns(table, {
            rowCount: 2,
            columns: { key: { repeat: 'c' }, n: new Float64Array([1, NaN]) },
          }),
        ),
        /c_append\.bulk\.n cannot be NULL or infinite \(row 2 is NaN\)/,
      );
      await assert.rejects(
        engine.transaction((tx) =>
          tx.appendColumns(table, {
            rowCount: 3,
            columns: { key: { repeat: 'c' }, n: new Float64Array([1, 2]) },
          }),
        ),
        /c_append\.bulk\.n: 2 values for 3 rows/,
      );
      await assert.rejects(
        engine.transaction((tx) =>
          tx.appendColumns(table, { rowCount: 1, columns: { key: { repeat: 'c' }, nope: [] } }),
        ),
        /c_append\.bulk has no column nope/,
      );
    },
  );

  await t.test(
    'appendColumns: repeated values of every kind, quoted strings, a batch of repeats alone; a failing load leaves nothing',
    async () => {
      const table: TableDef = {
        schema: 'c_append',
        name: 'repeats',
        description: 'bulk-loaded rows with values repeated on every row',
        columns: [
          column('key', 'char', { arraysize: '*', nullable: false }),
          column('n', 'long', { nullable: false }),
          column('flag', 'boolean'),
          column('tiny', 'unsignedByte'),
          column('small', 'short'),
          column('k', 'int'),
          column('f', 'float'),
          column('x', 'double'),
          column('big', 'long'),
          column('note', 'char', { arraysize: '*' }),
          column('unset', 'double'),
          column('coded', 'char', { arraysize: '*' }),
          column('y', 'double'),
        ],
      };
      await engine.ensureTables([table]);
      const key = `ivo://hearc/obs?o'1 "q"; --`;
      // Short strings are held inline in DuckDB's vectors, longer ones in its string heap.
      const long = "a'b, longer than twelve bytes ✓";
      const dictionary = [long, null, "c\"d''e"];
      // Over one DuckDB chunk, with a partial one at the end.
      const count = 3000;
      await engine.transaction(async (tx) => {
        await tx.appendColumns(table, {
          rowCount: count,
          columns: {
            key: { repeat: key },
            n: BigInt64Array.from({ length: count }, (_, i) => BigInt(i)),
            flag: { repeat: true },
            tiny: { repeat: 255 },
            small: { repeat: -32768 },
            k: { repeat: 2147483647 },
            f: { repeat: -Infinity },
            x: { repeat: -5e-324 },
            big: { repeat: 9007199254740993n },
            note: { repeat: null },
            coded: { codes: Uint32Array.from({ length: count }, (_, i) => i % 3), dictionary },
            // A NULL in the first chunk only: the same row of the next chunk keeps its value.
            y: Float64Array.from({ length: count }, (_, i) => (i === 5 ? NaN : i)),
          },
        });
        // No column that varies.
        await tx.appendColumns(table, {
          rowCount: 2,
          columns: { key: { repeat: "only 'repeats'" }, n: { repeat: -1 }, x: { repeat: 1e300 } },
        });
      });
      const rows: (readonly unknown[])[] = [];
      const sql =
        'SELECT key, n, flag, tiny, small, k, f, x, big, note, unset, coded FROM c_append.repeats WHERE n < 4 ORDER BY n';
      for await (const b of await engine.stream(sql)) rows.push(...b);
      const number = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
      const repeated = [
        true,
        255,
        -32768,
        2147483647,
        -Infinity,
        -5e-324,
        9007199254740993n,
        null,
        null,
      ];
      assert.deepEqual(
        rows.map((r) => [r[0], number(r[1]), ...r.slice(2, 8).map(number), ...r.slice(8)]),
        [
          ["only 'repeats'", -1, null, null, null, null, null, 1e300, null, null, null, null],
          ["only 'repeats'", -1, null, null, null, null, null, 1e300, null, null, null, null],
          [key, 0, ...repeated, long],
          [key, 1, ...repeated, null],
          [key, 2, ...repeated, "c\"d''e"],
          [key, 3, ...repeated, long],
        ].map((r) => r.map((v) => (typeof v === 'bigint' && r[0] !== key ? Number(v) : v))),
      );
      const counted = async () => {
        for await (const b of await engine.stream(
          'SELECT count(*), count(DISTINCT key), count(coded), count(note), count(y), sum(y) FROM c_append.repeats',
        ))
          return b[0]!.map(number);
        return [];
      };
      assert.deepEqual(await counted(), [
        count + 2,
        2,
        count - count / 3,
        0,
        count - 1,
        (count * (count - 1)) / 2 - 5,
      ]);

      // A load that fails after an append has gone through leaves none of its rows.
      await assert.rejects(
        engine.transaction(async (tx) => {
          await tx.appendColumns(table, {
            rowCount: 1,
            columns: { key: { repeat: 'x' }, n: { repeat: 1 } },
          });
          await tx.appendColumns(table, {
            rowCount: 2,
            columns: {
              key: { codes: Uint32Array.of(0, 1), dictionary: ['y', null] },
              n: { repeat: 2 },
            },
          });
        }),
        /c_append\.repeats\.key: row 2 has NULL/,
      );
      assert.deepEqual(await counted(), [
        count + 2,
        2,
        count - count / 3,
        0,
        count - 1,
        (count * (count - 1)) / 2 - 5,
      ]);
    },
  );

  await t.test('a failing transaction leaves nothing behind', async () => {
    const table = everyTypeTable('c_rollback');
    const other = everyTypeTable('c_rollback', 'other');
    await engine.ensureTables([table, other]);
    await engine.transaction((tx) => tx.insertRows(table, [{ id: 1n, name: 'kept' }]));
    await assert.rejects(
      engine.transaction(async (tx) => {
        await tx.insertRows(other, [{ id: 10n, name: 'half' }]);
        await tx.deleteRows(table, 'id', [1n]);
        await tx.insertRows(table, [{ id: 2n, name: 'half' }]);
        throw new Error('ingest failed half way');
      }),
      /ingest failed half way/,
    );
    assert.deepEqual(
      (await engine.selectRows(table)).map((r) => r.name),
      ['kept'],
    );
    assert.deepEqual(await engine.selectRows(other), []);
  });

  await t.test(
    'bad values are refused with a clear EngineError and nothing is written',
    async () => {
      const table = everyTypeTable('c_refuse');
      await engine.ensureTables([table]);
      const attempts: CatalogRow[] = [
        { id: 1n, s_pos: [1, 2, 3] },
        { id: 1n, s_region: [1, 2, 3, 4] },
        { id: 1n, count: 1.5 },
        { id: 1n, t_obs: '2020-01-01' },
        { id: 1n, nonsense: 1 },
        { name: 'no id' },
      ];
      for (const row of attempts) {
        await assert.rejects(
          engine.transaction((tx) => tx.insertRows(table, [{ id: 5n, name: 'fine' }, row])),
          (error: unknown) =>
            error instanceof EngineError && /c_refuse\.every_type/.test(error.message),
        );
      }
      // A duplicate primary key is the database's refusal, still an EngineError.
      await assert.rejects(
        engine.transaction((tx) => tx.insertRows(table, [{ id: 5n }, { id: 5n }])),
        EngineError,
      );
      assert.deepEqual(await engine.selectRows(table), []);
    },
  );

  await t.test('stream yields batches of batchSize and stops at maxRows', async () => {
    const all = await collect(engine, series(10_000), { batchSize: 1000 });
    assert.deepEqual(all.columnNames, ['i']);
    assert.deepEqual(
      all.batches.map((b) => b.length),
      Array(10).fill(1000),
    );
    assert.deepEqual(
      all.rows.map((r) => r[0]),
      Array.from({ length: 10_000 }, (_, i) => i),
    );

    const capped = await collect(engine, series(10_000), { batchSize: 1000, maxRows: 2500 });
    assert.deepEqual(
      capped.batches.map((b) => b.length),
      [1000, 1000, 500],
    );

    const empty = await collect(engine, `${series(10)} WHERE i < 0`);
    assert.deepEqual(empty.columnNames, ['i']);
    assert.deepEqual(empty.batches, []);
  });

  await t.test('a broken query is an EngineError carrying the database message', async () => {
    await assert.rejects(
      engine.stream('SELECT no_such_column FROM no_such_table'),
      (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.match(error.message, /no_such_table/);
        return true;
      },
    );
  });

  await t.test('a timeout cancels a long query in the database', { timeout: 120_000 }, async () => {
    // The slow query would return its one row after minutes.
    await expectCancelled(collect(engine, slowSql, { timeoutMs: 300 }), 'timeout');
    assert.deepEqual((await collect(engine, series(3))).rows, [[0], [1], [2]]);
  });

  await t.test(
    'a timeout also ends a cursor whose reader is slow',
    { timeout: 60_000 },
    async () => {
      const cursor = await engine.stream(series(1_000_000), { timeoutMs: 300, batchSize: 100 });
      const batches = cursor[Symbol.asyncIterator]();
      assert.equal((await batches.next()).done, false);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await expectCancelled(batches.next(), 'timeout');
      assert.deepEqual((await collect(engine, series(2))).rows, [[0], [1]]);
    },
  );

  await t.test('an abort signal cancels the query', { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    const running = collect(engine, slowSql, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expectCancelled(running, 'aborted');
    await expectCancelled(engine.stream(slowSql, { signal: AbortSignal.abort() }), 'aborted');
    assert.deepEqual((await collect(engine, series(2))).rows, [[0], [1]]);
  });

  await t.test(
    'queries run concurrently, and a slow one does not hold up the others',
    { timeout: 120_000 },
    async () => {
      const controller = new AbortController();
      let slowSettled = false;
      const slow = collect(engine, slowSql, { signal: controller.signal }).finally(() => {
        slowSettled = true;
      });
      const counts = await Promise.all(
        [1, 2, 3].map(async (k) => (await collect(engine, series(k * 1000))).rows.length),
      );
      assert.deepEqual(counts, [1000, 2000, 3000]);
      assert.equal(slowSettled, false, 'the slow query should still be running');
      controller.abort();
      await expectCancelled(slow, 'aborted');
    },
  );

  await t.test('closing cursors early gives their connections back', async () => {
    for (let i = 0; i < 12; i++) {
      const cursor = await engine.stream(series(100_000), { batchSize: 10 });
      for await (const batch of cursor) {
        assert.equal(batch.length, 10);
        break;
      }
      await cursor.close();
      await cursor.close();
    }
    assert.deepEqual((await collect(engine, series(1))).rows, [[0]]);
  });
}
