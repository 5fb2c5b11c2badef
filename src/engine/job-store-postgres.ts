/**
 * Jobs in a PostgreSQL catalog shared by several stateless `hearc serve` nodes. Each
 * change is one conditional statement, nodes claim queued jobs with
 * `FOR UPDATE SKIP LOCKED` (a job is taken by exactly one node, and nodes never wait
 * on each other's claims), and runners prove they are alive with heartbeats so that
 * the jobs of a node that died can be told from those of a node still running them.
 */
import postgres from 'postgres';
import { quoteIdentifier, tableIdentifier } from './catalog-sql.js';
import {
  columnValue,
  EXECUTING,
  JOB_COLUMNS,
  jobFromRow,
  jobRow,
  jobTable,
  QUEUED,
  type JobQuery,
  type JobStore,
  type JobUpdate,
  type StoredJob,
} from './job-store.js';
import type { Engine, SqlValue } from './types.js';

/** Catalog timestamps are UTC wall-clock times without zone (`timestamp`). */
const JOB_TYPES = {
  jobTimestamp: {
    to: 1114,
    from: [1114],
    serialize: (v: Date | string) => (v instanceof Date ? v.toISOString() : v),
    parse: (s: string) => new Date(`${s.replace(' ', 'T')}Z`),
  },
  jobBigint: { to: 20, from: [20], serialize: String, parse: Number },
};

const TABLE = tableIdentifier(jobTable);
const TIME_COLUMNS = new Set([
  'creation_time',
  'start_time',
  'end_time',
  'destruction',
  'heartbeat',
]);

type Parameter = string | number | boolean | null;

/** A stored value as a statement parameter, with the cast its column needs. */
function bind(values: Parameter[], column: string, value: SqlValue): string {
  values.push(
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'bigint'
        ? Number(value)
        : (value as Parameter),
  );
  return `$${values.length}${TIME_COLUMNS.has(column) ? '::timestamp' : ''}`;
}

function placeholders(values: Parameter[], list: readonly string[]): string {
  return list.map((v) => bind(values, 'phase', v)).join(', ');
}

export class PostgresJobStore implements JobStore {
  readonly shared = true;

  private constructor(
    private readonly sql: postgres.Sql,
    private readonly engine: Engine,
  ) {}

  /** A small connection pool of its own on the catalog at `url`; `engine` creates the table. */
  static open(url: string, engine: Engine, connections = 3): PostgresJobStore {
    const sql = postgres(url, {
      max: connections,
      types: JOB_TYPES,
      connection: { application_name: 'hearc-jobs', TimeZone: 'UTC' },
      onnotice: () => undefined,
    });
    return new PostgresJobStore(sql, engine);
  }

  init(): Promise<void> {
    return this.engine.ensureTables([jobTable]);
  }

  async insert(job: StoredJob): Promise<void> {
    const values: Parameter[] = [];
    const row = jobRow(job);
    const columns = Object.keys(row);
    const params = columns.map((c) => bind(values, c, row[c] ?? null));
    await this.sql.unsafe(
      `INSERT INTO ${TABLE} (${columns.map(quoteIdentifier).join(', ')}) VALUES (${params.join(', ')})`,
      values,
    );
  }

  async get(jobId: string): Promise<StoredJob | undefined> {
    return (await this.rows(`SELECT * FROM ${TABLE} WHERE job_id = $1`, [jobId]))[0];
  }

