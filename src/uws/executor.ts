/** What a UWS service runs: the protocol (TAP) plugs its work in here. */
import type { JobParameter, JobReport } from '../engine/job-store.js';
import { DaliError, DaliParameters } from '../dali/index.js';
import type { Job } from './job.js';

export interface JobOutput {
  /** Media type of the result file. */
  readonly contentType: string;
  /** What the result was made from (dataset DIDs and their roles), for its provenance. */
  readonly inputs?: readonly { readonly id: string; readonly role: string }[];
}

/** Tells the job's owner how far a running job is (kept with the job; shown as quote and jobInfo). */
export type JobReporter = (report: JobReport) => Promise<void>;

export interface JobExecutor {
  /** Why a job with these parameters cannot run (its error message), or undefined when it can. */
  check(parameters: readonly JobParameter[]): string | undefined;
  /**
   * Runs the job and writes its result to `resultPath`. Stops promptly when `signal`
   * aborts. Throws JobFailure with a message for the user when the job fails. `report`
   * records its progress, when it has any to tell.
   */
  run(job: Job, resultPath: string, signal: AbortSignal, report?: JobReporter): Promise<JobOutput>;
}

/** The executors of a job system, by capability (e.g. { tap: ... }). */
export type JobExecutors = Readonly<Record<string, JobExecutor>>;

/** The executor of `job`'s capability; a job no executor here can run fails with a message. */
export function executorFor(executors: JobExecutors, capability: string): JobExecutor {
  const executor = executors[capability];
  if (!executor) throw new JobFailure(`this service runs no '${capability}' jobs`);
  return executor;
}

/** For JobExecutor.check: the message of the DaliError `check` throws, undefined when it throws none. */
export function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof DaliError) return error.message;
    throw error;
  }
}

/** A job's parameters as DALI parameters (names matched in any case). */
export function jobParameters(parameters: readonly JobParameter[]): DaliParameters {
  return new DaliParameters(parameters.map((p) => [p.name, p.value] as const));
}

/** A DaliError a running job throws, as the JobFailure its owner reads; anything else as it is. */
export function asJobFailure(error: unknown): unknown {
  return error instanceof DaliError ? new JobFailure(error.message, { cause: error }) : error;
}

/** A job that failed for a reason its owner should read in the error document. */
export class JobFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobFailure';
  }
}
