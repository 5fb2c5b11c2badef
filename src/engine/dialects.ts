/** The ADQL compiler dialect that produces SQL for an engine. */
import type { SqlDialect } from '../adql/index.js';
import { duckDbDialect } from './dialect/duckdb.js';
import { postgresDialect } from './dialect/postgres.js';
import type { DialectName } from './types.js';

const DIALECTS: Readonly<Record<DialectName, SqlDialect>> = {
  duckdb: duckDbDialect,
  postgres: postgresDialect,
};

export function sqlDialectFor(name: DialectName): SqlDialect {
  return DIALECTS[name];
}
