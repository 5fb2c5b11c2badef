/**
 * Async TAP (TAP 1.1 §2.2.2): a job is one TAP query whose result is streamed into
 * the job's result file, so that results of any size stay out of memory.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobParameter } from '../engine/job-store.js';
import { DaliError, DaliParameters } from '../dali/index.js';
import { prepareQuery, type QueryService, runQuery } from './query.js';
import { DEFAULT_UPLOAD_LIMITS, fetchUrlUploads, hasUrlUploads } from './upload.js';
import { JobFailure, type JobExecutor } from '../uws/index.js';
import type { Job } from '../uws/index.js';

/** Margin of the database's own timeout over the job's execution duration, ms. */
const DATABASE_TIMEOUT_MARGIN_MS = 5000;

function tapParameters(parameters: readonly JobParameter[]): DaliParameters {
  return new DaliParameters(parameters.map((p) => [p.name, p.value] as const));
}

function failure(error: unknown): unknown {
  return error instanceof DaliError ? new JobFailure(error.message, { cause: error }) : error;
}

/**
 * Runs TAP jobs. `serviceFor` gives the service as the job's owner may use it (access
 * rights, checked when the job runs; it throws JobFailure when they are gone); queries
 * are checked at creation with `service`.
 */
export function tapJobExecutor(
  service: QueryService,
  serviceFor: (job: Job) => Promise<QueryService> = async () => service,
): JobExecutor {
  return {
    check(parameters) {
      const params = tapParameters(parameters);
      // A table given by URL is fetched when the job runs; the query is checked then.
      if (hasUrlUploads(params)) return undefined;
      try {
        prepareQuery(service, params);
        return undefined;
      } catch (error) {
        if (error instanceof DaliError) return error.message;
        throw error;
      }
    },

    async run(job, resultPath, signal) {
      try {
        const owned = await serviceFor(job);
        const params = await fetchUrlUploads(
          tapParameters(job.parameters),
          owned.limits.upload ?? DEFAULT_UPLOAD_LIMITS,
        );
        const prepared = prepareQuery(owned, params);
        // The job's own limit cancels the query through `signal`; this is a backstop.
        const timeoutMs = job.executionDuration * 1000 + DATABASE_TIMEOUT_MARGIN_MS;
        const limits = { ...owned.limits, timeoutMs };
        const result = await runQuery({ ...owned, limits }, prepared, signal, {
          waitForUploadSlot: true,
        });
        await pipeline(Readable.from(result.body), createWriteStream(resultPath));
        return { contentType: result.contentType };
      } catch (error) {
        throw failure(error);
      }
    },
  };
}
