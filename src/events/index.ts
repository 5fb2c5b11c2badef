/** The events module: hearc.events, every published event as a row, filled at ingest. */
export {
  EVENT_HEALPIX_ORDER,
  eventsTable,
  OPTIONAL_EVENT_COLUMNS,
  type OptionalEventColumn,
} from './schema.js';
export { observationEventBatches, type EventColumns } from './rows.js';
export { CLUSTER_ROWS, EventWriter } from './writer.js';
export { EventWriterThread, withEventWriter } from './writer-thread.js';
export {
  EVENT_STORAGE_ORDER,
  eventsOrder,
  eventsOrderDue,
  eventsOrderTable,
  orderedEvents,
  orderEvents,
  orderEventsIfDue,
  recordAppendedEvents,
} from './order.js';