  list(query: JobQuery = {}): Promise<StoredJob[]> {
    const values: Parameter[] = [];
    const where: string[] = [];
    if (query.phases && query.phases.length > 0) {
      where.push(`phase IN (${placeholders(values, query.phases)})`);
    }
    if (query.after) where.push(`creation_time > ${bind(values, 'creation_time', query.after)}`);
    if (query.ownedBy !== undefined) {
      where.push(
        query.ownedBy === null
          ? 'owner_id IS NULL'
          : `owner_id = ${bind(values, 'owner_id', query.ownedBy)}`,
      );
    }
    if (query.capability !== undefined) {
      // Jobs from before capabilities were recorded are TAP jobs.
      where.push(`COALESCE(capability, 'tap') = ${bind(values, 'capability', query.capability)}`);
    }
    const limit = query.last === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.last))}`;
    return this.rows(
      `SELECT * FROM ${TABLE}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}` +
        ` ORDER BY creation_time DESC, job_id DESC${limit}`,
      values,
    );
  }

  async update(
    jobId: string,
    change: JobUpdate,
    phases?: readonly string[],
  ): Promise<StoredJob | undefined> {
    const values: Parameter[] = [jobId];
    const assignments = this.assignments(values, change);
    if (assignments === '') {
      const job = await this.get(jobId);
      return job && (!phases || phases.includes(job.phase)) ? job : undefined;
    }
    const inPhase = phases ? ` AND phase IN (${placeholders(values, phases)})` : '';
    const [job] = await this.rows(
      `UPDATE ${TABLE} SET ${assignments} WHERE job_id = $1${inPhase} RETURNING *`,
      values,
    );
    return job;
  }

  async claim(runner: string, now: Date): Promise<StoredJob | undefined> {
    const values: Parameter[] = [];
    const assignments = this.assignments(values, {
      phase: EXECUTING,
      startTime: now,
      runner,
      heartbeat: now,
    });
    const queued = bind(values, 'phase', QUEUED);
    const [job] = await this.rows(
      `UPDATE ${TABLE} SET ${assignments} WHERE job_id = (SELECT job_id FROM ${TABLE}` +
        ` WHERE phase = ${queued} ORDER BY creation_time, job_id LIMIT 1 FOR UPDATE SKIP LOCKED)` +
        ' RETURNING *',
      values,
    );
    return job;
  }

  async heartbeat(jobId: string, runner: string, now: Date): Promise<string | undefined> {
    const values: Parameter[] = [jobId, runner];
    const time = bind(values, 'heartbeat', now);
    const touched = await this.sql.unsafe<{ phase: string }[]>(
      `UPDATE ${TABLE} SET heartbeat = ${time} WHERE job_id = $1 AND runner = $2 AND phase = '${EXECUTING}' RETURNING phase`,
      values,
    );
    if (touched[0]) return touched[0].phase;
    return (await this.get(jobId))?.phase;
  }

  recover(self: string, staleBefore: Date, change: JobUpdate): Promise<StoredJob[]> {
    const values: Parameter[] = [self];
    const assignments = this.assignments(values, change);
    const stale = bind(values, 'heartbeat', staleBefore);
    return this.rows(
      `UPDATE ${TABLE} SET ${assignments} WHERE phase = '${EXECUTING}'` +
        ` AND runner IS DISTINCT FROM $1 AND (heartbeat IS NULL OR heartbeat < ${stale}) RETURNING *`,
      values,
    );
  }

  async delete(jobId: string): Promise<boolean> {
    const result = await this.sql.unsafe(`DELETE FROM ${TABLE} WHERE job_id = $1`, [jobId]);
    return result.count > 0;
  }

  async deleteExpired(now: Date): Promise<string[]> {
    const values: Parameter[] = [];
    const rows = await this.sql.unsafe<{ job_id: string }[]>(
      `DELETE FROM ${TABLE} WHERE destruction <= ${bind(values, 'destruction', now)} RETURNING job_id`,
      values,
    );
    return rows.map((r) => r.job_id);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  private assignments(values: Parameter[], change: JobUpdate): string {
    return (Object.keys(change) as (keyof JobUpdate)[])
      .filter((field) => change[field] !== undefined)
      .map((field) => {
        const column = JOB_COLUMNS[field];
        const value = columnValue(field, change[field] as StoredJob[typeof field]);
        return `${quoteIdentifier(column)} = ${bind(values, column, value)}`;
      })
      .join(', ');
  }

  private async rows(text: string, values: Parameter[]): Promise<StoredJob[]> {
    const rows = await this.sql.unsafe<Record<string, unknown>[]>(text, values);
    return rows.map(jobFromRow);
  }
}
