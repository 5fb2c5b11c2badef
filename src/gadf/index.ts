/** The gadf module: the data model of a GADF/VODF store (indexes, observations, the one event-list reader, IRFs, validation). */
export { GadfError } from './errors.js';
export { commonFormat, formatOf, type FormatFamily, type FormatVersion } from './format.js';
export {
  classifyHdu,
  compareObsIds,
  IRF_HDU_TYPES,
  openDataStore,
  openDataStores,
  parseObsId,
  type DataStore,
  type DataStoreTree,
  type MissingFile,
  type HduLocation,
  type HduType,
  type ObservationEntry,
  type Severity,
  type StoreProblem,
} from './datastore.js';
export {
  EventList,
  locateEventListHdus,
  REQUIRED_EVENT_COLUMNS,
  timeModelOf,
  type ColumnUnit,
  type EventBatch,
  type EventQuantity,
  type EventTypes,
  type GoodTimeIntervals,
  type HduRef,
  type Pointing,
  type SkyFootprint,
  type TimeModel,
  type UnitSource,
} from './event-list.js';
export {
  angularSeparation,
  circleToPolygon,
  equatorialToHorizontal,
  offsetPosition,
} from './geometry.js';
export { isMapIrfClass, mapIrfHdus, readMapIrf, type MapIrf } from './irf-map.js';
export {
  EventStatistics,
  type EventTally,
  loadObservation,
  readObservation,
  RESOLUTION_REFERENCE,
  type Enclosure,
  type IrfComponent,
  type ObservationReading,
  type ObservationSummary,
  type SourceFile,
} from './observation.js';
export {
  metToMjdUtc,
  mjdToDate,
  mjdToIso,
  mjdUtcToBarycentricJdTcb,
  mjdUtcToMet,
  parseTimeScale,
  timeReferenceOf,
  ttMinusUtc,
  type TimeReference,
  type TimeScale,
} from './time.js';
export {
  isNeutrinoRelease,
  openNeutrinoRelease,
  readTextTable,
  type NeutrinoEffectiveArea,
  type NeutrinoEvents,
  type NeutrinoRelease,
  type NeutrinoSample,
} from './neutrino.js';
export {
  DECLINATION_BAND_KEYWORDS,
  writeNeutrinoStore,
  zenithOfDeclination,
  type WrittenNeutrinoStore,
} from './neutrino-store.js';
export { CANONICAL_UNIT, unitFactor, type Quantity } from './units.js';
export {
  checkEventsHeader,
  validateDataStore,
  validateStore,
  type FormatOfPath,
  type ValidationReport,
} from './validate.js';
export {
  IRF_CLASSES,
  binCentres,
  nodeEdges,
  irfClassOf,
  readIrf,
  readIrfs,
  type IrfAxis,
  type IrfHduRef,
  type IrfAxisName,
  type IrfClass,
  type IrfTable,
} from './irf.js';
