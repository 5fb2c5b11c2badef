/** The hips module: counts HiPS (IVOA HiPS 1.0) of the published events, and serving them. */
export {
  buildCountsHips,
  DEFAULT_HIPS_ORDER,
  DEFAULT_SMOOTHING_DEG,
  emptyTilePng,
  type HipsBuildOptions,
  type HipsBuildReport,
  type HipsManifest,
  openObservations,
  SERVICE_HIPS,
} from './build.js';
export { parseTilePath, tilePath, TILE_WIDTH } from './tiles.js';
export { type HipsFile, HipsStore, type HipsStoreOptions } from './store.js';
