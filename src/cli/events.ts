/** `hearc events cluster|status`: hearc.events in global HEALPix cell order (DuckDB). */
import type { StorageOrdered } from '../engine/index.js';
import { orderedEvents } from '../events/index.js';
import { formatStorageOrdered, storageOrderCommand } from './storage-order.js';

const about = { name: 'events', table: 'hearc.events', rows: 'events', order: 'cell order' };

/** One line on a rewrite of hearc.events in order (after `hearc events cluster` or an ingest). */
export const formatEventsOrdered = (
  ordered: StorageOrdered | { readonly failed: string },
): string => formatStorageOrdered(about, ordered);

export const eventsCommand = storageOrderCommand({
  ...about,
  summary: 'keep hearc.events in global HEALPix cell order (DuckDB): cluster, status',
  explanation: `On a DuckDB catalog, ingest appends hearc.events one buffer (about 2 million events)
at a time, each in HEALPix cell order; a cone query reads the row groups whose cells
it may touch, so the fewer sorted runs the table holds, the fewer it reads. After an
ingest, once the events appended since the last rewrite are as many as it rewrote
(the table has doubled) and more than one buffer, ingest rewrites the whole table in
(cell, arrival time) order: each event is rewritten about twice in all.`,
  onPostgres: 'hearc.events is partitioned by HEALPix cell range',
  ordered: orderedEvents,
});
