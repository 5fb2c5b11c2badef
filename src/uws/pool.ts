/**
 * A bounded pool of workers running queued jobs. A worker claims a job from the store
 * (so that several processes sharing a catalog never run one job twice), runs it with
 * its execution duration as a hard limit, and records how it ended only if nobody
 * changed the job in the meantime (an ABORT, a DELETE, the reaper).
 */
import { stat } from 'node:fs/promises';
import type { JobReport, JobStore, JobUpdate } from '../engine/job-store.js';
import type { JobEvents } from './events.js';
import { executorFor, JobFailure, type JobExecutors } from './executor.js';
import type { Job } from './job.js';
import type { ResultFiles } from './results.js';

export interface WorkerPoolOptions {
  /** Jobs run at once by this process. */
  readonly workers: number;
  /** How often to look for jobs queued by other processes (shared stores only), ms. */
  readonly pollMs: number;
  /** How often a running job tells the store it is alive and checks it was not aborted, ms. */
  readonly heartbeatMs: number;
  /** The largest result a job may write, bytes. */
  readonly maxResultBytes?: number;
}

/** Why a running job was stopped before it ended by itself. */
type StopReason = 'timeout' | 'aborted' | 'gone' | 'shutdown' | 'too-large';

/** How often a running job's result size is looked at, ms. */
const SIZE_CHECK_MS = 500;

/** setTimeout's longest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ErrorLog = (error: unknown, context: string) => void;

export class WorkerPool {
  private readonly running = new Map<string, (reason: StopReason) => void>();
  private readonly tasks = new Set<Promise<void>>();
  private pumping = false;
  private pumpAgain = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly executors: JobExecutors,
    private readonly results: ResultFiles,
    private readonly events: JobEvents,
    /** Identifies this process as the runner of the jobs it claims. */
    readonly runner: string,
    private readonly options: WorkerPoolOptions,
    private readonly logError: ErrorLog,
  ) {}

  start(): void {
    this.stopped = false;
    if (this.store.shared) {
      this.timer = setInterval(() => this.wake(), this.options.pollMs).unref();
    }
    this.wake();
  }

  /** Looks for queued jobs now (a job was queued, or a worker became free). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
    });
  }

  /**
   * Stops the job if this process runs it, and records it ABORTED unless it was
   * changed meanwhile (deleted, destroyed). Acts before any catalog access, so that an
   * abort never waits for a catalog connection held by the job itself.
   */
  abort(jobId: string): void {
    this.running.get(jobId)?.('aborted');
  }

  /** Claims nothing more; running jobs are stopped and queued again for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const stop of this.running.values()) stop('shutdown');
    while (this.tasks.size > 0 || this.pumping) {
      await Promise.all([...this.tasks]);
      if (this.pumping) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async pump(): Promise<void> {
    do {
      this.pumpAgain = false;
      while (!this.stopped && this.running.size < this.options.workers) {
        let job: Job | undefined;
        try {
          job = await this.store.claim(this.runner, new Date());
        } catch (error) {
          this.logError(error, 'cannot claim a queued job');
          return;
        }
        if (!job) break;
        this.launch(job);
      }
    } while (this.pumpAgain && !this.stopped);
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    let reason: StopReason | undefined;
    const stop = (why: StopReason): void => {
      if (reason) return;
      reason = why;
      controller.abort();
    };
    this.running.set(job.jobId, stop);
    if (this.stopped) stop('shutdown');
    this.events.changed(job.jobId);
    const limit = setTimeout(
      () => stop('timeout'),
      Math.min(job.executionDuration * 1000, MAX_TIMER_MS),
    );
    const beat = this.store.shared
      ? setInterval(() => void this.checkAlive(job.jobId, stop), this.options.heartbeatMs)
      : undefined;

    let sizeCheck: NodeJS.Timeout | undefined;
    const task = (async () => {
      let outcome: JobUpdate | undefined;
      try {
        const path = await this.results.partialPath(job.jobId);
        const maxBytes = this.options.maxResultBytes;
        if (maxBytes !== undefined) {
          sizeCheck = setInterval(() => {
            void stat(path).then(
              (info) => info.size > maxBytes && stop('too-large'),
              () => undefined,
            );
          }, SIZE_CHECK_MS);
        }
        const executor = executorFor(this.executors, job.capability);
        const report = async (progress: JobReport): Promise<void> => {
          if (reason) return;
          await this.store.update(job.jobId, { report: progress }, ['EXECUTING']);
          this.events.changed(job.jobId);
        };
        const output = await executor.run(job, path, controller.signal, report);
        // A result written faster than the size checks look is judged once more here.
        if (maxBytes !== undefined && !reason && (await stat(path)).size > maxBytes) {
          stop('too-large');
        }
        if (!reason) {
          const size = await this.results.commit(job.jobId);
          outcome = { phase: 'COMPLETED', resultType: output.contentType, resultSize: size };
        }
      } catch (error) {
        if (!reason) outcome = { phase: 'ERROR', errorMessage: this.failureMessage(error, job) };
      } finally {
        clearTimeout(limit);
        if (beat) clearInterval(beat);
        if (sizeCheck) clearInterval(sizeCheck);
      }
      if (reason === 'too-large') {
        outcome = {
          phase: 'ERROR',
          errorMessage: `the result grew larger than this service's limit of ${this.options.maxResultBytes} bytes and the job was stopped; select fewer rows or columns (MAXREC) or split the query`,
        };
      }
      if (reason === 'timeout') {
        outcome = {
          phase: 'ERROR',
          errorMessage: `the job ran longer than its execution duration of ${job.executionDuration} s and was cancelled`,
        };
      } else if (reason === 'aborted') {
        outcome = { phase: 'ABORTED' };
      } else if (reason === 'shutdown') {
        outcome = { phase: 'QUEUED', startTime: null, runner: null, heartbeat: null, report: null };
      }
      await this.finish(job, outcome);
    })();
    this.tasks.add(task);
    void task.finally(() => {
      this.tasks.delete(task);
      this.running.delete(job.jobId);
      this.wake();
    });
  }

  /** Records how the job ended, unless it was changed meanwhile; keeps only completed results. */
  private async finish(job: Job, outcome: JobUpdate | undefined): Promise<void> {
    let completed = false;
    try {
      if (outcome) {
        const change = outcome.phase === 'QUEUED' ? outcome : { ...outcome, endTime: new Date() };
        const ended = await this.store.update(job.jobId, change, ['EXECUTING']);
        completed = ended?.phase === 'COMPLETED';
      }
    } catch (error) {
      this.logError(error, `cannot record the end of job ${job.jobId}`);
    }
    try {
      if (!completed) await this.results.remove(job.jobId);
    } catch (error) {
      this.logError(error, `cannot remove the files of job ${job.jobId}`);
    }
    this.events.changed(job.jobId);
  }

  private async checkAlive(jobId: string, stop: (reason: StopReason) => void): Promise<void> {
    try {
      const phase = await this.store.heartbeat(jobId, this.runner, new Date());
      if (phase !== 'EXECUTING') stop('gone');
    } catch (error) {
      this.logError(error, `cannot record that job ${jobId} is running`);
    }
  }

  private failureMessage(error: unknown, job: Job): string {
    if (error instanceof JobFailure) return error.message;
    this.logError(error, `job ${job.jobId} failed`);
    return 'internal error while running the job';
  }
}
