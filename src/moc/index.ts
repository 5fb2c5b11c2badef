/** The moc module: coverage as MOCs (IVOA MOC 2.0, computed with CDS's moc-wasm). */
export {
  type CatalogCoverage,
  type Coverage,
  CoverageCatalog,
  type CoverageCatalogOptions,
  type CoverageIdentifiers,
  fieldOfViewMoc,
  type ObservationMocs,
  observationCoverageTable,
  registryToldTable,
  observationSpaceMoc,
  REGISTRY_MOC_DEPTH,
  SPACE_MOC_DEPTH,
  summariseCoverage,
} from './coverage.js';
export { coverageCacheTable } from './coverage-cache.js';
export {
  MOC_MEDIA_TYPES,
  type MocFile,
  type MocFormat,
  spaceMocFile,
  spaceTimeMocFile,
  timeMocFile,
} from './files.js';
export {
  cellArea,
  cellCentre,
  cellCentreVector,
  cellRadius,
  decodeUniq,
  encodeUniq,
  HEALPIX_MAX_ORDER,
  unitVector,
} from './healpix.js';
export { type MocLibrary, mocLibrary, type SpaceMoc } from './library.js';
export {
  buildSpaceTimeMoc,
  type ObservationSpan,
  SPACE_TIME_MOC_SPACE_DEPTH,
  SPACE_TIME_MOC_TIME_DEPTH,
  type SpaceTimeMoc,
} from './space-time-moc.js';
export {
  jdIntervalsOfTimeMoc,
  jdToTick,
  normalizeRanges,
  tickToJd,
  TIME_MOC_MAX_DEPTH,
  timeMocAscii,
  timeMocFromJdIntervals,
  timeRangesFromAscii,
  type TimeRanges,
} from './time-moc.js';
