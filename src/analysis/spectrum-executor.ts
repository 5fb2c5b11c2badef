/**
 * Spectra as async UWS jobs (capability `spectrum`, at /analysis/spectrum/async): the
 * parameters checked when the job is created, the owner's rights, the selection and the
 * IRFs when it starts, then the runs reduced one by one (an abort stops it between runs).
 * Results: the VOTable (`spectrum`), gammapy FluxPoints FITS (`fluxpoints`), the SED PNG (`plot`).
 */
import {
  asJobFailure,
  extraResultPath,
  type JobExecutor,
  jobParameters,
  problemOf,
} from '../uws/index.js';
import { MEDIA_TYPES } from '../votable/index.js';
import type { AnalysisJobContext } from './async-executor.js';
import { selectDatasets } from './service.js';
import { spectrumRequest } from './spectrum-request.js';
import { checkSpectrumRequest, makeSpectrum } from './spectrum-service.js';

export const SPECTRUM_RESULT = 'spectrum';
export const FLUXPOINTS_RESULT = 'fluxpoints';
export const PLOT_RESULT = 'plot';
export const SPECTRUM_MEDIA_TYPE = MEDIA_TYPES.TABLEDATA;

export function spectrumJobExecutor(context: AnalysisJobContext): JobExecutor {
  return {
    check(parameters) {
      return problemOf(() => spectrumRequest(jobParameters(parameters), context.limits));
    },
    async run(job, resultPath, signal) {
      try {
        const request = spectrumRequest(jobParameters(job.parameters), context.limits);
        const datasets = await selectDatasets(
          context.catalog,
          request.ids,
          await context.gateFor(job),
        );
        await checkSpectrumRequest(datasets, request);
        await makeSpectrum(
          datasets,
          request,
          {
            votable: resultPath,
            fluxPoints: extraResultPath(resultPath, FLUXPOINTS_RESULT),
            plot: extraResultPath(resultPath, PLOT_RESULT),
          },
          { signal },
        );
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
