/**
 * ivoa.obscore in sky order (DuckDB), when the operator asks for it: rows sorted by
 * declination zones of one degree, then right ascension, then t_min. The ADQL compiler
 * puts a box on s_dec and s_ra in front of every cone test, which DuckDB checks on
 * those two columns first; it reads the other columns (58 of them) only for vectors of
 * 2048 rows that hold a match, and skips row groups whose s_dec range misses the box.
 * Sky order puts the observations of a region in a few vectors: cones read little. But
 * the order written by ingest (night after night) is what time windows prune on, and
 * sky order spreads a night over every vector (bench/obscore-order.ts at 1e6 rows:
 * cones 5-16x faster, a two-night window 25x slower). So it is opt-in:
 * `hearc obscore cluster` rewrites the table in sky order, and from then on ingest keeps
 * it so, once the rows appended since the last rewrite are as many as it rewrote (the
 * table has doubled) and more than one vector's worth. Rows written by anything but
 * ingest (a rights change rewrites its observation's row at the end) are not counted;
 * the command puts them in order whenever asked.
 */
import {
  type CatalogTransaction,
  type Engine,
  type OrderedTable,
  recordAppendedRows,
  rewriteInStorageOrderIfDue,
  type StorageOrder,
  storageOrder,
  type StorageOrdered,
  storageOrderRecord,
  type SortKey,
} from '../engine/index.js';
import { obscoreTable } from './schema.js';

/** Internal: how much of ivoa.obscore is in sky order. Never published. */
export const obscoreOrderTable = storageOrderRecord(
  'obscore_order',
  'ObsCore rows rewritten in sky order (declination zones, then right ascension), and those appended since.',
);

/** One-degree declination zones, right ascension within a zone, then time for one pointing. */
export const OBSCORE_STORAGE_ORDER: readonly SortKey[] = [
  { column: 's_dec', bin: 1 },
  's_ra',
  't_min',
];

/** Rows of one DuckDB vector: a table this small is read whole, whatever its order. */
export const OBSCORE_ORDER_MIN_ROWS = 2048;

/** ivoa.obscore as a table kept in storage order (opt-in). */
export const orderedObscore: OrderedTable = {
  table: obscoreTable,
  record: obscoreOrderTable,
  orderBy: OBSCORE_STORAGE_ORDER,
  minRows: OBSCORE_ORDER_MIN_ROWS,
  instead: 'its positions have indexes instead',
  optIn: true,
};

/** The order recorded for ivoa.obscore (nothing ordered, nothing appended when none is). */
export const obscoreOrder = (reader: Pick<Engine, 'selectRows'>): Promise<StorageOrder> =>
  storageOrder(reader, orderedObscore);

/** Records, in the ingest's transaction, that it appended `rows` ObsCore rows. */
export const recordAppendedObservations = (tx: CatalogTransaction, rows: number): Promise<void> =>
  recordAppendedRows(tx, orderedObscore, rows);

/**
 * Rewrites ivoa.obscore in sky order when it is due (kept in sky order since a
 * `hearc obscore cluster`, and doubled since the last rewrite); undefined when not.
 */
export const orderObscoreIfDue = (
  engine: Engine,
  minRows = OBSCORE_ORDER_MIN_ROWS,
): Promise<StorageOrdered | undefined> =>
  rewriteInStorageOrderIfDue(engine, orderedObscore, minRows);
