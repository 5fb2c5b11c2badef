/**
 * A UWS 1.1 job service independent of HTTP frameworks: creating, listing, running,
 * aborting and deleting jobs, their settable sub-resources, blocking waits, and the
 * lifecycle of the worker pool and the reaper. The protocol's work (a TAP query) is
 * a JobExecutor.
 */
import { randomBytes } from 'node:crypto';
import type { JobParameter, JobQuery, JobStore, JobUpdate } from '../engine/job-store.js';
import { DaliError } from '../dali/index.js';
import { JobEvents } from './events.js';
import { executorFor, JobFailure, type JobExecutors } from './executor.js';
import {
  ABORTABLE_PHASES,
  ACTIVE_PHASES,
  type ExecutionPhase,
  type Job,
  type JobLimits,
  type JobOwner,
  parseDestruction,
  parseExecutionDuration,
} from './job.js';
import { type ErrorLog, WorkerPool } from './pool.js';
import { Reaper } from './reaper.js';
import { ResultFiles } from './results.js';

export interface JobTiming {
  /** Polling for jobs queued or changed by other processes (shared stores), ms. */
  readonly pollMs: number;
  /** Heartbeats of running jobs (shared stores), ms. */
  readonly heartbeatMs: number;
  /** Time between housekeeping sweeps (expired jobs, dead runners), ms. */
  readonly reapIntervalMs: number;
  /** Silence after which a runner of another process is taken for dead, ms. */
  readonly leaseMs: number;
}

/** A runner that dies is found out within leaseMs + reapIntervalMs (15 s): its jobs end in ERROR. */
export const DEFAULT_TIMING: JobTiming = {
  pollMs: 1000,
  heartbeatMs: 2000,
  reapIntervalMs: 5_000,
  leaseMs: 10_000,
};

export interface JobServiceOptions {
  readonly store: JobStore;
  /** What runs jobs, by capability: the protocols register theirs (TAP, SODA, ...). */
  readonly executors: JobExecutors;
  /** Folder of the result files (shared by the nodes of a shared store). */
  readonly resultsDir: string;
  readonly limits: JobLimits;
  /** Jobs this process runs at once. Default 2. */
  readonly workers?: number;
  readonly timing?: Partial<JobTiming>;
  readonly logError?: ErrorLog;
}

/** A request for a new job: UWS settings and the protocol's parameters, as sent. */
export type JobRequest = readonly (readonly [name: string, value: string])[];

/** Parameters of the creating request that UWS itself interprets (UWS 1.1 §2.2.3.1). */
const CONTROL_PARAMETERS = new Set(['PHASE', 'RUNID', 'EXECUTIONDURATION', 'DESTRUCTION']);

export class JobService {
  readonly limits: JobLimits;
  readonly results: ResultFiles;
  private readonly store: JobStore;
  private readonly executors: JobExecutors;
  private readonly events = new JobEvents();
  private readonly timing: JobTiming;
  private readonly pool: WorkerPool;
  private readonly reaper: Reaper;

  constructor(options: JobServiceOptions) {
    this.store = options.store;
    this.executors = options.executors;
    this.limits = options.limits;
    this.results = new ResultFiles(options.resultsDir);
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    const logError = options.logError ?? (() => undefined);
    const runner = `${process.pid}-${randomBytes(6).toString('hex')}`;
    this.pool = new WorkerPool(
      this.store,
      this.executors,
      this.results,
      this.events,
      runner,
      {
        workers: Math.max(1, options.workers ?? 2),
        pollMs: this.timing.pollMs,
        heartbeatMs: this.timing.heartbeatMs,
        ...(options.limits.maxResultBytes !== undefined
          ? { maxResultBytes: options.limits.maxResultBytes }
          : {}),
      },
      logError,
    );
    this.reaper = new Reaper(
      this.store,
      this.results,
      this.pool,
      this.events,
      { intervalMs: this.timing.reapIntervalMs, leaseMs: this.timing.leaseMs },
      logError,
    );
  }

  /**
   * Creates the job table, ends jobs left EXECUTING by a process that died (ERROR) and
   * deletes expired ones, then starts running queued jobs, including those queued
   * before a restart.
   */
  async start(): Promise<void> {
    await this.store.init();
    await this.results.init();
    await this.reaper.sweep();
    await this.results.removeOrphans(async (jobId) => (await this.store.get(jobId)) !== undefined);
    this.pool.start();
    this.reaper.start();
  }

