/** `hearc obscore cluster|status`: ivoa.obscore in sky order (DuckDB). */
import type { StorageOrdered } from '../engine/index.js';
import { OBSCORE_ORDER_MIN_ROWS, orderedObscore } from '../obscore/order.js';
import { formatStorageOrdered, storageOrderCommand } from './storage-order.js';

const about = { name: 'obscore', table: 'ivoa.obscore', rows: 'rows', order: 'sky order' };

/** One line on a rewrite of ivoa.obscore in order (after `hearc obscore cluster` or an ingest). */
export const formatObscoreOrdered = (
  ordered: StorageOrdered | { readonly failed: string },
): string => formatStorageOrdered(about, ordered);

export const obscoreCommand = storageOrderCommand({
  ...about,
  summary: 'keep ivoa.obscore in sky order (DuckDB): cluster, status',
  explanation: `On a DuckDB catalog, a cone query reads all the columns of every vector of 2048 rows
that holds a match; in sky order (declination zones of one degree, then right
ascension, then t_min) the observations of a region sit in a few vectors, so cones
read little. Time windows then read the whole table, where the order ingest writes
(night after night) let them skip most of it: sky order is a choice. 'cluster' makes
it; from then on, after an ingest, once the rows it appended since the last rewrite
are as many as it rewrote (the table has doubled) and more than ${OBSCORE_ORDER_MIN_ROWS}, ingest
rewrites the table in sky order again. Rows written by other means (a rights change,
a loader of its own) are not counted: 'cluster' puts them in order.`,
  onPostgres: "ivoa.obscore's positions have indexes",
  ordered: orderedObscore,
});
