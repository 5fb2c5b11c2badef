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
 * A table is checkable only when it and every partition of it are local tables carrying
 * the trigger: a shard (postgres_fdw) commits its rows before the coordinator commits
 * its log row, and a catalog created before the log has no trigger.
 */
import type { TableDef } from '../schema/types.js';
import { qualifiedName } from '../schema/types.js';
import { sqlStringLiteral } from './catalog-sql.js';

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

/** Installs the trigger on `table` and its partitions (with the statements creating its indexes). */
export function logCommitsSql(table: TableDef): readonly string[] {
  if (!logsCommits(table)) return [];
  const name = qualifiedName(table);
  return [
    `SELECT hearc_internal.log_commits_of(${sqlStringLiteral(name)}::regclass, ${sqlStringLiteral(name)})`,
  ];
}

/** Logs a write that fires no trigger (a table dropped, a partition moved to a shard). */
export function logWriteSql(tables: readonly TableDef[]): string {
  const values = tables.map((t) => `(${sqlStringLiteral(qualifiedName(t))})`).join(', ');
  return `INSERT INTO hearc_internal.commit_log (table_name) VALUES ${values}`;
}

/**
 * A scalar expression: the mark of `tables` in the statement's snapshot, or NULL when one
 * of them is not checkable (a partition that is a foreign table or lacks the trigger).
 */
export function markSql(tables: readonly TableDef[]): string {
  const names = `ARRAY[${tables.map((t) => sqlStringLiteral(qualifiedName(t))).join(', ')}]::text[]`;
  return `(SELECT CASE WHEN bool_and(c.relkind IN ('r', 'p') AND EXISTS (
       SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = '${TRIGGER}'))
       AND count(DISTINCT n.name) = ${tables.length}
     THEN (SELECT coalesce(sum(l.weight), 0) FROM hearc_internal.commit_log l
           WHERE l.table_name = ANY(${names}))
     END
   FROM unnest(${names}) AS n(name)
   CROSS JOIN LATERAL (
     SELECT to_regclass(n.name) AS relid
     UNION SELECT t.relid FROM pg_partition_tree(to_regclass(n.name)) AS t
   ) AS r
   JOIN pg_class c ON c.oid = r.relid)`;
}

/** Log rows beyond which they are folded (each table's into one). */
export const FOLD_AT = 256;

/**
 * Folds the log: each table's rows become one of the same total weight, in one statement
 * (a fold running at the same time finds the rows gone and adds nothing).
 */
export const foldSql = `WITH gone AS (
    DELETE FROM hearc_internal.commit_log RETURNING table_name, weight
  )
  INSERT INTO hearc_internal.commit_log (table_name, weight)
  SELECT table_name, sum(weight) FROM gone GROUP BY table_name`;
