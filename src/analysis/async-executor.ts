/**
 * Map datasets as async UWS jobs: the parameters checked when the job is created, the
 * owner's rights, the selection and the IRF ranges checked when it starts, then the
 * runs reduced one by one (an abort stops it between runs). The main result is the
 * MapDataset FITS file (result id `mapdataset`), beside it a PNG of the counts (`preview`).
 */
import type { DatasetCatalog } from '../datalink/index.js';
import {
  asJobFailure,
  extraResultPath,
  type Job,
  type JobExecutor,
  jobParameters,
  problemOf,
} from '../uws/index.js';
import { type AnalysisLimits, mapDatasetRequest } from './request.js';
import { checkIrfRanges, type DatasetGate, makeMapDataset, selectDatasets } from './service.js';

export const MAPDATASET_RESULT = 'mapdataset';
export const PREVIEW_RESULT = 'preview';
export const FITS_MEDIA_TYPE = 'application/fits';

export interface AnalysisJobContext {
  readonly catalog: DatasetCatalog;
  readonly limits: AnalysisLimits;
  /** The rights gate for the job's owner as they are when the job runs (JobFailure when the owner is gone). */
  readonly gateFor: (job: Job) => Promise<DatasetGate>;
}

export function analysisJobExecutor(context: AnalysisJobContext): JobExecutor {
  return {
    check(parameters) {
      return problemOf(() => mapDatasetRequest(jobParameters(parameters), context.limits));
    },
    async run(job, resultPath, signal) {
      try {
        const request = mapDatasetRequest(jobParameters(job.parameters), context.limits);
        const datasets = await selectDatasets(
          context.catalog,
          request.ids,
          await context.gateFor(job),
        );
        await checkIrfRanges(datasets, request);
        await makeMapDataset(
          datasets,
          request,
          { fits: resultPath, preview: extraResultPath(resultPath, PREVIEW_RESULT) },
          { signal },
        );
        return { contentType: FITS_MEDIA_TYPE };
      } catch (error) {
        throw asJobFailure(error);
      }
    },
  };
}
