/**
 * PostgreSQL's commit log: the commits any process makes to the tables that decide who
 * sees what (rights-bearing tables, ObsCore, the owning groups), readable inside a
 * query's snapshot. Other processes write a PostgreSQL catalog, so this process's own
 * commit counts (commits.ts) cannot tell whether a snapshot holds a commit since a
 * judgement: a row in this log, written by a statement trigger in the writer's own
 * transaction, becomes visible with the writer's rows, in the same snapshots.
 *
 * A table's mark is the sum of the weights of its log rows: one row per transaction that
 * wrote it, folded into one row per table when the log grows (the sum stays the same).
 * A table is checkable when it and each of its local partitions carry the trigger (a
 * catalog created before the log has none until ensureTables runs), and each partition on
 * a shard (postgres_fdw) carries it there: a shard commits its rows before the
 * coordinator commits its own log row, so each shard keeps a log of its own, read
 * through a foreign table in the same statement. postgres_fdw keeps one REPEATABLE READ
 * transaction per shard for the local transaction, so that read pins the shard's
 * snapshot for the rest of the query, as the coordinator's is pinned.
 */
import { qualifiedName, type TableDef } from '../schema/types.js';
import { quoteIdentifier, sqlStringLiteral } from './catalog-sql.js';

const TRIGGER = 'hearc_commit_log';

/** Whether writes to `table` are logged: tables whose rows have rights, and those that set them. */
export function logsCommits(table: TableDef): boolean {
  return table.rightsKey !== undefined || table.logCommits === true;
}

/** The log, its trigger function and the function installing it (idempotent; run at open). */
export const commitLogSetupSql: readonly string[] = [
  'CREATE SCHEMA IF NOT EXISTS hearc_internal',
  `CREATE TABLE IF NOT EXISTS hearc_internal.commit_log (
     table_name text NOT NULL,
     xid xid8,
     weight bigint NOT NULL DEFAULT 1
   )`,
  // One row per writing transaction and table (folded rows have no transaction).
  'CREATE UNIQUE INDEX IF NOT EXISTS commit_log_once ON hearc_internal.commit_log (xid, table_name)',
  `CREATE OR REPLACE FUNCTION hearc_internal.log_commit() RETURNS trigger LANGUAGE plpgsql AS $hearc$
   BEGIN
     INSERT INTO hearc_internal.commit_log (table_name, xid)
     VALUES (TG_ARGV[0], pg_current_xact_id()) ON CONFLICT DO NOTHING;
     RETURN NULL;
   END $hearc$`,
  // On the table and each local partition (a statement on a partition fires its own
  // triggers only); created where missing, so that a start takes no lock on tables in use.
  `CREATE OR REPLACE FUNCTION hearc_internal.log_commits_of(parent regclass, name text)
   RETURNS void LANGUAGE plpgsql AS $hearc$
   DECLARE
     r regclass;
   BEGIN
     FOR r IN
       SELECT c.oid FROM pg_class c
       WHERE (c.oid = parent OR c.oid IN (SELECT t.relid FROM pg_partition_tree(parent) t))
         AND c.relkind IN ('r', 'p')
         AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = '${TRIGGER}')
     LOOP
       EXECUTE format(
         'CREATE TRIGGER ${TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
         'FOR EACH STATEMENT EXECUTE FUNCTION hearc_internal.log_commit(%L)', r, name);
     END LOOP;
   END $hearc$`,
];

/** Puts the trigger on `table` and its local partitions, their writes logged under its name. */
const installSql = (table: TableDef): string => {
  const name = sqlStringLiteral(qualifiedName(table));
  return `SELECT hearc_internal.log_commits_of(${name}::regclass, ${name})`;
};

/** Installs the trigger on `table` and its partitions (with the statements creating its indexes). */
export function logCommitsSql(table: TableDef): readonly string[] {
  return logsCommits(table) ? [installSql(table)] : [];
}

/** The qualified names of `tables`, as a SQL text[] literal. */
const namesArray = (tables: readonly TableDef[]): string =>
  `ARRAY[${tables.map((t) => sqlStringLiteral(qualifiedName(t))).join(', ')}]::text[]`;

/** Logs a write that fires no trigger (a table dropped, a partition moved to a shard). */
export function logWriteSql(tables: readonly TableDef[]): string {
  const values = tables.map((t) => `(${sqlStringLiteral(qualifiedName(t))})`).join(', ');
  return `INSERT INTO hearc_internal.commit_log (table_name) VALUES ${values}`;
}

/** A partition of a logged table that is a foreign table on a shard (postgres_fdw). */
export interface ShardPartition {
  /** The coordinator's foreign table (schema.name, as regclass prints it). */
  readonly local: string;
  /** The foreign server, and the table it names there. */
  readonly server: string;
  readonly remoteSchema: string;
  readonly remoteTable: string;
}

/** The coordinator's foreign table reading a shard's commit state (shardCommitLogSql's view). */
export const shardStateTable = (server: string): string =>
  `hearc_internal.${quoteIdentifier(`commit_state_${server}`)}`;

/** The coordinator's foreign table writing a shard's log itself (to fold it, shardFoldSql). */
export const shardLogTable = (server: string): string =>
  `hearc_internal.${quoteIdentifier(`commit_log_${server}`)}`;

/** Creates those foreign tables on the coordinator (idempotent). */
export function shardStateTableSql(server: string): readonly string[] {
  const on = `SERVER ${quoteIdentifier(server)} OPTIONS (schema_name 'hearc_internal', table_name`;
  return [
    `CREATE FOREIGN TABLE IF NOT EXISTS ${shardStateTable(server)} (
       schema_name text, table_name text, logged boolean, weight bigint
     ) ${on} 'commit_state')`,
    `CREATE FOREIGN TABLE IF NOT EXISTS ${shardLogTable(server)} (
       table_name text, weight bigint
     ) ${on} 'commit_log')`,
  ];
}

