/**
 * Jobs in a catalog that one process owns: DuckDB lets a single process open a
 * catalog file for writing, so this process is the only runner there is. Every change
 * is a read-check-write in one catalog transaction, and this store runs its changes
 * one at a time, so a check can never be overtaken by another change.
 */
import {
  EXECUTING,
  jobFromRow,
  jobRow,
  jobTable,
  QUEUED,
  selectJobs,
  type JobQuery,
  type JobStore,
  type JobUpdate,
  type StoredJob,
} from './job-store.js';
import type { CatalogTransaction, Engine } from './types.js';

export class DuckDbJobStore implements JobStore {
  readonly shared = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly engine: Engine) {}

  init(): Promise<void> {
    return this.engine.ensureTables([jobTable]);
  }

  insert(job: StoredJob): Promise<void> {
    return this.change((tx) => tx.insertRows(jobTable, [jobRow(job)]));
  }

  async get(jobId: string): Promise<StoredJob | undefined> {
    const rows = await this.engine.selectRows(jobTable, { column: 'job_id', values: [jobId] });
    return rows[0] ? jobFromRow(rows[0]) : undefined;
  }

  async list(query: JobQuery = {}): Promise<StoredJob[]> {
    const where =
      query.phases && query.phases.length > 0
        ? { column: 'phase', values: query.phases }
        : undefined;
    const rows = await this.engine.selectRows(jobTable, where);
    return selectJobs(rows.map(jobFromRow), query);
  }

  update(
    jobId: string,
    change: JobUpdate,
    phases?: readonly string[],
  ): Promise<StoredJob | undefined> {
    return this.change(async (tx) => {
      const rows = await tx.selectRows(jobTable, { column: 'job_id', values: [jobId] });
      const job = rows[0] ? jobFromRow(rows[0]) : undefined;
      if (!job || (phases && !phases.includes(job.phase))) return undefined;
      return replace(tx, job, change);
    });
  }

  claim(runner: string, now: Date): Promise<StoredJob | undefined> {
    return this.change(async (tx) => {
      const queued = await tx.selectRows(jobTable, { column: 'phase', values: [QUEUED] });
      const oldest = selectJobs(queued.map(jobFromRow)).at(-1);
      if (!oldest) return undefined;
      return replace(tx, oldest, { phase: EXECUTING, startTime: now, runner, heartbeat: now });
    });
  }

  async heartbeat(jobId: string): Promise<string | undefined> {
    // Nobody else can run jobs in this catalog: there is nothing to tell.
    return (await this.get(jobId))?.phase;
  }

  recover(self: string, _staleBefore: Date, change: JobUpdate): Promise<StoredJob[]> {
    return this.change(async (tx) => {
      const running = await tx.selectRows(jobTable, { column: 'phase', values: [EXECUTING] });
      const orphans = running.map(jobFromRow).filter((job) => job.runner !== self);
      const changed: StoredJob[] = [];
      for (const job of orphans) changed.push(await replace(tx, job, change));
      return changed;
    });
  }

  delete(jobId: string): Promise<boolean> {
    return this.change(async (tx) => (await tx.deleteRows(jobTable, 'job_id', [jobId])) > 0);
  }

  deleteExpired(now: Date): Promise<string[]> {
    return this.change(async (tx) => {
      const jobs = (await tx.selectRows(jobTable)).map(jobFromRow);
      const expired = jobs.filter((j) => j.destruction.getTime() <= now.getTime());
      const ids = expired.map((j) => j.jobId);
      await tx.deleteRows(jobTable, 'job_id', ids);
      return ids;
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** One change at a time, each in its own catalog transaction. */
  private change<T>(work: (tx: CatalogTransaction) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.engine.transaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function replace(
  tx: CatalogTransaction,
  job: StoredJob,
  change: JobUpdate,
): Promise<StoredJob> {
  const changed: StoredJob = { ...job, ...change };
  await tx.deleteRows(jobTable, 'job_id', [job.jobId]);
  await tx.insertRows(jobTable, [jobRow(changed)]);
  return changed;
}
