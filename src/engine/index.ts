/**
 * Opens the catalog named in the configuration: a `postgres://` (or `postgresql://`)
 * URL selects PostgreSQL + pg_sphere, anything else is a DuckDB file path or ':memory:'.
 */
import { DuckDbEngine, type DuckDbOptions } from './duckdb.js';
import { PostgresEngine, type PostgresOptions } from './postgres.js';
import type { Engine } from './types.js';

export type EngineOptions = DuckDbOptions & PostgresOptions;

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export function openEngine(location: string, options: EngineOptions = {}): Promise<Engine> {
  return isPostgresLocation(location)
    ? PostgresEngine.open(location, options)
    : DuckDbEngine.open(location, options);
}

export { DuckDbEngine, PostgresEngine };
export type { DuckDbOptions, PostgresOptions };
export * from './types.js';
export { addShard, shardPlacements, type ShardPlacement, type ShardReport } from './shards.js';
export { takeTurns, type TransactionTurns } from './turns.js';
export {
  keepsOrderByRewrite,
  type OrderedTable,
  recordAppendedRows,
  rewriteInStorageOrder,
  rewriteInStorageOrderIfDue,
  type StorageOrder,
  storageOrder,
  storageOrderDue,
  type StorageOrdered,
  storageOrderRecord,
} from './storage-order.js';
