/**
 * Tables kept in a storage order by rewriting them whole (DuckDB): its zone maps (each
 * row group's and segment's min/max per column) let a query skip the rows that cannot
 * match, and its scan reads the other columns only where a vector holds a match, so
 * the rows a query selects together are best stored together. Appends land at the end,
 * out of order; the table is rewritten in order once the rows appended since the last
 * rewrite are as many as it rewrote (the table has doubled) and more than `minRows`.
 * Each row is then copied about twice over the table's life, whatever the size of each
 * append, and at most half the table is out of order. A table whose order is a choice
 * with a cost (`optIn`) is kept in order only once a command rewrote it so: until
 * then appends leave it in the order written.
 *
 * What was rewritten and what appended since is kept in a record table per kind of
 * table (hearc.events, ivoa.obscore), one row per table.
 */
import { columnDef, qualifiedName, type TableDef } from '../schema/types.js';
import { type CatalogTransaction, type Engine, EngineError, type SortKey } from './types.js';

/** A record table: how much of a table is in storage order. Never published. */
export function storageOrderRecord(name: string, description: string): TableDef {
  return {
    schema: 'hearc_internal',
    name,
    description,
    columns: [
      columnDef('table_name', 'char', 'The table kept in order (schema.name).', {
        nullable: false,
      }),
      columnDef('ordered_rows', 'long', 'Rows of the table at its last rewrite in order.', {
        nullable: false,
      }),
      columnDef('appended_rows', 'long', 'Rows appended since.', { nullable: false }),
      columnDef('ordered_at', 'char', 'When it was last rewritten in order.', {
        xtype: 'timestamp',
      }),
    ],
    primaryKey: ['table_name'],
  };
}

/** A table kept in order: the table, its record, its sort keys and the rows an append may leave unordered. */
export interface OrderedTable {
  readonly table: TableDef;
  readonly record: TableDef;
  readonly orderBy: readonly SortKey[];
  /** A rewrite is due only once more rows than this were appended since the last one. */
  readonly minRows: number;
  /** What an engine that keeps no order by rewrite (PostgreSQL) does instead, for its error. */
  readonly instead: string;
  /** Kept in order only after a first rewrite asked for (a command); never rewritten before. */
  readonly optIn?: boolean;
}

/** What is known of a table's storage order. */
export interface StorageOrder {
  /** Rows of the table when it was last rewritten in order (0: never). */
  readonly orderedRows: number;
  /** Rows appended since. */
  readonly appendedRows: number;
  readonly orderedAt?: Date;
}

/** A rewrite in order: how many rows, in how long. */
export interface StorageOrdered {
  readonly rows: number;
  readonly seconds: number;
}

/** The order recorded for a table (nothing ordered, nothing appended when none is). */
export async function storageOrder(
  reader: Pick<Engine, 'selectRows'>,
  ordered: OrderedTable,
): Promise<StorageOrder> {
  const key = qualifiedName(ordered.table);
  const [row] = await reader.selectRows(ordered.record, { column: 'table_name', values: [key] });
  if (!row) return { orderedRows: 0, appendedRows: 0 };
  const at = row.ordered_at;
  return {
    orderedRows: Number(row.ordered_rows),
    appendedRows: Number(row.appended_rows),
    ...(at instanceof Date ? { orderedAt: at } : {}),
  };
}

async function writeOrder(
  tx: CatalogTransaction,
  ordered: OrderedTable,
  order: StorageOrder,
): Promise<void> {
  const key = qualifiedName(ordered.table);
  await tx.deleteRows(ordered.record, 'table_name', [key]);
  await tx.insertRows(ordered.record, [
    {
      table_name: key,
      ordered_rows: order.orderedRows,
      appended_rows: order.appendedRows,
      ordered_at: order.orderedAt ?? null,
    },
  ]);
}

/** Whether the catalog's engine keeps tables in order by rewriting them (DuckDB). */
export const keepsOrderByRewrite = (engine: Engine): boolean => engine.rewriteInOrder !== undefined;

/** Records, in the transaction that appended them, that `rows` rows were appended to the table. */
export async function recordAppendedRows(
  tx: CatalogTransaction,
  ordered: OrderedTable,
  rows: number,
): Promise<void> {
  if (rows === 0) return;
  const order = await storageOrder(tx, ordered);
  await writeOrder(tx, ordered, { ...order, appendedRows: order.appendedRows + rows });
}

/**
 * Whether a rewrite is due: the rows appended since the last one are as many as it
 * rewrote, and more than `minRows` (the table's own unless given); for an opt-in
 * order, only once it was rewritten.
 */
export function storageOrderDue(
  order: StorageOrder,
  ordered: Pick<OrderedTable, 'minRows' | 'optIn'>,
  minRows = ordered.minRows,
): boolean {
  if (ordered.optIn === true && order.orderedAt === undefined) return false;
  return order.appendedRows > minRows && order.appendedRows >= order.orderedRows;
}

/**
 * Rewrites the table in its storage order, in one transaction with the record of it:
 * queries meanwhile see the table as it was, and a failure or a kill leaves it so.
 */
export async function rewriteInStorageOrder(
  engine: Engine,
  ordered: OrderedTable,
): Promise<StorageOrdered> {
  if (engine.rewriteInOrder === undefined) {
    throw new EngineError(
      `${qualifiedName(ordered.table)} is not rewritten in order on PostgreSQL: ${ordered.instead}`,
    );
  }
  const started = performance.now();
  const rows = await engine.rewriteInOrder(ordered.table, ordered.orderBy, (tx, rows) =>
    writeOrder(tx, ordered, { orderedRows: rows, appendedRows: 0, orderedAt: new Date() }),
  );
  return { rows, seconds: (performance.now() - started) / 1000 };
}

/** Rewrites the table in order when it is due (see storageOrderDue); undefined when not. */
export async function rewriteInStorageOrderIfDue(
  engine: Engine,
  ordered: OrderedTable,
  minRows = ordered.minRows,
): Promise<StorageOrdered | undefined> {
  if (!keepsOrderByRewrite(engine)) return undefined;
  const order = await storageOrder(engine, ordered);
  if (!storageOrderDue(order, ordered, minRows)) return undefined;
  return rewriteInStorageOrder(engine, ordered);
}
