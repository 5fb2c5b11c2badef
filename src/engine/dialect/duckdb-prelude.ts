/**
 * What the DuckDB engine installs on every connection it opens, before any query:
 * SQL statements (CREATE OR REPLACE MACRO ...) and JS scalar functions that the
 * DuckDB dialect of the ADQL compiler relies on (spherical geometry, ivo_* UDFs).
 * Owned by the ADQL dialect; run by src/engine/duckdb.ts.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export const duckdbPreludeSql: readonly string[] = [];

export function registerDuckDbFunctions(_connection: DuckDBConnection): void {
  // Filled in by the DuckDB dialect when it needs JS scalar functions.
}
