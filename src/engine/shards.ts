/**
 * Shards of a partitioned table on other PostgreSQL servers (postgres_fdw): a range
 * partition of the coordinator's table becomes a foreign table on a shard server, its
 * rows moved there in one coordinator transaction. PostgreSQL then prunes partitions,
 * pushes conditions down and scans several shards at once (async_capable); ingest
 * writes each partition to its shard through the same table. We write no distributed
 * engine: this only sets PostgreSQL up.
 */
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import type { TableDef } from '../schema/types.js';
import {
  createSchemaSql,
  createTableSql,
  partitionRanges,
  quoteIdentifier,
  sqlStringLiteral,
  tableIdentifier,
} from './catalog-sql.js';
import { logsCommits, logWriteSql, shardCommitLogSql, shardStateTableSql } from './commit-log.js';
import { indexSql, postgresType } from './postgres.js';
import { EngineError, errorMessage } from './types.js';

export interface ShardPlacement {
  /** Partition number (0-based) and its table name. */
  readonly partition: number;
  readonly name: string;
  /** The foreign server holding it, or undefined when it is local. */
  readonly server?: string;
  /** Where that server is (host:port/dbname). */
  readonly location?: string;
}

export interface ShardReport {
  readonly server: string;
  readonly attached: readonly number[];
  readonly movedRows: number;
}

