/**
 * The DL5 products (spectra and light curves), each described once: its request
 * reader, its checks before any work, how it is made, its results and what it is in
 * words. The description drives the async UWS jobs here (the parameters checked when
 * the job is created, the owner's rights, the selection and the IRFs when it starts,
 * the runs reduced one by one with the progress reported, an abort stopping it between
 * runs), the sync routes and the job lists of the HTTP plugin.
 */
import type { PublishedDataset } from '../datalink/index.js';
import type { DaliParameters } from '../dali/index.js';
import {
  asJobFailure,
  extraResultPath,
  type JobExecutor,
  jobParameters,
  problemOf,
} from '../uws/index.js';
import { MEDIA_TYPES } from '../votable/index.js';
import { type AnalysisJobContext, progressReporter } from './async-executor.js';
import { type LightCurveRequest, lightCurveRequest } from './lightcurve-request.js';
import { checkLightCurveRequest, makeLightCurve } from './lightcurve-service.js';
import type { AnalysisLimits } from './request.js';
import { selectDatasets } from './service.js';
import { type SpectrumRequest, spectrumRequest } from './spectrum-request.js';
import { checkSpectrumRequest, makeSpectrum, type ReductionOptions } from './spectrum-service.js';

export const SPECTRUM_MEDIA_TYPE = MEDIA_TYPES.TABLEDATA;
export const PLOT_RESULT = 'plot';

/** Where a DL5 product's files go: the VOTable always, the FITS and PNG when named. */
export interface ProductPaths {
  readonly votable: string;
  readonly fits?: string;
  readonly plot?: string;
}

export interface Dl5Product<R extends SpectrumRequest> {
  /** The path segment (/analysis/<kind>/sync|async), UWS capability, provenance kind and main result id. */
  readonly kind: 'spectrum' | 'lightcurve';
  /** The result id of the gammapy FITS file. */
  readonly fitsResult: string;
  /** What it is, in words (provenance). */
  readonly annotation: string;
  readonly read: (params: DaliParameters, limits: AnalysisLimits) => R;
  /** What is refused before any run is read. */
  readonly check: (datasets: readonly PublishedDataset[], request: R) => Promise<void>;
  readonly make: (
    datasets: readonly PublishedDataset[],
    request: R,
    paths: ProductPaths,
    options: ReductionOptions,
  ) => Promise<unknown>;
}

export const SPECTRUM_PRODUCT: Dl5Product<SpectrumRequest> = {
  kind: 'spectrum',
  fitsResult: 'fluxpoints',
  annotation: 'Spectrum (DL5): forward-folded fit and flux points from event lists',
  read: spectrumRequest,
  check: checkSpectrumRequest,
  make: (datasets, request, { fits, ...paths }, options) =>
    makeSpectrum(datasets, request, { ...paths, ...(fits ? { fluxPoints: fits } : {}) }, options),
};

export const LIGHTCURVE_PRODUCT: Dl5Product<LightCurveRequest> = {
  kind: 'lightcurve',
  fitsResult: 'lightcurve-fits',
  annotation: 'Light curve (DL5): flux of the fitted spectral shape per run or time bin',
  read: lightCurveRequest,
  check: checkLightCurveRequest,
  make: makeLightCurve,
};

/** The async jobs of a DL5 product: its VOTable the main result, the FITS and PNG beside it. */
export function productJobExecutor<R extends SpectrumRequest>(
  context: AnalysisJobContext,
  product: Dl5Product<R>,
): JobExecutor {
  return {
    check(parameters) {
      return problemOf(() => product.read(jobParameters(parameters), context.limits));
    },
    async run(job, resultPath, signal, report) {
      try {
        const request = product.read(jobParameters(job.parameters), context.limits);
        const datasets = await selectDatasets(
          context.catalog,
          request.ids,
          await context.gateFor(job),
        );
        await product.check(datasets, request);
        const progress = progressReporter(report, Date.now());
        const paths = {
          votable: resultPath,
          fits: extraResultPath(resultPath, product.fitsResult),
          plot: extraResultPath(resultPath, PLOT_RESULT),
        };
        await product.make(datasets, request, paths, { signal, onProgress: progress.onProgress });
        await progress.settled();
        return {
          contentType: SPECTRUM_MEDIA_TYPE,
          inputs: datasets.map((d) => ({ id: d.did, role: 'event list' })),
        };
      } catch (error) {
        throw asJobFailure(error);
      }
    },
  };
}

/** What names a DL5 product's routes, results and records. */
export type Dl5Kind = Pick<Dl5Product<SpectrumRequest>, 'kind' | 'fitsResult' | 'annotation'>;

/** The DL5 products, each with its async executor. */
export function dl5Products(
  context: AnalysisJobContext,
): readonly (Dl5Kind & { readonly executor: JobExecutor })[] {
  return [
    { ...SPECTRUM_PRODUCT, executor: productJobExecutor(context, SPECTRUM_PRODUCT) },
    { ...LIGHTCURVE_PRODUCT, executor: productJobExecutor(context, LIGHTCURVE_PRODUCT) },
  ];
}
