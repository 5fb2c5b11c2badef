/**
 * Every table a hearc catalog holds, published or not: what ingest, serve and the
 * rights/token commands create. Assembled here, above obscore and auth, so that
 * neither of those modules has to know the other's tables.
 */
import { alertsTable, alertTables } from '../alerts/index.js';
import { auditTable, rightsTables } from '../auth/index.js';
import { eventsOrderTable } from '../events/index.js';
import { coverageCacheTable, observationCoverageTable, registryToldTable } from '../moc/index.js';
import { obscoreOrderTable } from '../obscore/order.js';
import { ingestStateTable, publishedSchema, withdrawnObservationTable } from '../obscore/schema.js';
import { provenanceTables } from '../provenance/index.js';
import { regtapTables } from '../schema/regtap.js';
import type { PublishedSchema, TableDef } from '../schema/types.js';

/**
 * The tables TAP serves: ObsCore + HE extension + IRFs, the provenance tables (ProvTAP),
 * alerts, and the registry records (RegTAP).
 */
export const servedCatalog: PublishedSchema = {
  tables: [...publishedSchema.tables, ...provenanceTables, alertsTable, ...regtapTables],
};

export const catalogTables: readonly TableDef[] = [
  ...servedCatalog.tables,
  ingestStateTable,
  eventsOrderTable,
  obscoreOrderTable,
  observationCoverageTable,
  coverageCacheTable,
  registryToldTable,
  withdrawnObservationTable,
  ...rightsTables,
  auditTable,
  ...alertTables.filter((table) => table !== alertsTable),
];
