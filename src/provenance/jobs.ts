/**
 * Provenance of async job results: an executor wrapped so that each result it writes
 * gets a record (the job's parameters, the inputs the executor says it used, the
 * service and the job's owner), under identifiers made from the job's, so that the
 * result's answer can name its provenance without a look-up.
 */
import type { Job, JobExecutor } from '../uws/index.js';
import type { ProductProvenance } from './products.js';

/**
 * Request parameters as provenance records them: one per name (upper case), the values
 * of a repeated one (ID=a&ID=b) kept together, separated by spaces.
 */
export function recordedParameters(
  pairs: Iterable<readonly [string, string]>,
): { name: string; value: string }[] {
  const byName = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const key = name.toUpperCase();
    byName.set(key, [...(byName.get(key) ?? []), value]);
  }
  return [...byName].map(([name, values]) => ({ name, value: values.join(' ') }));
}

/** Stored identifiers of the result of job `jobId` of `kind` and of the activity that made it. */
export function jobResultIds(
  kind: string,
  jobId: string,
): { entityId: string; activityId: string } {
  return { entityId: `/${kind}/${jobId}`, activityId: `/activity/${kind}/${jobId}` };
}

/** Stored identifiers of the result of TAP job `jobId` and of the query that made it. */
export function queryResultIds(jobId: string): { entityId: string; activityId: string } {
  return jobResultIds('tap-result', jobId);
}

export interface JobResultKind {
  /** The kind of product and activity ('tap-result', 'mapdataset'). */
  readonly kind: string;
  /** What the product is, in words. */
  readonly annotation: string;
  /** The job owner's user name, if any. */
  readonly ownerOf: (job: Job) => Promise<string | undefined>;
  /** The service path of the result of job `jobId`. */
  readonly resultPath: (jobId: string) => string;
}

/** `executor`, recording the provenance of each result it completes. */
export function withResultProvenance(
  executor: JobExecutor,
  products: ProductProvenance,
  result: JobResultKind,
): JobExecutor {
  return {
    check: (parameters) => executor.check(parameters),
    async run(job, path, signal, report) {
      const startedAt = new Date();
      const output = await executor.run(job, path, signal, report);
      const user = await result.ownerOf(job);
      await products.record(
        { ...jobResultIds(result.kind, job.jobId), startedAt, url: '' },
        {
          kind: result.kind,
          name: `result of job ${job.jobId}`,
          annotation: result.annotation,
          contentType: output.contentType,
          location: result.resultPath(job.jobId),
          inputs: output.inputs ?? [],
          parameters: recordedParameters(job.parameters.map((p) => [p.name, p.value] as const)),
          ...(user !== undefined ? { user } : {}),
        },
      );
      return output;
    },
  };
}

/** The TAP executor, recording the provenance of each query result. */
export function withQueryProvenance(
  executor: JobExecutor,
  products: ProductProvenance,
  ownerOf: (job: Job) => Promise<string | undefined>,
  resultPath: (jobId: string) => string,
): JobExecutor {
  return withResultProvenance(executor, products, {
    kind: 'tap-result',
    annotation: 'Result of an asynchronous ADQL query',
    ownerOf,
    resultPath,
  });
}
