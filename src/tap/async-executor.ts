/**
 * Async TAP (TAP 1.1 §2.2.2): a job is one TAP query whose result is streamed into
 * the job's result file, so that results of any size stay out of memory.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { prepareQuery, type QueryService, runQuery } from './query.js';
import { DEFAULT_UPLOAD_LIMITS, fetchUrlUploads, hasUrlUploads } from './upload.js';
import { asJobFailure, type JobExecutor, jobParameters, problemOf } from '../uws/index.js';
import type { Job } from '../uws/index.js';

/** Margin of the database's own timeout over the job's execution duration, ms. */
const DATABASE_TIMEOUT_MARGIN_MS = 5000;

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
      const params = jobParameters(parameters);
      // A table given by URL is fetched when the job runs; the query is checked then.
      if (hasUrlUploads(params)) return undefined;
      return problemOf(() => prepareQuery(service, params));
    },

    async run(job, resultPath, signal) {
      try {
        const owned = await serviceFor(job);
        const params = await fetchUrlUploads(
          jobParameters(job.parameters),
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
        throw asJobFailure(error);
      }
    },
  };
}
