/**
 * hearc.events in global HEALPix cell order (DuckDB). Ingest appends each buffer of
 * events in cell order, so a table made of many buffers holds as many sorted runs, and
 * a cone meets a row group of each. Rewriting the whole table in (cell, time) order
 * makes each row group cover a narrow range of cells, so that a cone reads a few.
 *
 * When: after an ingest, once the events appended since the last rewrite are as many as
 * those it rewrote (the table has doubled) and more than one writer buffer (which holds
 * its events in cell order already): see engine's storage order.
 */
import {
  type CatalogTransaction,
  type Engine,
  type OrderedTable,
  recordAppendedRows,
  rewriteInStorageOrder,
  rewriteInStorageOrderIfDue,
  type StorageOrder,
  storageOrder,
  storageOrderDue,
  type StorageOrdered,
  storageOrderRecord,
} from '../engine/index.js';
import { eventsTable } from './schema.js';
import { CLUSTER_ROWS } from './writer.js';

/** Internal: how much of hearc.events is in global cell order. Never published. */
export const eventsOrderTable = storageOrderRecord(
  'events_order',
  'Events rewritten in global cell order, and those appended since (each buffer in order).',
);

/** The storage order: by cell (what a cone selects), then by arrival time within a cell. */
export const EVENT_STORAGE_ORDER: readonly string[] = ['healpix_index', 'event_time'];

/** hearc.events as a table kept in storage order. */
export const orderedEvents: OrderedTable = {
  table: eventsTable,
  record: eventsOrderTable,
  orderBy: EVENT_STORAGE_ORDER,
  minRows: CLUSTER_ROWS,
  instead: 'it is partitioned by cell range instead',
};

/** The order recorded for hearc.events (nothing ordered, nothing appended when none is). */
export const eventsOrder = (reader: Pick<Engine, 'selectRows'>): Promise<StorageOrder> =>
  storageOrder(reader, orderedEvents);

/** Records, in the ingest's transaction, that it appended `rows` events. */
export const recordAppendedEvents = (tx: CatalogTransaction, rows: number): Promise<void> =>
  recordAppendedRows(tx, orderedEvents, rows);

/**
 * Whether a rewrite in order is due: the events appended since the last one are as many
 * as it rewrote, and more than one writer buffer (`bufferRows`) holds.
 */
export const eventsOrderDue = (order: StorageOrder, bufferRows = CLUSTER_ROWS): boolean =>
  storageOrderDue(order, orderedEvents, bufferRows);

/**
 * Rewrites hearc.events in global cell order, in one transaction with the record of it:
 * queries meanwhile see the table as it was, and a failure or a kill leaves it so.
 */
export const orderEvents = (engine: Engine): Promise<StorageOrdered> =>
  rewriteInStorageOrder(engine, orderedEvents);

/** Rewrites hearc.events in order when it is due (see eventsOrderDue); undefined when not. */
export const orderEventsIfDue = (
  engine: Engine,
  bufferRows = CLUSTER_ROWS,
): Promise<StorageOrdered | undefined> =>
  rewriteInStorageOrderIfDue(engine, orderedEvents, bufferRows);
