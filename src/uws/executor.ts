/** What a UWS service runs: the protocol (TAP) plugs its work in here. */
import type { JobParameter } from '../engine/job-store.js';
import type { Job } from './job.js';

export interface JobOutput {
  /** Media type of the result file. */
  readonly contentType: string;
}

export interface JobExecutor {
  /** Why a job with these parameters cannot run (its error message), or undefined when it can. */
  check(parameters: readonly JobParameter[]): string | undefined;
  /**
   * Runs the job and writes its result to `resultPath`. Stops promptly when `signal`
   * aborts. Throws JobFailure with a message for the user when the job fails.
   */
  run(job: Job, resultPath: string, signal: AbortSignal): Promise<JobOutput>;
}

/** The executors of a job system, by capability (e.g. { tap: ... }). */
export type JobExecutors = Readonly<Record<string, JobExecutor>>;

/** The executor of `job`'s capability; a job no executor here can run fails with a message. */
export function executorFor(executors: JobExecutors, capability: string): JobExecutor {
  const executor = executors[capability];
  if (!executor) throw new JobFailure(`this service runs no '${capability}' jobs`);
  return executor;
}

/** A job that failed for a reason its owner should read in the error document. */
export class JobFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobFailure';
  }
}
