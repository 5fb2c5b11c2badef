import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { beginCommit } from '../../src/engine/commits.js';
import { DuckDbEngine } from '../../src/engine/duckdb.js';
import { openEngine } from '../../src/engine/index.js';
import { EngineError, type Engine, QueryCancelledError } from '../../src/engine/types.js';
import { type ColumnDef, columnDef, type TableDef } from '../../src/schema/types.js';
import { conformance, everyTypeTable } from './conformance.js';

const scratch = mkdtempSync(join(tmpdir(), 'hearc-duckdb-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A cross join of a trillion rows: minutes of work that only an interrupt ends.
const slowSql = 'SELECT count(*) FROM range(1000000) a, range(1000000) b';

test('DuckDB engine (in memory) conforms', async (t) => {
  const engine = await openEngine(':memory:');
  assert.equal(engine.dialect, 'duckdb');
  try {
    await conformance(t, { engine, slowSql });
  } finally {
    await engine.close();
  }
});

test('DuckDB engine on a file keeps the catalog across reopening, also read-only', async () => {
  const file = join(scratch, 'reopen.duckdb');
  const table = everyTypeTable('ivoa', 'obscore');
  const writer = await DuckDbEngine.open(file);
  await writer.ensureTables([table]);
  await writer.transaction((tx) => tx.insertRows(table, [{ id: 1n, name: 'kept' }]));
  await writer.close();

  const reader = await DuckDbEngine.open(file, { readOnly: true });
  try {
    assert.deepEqual(
      (await reader.selectRows(table)).map((r) => r.name),
      ['kept'],
    );
    await assert.rejects(reader.ensureTables([table]), /open read-only/);
    await assert.rejects(
      reader.transaction((tx) => tx.insertRows(table, [{ id: 2n }])),
      /open read-only/,
    );
  } finally {
    await reader.close();
  }
});

test('a catalog file named after one of our schemas (hearc.duckdb, ivoa.duckdb) works', async () => {
  for (const schema of ['hearc', 'ivoa']) {
    const file = join(scratch, `${schema}.duckdb`);
    const table = everyTypeTable(schema, 'named');
    const writer = await DuckDbEngine.open(file);
    await writer.ensureTables([table]);
    await writer.transaction((tx) => tx.insertRows(table, [{ id: 1n, name: schema }]));
    const rows: unknown[] = [];
    for await (const batch of await writer.stream(`SELECT name FROM ${schema}.named`)) {
      rows.push(...batch.map((row) => row[0]));
    }
    assert.deepEqual(rows, [schema]);
    await writer.close();
    const reader = await DuckDbEngine.open(file, { readOnly: true });
    assert.deepEqual(
      (await reader.selectRows(table)).map((r) => r.name),
      [schema],
    );
    await reader.close();
  }
});

test('opening one catalog file twice in a process shares it', async () => {
  const file = join(scratch, 'shared.duckdb');
  const table = everyTypeTable('hearc', 'shared');
  const first = await DuckDbEngine.open(file);
  const second = await DuckDbEngine.open(file);
  await first.ensureTables([table]);
  await first.transaction((tx) => tx.insertRows(table, [{ id: 1n }]));
  await first.close();
  assert.equal((await second.selectRows(table)).length, 1);
  await second.close();
});

test(
  'a catalog held by another process fails with a clear message',
  { timeout: 60_000 },
  async () => {
    const file = join(scratch, 'locked.duckdb');
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'hold-catalog.ts'), file],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      const ready = await Promise.race([
        once(holder.stdout, 'data').then(([data]) => String(data)),
        once(holder, 'exit').then(([code]) => `the holding process exited (${String(code)})`),
      ]);
      assert.match(ready, /holding/);
      for (const readOnly of [false, true]) {
        await assert.rejects(DuckDbEngine.open(file, { readOnly }), (error: unknown) => {
          assert.ok(error instanceof EngineError);
          assert.match(
            error.message,
            new RegExp(`in use by another hearc process \\(pid ${holder.pid}\\)`),
          );
          assert.match(error.message, /stop that process/);
          return true;
        });
      }
    } finally {
      holder.stdin.end();
      if (holder.exitCode === null && holder.signalCode === null) await once(holder, 'exit');
    }
    // Once the other process has gone, the catalog opens.
    const engine = await DuckDbEngine.open(file);
    await engine.close();
  },
);

/** A table in schema bulk, for the bulk-load tests. */
const bulkTable = (name: string, ...columns: ColumnDef[]): TableDef => ({
  schema: 'bulk',
  name,
  description: 'bulk-loaded rows',
  columns,
});