function shardLocation(url: string): {
  host: string;
  port: string;
  dbname: string;
  user?: string;
  password?: string;
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EngineError(`the shard address '${url}' is not a URL (postgres://user@host:port/db)`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new EngineError(`the shard address '${url}' is not a postgres:// URL`);
  }
  const dbname = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!dbname) throw new EngineError(`the shard address '${url}' names no database`);
  return {
    host: parsed.hostname || 'localhost',
    port: parsed.port || '5432',
    dbname,
    ...(parsed.username ? { user: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** Where each partition of `table` lives, as the coordinator's catalog says. */
export async function shardPlacements(
  coordinatorUrl: string,
  table: TableDef,
): Promise<ShardPlacement[]> {
  const sql = postgres(coordinatorUrl, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql.unsafe<
      { name: string; server: string | null; options: string[] | null }[]
    >(
      `SELECT c.relname AS name, s.srvname AS server, s.srvoptions AS options
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
       LEFT JOIN pg_foreign_table f ON f.ftrelid = c.oid
       LEFT JOIN pg_foreign_server s ON s.oid = f.ftserver
       WHERE n.nspname = $1 AND p.relname = $2`,
      [table.schema, table.name],
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    return partitionRanges(table).map((r) => {
      const row = byName.get(r.table.name);
      if (!row) {
        throw new EngineError(
          `${table.schema}.${table.name} has no partition ${r.table.name} in this catalog: is it a PostgreSQL catalog that hearc created?`,
        );
      }
      const option = (key: string): string | undefined =>
        row.options?.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
      return {
        partition: r.index,
        name: r.table.name,
        ...(row.server
          ? {
              server: row.server,
              location: `${option('host') ?? '?'}:${option('port') ?? '5432'}/${option('dbname') ?? '?'}`,
            }
          : {}),
      };
    });
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Moves `partitions` of `table` (which must exist on the coordinator, e.g. after an
 * ingest or `hearc serve`) to the shard server at `shardUrl`.
 */
export async function addShard(
  coordinatorUrl: string,
  shardUrl: string,
  table: TableDef,
  partitions: readonly number[],
): Promise<ShardReport> {
  const ranges = partitionRanges(table);
  if (ranges.length === 0)
    throw new EngineError(`${table.schema}.${table.name} is not partitioned`);
  for (const p of partitions) {
    if (!ranges.some((r) => r.index === p)) {
      throw new EngineError(
        `${table.schema}.${table.name} has partitions 0 to ${ranges.length - 1}, not ${p}`,
      );
    }
  }
  const where = shardLocation(shardUrl);
  const server = `hearc_shard_${createHash('sha256').update(`${where.host}:${where.port}/${where.dbname}`).digest('hex').slice(0, 12)}`;
  const placements = new Map(
    (await shardPlacements(coordinatorUrl, table)).map((p) => [p.partition, p]),
  );
  const moving = ranges.filter((r) => partitions.includes(r.index));
  for (const r of moving) {
    const placed = placements.get(r.index);
    if (placed?.server && placed.server !== server) {
      throw new EngineError(
        `partition ${r.index} (${r.table.name}) is already on shard ${placed.location}; it stays there`,
      );
    }
  }
  const toMove = moving.filter((r) => !placements.get(r.index)?.server);

  // The shard's tables: plain tables with the partition's columns and indexes.
  const shard = postgres(shardUrl, { max: 1, onnotice: () => undefined });
  let sphere = false;
  try {
    await shard.begin(async (tx) => {
      // With pg_sphere on the shard, cone conditions run there instead of on the coordinator.
      sphere = await tx
        .savepoint((sp) => sp.unsafe('CREATE EXTENSION IF NOT EXISTS pg_sphere'))
        .then(
          () => true,
          () => false,
        );
      await tx.unsafe(createSchemaSql(table.schema));
      for (const r of toMove) {
        await tx.unsafe(createTableSql(r.table, postgresType));
        for (const statement of indexSql(r.table)) await tx.unsafe(statement);
      }
      // Its own commit log, read by the coordinator inside a query's snapshot (commit-log.ts).
      if (logsCommits(table)) {
        for (const statement of shardCommitLogSql(moving.map((r) => r.table))) {
          await tx.unsafe(statement);
        }
      }
    });
  } catch (error) {
    throw new EngineError(
      `cannot prepare the shard ${where.host}:${where.port}/${where.dbname}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    await shard.end({ timeout: 1 });
  }

  const coordinator = postgres(coordinatorUrl, { max: 1, onnotice: () => undefined });
  let movedRows = 0;
  try {
    await coordinator.begin(async (tx) => {
      await tx.unsafe('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
      const options = [
        `host ${sqlStringLiteral(where.host)}`,
        `port ${sqlStringLiteral(where.port)}`,
        `dbname ${sqlStringLiteral(where.dbname)}`,
        `async_capable 'true'`,
        `fetch_size '10000'`,
        // Rows written through the shard (moves, ingest) go in batches, not one per round trip.
        `batch_size '1000'`,
        ...(sphere ? [`extensions 'pg_sphere'`] : []),
      ];
      await tx.unsafe(
        `CREATE SERVER IF NOT EXISTS ${quoteIdentifier(server)} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (${options.join(', ')})`,
      );
      const user = [
        ...(where.user ? [`user ${sqlStringLiteral(where.user)}`] : []),
        ...(where.password ? [`password ${sqlStringLiteral(where.password)}`] : []),
      ];
      await tx.unsafe(
        `CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER ${quoteIdentifier(server)}${user.length ? ` OPTIONS (${user.join(', ')})` : ''}`,
      );
      if (logsCommits(table)) {
        for (const statement of shardStateTableSql(server)) await tx.unsafe(statement);
      }
      const names = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
      for (const r of toMove) {
        const local = { ...r.table, name: `${r.table.name}_moving` };
        await tx.unsafe(
          `ALTER TABLE ${tableIdentifier(table)} DETACH PARTITION ${tableIdentifier(r.table)}`,
        );
        await tx.unsafe(
          `ALTER TABLE ${tableIdentifier(r.table)} RENAME TO ${quoteIdentifier(local.name)}`,
        );
        await tx.unsafe(
          `CREATE FOREIGN TABLE ${tableIdentifier(r.table)} PARTITION OF ${tableIdentifier(table)}` +
            ` FOR VALUES FROM (${r.from}) TO (${r.to}) SERVER ${quoteIdentifier(server)}` +
            ` OPTIONS (schema_name ${sqlStringLiteral(r.table.schema)}, table_name ${sqlStringLiteral(r.table.name)})`,
        );
        const moved = await tx.unsafe(
          `INSERT INTO ${tableIdentifier(r.table)} (${names}) SELECT ${names} FROM ${tableIdentifier(local)}`,
        );
        movedRows += moved.count;
        await tx.unsafe(`DROP TABLE ${tableIdentifier(local)}`);
      }
      // Moving rows into foreign partitions fires no trigger here: the move is logged, so
      // that queries judged on the old placement see a commit and read the new one (commit-log.ts).
      const [log] = await tx.unsafe<{ present: boolean }[]>(
        "SELECT to_regclass('hearc_internal.commit_log') IS NOT NULL AS present",
      );
      if (toMove.length > 0 && logsCommits(table) && log?.present) {
        await tx.unsafe(logWriteSql([table]));
      }
    });
  } catch (error) {
    throw new EngineError(
      `cannot attach the shard ${where.host}:${where.port}/${where.dbname}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    await coordinator.end({ timeout: 1 });
  }
  return { server, attached: moving.map((r) => r.index), movedRows };
}
