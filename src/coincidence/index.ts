/** The coincidence module: observations whose field of view and good times meet an alert's localisation and window. */
export {
  CoincidenceCatalog,
  type CoincidenceCatalogOptions,
  footprintOf,
  gtisOf,
  loadFootprints,
} from './catalog.js';
export {
  type Coincidence,
  type CoincidenceWindow,
  fieldOfViewOf,
  FieldsOfView,
  type ObservationFootprint,
  searchCoincidences,
  timeOverlap,
} from './search.js';
export {
  coincidenceQuery,
  type CoincidenceQuery,
  type CoincidenceResult,
  DEFAULT_AFTER_DAYS,
  DEFAULT_BEFORE_DAYS,
  everyoneReads,
  prepareCoincidence,
  watchNewAlerts,
  runCoincidence,
} from './service.js';
export { type FieldOfView, polygonFieldOfView, SkyIndex } from './sky-index.js';
export { COINCIDENCE_COLUMNS, coincidenceSerialization, coincidenceVotable } from './votable.js';
export { type CoincidenceJobContext, coincidenceJobExecutor } from './async-executor.js';