test('a bulk load runs DuckDB on one thread in 512 MiB, and its settings are back after it, also when it fails', async () => {
  const engine = await openEngine(join(scratch, 'bulk.duckdb'));
  const table = bulkTable('threads', columnDef('id', 'long', 'a row'));
  const settings = async (): Promise<string> => {
    const sql = `SELECT current_setting('threads') || ' ' || current_setting('memory_limit')`;
    for await (const batch of await engine.stream(sql)) return String(batch[0]?.[0]);
    throw new Error('no setting');
  };
  try {
    await engine.ensureTables([table]);
    for await (const _ of await engine.stream('SET threads = 3')) void _;
    for await (const _ of await engine.stream("SET memory_limit = '3GiB'")) void _;
    const seen: string[] = [];
    const load = (fail: boolean) =>
      engine.transaction(async (tx) => {
        await tx.appendColumns(table, { rowCount: 2, columns: { id: BigInt64Array.of(1n, 2n) } });
        seen.push(await settings());
        if (fail) throw new Error('stop');
      });
    await load(false);
    assert.equal(await settings(), '3 3.0 GiB');
    await assert.rejects(load(true), /stop/);
    assert.equal(await settings(), '3 3.0 GiB');
    assert.deepEqual(seen, ['1 512.0 MiB', '1 512.0 MiB']);
  } finally {
    await engine.close();
  }
});

test('while a bulk load runs, queries on the other connections answer; a second engine on the file appends too', async () => {
  const file = join(scratch, 'concurrent.duckdb');
  const [engine, other] = [await openEngine(file), await openEngine(file)];
  const table = bulkTable('concurrent', columnDef('n', 'long', 'a row'));
  const rows = 300_000;
  const load = (from: Engine) =>
    from.transaction((tx) =>
      tx.appendColumns(table, {
        rowCount: rows,
        columns: { n: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)) },
      }),
    );
  const scalar = async (from: Engine, sql: string): Promise<number> => {
    for await (const batch of await from.stream(sql)) return Number(batch[0]?.[0]);
    return Number.NaN;
  };
  try {
    await engine.ensureTables([table]);
    const loading = load(engine);
    // The scan that feeds the load needs this thread: it must not be held while it waits.
    assert.equal(await scalar(engine, 'SELECT 42'), 42);
    assert.equal(await scalar(other, 'SELECT count(*) FROM range(1000)'), 1000);
    await Promise.all([loading, load(other)]);
    assert.equal(await scalar(engine, 'SELECT count(*) FROM bulk.concurrent'), 2 * rows);
  } finally {
    await other.close();
    await engine.close();
  }
});

test('long strings read from DuckDB vectors are the strings the query made', async () => {
  const engine = await openEngine(':memory:');
  try {
    // Over two vectors of rows: nulls, inline (≤ 12 bytes), repeated, non-ASCII and BOM-led strings.
    const cursor = await engine.stream(
      `SELECT i, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN 'short' WHEN i % 3 = 0
         THEN 'a repeated long string value' ELSE 'ünïcödé long string ' || i END AS s,
         chr(65279) || 'led by a byte order mark ' || i AS b,
         'plain ascii identifier number ' || i AS a
       FROM range(5000) t(i) ORDER BY i`,
    );
    const seen: string[] = [];
    for await (const batch of cursor.columnBatches()) {
      const [ids, s, b, a] = batch.columns;
      for (let r = 0; r < batch.rowCount; r++) {
        const i = Number(ids?.[r]);
        const expected =
          i % 7 === 0
            ? null
            : i % 5 === 0
              ? 'short'
              : i % 3 === 0
                ? 'a repeated long string value'
                : `ünïcödé long string ${i}`;
        assert.equal(s?.[r], expected, `row ${i}`);
        // As the driver's own converter gives it (TextDecoder: a leading BOM is dropped).
        assert.equal(b?.[r], `led by a byte order mark ${i}`, `row ${i}`);
        assert.equal(a?.[r], `plain ascii identifier number ${i}`, `row ${i}`);
        seen.push(String(i));
      }
    }
    assert.equal(seen.length, 5000);
  } finally {
    await engine.close();
  }
});