/**
 * A shard's log folded from the coordinator, as the coordinator's own (foldInto), in one
 * short statement of its own: how many rows it holds, and the fold, through shardLogTable.
 */
export function shardFoldSql(server: string): { readonly logged: string; readonly fold: string } {
  const log = shardLogTable(server);
  return {
    logged: `SELECT count(*) AS logged FROM ${log}`,
    fold: foldInto(log),
  };
}

/**
 * On a shard: the log, its trigger on each of `tables` (the partitions it holds, each
 * logged under its own name), and the view the coordinator reads them through.
 */
export function shardCommitLogSql(tables: readonly TableDef[]): readonly string[] {
  return [
    ...commitLogSetupSql,
    ...tables.map(installSql),
    `CREATE OR REPLACE VIEW hearc_internal.commit_state AS
     SELECT n.nspname::text AS schema_name, c.relname::text AS table_name,
       EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = '${TRIGGER}') AS logged,
       (SELECT coalesce(sum(l.weight), 0) FROM hearc_internal.commit_log l
        WHERE l.table_name = n.nspname || '.' || c.relname)::bigint AS weight
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  ];
}

/**
 * A scalar expression: the mark of `tables` in the statement's snapshot (on the shards
 * of `shards`, in their own snapshots, which postgres_fdw then keeps for the rest of the
 * transaction), or NULL when one of them is not checkable: a local relation without the
 * trigger, a foreign partition other than those of `shards`, or a shard's table without it.
 */
export function markSql(
  tables: readonly TableDef[],
  shards: readonly ShardPartition[] = [],
): string {
  const names = namesArray(tables);
  const foreign = `ARRAY[${shards.map((p) => sqlStringLiteral(p.local)).join(', ')}]::text[]`;
  const servers = [...new Set(shards.map((p) => p.server))].sort();
  const remote = servers.map((server) => {
    const held = shards.filter((p) => p.server === server);
    const keys = held
      .map((p) => `(${sqlStringLiteral(p.remoteSchema)}, ${sqlStringLiteral(p.remoteTable)})`)
      .join(', ');
    return `(SELECT CASE WHEN count(*) = ${held.length} AND bool_and(s.logged) THEN coalesce(sum(s.weight), 0) END
       FROM ${shardStateTable(server)} AS s WHERE (s.schema_name, s.table_name) IN (${keys}))`;
  });
  return `(SELECT CASE WHEN bool_and(
         c.relkind IN ('r', 'p') AND EXISTS (
           SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = '${TRIGGER}')
         OR c.relkind = 'f' AND c.oid::regclass::text = ANY(${foreign}))
       AND count(DISTINCT n.name) = ${tables.length}
       AND count(DISTINCT c.oid) FILTER (WHERE c.relkind = 'f') = ${shards.length}
     THEN (SELECT coalesce(sum(l.weight), 0) FROM hearc_internal.commit_log l
           WHERE l.table_name = ANY(${names}))${remote.map((r) => ` + ${r}`).join('')}
     END
   FROM unnest(${names}) AS n(name)
   CROSS JOIN LATERAL (
     SELECT to_regclass(n.name) AS relid
     UNION SELECT t.relid FROM pg_partition_tree(to_regclass(n.name)) AS t
   ) AS r
   JOIN pg_class c ON c.oid = r.relid)`;
}

/** A row of shardPartitionsSql: a foreign partition of one of the tables asked about. */
export interface ShardPartitionRow {
  /** The table it is a partition of (schema.name) and its own name there. */
  readonly parent: string;
  readonly name: string;
  readonly local: string;
  readonly server: string;
  readonly remote_schema: string | null;
  readonly remote_table: string | null;
  /** Whether the coordinator has the foreign table reading that shard's commit state. */
  readonly readable: boolean;
}

/**
 * The foreign partitions of `tables`, with the server and table they name: for markSql,
 * and where the engine reads which partitions are on shards (foreignPartitions).
 */
export function shardPartitionsSql(tables: readonly TableDef[]): string {
  const names = namesArray(tables);
  const option = (key: string): string =>
    `(SELECT substr(o, ${key.length + 2}) FROM unnest(ft.ftoptions) AS o WHERE o LIKE '${key}=%')`;
  return `SELECT n.name AS parent, c.relname::text AS name,
       c.oid::regclass::text AS local, s.srvname AS server,
       ${option('schema_name')} AS remote_schema, ${option('table_name')} AS remote_table,
       to_regclass('hearc_internal.' || quote_ident('commit_state_' || s.srvname)) IS NOT NULL AS readable
     FROM unnest(${names}) AS n(name)
     CROSS JOIN LATERAL pg_partition_tree(to_regclass(n.name)) AS t
     JOIN pg_class c ON c.oid = t.relid
     JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
     JOIN pg_foreign_server s ON s.oid = ft.ftserver`;
}

/** Log rows beyond which they are folded (each table's into one). */
export const FOLD_AT = 256;

/**
 * Folds the log `log`: each table's rows become one of the same total weight, in one
 * statement (a fold running at the same time finds the rows gone and adds nothing).
 */
const foldInto = (log: string): string => `WITH gone AS (
    DELETE FROM ${log} RETURNING table_name, weight
  )
  INSERT INTO ${log} (table_name, weight)
  SELECT table_name, sum(weight) FROM gone GROUP BY table_name`;

/** Folds the coordinator's own log (foldInto). */
export const foldSql = foldInto('hearc_internal.commit_log');
