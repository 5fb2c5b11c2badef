/**
 * Every table a hearc catalog holds, published or not: what ingest, serve and the
 * rights/token commands create. Assembled here, above obscore and auth, so that
 * neither of those modules has to know the other's tables.
 */
import { alertTables } from '../alerts/index.js';
import { rightsTables } from '../auth/tables.js';
import { ingestStateTable, publishedSchema } from '../obscore/schema.js';
import type { TableDef } from '../schema/types.js';

export const catalogTables: readonly TableDef[] = [
  ...publishedSchema.tables,
  ingestStateTable,
  ...rightsTables,
  ...alertTables,
];
