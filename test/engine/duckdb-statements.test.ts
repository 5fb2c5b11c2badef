/**
 * DuckDB statements kept prepared per connection: a query repeated after its table was
 * rewritten, changed or dropped answers from the table as it is then, or fails with the
 * catalog's error and works again once the table is back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';

test('a repeated query follows its table through rewrites, type changes and a drop', async () => {
  // One connection: every query meets the statement kept by the one before.
  const engine = await openEngine(':memory:', { connections: 1 });
  const rows = async (sql: string, keepPrepared = false): Promise<unknown[][]> => {
    const out: unknown[][] = [];
    for await (const batch of await engine.stream(sql, { keepPrepared })) {
      out.push(...batch.map((r) => [...r]));
    }
    return out;
  };
  // The query kept prepared; the statements that change the table (not writes of the
  // engine, so they leave the kept statement in place) are not.
  const query = async (): Promise<unknown[][]> =>
    rows('SELECT * FROM t WHERE a > 0 ORDER BY a', true);
  try {
    await rows('CREATE TABLE t AS SELECT 1 AS a, 2.5 AS b');
    assert.deepEqual(await query(), [[1, 2.5]]);
    await rows('INSERT INTO t VALUES (3, 4.5)');
    assert.deepEqual(await query(), [
      [1, 2.5],
      [3, 4.5],
    ]);
    await rows("CREATE OR REPLACE TABLE t AS SELECT 5 AS a, 'five' AS b");
    assert.deepEqual(await query(), [[5, 'five']], 'bound again to the new columns');
    await rows('DROP TABLE t');
    await assert.rejects(query(), /Table with name t does not exist/);
    await rows('CREATE TABLE t AS SELECT 7 AS a, 8 AS b');
    assert.deepEqual(await query(), [[7, 8]]);
    // Several statements in one text are run as before, none kept.
    assert.deepEqual(await rows('SELECT 1 AS x; SELECT 2 AS y', true), [[2]]);
  } finally {
    await engine.close();
  }
});
