/**
 * Real catalogs for the ADQL tests: an in-memory DuckDB and a PostgreSQL + pg_sphere
 * database (hearc_adql_test on 127.0.0.1:5432, recreated for each run), both loaded
 * with the corpus rows through the engines, and helpers to compare results.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import postgres from 'postgres';
import { DuckDbEngine } from '../../src/engine/duckdb.js';
import { PostgresEngine } from '../../src/engine/postgres.js';
import type { Engine, SqlValue } from '../../src/engine/types.js';
import { requireChecker } from '../helpers/env.js';
import { obscoreHeaRows, obscoreRows, sampleRows } from './corpus/rows.js';
import { obscore, obscoreHea, sample, testSchema } from './fixtures.js';

async function load(engine: Engine): Promise<Engine> {
  await engine.ensureTables(testSchema.tables);
  await engine.transaction(async (tx) => {
    await tx.insertRows(sample, sampleRows);
    await tx.insertRows(obscore, obscoreRows);
    await tx.insertRows(obscoreHea, obscoreHeaRows);
  });
  return engine;
}

export async function openDuckDbCorpus(): Promise<Engine> {
  return load(await DuckDbEngine.open(':memory:', { connections: 1 }));
}

const server = 'postgres://postgres@127.0.0.1:5432';

/** Skips off CI (fails on CI) when PostgreSQL with pg_sphere is not reachable. */
export function requirePostgres(t: TestContext): boolean {
  return requireChecker(t, 'PostgreSQL with pg_sphere on 127.0.0.1:5432 (user postgres)', [
    'sh',
    '-c',
    `psql -X -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_sphere'" | grep -q 1`,
  ]);
}

/** A fresh database per test file, so that files running at once do not meet. */
export async function openPostgresCorpus(database = 'hearc_adql_test'): Promise<Engine> {
  const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  return load(await PostgresEngine.open(`${server}/${database}`, { connections: 2 }));
}

export type Row = readonly unknown[];

function plain(value: SqlValue | unknown): unknown {
  if (value === null || value === undefined) return null;
  // Large integers (HEALPix indices at high order) stay exact as text.
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

export async function runSql(
  engine: Engine,
  sql: string,
): Promise<{ columns: readonly string[]; rows: Row[] }> {
  const cursor = await engine.stream(sql);
  const rows: Row[] = [];
  try {
    for await (const batch of cursor) for (const row of batch) rows.push(row.map(plain));
  } finally {
    await cursor.close();
  }
  return { columns: cursor.columnNames, rows };
}

/** Numbers agree to 1e-9 (relative above 1); longitudes 0 and 360 are the same place. */
function close(a: number, b: number): boolean {
  if (Object.is(a, b) || a === b) return true;
  const tolerance = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= tolerance || Math.abs(Math.abs(a - b) - 360) <= tolerance;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return close(a, b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => same(x, b[i]));
  return a === b;
}

/** A sort key that is the same for rows equal within the tolerance of `same`. */
function sortKey(row: Row): string {
  return JSON.stringify(row, (_k, v: unknown) =>
    typeof v === 'number' ? Number(v.toPrecision(8)) % 360 : v,
  );
}

export function assertSameRows(
  actual: readonly Row[],
  expected: readonly Row[],
  ordered: boolean,
  message: string,
): void {
  const a = ordered ? actual : [...actual].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
  const b = ordered ? expected : [...expected].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
  const ok = a.length === b.length && a.every((row, i) => same(row, b[i]));
  if (!ok) assert.deepEqual(a, b, message);
}
