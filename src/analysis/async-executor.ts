/**
 * Map datasets as async UWS jobs: the parameters checked when the job is created, the
 * owner's rights, the selection (IDs or QUERY) and the IRF ranges checked when it
 * starts, then the runs reduced one by one, the progress (a fraction, and a quote of
 * when it will end) reported after each run; an abort stops it between runs. The main
 * result is the MapDataset FITS file (result id `mapdataset`), beside it a PNG of the
 * counts (`preview`) and, with PER_RUN=true, one dataset per run
 * (`mapdataset-<obs_id>`) and their gammapy Datasets index (`datasets`).
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetCatalog } from '../datalink/index.js';
import {
  asJobFailure,
  extraResultPath,
  type Job,
  type JobExecutor,
  type JobReporter,
  jobParameters,
  problemOf,
} from '../uws/index.js';
import { type AnalysisCache, PRODUCT_FILES, produceMapDataset } from './products.js';
import { type AnalysisLimits, mapDatasetRequest } from './request.js';
import {
  type DatasetGate,
  type DatasetSelector,
  type MapDatasetProgress,
  requestedDatasets,
} from './service.js';

export const MAPDATASET_RESULT = 'mapdataset';
export const PREVIEW_RESULT = 'preview';
/** The gammapy Datasets index of the per-run datasets (PER_RUN=true). */
export const DATASETS_RESULT = 'datasets';
export const FITS_MEDIA_TYPE = 'application/fits';
export const YAML_MEDIA_TYPE = 'application/yaml';

export interface AnalysisJobContext {
  readonly catalog: DatasetCatalog;
  readonly limits: AnalysisLimits;
  /** The rights gate for the job's owner as they are when the job runs (JobFailure when the owner is gone). */
  readonly gateFor: (job: Job) => Promise<DatasetGate>;
  /** QUERY selections with the owner's rights; none: QUERY is refused. */
  readonly selectorFor?: (job: Job) => Promise<DatasetSelector>;
  /** Private folder where products are made. */
  readonly workDir: string;
  /** Finished products reused by identical requests; none: no cache. */
  readonly cache?: { readonly store: AnalysisCache; readonly software: string };
}

/** Progress as the job reports it: the fraction of runs reduced and a quote of the end. */
export function progressReporter(
  report: JobReporter | undefined,
  startedAt: number,
): { readonly onProgress: (p: MapDatasetProgress) => void; settled(): Promise<void> } {
  let chain = Promise.resolve();
  return {
    onProgress({ done, total }) {
      if (!report) return;
      const elapsed = Date.now() - startedAt;
      const quote =
        done > 0 ? new Date(startedAt + (elapsed * total) / done).toISOString() : undefined;
      const progress = total === 0 ? 1 : done / total;
      chain = chain
        .then(() =>
          report({
            progress: Number(progress.toFixed(4)),
            status: `${done} of ${total} runs reduced`,
            ...(quote !== undefined ? { quote } : {}),
          }),
        )
        .catch(() => undefined);
    },
    settled: () => chain,
  };
}

export function analysisJobExecutor(context: AnalysisJobContext): JobExecutor {
  return {
    check(parameters) {
      return problemOf(() => mapDatasetRequest(jobParameters(parameters), context.limits));
    },
    async run(job, resultPath, signal, report) {
      try {
        const request = mapDatasetRequest(jobParameters(job.parameters), context.limits);
        const datasets = await requestedDatasets(
          request,
          context.catalog,
          await context.gateFor(job),
          {
            maxRuns: context.limits.maxRuns,
            signal,
            ...(context.selectorFor ? { selector: await context.selectorFor(job) } : {}),
          },
        );
        const progress = progressReporter(report, Date.now());
        progress.onProgress({ done: 0, total: datasets.length });
        const product = await produceMapDataset(datasets, request, {
          workDir: context.workDir,
          ...(context.cache ? { cache: context.cache } : {}),
          signal,
          onProgress: progress.onProgress,
        });
        try {
          const from = (name: string) => join(product.dir, name);
          await copyFile(from(PRODUCT_FILES.fits), resultPath);
          await copyFile(from(PRODUCT_FILES.preview), extraResultPath(resultPath, PREVIEW_RESULT));
          for (const file of product.perRunFiles) {
            await copyFile(from(file), extraResultPath(resultPath, file.replace(/\.fits$/, '')));
          }
          if (product.perRunFiles.length > 0) {
            await copyFile(from(PRODUCT_FILES.index), extraResultPath(resultPath, DATASETS_RESULT));
          }
        } finally {
          await product.dispose();
        }
        await progress.settled();
        return {
          contentType: FITS_MEDIA_TYPE,
          inputs: datasets.map((d) => ({ id: d.did, role: 'event list' })),
        };
      } catch (error) {
        throw asJobFailure(error);
      }
    },
  };
}
