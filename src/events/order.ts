/**
 * hearc.events in global HEALPix cell order (DuckDB). Ingest appends each buffer of
 * events in cell order, so a table made of many buffers holds as many sorted runs, and
 * a cone meets a row group of each. Rewriting the whole table in (cell, time) order
 * makes each row group cover a narrow range of cells, so that a cone reads a few.
 *
 * When: after an ingest, once the events appended since the last rewrite are as many as
 * those it rewrote (the table has doubled) and more than one writer buffer (which holds
 * its events in cell order already). The rewrites then copy each event about twice in
 * all, whatever the size of each ingest, and at most half the table is out of order.
 */
import { type CatalogTransaction, type Engine, EngineError } from '../engine/index.js';
import { columnDef, qualifiedName, type TableDef } from '../schema/types.js';
import { eventsTable } from './schema.js';
import { CLUSTER_ROWS } from './writer.js';

/** Internal: how much of hearc.events is in global cell order. Never published. */
export const eventsOrderTable: TableDef = {
  schema: 'hearc_internal',
  name: 'events_order',
  description: 'Events rewritten in global cell order, and those appended since.',
  columns: [
    columnDef('table_name', 'char', 'The events table (schema.name).', { nullable: false }),
    columnDef('ordered_rows', 'long', 'Rows of the table at its last rewrite in order.', {
      nullable: false,
    }),
    columnDef('appended_rows', 'long', 'Rows appended since (by ingest, each buffer in order).', {
      nullable: false,
    }),
    columnDef('ordered_at', 'char', 'When it was last rewritten in order.', {
      xtype: 'timestamp',
    }),
  ],
  primaryKey: ['table_name'],
};

/** The storage order: by cell (what a cone selects), then by arrival time within a cell. */
export const EVENT_STORAGE_ORDER: readonly string[] = ['healpix_index', 'event_time'];

/** What is known of the order of hearc.events. */
export interface EventsOrder {
  /** Rows of the table when it was last rewritten in order (0: never). */
  readonly orderedRows: number;
  /** Rows appended since, in sorted runs of a writer buffer each. */
  readonly appendedRows: number;
  readonly orderedAt?: Date;
}

const KEY = qualifiedName(eventsTable);

/** The order recorded for hearc.events (nothing ordered, nothing appended when none is). */
export async function eventsOrder(reader: Pick<Engine, 'selectRows'>): Promise<EventsOrder> {
  const [row] = await reader.selectRows(eventsOrderTable, { column: 'table_name', values: [KEY] });
  if (!row) return { orderedRows: 0, appendedRows: 0 };
  const at = row.ordered_at;
  return {
    orderedRows: Number(row.ordered_rows),
    appendedRows: Number(row.appended_rows),
    ...(at instanceof Date ? { orderedAt: at } : {}),
  };
}

async function writeOrder(tx: CatalogTransaction, order: EventsOrder): Promise<void> {
  await tx.deleteRows(eventsOrderTable, 'table_name', [KEY]);
  await tx.insertRows(eventsOrderTable, [
    {
      table_name: KEY,
      ordered_rows: order.orderedRows,
      appended_rows: order.appendedRows,
      ordered_at: order.orderedAt ?? null,
    },
  ]);
}

/** Records, in the ingest's transaction, that it appended `rows` events. */
export async function recordAppendedEvents(tx: CatalogTransaction, rows: number): Promise<void> {
  if (rows === 0) return;
  const order = await eventsOrder(tx);
  await writeOrder(tx, { ...order, appendedRows: order.appendedRows + rows });
}

/**
 * Whether a rewrite in order is due: the events appended since the last one are as many
 * as it rewrote, and more than one writer buffer (`bufferRows`) holds.
 */
export function eventsOrderDue(order: EventsOrder, bufferRows = CLUSTER_ROWS): boolean {
  return order.appendedRows > bufferRows && order.appendedRows >= order.orderedRows;
}

/** A rewrite of hearc.events in order: how many events, in how long. */
export interface EventsOrdered {
  readonly rows: number;
  readonly seconds: number;
}

/**
 * Whether the catalog's engine keeps hearc.events in order by rewriting it (it can:
 * DuckDB); on PostgreSQL the table is partitioned by cell range instead.
 */
export const ordersEventsByRewrite = (engine: Engine): boolean =>
  engine.rewriteInOrder !== undefined;

/**
 * Rewrites hearc.events in global cell order, in one transaction with the record of it:
 * queries meanwhile see the table as it was, and a failure or a kill leaves it so.
 */
export async function orderEvents(engine: Engine): Promise<EventsOrdered> {
  if (engine.rewriteInOrder === undefined) {
    throw new EngineError(
      `${qualifiedName(eventsTable)} is not rewritten in order on PostgreSQL: it is partitioned by cell range instead`,
    );
  }
  const started = performance.now();
  const rows = await engine.rewriteInOrder(eventsTable, EVENT_STORAGE_ORDER, (tx, rows) =>
    writeOrder(tx, { orderedRows: rows, appendedRows: 0, orderedAt: new Date() }),
  );
  return { rows, seconds: (performance.now() - started) / 1000 };
}

/** Rewrites hearc.events in order when it is due (see eventsOrderDue); undefined when not. */
export async function orderEventsIfDue(
  engine: Engine,
  bufferRows = CLUSTER_ROWS,
): Promise<EventsOrdered | undefined> {
  if (!ordersEventsByRewrite(engine)) return undefined;
  if (!eventsOrderDue(await eventsOrder(engine), bufferRows)) return undefined;
  return orderEvents(engine);
}
