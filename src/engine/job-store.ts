/**
 * Where asynchronous jobs (UWS) keep their state: a table in the catalog, so that jobs
 * outlive the process and several server nodes sharing a PostgreSQL catalog see the
 * same jobs. Two implementations: one for a catalog used by a single process (DuckDB,
 * which one process owns), one for PostgreSQL that lets nodes claim queued jobs with
 * `FOR UPDATE SKIP LOCKED`. Phases are plain strings here; the uws module gives them
 * their meaning.
 */
import type { ColumnDef, TableDef } from '../schema/types.js';
import type { CatalogRow, SqlValue } from './types.js';

export interface JobParameter {
  readonly name: string;
  readonly value: string;
}

/** What a running job tells of itself (UWS 1.1 quote and jobInfo), kept with the job. */
export interface JobReport {
  /** When the job is expected to end (UWS quote), ISO 8601. */
  readonly quote?: string;
  /** Fraction of the work done, 0 to 1. */
  readonly progress?: number;
  /** What it is doing, in words (e.g. "3 of 10 runs reduced"). */
  readonly status?: string;
}

export interface StoredJob {
  readonly jobId: string;
  /** The capability whose executor runs the job (e.g. 'tap'). */
  readonly capability: string;
  readonly runId: string | null;
  readonly ownerId: string | null;
  /**
   * What the job runs with: a reference to its owner's credentials, checked again when
   * it runs (opaque here; the server's access control writes and reads it).
   */
  readonly ownerCredential: string | null;
  /** Public URL of the service that accepted the job: URLs in its results are made under it. */
  readonly serviceUrl: string | null;
  readonly phase: string;
  readonly creationTime: Date;
  readonly startTime: Date | null;
  readonly endTime: Date | null;
  /** Seconds the job may run. */
  readonly executionDuration: number;
  readonly destruction: Date;
  readonly parameters: readonly JobParameter[];
  readonly errorMessage: string | null;
  /** Media type and size in bytes of the result, once there is one. */
  readonly resultType: string | null;
  readonly resultSize: number | null;
  /** The worker process running the job while it is EXECUTING. */
  readonly runner: string | null;
  /** When the runner last said it was still running the job. */
  readonly heartbeat: Date | null;
  /** The job's own account of its progress, when its executor gives one. */
  readonly report?: JobReport | null;
}

export type JobUpdate = Partial<Omit<StoredJob, 'jobId' | 'creationTime'>>;

export interface JobQuery {
  /** Only jobs in one of these phases. */
  readonly phases?: readonly string[];
  /** Only jobs created strictly after this instant. */
  readonly after?: Date;
  /** Only the `last` most recently created jobs. */
  readonly last?: number;
  /** Only the jobs of this owner; null: only jobs without an owner. */
  readonly ownedBy?: string | null;
  /** Only jobs of this capability. */
  readonly capability?: string;
}

export interface JobStore {
  /**
   * Whether other processes run jobs from this store too: they must then be polled
   * for jobs they queue and changes they make, and runners send heartbeats.
   */
  readonly shared: boolean;
  /** Creates the job table when it is missing. */
  init(): Promise<void>;
  insert(job: StoredJob): Promise<void>;
  get(jobId: string): Promise<StoredJob | undefined>;
  /** Jobs matching the query, most recently created first. */
  list(query?: JobQuery): Promise<StoredJob[]>;
  /**
   * Changes a job in one step, only if its phase is one of `phases` (any phase when
   * not given). Returns the job as stored afterwards, or undefined when it does not
   * exist or was in another phase: the caller lost the race.
   */
  update(
    jobId: string,
    change: JobUpdate,
    phases?: readonly string[],
  ): Promise<StoredJob | undefined>;
  /**
   * Takes the oldest QUEUED job for `runner` and marks it EXECUTING; no two runners
   * (in this process or any other) ever get the same job.
   */
  claim(runner: string, now: Date): Promise<StoredJob | undefined>;
  /** Tells that `runner` still runs the job; returns the job's phase, undefined once deleted. */
  heartbeat(jobId: string, runner: string, now: Date): Promise<string | undefined>;
  /**
   * Applies `change` to EXECUTING jobs whose runner is gone: a runner other than `self`
   * whose last heartbeat is before `staleBefore`. A store whose catalog only one process
   * can open treats every other runner as gone. Returns the jobs changed.
   */
  recover(self: string, staleBefore: Date, change: JobUpdate): Promise<StoredJob[]>;
  /** Deletes a job; false when there was none. */
  delete(jobId: string): Promise<boolean>;
  /** Deletes the jobs whose destruction time has passed; returns their ids. */
  deleteExpired(now: Date): Promise<string[]>;
  /** Frees what the store opened itself (not the catalog engine). */
  close(): Promise<void>;
}

export const EXECUTING = 'EXECUTING';
export const QUEUED = 'QUEUED';

const text = (name: string, description: string, nullable = true): ColumnDef => ({
  name,
  datatype: 'char',
  arraysize: '*',
  description,
  nullable,
});
const time = (name: string, description: string, nullable = true): ColumnDef => ({
  name,
  datatype: 'char',
  arraysize: '*',
  xtype: 'timestamp',
  description,
  nullable,
});