  /** Stops the reaper and the workers (running jobs go back to QUEUED) and closes the store. */
  async stop(): Promise<void> {
    await this.reaper.stop();
    await this.pool.stop();
    await this.store.close();
  }

  /**
   * A new job; `owner` undefined makes a public job, seen and managed by anyone.
   * `serviceUrl` is the public URL the job was created through (its results' URLs).
   */
  async create(
    capability: string,
    request: JobRequest,
    owner?: JobOwner,
    serviceUrl?: string,
  ): Promise<Job> {
    if (!(capability in this.executors)) {
      throw new DaliError(404, `this service runs no '${capability}' jobs`);
    }
    await this.checkRoom(owner);
    const now = new Date();
    const control = new Map<string, string>();
    const parameters: JobParameter[] = [];
    for (const [name, value] of request) {
      const upper = name.toUpperCase();
      if (CONTROL_PARAMETERS.has(upper)) control.set(upper, value);
      else parameters.push({ name: name.toLowerCase(), value });
    }
    const phase = control.get('PHASE');
    if (phase !== undefined && phase.toUpperCase() !== 'RUN') {
      throw new DaliError(400, `PHASE=${phase} cannot be given when creating a job; use PHASE=RUN`);
    }
    const duration = control.get('EXECUTIONDURATION');
    const destruction = control.get('DESTRUCTION');
    const job: Job = {
      jobId: randomBytes(10).toString('hex'),
      capability,
      runId: control.get('RUNID') ?? null,
      ownerId: owner?.id ?? null,
      ownerCredential: owner?.credential ?? null,
      serviceUrl: serviceUrl ?? null,
      phase: 'PENDING',
      creationTime: now,
      startTime: null,
      endTime: null,
      executionDuration:
        duration === undefined
          ? this.limits.defaultExecutionDuration
          : parseExecutionDuration(duration, this.limits),
      destruction:
        destruction === undefined
          ? new Date(now.getTime() + this.limits.defaultRetention * 1000)
          : parseDestruction(destruction, now, this.limits),
      parameters,
      errorMessage: null,
      resultType: null,
      resultSize: null,
      runner: null,
      heartbeat: null,
    };
    await this.store.insert(job);
    return phase === undefined ? job : this.run(job.jobId);
  }

  /** Refuses a new job when its owner has too many unfinished ones or the results disk is nearly full. */
  private async checkRoom(owner: JobOwner | undefined): Promise<void> {
    const { maxActiveJobsPerOwner, minFreeBytes } = this.limits;
    if (maxActiveJobsPerOwner !== undefined) {
      const active = await this.store.list({
        phases: ['PENDING', 'QUEUED', 'EXECUTING'],
        ownedBy: owner?.id ?? null,
      });
      if (active.length >= maxActiveJobsPerOwner) {
        const who = owner ? `you have` : 'anonymous callers have';
        throw new DaliError(
          429,
          `${who} ${active.length} jobs not finished (the limit is ${maxActiveJobsPerOwner}); wait for them to end or delete some`,
        );
      }
    }
    if (minFreeBytes !== undefined) {
      const free = await this.results.freeBytes();
      if (free !== undefined && free < minFreeBytes) {
        throw new DaliError(
          503,
          'the service cannot take new jobs now: its result storage is nearly full; try again later',
        );
      }
    }
  }

  get(jobId: string): Promise<Job | undefined> {
    return this.store.get(jobId);
  }

  list(query: JobQuery): Promise<Job[]> {
    return this.store.list(query);
  }

  /** PHASE=RUN: a PENDING job is checked and QUEUED (or ends in ERROR at once). */
  async run(jobId: string): Promise<Job> {
    const job = await this.existing(jobId);
    if (job.phase === 'QUEUED' || job.phase === 'EXECUTING') return job;
    if (job.phase !== 'PENDING') {
      throw new DaliError(409, `job ${jobId} is ${job.phase}: only a PENDING job can be run`);
    }
    let problem: string | undefined;
    try {
      problem = executorFor(this.executors, job.capability).check(job.parameters);
    } catch (error) {
      if (!(error instanceof JobFailure)) throw error;
      problem = error.message;
    }
    const change: JobUpdate =
      problem === undefined
        ? { phase: 'QUEUED' }
        : { phase: 'ERROR', errorMessage: problem, endTime: new Date() };
    const changed = await this.changeIn(jobId, change, ['PENDING']);
    this.pool.wake();
    return changed;
  }

