/**
 * The UWS 1.1 job model: execution phases, the limits a service puts on jobs, and
 * the values clients send (durations, ISO 8601 instants), checked with clear errors.
 */
import { DaliError } from '../dali/index.js';
import type { StoredJob } from '../engine/job-store.js';

export const PHASES = [
  'PENDING',
  'QUEUED',
  'EXECUTING',
  'COMPLETED',
  'ERROR',
  'ABORTED',
  'UNKNOWN',
  'HELD',
  'SUSPENDED',
  'ARCHIVED',
] as const;

export type ExecutionPhase = (typeof PHASES)[number];

/** Phases a job leaves by itself; WAIT blocks only in these (UWS 1.1 §2.2.3.2). */
export const ACTIVE_PHASES: readonly ExecutionPhase[] = ['PENDING', 'QUEUED', 'EXECUTING'];
/** Phases from which a job can still be aborted. */
export const ABORTABLE_PHASES: readonly ExecutionPhase[] = ['PENDING', 'QUEUED', 'EXECUTING'];

export function isPhase(value: string): value is ExecutionPhase {
  return (PHASES as readonly string[]).includes(value);
}

export type Job = StoredJob;

/** Who creates a job: shown as its owner, and the credentials it runs with. */
export interface JobOwner {
  readonly id: string;
  /** A reference the protocol's executor resolves when the job runs (opaque to UWS). */
  readonly credential: string;
}

/** Whether `ownerId` may see and manage `job`: jobs without an owner are public (UWS 1.1 §2.1.8). */
export function mayManage(job: Job, ownerId: string | undefined): boolean {
  return job.ownerId === null || job.ownerId === ownerId;
}

export interface JobLimits {
  /** Execution duration given to a job that does not ask for one, s. */
  readonly defaultExecutionDuration: number;
  /** The longest execution duration a job may have, s. */
  readonly maxExecutionDuration: number;
  /** How long a job is kept after creation when nobody says otherwise, s. */
  readonly defaultRetention: number;
  /** The latest destruction time a client may set, as seconds after now. */
  readonly maxRetention: number;
  /** The longest a blocking WAIT request may block, s. */
  readonly maxWait: number;
  /** The largest result a job may write, bytes (then it ends in ERROR); none when undefined. */
  readonly maxResultBytes?: number;
  /** Jobs not yet finished that one owner may have (anonymous callers share one count). */
  readonly maxActiveJobsPerOwner?: number;
  /** New jobs are refused while the results folder has less free space, bytes. */
  readonly minFreeBytes?: number;
}

const DAY = 86_400;

/** Limits of a service whose queries may run `timeoutSeconds` (TAP's execution duration limit). */
export function jobLimitsFor(timeoutSeconds: number): JobLimits {
  const duration = Math.max(1, Math.round(timeoutSeconds));
  return {
    defaultExecutionDuration: duration,
    maxExecutionDuration: duration,
    defaultRetention: 7 * DAY,
    maxRetention: 30 * DAY,
    maxWait: 60,
  };
}

/** EXECUTIONDURATION: whole seconds; 0 (unlimited) and anything longer get the maximum. */
export function parseExecutionDuration(value: string, limits: JobLimits): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed)) {
    throw new DaliError(
      400,
      `EXECUTIONDURATION must be a whole number of seconds (got '${value}')`,
    );
  }
  const seconds = Number(trimmed);
  return seconds === 0
    ? limits.maxExecutionDuration
    : Math.min(seconds, limits.maxExecutionDuration);
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO 8601 instant (UTC unless it names its offset), or undefined when it is not one. */
export function parseInstant(value: string): Date | undefined {
  const match = ISO_INSTANT.exec(value.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = fraction ? `.${fraction.slice(1, 4).padEnd(3, '0')}` : '';
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date rolls 2024-02-31 over to March; an instant that does not exist is refused.
  const check = new Date(`${y}-${mo}-${d}T00:00:00Z`);
  return check.getUTCDate() === Number(d) ? date : undefined;
}

/** DESTRUCTION: an ISO 8601 instant, no later than the service keeps jobs. */
export function parseDestruction(value: string, now: Date, limits: JobLimits): Date {
  const instant = parseInstant(value);
  if (!instant) {
    throw new DaliError(
      400,
      `DESTRUCTION must be an ISO 8601 instant such as 2030-01-31T12:00:00Z (got '${value}')`,
    );
  }
  const latest = now.getTime() + limits.maxRetention * 1000;
  return instant.getTime() > latest ? new Date(latest) : instant;
}

/** An instant as UWS documents write it: ISO 8601 in UTC with milliseconds. */
export function isoInstant(date: Date): string {
  return date.toISOString();
}
