/**
 * Provenance of async query results: the TAP executor wrapped so that each result it
 * writes gets a record (the ADQL text and the other parameters, the service and the
 * job's owner), under identifiers made from the job's, so that the result's answer
 * can name its provenance without a look-up.
 */
import type { Job, JobExecutor } from '../uws/index.js';
import type { ProductProvenance } from './products.js';

/** Stored identifiers of the result of job `jobId` and of the query that made it. */
export function queryResultIds(jobId: string): { entityId: string; activityId: string } {
  return { entityId: `/tap-result/${jobId}`, activityId: `/activity/tap-result/${jobId}` };
}

/** `executor`, recording the provenance of each result it completes. */
export function withQueryProvenance(
  executor: JobExecutor,
  products: ProductProvenance,
  ownerOf: (job: Job) => Promise<string | undefined>,
  resultPath: (jobId: string) => string,
): JobExecutor {
  return {
    check: (parameters) => executor.check(parameters),
    async run(job, path, signal) {
      const startedAt = new Date();
      const output = await executor.run(job, path, signal);
      const user = await ownerOf(job);
      await products.record(
        { ...queryResultIds(job.jobId), startedAt, url: '' },
        {
          kind: 'tap-result',
          name: `result of job ${job.jobId}`,
          annotation: 'Result of an asynchronous ADQL query',
          contentType: output.contentType,
          location: resultPath(job.jobId),
          inputs: [],
          parameters: job.parameters.map((p) => ({ name: p.name.toUpperCase(), value: p.value })),
          ...(user !== undefined ? { user } : {}),
        },
      );
      return output;
    },
  };
}