  /** PHASE=ABORT: stops the job wherever it runs; a finished job stays as it is. */
  async abort(jobId: string): Promise<Job> {
    this.pool.abort(jobId);
    const job = await this.existing(jobId);
    if (!ABORTABLE_PHASES.includes(job.phase as ExecutionPhase)) return job;
    const aborted = await this.store.update(
      jobId,
      { phase: 'ABORTED', endTime: new Date() },
      ABORTABLE_PHASES,
    );
    this.events.changed(jobId);
    return aborted ?? this.existing(jobId);
  }

  async delete(jobId: string): Promise<void> {
    this.pool.abort(jobId);
    const deleted = await this.store.delete(jobId);
    if (!deleted) throw notFound(jobId);
    await this.results.remove(jobId);
    this.events.changed(jobId);
  }

  /** EXECUTIONDURATION, while the job has not started. */
  async setExecutionDuration(jobId: string, value: string): Promise<Job> {
    const executionDuration = parseExecutionDuration(value, this.limits);
    return this.changeIn(jobId, { executionDuration }, ['PENDING', 'QUEUED']);
  }

  async setDestruction(jobId: string, value: string): Promise<Job> {
    const destruction = parseDestruction(value, new Date(), this.limits);
    const changed = await this.store.update(jobId, { destruction });
    if (!changed) throw notFound(jobId);
    return changed;
  }

  /** Adds or replaces parameters of a PENDING job (UWS 1.1 §2.1.11). */
  async setParameters(jobId: string, request: JobRequest): Promise<Job> {
    const job = await this.existing(jobId);
    const given = new Set(request.map(([name]) => name.toLowerCase()));
    const parameters = [
      ...job.parameters.filter((p) => !given.has(p.name)),
      ...request.map(([name, value]) => ({ name: name.toLowerCase(), value })),
    ];
    return this.changeIn(jobId, { parameters }, ['PENDING']);
  }

  /**
   * Blocks (UWS 1.1 §2.2.3.2) while the job is in `phase` (its current phase when not
   * given) and that phase is an active one, for at most `seconds` (-1: the most the
   * service allows). Returns the job then, or undefined once it was deleted.
   */
  async wait(
    jobId: string,
    seconds: number,
    phase: string | undefined,
    signal?: AbortSignal,
  ): Promise<Job | undefined> {
    const limit = seconds < 0 ? this.limits.maxWait : Math.min(seconds, this.limits.maxWait);
    const deadline = Date.now() + limit * 1000;
    let job = await this.store.get(jobId);
    const waitingIn = phase ?? job?.phase;
    // Without other processes every change is announced here; re-read now and then anyway.
    const recheckMs = this.store.shared ? this.timing.pollMs : 5 * this.timing.pollMs;
    while (
      job &&
      job.phase === waitingIn &&
      ACTIVE_PHASES.includes(job.phase as ExecutionPhase) &&
      Date.now() < deadline &&
      !signal?.aborted
    ) {
      await this.events.next(jobId, Math.min(recheckMs, deadline - Date.now()), signal);
      job = await this.store.get(jobId);
    }
    return job;
  }

  /** Sweeps expired jobs and dead runners now (also done periodically). */
  sweep(): Promise<void> {
    return this.reaper.sweep();
  }

  private async existing(jobId: string): Promise<Job> {
    const job = await this.store.get(jobId);
    if (!job) throw notFound(jobId);
    return job;
  }

  private async changeIn(
    jobId: string,
    change: JobUpdate,
    phases: readonly ExecutionPhase[],
  ): Promise<Job> {
    const changed = await this.store.update(jobId, change, phases);
    if (changed) {
      this.events.changed(jobId);
      return changed;
    }
    const job = await this.existing(jobId);
    throw new DaliError(
      409,
      `job ${jobId} is ${job.phase}: this can only be changed while it is ${phases.join(' or ')}`,
    );
  }
}

function notFound(jobId: string): DaliError {
  return new DaliError(404, `there is no job ${jobId} (it may have been deleted or destroyed)`);
}
