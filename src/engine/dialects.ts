/** The ADQL compiler dialect that produces SQL for an engine. */
import type { SqlDialect } from '../adql/index.js';
import { duckDbDialect } from './dialect/duckdb.js';
import { postgresDialect, postgresDialectWith } from './dialect/postgres.js';
import type { DialectName, Engine } from './types.js';

const DIALECTS: Readonly<Record<DialectName, SqlDialect>> = {
  duckdb: duckDbDialect,
  postgres: postgresDialect,
};

export function sqlDialectFor(name: DialectName): SqlDialect {
  return DIALECTS[name];
}

/**
 * The dialect that compiles for this engine's catalog as it is placed: on PostgreSQL with
 * shards, aggregates over sharded tables are computed on the shards (dialect/postgres.ts).
 */
export function engineDialect(engine: Engine): SqlDialect {
  const placement = engine.foreignPartitions?.bind(engine);
  return engine.dialect === 'postgres' && placement !== undefined
    ? postgresDialectWith({ foreignPartitions: placement })
    : sqlDialectFor(engine.dialect);
}