test('a low-cardinality text column is stored as a dictionary, a text or a number read whole uncompressed, also after a rewrite in order and a column added', async () => {
  const engine = await openEngine(join(scratch, 'dictionary.duckdb'));
  const table = bulkTable(
    'lists',
    columnDef('id', 'long', 'a row', { nullable: false }),
    columnDef('list', 'char', 'its list', { lowCardinality: true, nullable: false }),
    columnDef('plain', 'char', 'the same text, left to DuckDB'),
    columnDef('whole', 'char', 'the same text, read whole', { textStorage: 'uncompressed' }),
    columnDef('energy', 'double', 'a number left to DuckDB'),
    columnDef('copied', 'double', 'the same number, read whole', { numberStorage: 'uncompressed' }),
    columnDef('count', 'int', 'a count, read whole', { numberStorage: 'uncompressed' }),
  );
  // Distinct long strings: what DuckDB compresses with FSST when left to choose.
  const rows = 200_000;
  const text = Array.from(
    { length: rows },
    (_, i) => `ivo://test.hearc/sim?list-${(i * 7919) % rows}`,
  );
  const storage = async (): Promise<Record<string, string>> => {
    const found: Record<string, string> = {};
    for await (const batch of await engine.stream(
      `SELECT column_name, string_agg(DISTINCT compression, ',' ORDER BY compression)
       FROM pragma_storage_info('bulk.lists') WHERE segment_type <> 'VALIDITY' GROUP BY ALL`,
    ))
      for (const [column, kinds] of batch) found[String(column)] = String(kinds);
    return found;
  };
  const contents = async (): Promise<string> => {
    for await (const batch of await engine.stream(
      `SELECT count(*) || ' ' || sum(hash(id, list, plain, energy, copied, count)) FROM bulk.lists`,
    ))
      return String(batch[0]?.[0]);
    return '';
  };
  try {
    await engine.ensureTables([table]);
    await engine.transaction((tx) =>
      tx.appendColumns(table, {
        rowCount: rows,
        columns: {
          id: BigInt64Array.from({ length: rows }, (_, i) => BigInt(rows - i)),
          list: text,
          plain: text,
          whole: text,
          energy: Float64Array.from({ length: rows }, (_, i) => (i % 1000) * 0.25),
          copied: Float64Array.from({ length: rows }, (_, i) => (i % 1000) * 0.25),
          count: Int32Array.from({ length: rows }, (_, i) => i % 1000),
        },
      }),
    );
    for await (const _ of await engine.stream('CHECKPOINT')) void _;
    const stored = await storage();
    assert.equal(stored.list, 'Dictionary');
    assert.equal(stored.plain, 'FSST', 'the same strings compress otherwise when left to DuckDB');
    assert.equal(stored.whole, 'Uncompressed');
    assert.notEqual(stored.energy, 'Uncompressed', 'DuckDB compresses such numbers when left to');
    assert.equal(stored.copied, 'Uncompressed');
    assert.equal(stored.count, 'Uncompressed');
    const before = await contents();

    await engine.rewriteInOrder!(table, ['id']);
    await engine.ensureTables([
      {
        ...table,
        columns: [...table.columns, columnDef('more', 'char', 'added', { lowCardinality: true })],
      },
    ]);
    for await (const _ of await engine.stream(`UPDATE bulk.lists SET more = plain; CHECKPOINT`))
      void _;
    const rewritten = await storage();
    assert.equal(rewritten.list, 'Dictionary');
    assert.equal(rewritten.more, 'Dictionary');
    assert.equal(rewritten.plain, 'FSST');
    assert.equal(rewritten.whole, 'Uncompressed');
    assert.notEqual(rewritten.energy, 'Uncompressed');
    assert.equal(rewritten.copied, 'Uncompressed');
    assert.equal(rewritten.count, 'Uncompressed');
    assert.equal(await contents(), before);
  } finally {
    await engine.close();
  }
});

