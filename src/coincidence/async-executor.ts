/**
 * The coincidence search as an async UWS job (for large skymaps or many observations):
 * the same parameters as /coincidence, the VOTable written to the job's result file,
 * the owner's rights judged when the job runs.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { asJobFailure, type Job, type JobExecutor, jobParameters } from '../uws/index.js';
import type { CoincidenceCatalog } from './catalog.js';
import { coincidenceQuery, runCoincidence } from './service.js';
import { coincidenceVotable } from './votable.js';

const VOTABLE = 'application/x-votable+xml';

export interface CoincidenceJobContext {
  /** Which of these datasets the job's owner may read now (throws JobFailure when the owner is gone). */
  readonly readableFor: (
    job: Job,
  ) => Promise<(dids: readonly string[]) => Promise<ReadonlySet<string>>>;
  /** Base URL of the service for the DataLink descriptors. */
  readonly serviceUrlFor: (job: Job) => string | undefined;
}

export function coincidenceJobExecutor(
  catalog: CoincidenceCatalog,
  context: CoincidenceJobContext,
): JobExecutor {
  return {
    check(parameters) {
      const params = jobParameters(parameters);
      if (!params.has('ALERT') && !params.has('POS')) {
        return 'give ALERT=<alert_id> (see hearc.alerts), or POS and TIME';
      }
      return undefined;
    },
    async run(job, resultPath) {
      try {
        const params = jobParameters(job.parameters);
        const query = await coincidenceQuery(catalog.engine, params);
        const result = await runCoincidence(catalog, query, await context.readableFor(job));
        await pipeline(
          Readable.from(coincidenceVotable(result, context.serviceUrlFor(job))),
          createWriteStream(resultPath),
        );
        return { contentType: VOTABLE };
      } catch (error) {
        throw asJobFailure(error);
      }
    },
  };
}
