/** The registry module: VOResource records of the service and its collections, OAI-PMH. */
export { ResourceIdentifiers } from './identifiers.js';
export {
  MANAGED_SET,
  OaiError,
  type OaiErrorCode,
  OaiRepository,
  type OaiOptions,
  type OaiRequest,
} from './oai.js';
export {
  harvestEndpoint,
  harvestRegistry,
  type HarvestOptions,
  type HarvestReport,
} from './harvest.js';
export { type DeletedRecord, ResourcePublisher, type RegistryOptions } from './publisher.js';
export { RegistryRecordError, regtapRows, type RegtapRows, writeRegtapRows } from './regtap.js';
export {
  type DublinCore,
  HARVEST_PAGE_SIZE,
  NAMESPACES,
  type RecordKind,
  type ResourceRecord,
  resourceRecords,
  spectralInterval,
  temporalIntervals,
  utcSeconds,
  wavebandsOf,
} from './records.js';