test('an alternative statement runs only on a snapshot no commit to its marked tables changed since', async () => {
  const file = join(scratch, 'unchanged.duckdb');
  const table = everyTypeTable('hearc', 'marked');
  const other = everyTypeTable('hearc', 'unmarked');
  const engine = await openEngine(file);
  // A second engine on the file (the admin commands `hearc serve` runs) writes it too.
  const admin = await openEngine(file);
  try {
    await engine.ensureTables([table, other]);
    await engine.transaction((tx) => tx.insertRows(table, [{ id: 1n, name: 'first' }]));
    const mark = (): { tables: TableDef[]; commits: number } => ({
      tables: [table],
      commits: engine.commitsWriting([table]),
    });
    const answer = async (since = mark()): Promise<unknown> => {
      const cursor = await engine.stream('SELECT 1 AS which', {
        whenUnchanged: { sql: 'SELECT 2 AS which', since: [since] },
      });
      let which: unknown;
      for await (const batch of cursor) which ??= batch[0]?.[0];
      return which;
    };
    assert.equal(await answer(), 2, 'nothing written since the mark');

    const before = mark();
    await admin.transaction((tx) => tx.insertRows(table, [{ id: 2n, name: 'second' }]));
    assert.equal(await answer(before), 1, 'a commit to the table since the mark');
    assert.equal(await answer(), 2, 'a mark taken after it');

    const untouched = mark();
    await engine.transaction((tx) => tx.insertRows(other, [{ id: 3n, name: 'elsewhere' }]));
    assert.equal(await answer(untouched), 2, 'a commit to another table only');

    // A write not yet committing: its rows are in no snapshot, the alternative runs.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const writing = admin.transaction(async (tx) => {
      await tx.insertRows(table, [{ id: 4n, name: 'third' }]);
      await gate;
    });
    const during = mark();
    try {
      assert.equal(await answer(during), 2, 'a write not committed yet');
    } finally {
      open();
      await writing;
    }
    assert.equal(await answer(during), 1, 'it committed');
    assert.equal(await answer(), 2);

    // A commit sent and not yet counted: the statement given runs.
    const end = beginCommit(resolve(file));
    try {
      assert.equal(await answer(), 1, 'a commit under way');
    } finally {
      end();
    }
    assert.equal(await answer(), 2);

    // A write that fails is still counted once its COMMIT was sent: here it never is.
    const failing = mark();
    await assert.rejects(
      engine.transaction(async (tx) => {
        await tx.insertRows(table, [{ id: 5n, name: 'lost' }]);
        throw new Error('given up');
      }),
    );
    assert.equal(await answer(failing), 2, 'a rolled-back write leaves the mark valid');

    // The snapshot is the one checked: a commit after the pin is not seen by the query.
    const pinned = await engine.stream('SELECT 1 AS n', {
      whenUnchanged: {
        sql: `SELECT count(*) AS n FROM hearc.marked`,
        since: [mark()],
      },
    });
    await admin.transaction((tx) => tx.insertRows(table, [{ id: 6n, name: 'after the pin' }]));
    let counted: unknown;
    for await (const batch of pinned) counted ??= batch[0]?.[0];
    assert.equal(Number(counted), 3, 'the rows of the pinned snapshot only, not the fourth');

    // A bulk load (DuckDB's settings restored between its COMMIT and its count): every
    // answer of the alternative, asked throughout, is the count before it.
    const bulk: TableDef = {
      schema: 'hearc',
      name: 'bulk',
      description: 'rows appended in bulk',
      columns: [columnDef('id', 'long', 'a row'), columnDef('x', 'double', 'a value')],
    };
    await engine.ensureTables([bulk]);
    await engine.transaction((tx) => tx.insertRows(bulk, [{ id: 0n, x: 0 }]));
    const beforeLoad = { tables: [bulk], commits: engine.commitsWriting([bulk]) };
    const load = admin.transaction(async (tx) => {
      for (let k = 0; k < 4; k++) {
        await tx.appendColumns(bulk, {
          rowCount: 50_000,
          columns: {
            id: BigInt64Array.from({ length: 50_000 }, (_, i) => BigInt(1 + k * 50_000 + i)),
            x: new Float64Array(50_000),
          },
        });
      }
    });
    let loading = true;
    void load.finally(() => (loading = false));
    const seen = new Set<number>();
    while (loading) {
      const cursor = await engine.stream('SELECT -1', {
        whenUnchanged: { sql: 'SELECT count(*) FROM hearc.bulk', since: [beforeLoad] },
      });
      for await (const b of cursor) seen.add(Number(b[0]?.[0]));
    }
    await load;
    seen.delete(-1);
    assert.deepEqual([...seen], seen.size > 0 ? [1] : [], 'never the rows of the load');

    // Every connection ends its transaction: more queries than connections, a failing
    // alternative and a cursor closed early, then a write.
    for (let i = 0; i < 12; i++) assert.equal(await answer(), 2);
    await assert.rejects(
      engine.stream('SELECT 1', {
        whenUnchanged: { sql: 'SELECT * FROM nowhere', since: [mark()] },
      }),
    );
    const early = await engine.stream('SELECT 1', {
      whenUnchanged: { sql: 'SELECT * FROM range(100000)', since: [mark()] },
      batchSize: 10,
    });
    for await (const batch of early) if (batch.length > 0) break;
    await early.close();
    // An alternative past its timeout is cancelled like any query, its transaction ended.
    await assert.rejects(
      (async () => {
        const slow = await engine.stream('SELECT 1', {
          whenUnchanged: { sql: slowSql, since: [mark()] },
          timeoutMs: 300,
        });
        for await (const batch of slow) void batch;
      })(),
      (error: unknown) => error instanceof QueryCancelledError,
    );
    for (let i = 0; i < 8; i++) assert.equal(await answer(), 2);
    await engine.transaction((tx) => tx.insertRows(table, [{ id: 7n, name: 'last' }]));
    assert.equal(await answer(), 2);
  } finally {
    await admin.close();
    await engine.close();
  }
});
