/**
 * SQL the PostgreSQL engine runs once when it opens a catalog, after
 * `CREATE EXTENSION IF NOT EXISTS pg_sphere`: functions that the PostgreSQL dialect
 * of the ADQL compiler relies on (ivo_* UDFs and helpers). Statements must be
 * idempotent (CREATE OR REPLACE). Owned by the ADQL dialect; run by src/engine/postgres.ts.
 */
export const postgresPreludeSql: readonly string[] = [];
