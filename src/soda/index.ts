/** The soda module: SODA 1.0 {sync} cutouts of event lists (sky region, time, energy, event type) as GADF files. */
export {
  type CutoutRecord,
  type CutoutSelection,
  type CutoutSummary,
  writeCutout,
} from './cutout.js';
export { cutoutParams, SODA_SYNC_STANDARD_ID, sodaDatasetService } from './descriptor.js';
export { SodaError, type SodaErrorCode } from './errors.js';
export {
  bandToEnergy,
  cutoutRequest,
  HC_EV_M,
  intersect,
  parseCircle,
  parseInterval,
  parsePolygon,
  parsePos,
  type CutoutRequest,
  type Interval,
} from './params.js';
export { regionTest, regionText, regionTouchesCircle, type SkyRegion } from './regions.js';
export { checkCoverage, SodaService, type CutoutFile, type SodaServiceOptions } from './service.js';
export { cutoutSources, type CutoutSources, type SourceHdu } from './sources.js';
export { mjdUtcToMet, timeReferenceOf } from '../gadf/index.js';
