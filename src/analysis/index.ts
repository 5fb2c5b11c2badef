/** The analysis module: DL3 → DL4 reductions next to the data (map datasets as gammapy 1.0 makes them). */
export {
  geometryCache,
  logEdges,
  makeRunMaps,
  StackedMaps,
  type MapGeometry,
  type RunInput,
  type RunMaps,
} from './maker.js';
export { mapDatasetHdus, writeMapDataset } from './mapdataset.js';
export {
  DEFAULT_ANALYSIS_LIMITS,
  mapDatasetRequest,
  type AnalysisLimits,
  type MapDatasetRequest,
} from './request.js';
export { datasetFile, openRun } from './runs.js';
export {
  checkIrfRanges,
  countsPreview,
  datasetsIndex,
  type DatasetGate,
  type DatasetSelector,
  PER_RUN_PREFIX,
  perRunNames,
  requestedDatasets,
  makeMapDataset,
  type MapDatasetOutputs,
  type MapDatasetProgress,
  type MapDatasetSummary,
  selectDatasets,
} from './service.js';
export { storeDatasets } from './store-runs.js';
export { type Frame } from './sky.js';
export { type Projection, SkyGrid } from './wcs.js';
export {
  analysisJobExecutor,
  type AnalysisJobContext,
  DATASETS_RESULT,
  FITS_MEDIA_TYPE,
  MAPDATASET_RESULT,
  PREVIEW_RESULT,
  progressReporter,
  YAML_MEDIA_TYPE,
} from './async-executor.js';
export {
  AnalysisCache,
  type AnalysisProduct,
  PRODUCT_FILES,
  produceMapDataset,
  productKey,
  type ProduceOptions,
} from './products.js';
export {
  analysisDatasetServices,
  analysisResultServices,
  analysisStandardIds,
  type AnalysisStandardIds,
  dl5Params,
  mapDatasetParams,
} from './descriptor.js';
export { MAX_ON_RADIUS, spectrumRequest, type SpectrumRequest } from './spectrum-request.js';
export {
  checkSpectrumRequest,
  makeSpectrum,
  type ReductionOptions,
  type SpectrumOutputs,
  type SpectrumSummary,
} from './spectrum-service.js';
export { lightCurveRequest, type LightCurveRequest, MAX_TIME_BINS } from './lightcurve-request.js';
export {
  checkLightCurveRequest,
  type LightCurveOutputs,
  type LightCurveSummary,
  makeLightCurve,
} from './lightcurve-service.js';
export { type LightCurveBin } from './lightcurve.js';
export {
  type FitParameter,
  type FluxPoint,
  type SpectralFit,
  type SpectralModelName,
} from './spectral-fit.js';
export { type OnRegion, StackedSpectrum } from './spectrum.js';
export {
  type Dl5Kind,
  type Dl5Product,
  dl5Products,
  LIGHTCURVE_PRODUCT,
  PLOT_RESULT,
  type ProductPaths,
  SPECTRUM_MEDIA_TYPE,
  SPECTRUM_PRODUCT,
} from './dl5-products.js';
