/**
 * Housekeeping of the job list, at startup and then periodically: jobs whose runner
 * died (the process was killed, the node went away) end in ERROR, and jobs past their
 * destruction time are deleted with their result files.
 */
import type { JobStore } from '../engine/job-store.js';
import type { JobEvents } from './events.js';
import type { ErrorLog, WorkerPool } from './pool.js';
import type { ResultFiles } from './results.js';

export const RESTART_MESSAGE = 'the service restarted while the job was running; run it again';

export interface ReaperOptions {
  /** Time between two sweeps, ms. */
  readonly intervalMs: number;
  /** A runner silent for this long is taken for dead (shared stores), ms. */
  readonly leaseMs: number;
}

export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly results: ResultFiles,
    private readonly pool: WorkerPool,
    private readonly events: JobEvents,
    private readonly options: ReaperOptions,
    private readonly logError: ErrorLog,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }

  /** One sweep; concurrent calls share it. */
  sweep(now = new Date()): Promise<void> {
    this.sweeping ??= this.sweepOnce(now).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(now: Date): Promise<void> {
    try {
      const staleBefore = new Date(now.getTime() - this.options.leaseMs);
      const orphans = await this.store.recover(this.pool.runner, staleBefore, {
        phase: 'ERROR',
        errorMessage: RESTART_MESSAGE,
        endTime: now,
      });
      for (const job of orphans) await this.forget(job.jobId);
      for (const jobId of await this.store.deleteExpired(now)) {
        this.pool.abort(jobId);
        await this.forget(jobId);
      }
    } catch (error) {
      this.logError(error, 'job housekeeping failed');
    }
  }

  private async forget(jobId: string): Promise<void> {
    await this.results.remove(jobId);
    this.events.changed(jobId);
  }
}
