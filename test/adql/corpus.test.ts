/**
 * Acceptance: the shared corpus gives the same results on DuckDB and on PostgreSQL +
 * pg_sphere, including geometry near the poles, across RA = 0/360, empty and NULL cases.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compileAdql } from '../../src/adql/index.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import type { Engine } from '../../src/engine/types.js';
import { corpus } from './corpus/queries.js';
import {
  assertSameRows,
  openDuckDbCorpus,
  openPostgresCorpus,
  requirePostgres,
  type Row,
  runSql,
} from './engines.js';
import { testSchema } from './fixtures.js';

let duckdb: Engine;
const duckdbResults = new Map<string, readonly Row[]>();

before(async () => {
  duckdb = await openDuckDbCorpus();
});

after(async () => {
  await duckdb?.close();
});

test('corpus on DuckDB: every query runs, pinned answers hold', async (t) => {
  for (const q of corpus) {
    await t.test(q.name, async () => {
      const compiled = compileAdql(q.adql, testSchema, duckDbDialect);
      const { columns, rows } = await runSql(duckdb, compiled.sql);
      assert.deepEqual(
        columns,
        compiled.columns.map((c) => c.name),
        'result column names',
      );
      duckdbResults.set(q.name, rows);
      if (q.expect) assertSameRows(rows, q.expect, q.ordered ?? false, q.adql);
    });
  }
});

test('corpus on PostgreSQL + pg_sphere gives the same answers as DuckDB', async (t) => {
  if (!requirePostgres(t)) return;
  const pg = await openPostgresCorpus();
  try {
    for (const q of corpus) {
      await t.test(q.name, async () => {
        const compiled = compileAdql(q.adql, testSchema, postgresDialect);
        const { columns, rows } = await runSql(pg, compiled.sql);
        assert.deepEqual(
          columns,
          compiled.columns.map((c) => c.name),
          'result column names',
        );
        const reference = duckdbResults.get(q.name);
        assert.ok(reference, 'the DuckDB run of this query failed');
        assertSameRows(rows, reference, q.ordered ?? false, `${q.adql}\n${compiled.sql}`);
      });
    }
  } finally {
    await pg.close();
  }
});