/** The job table; internal to the service, never published through TAP. */
export const jobTable: TableDef = {
  schema: 'hearc_internal',
  name: 'uws_job',
  description: 'Asynchronous (UWS) jobs of the TAP service',
  primaryKey: ['job_id'],
  columns: [
    text('job_id', 'job identifier', false),
    text('capability', 'capability whose executor runs the job (tap, ...)'),
    text('run_id', 'client-supplied RUNID'),
    text('owner_id', 'authenticated creator'),
    text('owner_credential', 'reference to the credentials the job runs with (JSON)'),
    text('service_url', 'public URL of the service that accepted the job'),
    { ...text('phase', 'UWS execution phase', false), indexed: true },
    time('creation_time', 'when the job was created', false),
    time('start_time', 'when execution started'),
    time('end_time', 'when execution ended'),
    { name: 'execution_duration', datatype: 'int', description: 'time limit, s', nullable: false },
    { ...time('destruction', 'when the job and its results are deleted', false), indexed: true },
    text('parameters', 'job parameters as a JSON array of {name, value}', false),
    text('error_message', 'why the job ended in ERROR'),
    text('result_type', 'media type of the result'),
    { name: 'result_size', datatype: 'long', description: 'size of the result, bytes' },
    text('runner', 'worker process running the job'),
    time('heartbeat', 'last sign of life of the runner'),
    text('report', 'progress reported by the running job (JSON: quote, progress, status)'),
  ],
};

/** Column names of the job fields, in table order. */
export const JOB_COLUMNS: Readonly<Record<keyof StoredJob, string>> = {
  jobId: 'job_id',
  capability: 'capability',
  runId: 'run_id',
  ownerId: 'owner_id',
  ownerCredential: 'owner_credential',
  serviceUrl: 'service_url',
  phase: 'phase',
  creationTime: 'creation_time',
  startTime: 'start_time',
  endTime: 'end_time',
  executionDuration: 'execution_duration',
  destruction: 'destruction',
  parameters: 'parameters',
  errorMessage: 'error_message',
  resultType: 'result_type',
  resultSize: 'result_size',
  runner: 'runner',
  heartbeat: 'heartbeat',
  report: 'report',
};

/** A job field as the value stored in its column. */
export function columnValue<K extends keyof StoredJob>(field: K, value: StoredJob[K]): SqlValue {
  if (field === 'parameters') return JSON.stringify(value);
  if (field === 'report')
    return value === null || value === undefined ? null : JSON.stringify(value);
  return value as SqlValue;
}

export function jobRow(job: StoredJob): CatalogRow {
  const row: Record<string, SqlValue> = {};
  for (const field of Object.keys(JOB_COLUMNS) as (keyof StoredJob)[]) {
    row[JOB_COLUMNS[field]] = columnValue(field, job[field]);
  }
  return row;
}

const optionalText = (v: unknown): string | null =>
  v === null || v === undefined ? null : String(v);
const optionalDate = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));
const optionalNumber = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);

function parametersOf(json: unknown): JobParameter[] {
  const parsed: unknown = JSON.parse(String(json ?? '[]'));
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((p: unknown) => {
    if (typeof p !== 'object' || p === null) return [];
    const { name, value } = p as { name?: unknown; value?: unknown };
    return typeof name === 'string' && typeof value === 'string' ? [{ name, value }] : [];
  });
}

function reportOf(json: unknown): JobReport | null {
  if (json === null || json === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(String(json));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { quote, progress, status } = parsed as Record<string, unknown>;
    return {
      ...(typeof quote === 'string' ? { quote } : {}),
      ...(typeof progress === 'number' ? { progress } : {}),
      ...(typeof status === 'string' ? { status } : {}),
    };
  } catch {
    return null;
  }
}

/** A job from a row of the job table (keys are column names), whatever the engine's value types. */
export function jobFromRow(row: Readonly<Record<string, unknown>>): StoredJob {
  const report = reportOf(row.report);
  return {
    jobId: String(row.job_id),
    // Jobs from before capabilities were recorded are TAP jobs.
    capability: optionalText(row.capability) ?? 'tap',
    runId: optionalText(row.run_id),
    ownerId: optionalText(row.owner_id),
    ownerCredential: optionalText(row.owner_credential),
    serviceUrl: optionalText(row.service_url),
    phase: String(row.phase),
    creationTime: optionalDate(row.creation_time) ?? new Date(0),
    startTime: optionalDate(row.start_time),
    endTime: optionalDate(row.end_time),
    executionDuration: Number(row.execution_duration),
    destruction: optionalDate(row.destruction) ?? new Date(0),
    parameters: parametersOf(row.parameters),
    errorMessage: optionalText(row.error_message),
    resultType: optionalText(row.result_type),
    resultSize: optionalNumber(row.result_size),
    runner: optionalText(row.runner),
    heartbeat: optionalDate(row.heartbeat),
    ...(report ? { report } : {}),
  };
}

/** Jobs matching a query, most recently created first (for stores that filter in memory). */
export function selectJobs(jobs: readonly StoredJob[], query: JobQuery = {}): StoredJob[] {
  const phases = query.phases && query.phases.length > 0 ? new Set(query.phases) : undefined;
  const after = query.after?.getTime();
  const { ownedBy, capability } = query;
  const selected = jobs
    .filter((j) => !phases || phases.has(j.phase))
    .filter((j) => ownedBy === undefined || j.ownerId === ownedBy)
    .filter((j) => capability === undefined || j.capability === capability)
    .filter((j) => after === undefined || j.creationTime.getTime() > after)
    .sort(newestFirst);
  return query.last === undefined ? selected : selected.slice(0, query.last);
}

export function newestFirst(a: StoredJob, b: StoredJob): number {
  return b.creationTime.getTime() - a.creationTime.getTime() || (a.jobId < b.jobId ? 1 : -1);
}
