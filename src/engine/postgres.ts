/**
 * The scale-out catalog: PostgreSQL with pg_sphere, shared by several stateless
 * `hearc serve` nodes. Pooled connections (the `postgres` client), server-side
 * cursors so that memory stays flat, and cancellation in the server with
 * pg_cancel_backend.
 *
 * Storage (the PostgreSQL dialect of the ADQL compiler relies on it): point, circle
 * and polygon as pg_sphere spoint, scircle, spoly with GiST indexes; other arrays as
 * element[]; timestamps as `timestamp` in UTC. Query results carry pg_sphere values
 * as DALI arrays in degrees, like DuckDB's DOUBLE[] columns.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import postgres from 'postgres';
import { type CommitMark, qualifiedName, type TableDef } from '../schema/types.js';
import {
  fillAllStcsTexts,
  selectCatalogRows,
  SessionTransaction,
  type BoundValue,
  type CatalogSession,
  type RowFilter,
} from './catalog-session.js';
import {
  batchValue,
  columnStorage,
  type BatchColumn,
  dropTableSql,
  ensureTablesWith,
  partitionRanges,
  quoteIdentifier,
  selectSql,
  tableIdentifier,
  type ColumnStorage,
  type NumericDatatype,
  type Placeholder,
} from './catalog-sql.js';
import { guardedCursor, QueryGuard, type PositionalRow, type RowSource } from './cursor.js';
import {
  CopyColumnSource,
  copyPlan,
  copySql,
  copyStream,
  type CopyPlan,
  yearSetApart,
} from './postgres-binary.js';
import { postgresPreludeSql } from './dialect/postgres-prelude.js';
import {
  commitLogSetupSql,
  FOLD_AT,
  foldSql,
  shardFoldSql,
  logCommitsSql,
  logsCommits,
  logWriteSql,
  markSql,
  type ShardPartition,
  type ShardPartitionRow,
  shardPartitionsSql,
} from './commit-log.js';
import { beginCommit, commitsTo, commitsUnderWay } from './commits.js';
import {
  EngineError,
  errorMessage,
  type CatalogRow,
  type CatalogTransaction,
  type Cursor,
  type Engine,
  EngineBusyError,
  type EngineUsage,
  type QueryOptions,
  type SqlValue,
} from './types.js';

export interface PostgresOptions {
  /** Connections in the pool. Default 10. */
  readonly connections?: number;
}

type Sql = postgres.Sql;
type Session = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

const ELEMENT_TYPES: Record<NumericDatatype, string> = {
  unsignedByte: 'smallint',
  short: 'smallint',
  int: 'integer',
  long: 'bigint',
  float: 'real',
  double: 'double precision',
};

const SPHERE_TYPES = { point: 'spoint', circle: 'scircle', polygon: 'spoly' } as const;

export function postgresType(storage: ColumnStorage): string {
  switch (storage.kind) {
    case 'text':
      return 'text';
    case 'timestamp':
      return 'timestamp';
    case 'geometry':
      return SPHERE_TYPES[storage.shape];
    case 'array':
      return `${ELEMENT_TYPES[storage.element]}[]`;
    case 'scalar':
      return storage.datatype === 'boolean' ? 'boolean' : ELEMENT_TYPES[storage.datatype];
  }
}

/** Every parameter travels as text and is cast to its column's type in the SQL. */
const castPlaceholder: Placeholder = (n, storage) => `$${n}::${postgresType(storage)}`;

/**
 * A catalog value as the text PostgreSQL (and pg_sphere) reads for the column's type.
 * Booleans stay booleans: the client serialises parameters by their server-side type.
 */
function postgresText(storage: ColumnStorage, value: SqlValue): string | boolean | null {
  if (value === null || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const numbers = value as readonly number[];
    if (storage.kind !== 'geometry') return `{${numbers.join(',')}}`;
    const points: string[] = [];
    for (let i = 0; i + 1 < numbers.length; i += 2)
      points.push(`(${numbers[i]}d,${numbers[i + 1]}d)`);
    if (storage.shape === 'point') return points[0]!;
    if (storage.shape === 'circle') return `<${points[0]},${numbers[2]}d>`;
    return `{${points.join(',')}}`;
  }
  return String(value);
}

/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const TENS = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Whether c (a char code) may be part of a number: digits, '.', '+', '-', 'e'. */
const inNumber = (c: number): boolean =>
  (c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101;

/**
 * spoint/scircle/spoly/sbox text as a DALI array: pg_sphere prints degrees with a 'd'
 * suffix, e.g. <(10d , 20d) , 0.5d>; an sbox gives [ra1, dec1, ra2, dec2]. A number of at
 * most 15 digits without exponent (what pg_sphere prints in degrees) is its digits as an
 * integer divided by a power of ten: both exact, so the quotient is the double nearest
 * the decimal, which is what Number() gives; anything else goes through Number().
 */
export function daliFromSphere(text: string): number[] {
  const numbers: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!inNumber(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    const sign = text.charCodeAt(i);
    if (sign === 45 || sign === 43) i++;
    let mantissa = 0;
    let digits = 0;
    let scale = -1;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        if (scale >= 0) scale++;
      } else if (c === 46 && scale < 0) {
        scale = 0;
      } else {
        break;
      }
    }
    if (i < n && inNumber(text.charCodeAt(i))) {
      // An exponent or a second sign: the rest of the run, then Number() as before.
      while (i < n && inNumber(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 100) numbers.push(Number(text.slice(start, i)));
      continue;
    }
    // A number counts only when a 'd' (degrees) ends it.
    if (text.charCodeAt(i) !== 100) continue;
    if (digits === 0 || digits > 15) {
      numbers.push(Number(text.slice(start, i)));
    } else {
      const value = mantissa / TENS[scale < 0 ? 0 : scale]!;
      numbers.push(sign === 45 ? -value : value);
    }
  }
  return numbers;
}

/** Numeric array text such as {1,2.5,NULL}; catalog arrays are one-dimensional. */
function numberArray(round: (x: number) => number) {
  return (text: string): number[] => {
    const inner = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}')).trim();
    if (inner === '') return [];
    return inner.split(',').map((item) => (item === 'NULL' ? Number.NaN : round(Number(item))));
  };
}

const identity = (x: number): number => x;

/** UTC date-time text of `timestamp` / `date` columns, e.g. 2020-01-02 03:04:05.123456. */
function utcDate(text: string): Date {
  // Four-digit years of the common era: V8 reads "2020-01-02 03:04:05.123456Z" fast and right.
  if (text.charCodeAt(4) === 45 && text.charCodeAt(0) !== 48 && !text.endsWith(' BC')) {
    return new Date(`${text}Z`);
  }
  if (text === 'infinity' || text === '-infinity') return new Date(Number.NaN);
  // Years before 1000, beyond 9999 or before the common era: set the year apart.
  const bc = text.endsWith(' BC');
  const [day = '', time = '00:00:00'] = (bc ? text.slice(0, -3) : text).split(' ');
  const [year = '0', month = '1', date = '1'] = day.split('-');
  const [hours = '0', minutes = '0', seconds = '0'] = time.split(':');
  return yearSetApart(
    bc ? 1 - Number(year) : Number(year),
    Number(month),
    Number(date),
    Number(hours),
    Number(minutes),
    Number(seconds),
  );
}

/**
 * How result values are read: bigint for int8 (BIGINT, like DuckDB), numbers for the
 * other numeric types (REAL rounded to single precision, as DuckDB returns it),
 * numeric arrays as number[], timestamps as UTC Dates, JSON left as text.
 */
const CATALOG_TYPES = {
  catalogBigint: { to: 20, from: [20], serialize: String, parse: (x: string) => BigInt(x) },
  catalogReal: {
    to: 700,
    from: [700],
    serialize: String,
    parse: (x: string) => Math.fround(Number(x)),
  },
  catalogNumeric: { to: 1700, from: [1700], serialize: String, parse: Number },
  catalogTimestamp: { to: 1114, from: [1082, 1114], serialize: String, parse: utcDate },
  catalogJson: { to: 114, from: [114, 3802], serialize: String, parse: String },
  catalogNumberArray: {
    to: 1022,
    from: [1005, 1007, 1016, 1022, 1231],
    serialize: String,
    parse: numberArray(identity),
  },
  catalogRealArray: { to: 1021, from: [1021], serialize: String, parse: numberArray(Math.fround) },
};

const DEGREES_OUTPUT = "SELECT set_sphere_output('DEG')";

/** The columns of a query's result, and how they are fetched: binary COPY, or text when `plan` is undefined. */
interface ResultShape {
  readonly names: readonly string[];
  readonly plan: CopyPlan | undefined;
}

/** The key of a set of tables' mark. */
const markKey = (tables: readonly TableDef[]): string =>
  tables.map(qualifiedName).sort().join('\n');

/** How old the placement of partitions on shards may be before it is read again (foreignPartitions). */
const PLACEMENT_READ_MS = 5000;

/** Result shapes kept, by SQL text (the oldest is dropped first). */
const KEPT_SHAPES = 256;

export class PostgresEngine implements Engine {
  readonly dialect = 'postgres' as const;
  private busy = 0;
  private waiting = 0;
  private readonly shapes = new Map<string, ResultShape>();
  /** Marks of the commit log last read, by tables (markKey). */
  private readonly marks = new Map<string, { mark: number | undefined; local: number }>();
  /** The SQL reading those marks, by tables, as their partitions were placed when last read. */
  private readonly markSqls = new Map<string, string>();
  private shapesAtCommit = 0;
  /** The foreign partitions (on shards) of each partitioned table read so far, by qualified name. */
  private readonly foreign = new Map<
    string,
    { readonly table: TableDef; readonly names: ReadonlySet<string> }
  >();
  private placementReadAt = 0;
  private placementReading: Promise<void> | undefined;

  private constructor(
    readonly location: string,
    private readonly sql: Sql,
    private readonly control: Sql,
    private readonly connections: number,
    /** pg_sphere's types: no binary send function, fetched as text. */
    private readonly sphereTypes: ReadonlySet<number>,
  ) {}

  /** Connects to `postgres://…`, installs pg_sphere if needed and runs the dialect prelude. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresEngine> {
    const sql = postgres(url, {
      max: Math.max(1, options.connections ?? 10),
      types: CATALOG_TYPES,
      // No synchronised sequential scans: a TOP n without ORDER BY would start wherever
      // another scan of the table is, and give a different set on every request.
      connection: { application_name: 'hearc', TimeZone: 'UTC', synchronize_seqscans: 'off' },
      onnotice: () => undefined,
    });
    const where = describeLocation(url);
    let sphereTypes: Set<number>;
    try {
      await sql.begin(async (tx) => {
        // Nodes starting together would otherwise race on CREATE EXTENSION and the prelude.
        await tx.unsafe("SELECT pg_advisory_xact_lock(hashtext('hearc.open'))");
        await ensurePgSphere(tx, where);
        for (const statement of postgresPreludeSql) await tx.unsafe(statement);
        for (const statement of commitLogSetupSql) await tx.unsafe(statement);
      });
      sphereTypes = await registerSphereParsers(sql);
    } catch (error) {
      await sql.end({ timeout: 1 });
      if (error instanceof EngineError) throw error;
      throw new EngineError(`cannot open the PostgreSQL catalog ${where}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const control = postgres(url, { max: 1, onnotice: () => undefined });
    const connections = Math.max(1, options.connections ?? 10);
    return new PostgresEngine(where, sql, control, connections, sphereTypes);
  }

  async ensureTables(tables: readonly TableDef[]): Promise<void> {
    await this.sql.begin(async (tx) => {
      // Several hearc nodes may start at once against one database.
      await tx.unsafe("SELECT pg_advisory_xact_lock(hashtext('hearc.ensureTables'))");
      await ensureTablesWith(
        {
          run: async (statement) => void (await tx.unsafe(statement)),
          rows: async (statement) => (await tx.unsafe(statement).values()) as SqlValue[][],
        },
        tables,
        postgresType,
        (table) => [...indexSql(table), ...logCommitsSql(table)],
        true,
      );
    });
    await this.readPlacement(tables);
    await fillAllStcsTexts(tables, (fill) =>
      this.sql.begin(async (tx) => {
        await tx.unsafe(DEGREES_OUTPUT);
        return fill(postgresSession(tx));
      }),
    );
  }

  async transaction<T>(work: (tx: CatalogTransaction) => Promise<T>): Promise<T> {
    let transaction: SessionTransaction | undefined;
    let committed: ((written: Iterable<string>) => void) | undefined;
    try {
      const result = await this.sql.begin(async (tx) => {
        await tx.unsafe(DEGREES_OUTPUT);
        transaction = new SessionTransaction(postgresSession(tx));
        const value = [await work(transaction)] as const;
        // COMMIT follows once this returns: counted whatever comes of it (see commits.ts).
        committed = beginCommit(this.location);
        return value;
      });
      return result[0];
    } finally {
      committed?.(transaction?.written ?? []);
    }
  }

  async dropTables(tables: readonly TableDef[]): Promise<void> {
    // A table dropped fires no trigger: its drop is logged with it (commit-log.ts).
    const logged = tables.filter(logsCommits);
    await this.sql.begin(async (tx) => {
      for (const table of tables) await tx.unsafe(dropTableSql(table));
      if (logged.length > 0) await tx.unsafe(logWriteSql(logged));
    });
  }

  async selectRows(table: TableDef, where?: RowFilter): Promise<CatalogRow[]> {
    const session = await this.reserve();
    try {
      await session.unsafe(DEGREES_OUTPUT);
      return await selectCatalogRows(postgresSession(session), table, where);
    } finally {
      session.release();
    }
  }

  get commits(): number {
    return commitsTo(this.location);
  }

  /** Other hearc serve nodes and the CLI write the same database. */
  readonly countsEveryCommit = false;

  get commitsUnderWay(): number {
    return commitsUnderWay(this.location);
  }

  commitsWriting(tables: readonly TableDef[]): number {
    return commitsTo(this.location, tables.map(qualifiedName));
  }

  async refreshStatistics(tables: readonly TableDef[]): Promise<void> {
    if (tables.length === 0) return;
    // Not in a transaction (VACUUM cannot run in one); it scans only pages written since.
    try {
      await this.sql.unsafe(`VACUUM (ANALYZE) ${tables.map(tableIdentifier).join(', ')}`);
    } catch (error) {
      throw new EngineError(
        `cannot bring the statistics of ${tables.map(qualifiedName).join(', ')} up to date: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  /**
   * The mark of `tables` in the commit log as last read (by readMark or a query's
   * snapshot), while this process has not written them since; undefined otherwise.
   */
  markOf(tables: readonly TableDef[]): number | undefined {
    const seen = this.marks.get(markKey(tables));
    return seen?.local === this.commitsWriting(tables) ? seen.mark : undefined;
  }

  async readMark(tables: readonly TableDef[]): Promise<number | undefined> {
    let row: { mark: unknown; logged: unknown } | undefined;
    try {
      const marking = await this.shardedMarkSql(tables);
      if (marking === undefined) return this.noteMark(tables, undefined);
      [row] = await this.sql.unsafe<{ mark: unknown; logged: unknown }[]>(
        `SELECT ${marking.sql} AS mark, (SELECT count(*) FROM hearc_internal.commit_log) AS logged`,
      );
      for (const server of marking.servers) await this.foldShardLog(server);
    } catch {
      return this.noteMark(tables, undefined);
    }
    if (Number(row?.logged) > FOLD_AT) await this.sql.unsafe(foldSql).catch(() => undefined);
    return this.noteMark(tables, row?.mark);
  }

  /**
   * Folds a shard's log once it has grown past FOLD_AT rows (each transaction writing a
   * partition there adds one): the sum every query's set-up reads there stays small. A
   * shard added before its log could be written from here is left as it is.
   */
  private async foldShardLog(server: string): Promise<void> {
    const { logged, fold } = shardFoldSql(server);
    try {
      const [row] = await this.sql.unsafe<{ logged: unknown }[]>(logged);
      if (Number(row?.logged) > FOLD_AT) await this.sql.unsafe(fold);
    } catch {
      // Not there (an older shard), or a fold at the same time: the sums are unchanged.
    }
  }

  /**
   * As last read: at ensureTables, readMark, and in the background for a table not read
   * yet or once the last reading is PLACEMENT_READ_MS old (a shard attached by another
   * process counts from then on).
   */
  foreignPartitions(table: TableDef): readonly number[] {
    if (table.partitions === undefined) return [];
    const placed = this.foreign.get(qualifiedName(table));
    if (
      (placed === undefined || Date.now() - this.placementReadAt > PLACEMENT_READ_MS) &&
      !this.placementReading
    ) {
      const tables = [...[...this.foreign.values()].map((p) => p.table), table];
      this.placementReading = this.readPlacement(tables)
        .catch(() => undefined)
        .finally(() => (this.placementReading = undefined));
    }
    if (placed === undefined) return [];
    return partitionRanges(table)
      .filter((r) => placed.names.has(r.table.name))
      .map((r) => r.index);
  }

  /** Reads which partitions of `tables` are foreign tables (on shards) now. */
  private async readPlacement(tables: readonly TableDef[]): Promise<void> {
    this.placementReadAt = Date.now();
    const partitioned = tables.filter((t) => t.partitions !== undefined);
    if (partitioned.length === 0) return;
    this.notePlacement(
      partitioned,
      await this.sql.unsafe<ShardPartitionRow[]>(shardPartitionsSql(partitioned)),
    );
  }

  /** Keeps where the partitions of `tables` are, from shardPartitionsSql's rows for them. */
  private notePlacement(tables: readonly TableDef[], rows: readonly ShardPartitionRow[]): void {
    for (const table of tables) {
      if (table.partitions === undefined) continue;
      const parent = qualifiedName(table);
      const names = new Set(rows.filter((r) => r.parent === parent).map((r) => r.name));
      this.foreign.set(parent, { table, names });
    }
  }

  /**
   * The mark's SQL for `tables` as they are placed now (their partitions on shards read
   * there, commit-log.ts), kept for the queries after; undefined when a shard's commit
   * state cannot be read (a shard added before the log).
   */
  private async shardedMarkSql(
    tables: readonly TableDef[],
  ): Promise<{ sql: string; servers: readonly string[] } | undefined> {
    const key = markKey(tables);
    const rows = await this.sql.unsafe<ShardPartitionRow[]>(shardPartitionsSql(tables));
    // A shard attached by another process is a commit to the tables it holds: placed anew.
    this.notePlacement(tables, rows);
    const shards: ShardPartition[] = [];
    for (const { local, server, remote_schema, remote_table, readable } of rows) {
      if (!readable || remote_schema === null || remote_table === null) {
        this.markSqls.delete(key);
        return undefined;
      }
      shards.push({ local, server, remoteSchema: remote_schema, remoteTable: remote_table });
    }
    const sql = markSql(tables, shards);
    this.markSqls.set(key, sql);
    return { sql, servers: [...new Set(shards.map((p) => p.server))] };
  }

  /** Keeps a mark read in some snapshot, with this process's count of commits to the tables. */
  private noteMark(tables: readonly TableDef[], value: unknown): number | undefined {
    const mark = value === null || value === undefined ? undefined : Number(value);
    this.marks.set(markKey(tables), { mark, local: this.commitsWriting(tables) });
    return mark;
  }

  usage(): EngineUsage {
    return { connections: this.connections, busy: this.busy, waiting: this.waiting };
  }

  /**
   * A connection of the pool, counted while reserved; with `waitMs`, EngineBusyError
   * when none is free in time (the late connection is then handed straight back).
   */
  private async reserve(waitMs?: number, signal?: AbortSignal): Promise<postgres.ReservedSql> {
    this.waiting++;
    const pending = this.sql.reserve();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const givenUp = new Promise<never>((_, reject) => {
      if (waitMs !== undefined)
        timer = setTimeout(() => reject(new EngineBusyError(this.usage(), waitMs)), waitMs);
      onAbort = () => reject(new EngineError('gave up waiting for a free catalog connection'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    let session: postgres.ReservedSql;
    try {
      session = await Promise.race([pending, givenUp]);
    } catch (error) {
      void pending.then((late) => late.release()).catch(() => undefined);
      throw error;
    } finally {
      this.waiting--;
      if (timer) clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    this.busy++;
    let released = false;
    const release = session.release.bind(session);
    session.release = () => {
      if (!released) {
        released = true;
        this.busy--;
      }
      release();
    };
    return session;
  }

  streamRows(table: TableDef): Promise<Cursor> {
    return this.stream(selectSql(table, ''));
  }

  async stream(text: string, options: QueryOptions = {}): Promise<Cursor> {
    const guard = new QueryGuard(options);
    let session: postgres.ReservedSql | undefined;
    let source: RowSource | undefined;
    let cancelling: Promise<unknown> = Promise.resolve();
    const alternative = options.whenUnchanged;
    const marks = alternative?.since ?? [];
    const pinned = marks.length > 0;
    // Frees the connection only once the last cancel has reached its backend, so
    // that it cannot hit the next query run there (and ends the transaction pinned).
    const release = async (): Promise<void> => {
      await cancelling;
      if (pinned) await session?.unsafe('ROLLBACK').catch(() => undefined);
      session?.release();
    };
    try {
      const running = await this.reserve(options.waitMs, guard.signal);
      session = running;
      guard.throwIfCancelled();
      // The alternative has the same columns; its text does not change every second.
      const shapeText = pinned && alternative ? alternative.sql : text;
      const known = this.keptShape(shapeText);
      // Sent before the set-up query, so that all take one round trip.
      const described = known ? undefined : this.describe(running, shapeText);
      // With an alternative, the set-up query pins the snapshot the statement runs in
      // and reads the marks there (see commit-log.ts).
      const setUp = (reading: readonly CommitMark[]) =>
        running.unsafe<({ pid: number } & Record<string, unknown>)[]>(
          `SELECT set_sphere_output('DEG'), pg_backend_pid() AS pid${reading
            .map(
              (mark, i) =>
                `, ${this.markSqls.get(markKey(mark.tables)) ?? markSql(mark.tables)} AS mark${i}`,
            )
            .join('')}`,
        );
      let backend: ({ pid: number } & Record<string, unknown>) | undefined;
      let read = false;
      if (pinned) {
        const begun = running.unsafe('BEGIN ISOLATION LEVEL REPEATABLE READ').execute();
        try {
          [backend] = await setUp(marks);
          await begun;
          read = true;
        } catch {
          // A shard whose state does not answer: the statement given, as without marks.
          await begun.catch(() => undefined);
          await running.unsafe('ROLLBACK').catch(() => undefined);
          for (const mark of marks) this.noteMark(mark.tables, undefined);
        }
      }
      if (!read) [backend] = await setUp([]);
      const cancel = (): Promise<unknown> => (cancelling = this.cancelBackend(backend?.pid));
      guard.onCancel(() => void cancel());
      let statement = text;
      if (alternative && read) {
        const seen = marks.map((mark, i) => this.noteMark(mark.tables, backend?.[`mark${i}`]));
        if (marks.every((mark, i) => seen[i] === mark.commits)) statement = alternative.sql;
      }
      const shape = known ?? (await described);
      const rowsPerFetch = Math.max(1, options.batchSize ?? FETCH_ROWS);
      source = shape?.plan
        ? await CopyColumnSource.start(
            shape.names,
            await copyStream(running.unsafe(copySql(statement, shape.plan))),
            shape.plan,
            rowsPerFetch,
            cancel,
            release,
          )
        : await PostgresRowSource.start(
            running.unsafe(statement).values(),
            rowsPerFetch,
            this.sql.CLOSE,
            release,
          );
      guard.throwIfCancelled();
      return guardedCursor(source, guard, options);
    } catch (error) {
      guard.dispose();
      // A query started and cancelled since is stopped (portal closed, COPY drained) first.
      await (source ? source.finish(false) : release());
      throw guard.failure(error);
    }
  }

  /** The shape kept for this SQL text, if the catalog has not been written since (by this process). */
  private keptShape(text: string): ResultShape | undefined {
    const commits = this.commits;
    if (commits !== this.shapesAtCommit) {
      this.shapes.clear();
      this.shapesAtCommit = commits;
    }
    return this.shapes.get(text);
  }

  /**
   * The result's column names and types, from the row description of the query run
   * with LIMIT 0 (planned, not executed), kept by SQL text; undefined when that fails
   * (the query then runs as it is and reports its own error).
   */
  private describe(session: postgres.ReservedSql, text: string): Promise<ResultShape | undefined> {
    return session.unsafe(`SELECT * FROM (${text}) AS q LIMIT 0`).then(
      (result) => {
        const columns = result.columns ?? [];
        const shape: ResultShape = {
          names: columns.map((c) => c.name),
          plan: copyPlan(
            columns.map((c) => c.type),
            this.sql.options.parsers,
            this.sphereTypes,
          ),
        };
        if (this.shapes.size >= KEPT_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
        this.shapes.set(text, shape);
        return shape;
      },
      () => undefined,
    );
  }

  /**
   * pg_cancel_backend through a connection of its own, so that a cancel never waits
   * behind the queries it is meant to stop.
   */
  private cancelBackend(pid: number | undefined): Promise<unknown> {
    if (pid === undefined) return Promise.resolve();
    return this.control`SELECT pg_cancel_backend(${pid})`.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.placementReading;
    await Promise.all([this.sql.end({ timeout: 5 }), this.control.end({ timeout: 1 })]);
  }
}

/** Rows fetched per Execute of the portal (when the caller names no batch size). */
const FETCH_ROWS = 4096;

/** Fetched batches waiting for the reader before the next Execute waits too. */
const QUEUED_BATCHES = 2;

interface CursorQuery {
  cursor(rows: number, accept: (rows: unknown[][]) => unknown): Promise<unknown>;
  readonly statement?: { readonly columns?: readonly { readonly name: string }[] };
}

/**
 * Batches of a server-side cursor (an extended-protocol portal read N rows at a
 * time), pipelined: the next Execute is sent as soon as a batch arrives, so that
 * the server produces while the rows are encoded, until QUEUED_BATCHES wait.
 */
class PostgresRowSource implements RowSource {
  columnNames: readonly string[] = [];
  private readonly queued: PositionalRow[][] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private stopping = false;
  private wakeReader: (() => void) | undefined;
  private wakeServer: ((answer: unknown) => void) | undefined;
  private finished: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly close: unknown,
    private readonly release: () => Promise<void>,
  ) {}

  /** Starts the query and waits for its first batch: errors in the SQL surface here, and the column names arrive. */
  static async start(
    query: object,
    rowsPerFetch: number,
    close: unknown,
    release: () => Promise<void>,
  ): Promise<PostgresRowSource> {
    const source = new PostgresRowSource(close, release);
    const cursorQuery = query as CursorQuery;
    source.finished = cursorQuery
      .cursor(rowsPerFetch, (rows) => source.accept(rows as PositionalRow[]))
      .catch((error: unknown) => {
        source.failure = { error };
      })
      .finally(() => {
        source.ended = true;
        source.wake();
      });
    await source.waitForRows();
    if (source.failure && source.queued.length === 0) throw source.failure.error;
    // The row description came with the first batch, also for an empty result.
    source.columnNames = cursorQuery.statement?.columns?.map((c) => c.name) ?? [];
    return source;
  }

  /** Called by the client with each batch; what it returns (or resolves to) lets the portal go on or closes it. */
  private accept(rows: PositionalRow[]): unknown {
    if (this.stopping) return this.close;
    this.queued.push(rows);
    this.wake();
    if (this.queued.length < QUEUED_BATCHES) return undefined;
    return new Promise((resolve) => {
      this.wakeServer = resolve;
    });
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  private async waitForRows(): Promise<void> {
    while (this.queued.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private resumeServer(answer: unknown): void {
    const resume = this.wakeServer;
    this.wakeServer = undefined;
    resume?.(answer);
  }

  async next(): Promise<PositionalRow[] | undefined> {
    await this.waitForRows();
    const rows = this.queued.shift();
    if (rows !== undefined) {
      if (this.queued.length < QUEUED_BATCHES) this.resumeServer(undefined);
      return rows;
    }
    if (this.failure) throw this.failure.error;
    return undefined;
  }

  async finish(exhausted: boolean): Promise<void> {
    try {
      if (!exhausted && !this.ended) {
        // Closes the portal of a cursor left half-read.
        this.stopping = true;
        this.resumeServer(this.close);
        await this.finished;
      }
    } finally {
      await this.release();
    }
  }
}

/** Runs catalog statements on one connection or transaction, every value sent as text. */
function postgresSession(session: Session): CatalogSession {
  const run = (sql: string, values: readonly BoundValue[]) =>
    session.unsafe(
      sql,
      values.map((v) => postgresText(v.storage, v.value)),
    );
  return {
    placeholder: castPlaceholder,
    execute: async (sql, values) => (await run(sql, values)).count,
    query: async (sql, values) => (await run(sql, values).values()) as SqlValue[][],
    append: (table, columns, rowCount) => copyIn(session, table, columns, rowCount),
  };
}

/** Rows per piece of COPY text written to the server. */
const COPY_ROWS = 8192;

/** A value in COPY's text format (NULL as \N, tabs, newlines and backslashes escaped). */
function copyText(value: SqlValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'string') return value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] ?? c);
  return String(value);
}
const COPY_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** Bulk load with COPY FROM STDIN, in the session's transaction. */
async function copyIn(
  session: Session,
  table: TableDef,
  columns: readonly BatchColumn[],
  rowCount: number,
): Promise<void> {
  const names = columns.map((c) => quoteIdentifier(c.column.name)).join(', ');
  // PostgreSQL 15 sends COPY rows to foreign (shard) partitions one at a time, INSERT in
  // batches: rows for a table with shards are copied to a scratch table and inserted.
  const staged = table.partitions !== undefined && (await hasForeignPartitions(session, table));
  const target = staged
    ? quoteIdentifier(`hearc_staged_${table.schema}_${table.name}`.slice(0, 63))
    : tableIdentifier(table);
  if (staged) {
    await session.unsafe(
      `CREATE TEMP TABLE IF NOT EXISTS ${target} (LIKE ${tableIdentifier(table)}) ON COMMIT DROP`,
    );
  }
  const stream = await session.unsafe(`COPY ${target} (${names}) FROM STDIN`).writable();
  const repeated = columns.map((c) =>
    c.values === undefined || 'repeat' in c.values ? copyText(batchValue(c.values, 0)) : undefined,
  );
  try {
    for (let first = 0; first < rowCount; first += COPY_ROWS) {
      let text = '';
      const last = Math.min(rowCount, first + COPY_ROWS);
      for (let r = first; r < last; r++) {
        for (let i = 0; i < columns.length; i++) {
          if (i > 0) text += '\t';
          text += repeated[i] ?? copyText(batchValue(columns[i]!.values, r));
        }
        text += '\n';
      }
      if (!stream.write(text)) await once(stream, 'drain');
    }
    stream.end();
    await finished(stream);
  } catch (error) {
    stream.destroy();
    throw error;
  }
  if (staged) {
    await session.unsafe(
      `INSERT INTO ${tableIdentifier(table)} (${names}) SELECT ${names} FROM ${target}`,
    );
    await session.unsafe(`TRUNCATE ${target}`);
  }
}

/** Whether some partition of `table` is a foreign table (a shard). */
async function hasForeignPartitions(session: Session, table: TableDef): Promise<boolean> {
  const [row] = await session.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_foreign_table f ON f.ftrelid = i.inhrelid
     WHERE i.inhparent = to_regclass($1)`,
    [tableIdentifier(table)],
  );
  return (row?.n ?? 0) > 0;
}

/** GiST on pg_sphere columns (positions, footprints) and b-tree on `indexed` columns. */
export function indexSql(table: TableDef): string[] {
  const statements: string[] = [];
  const pk = table.primaryKey ?? [];
  for (const column of table.columns) {
    const storage = columnStorage(table, column);
    const gist = storage.kind === 'geometry';
    const alreadyKey = pk.length === 1 && pk[0] === column.name;
    if (!gist && (!column.indexed || alreadyKey || storage.kind === 'array')) continue;
    const name = quoteIdentifier(`${table.name}_${column.name}_idx`.slice(0, 63));
    statements.push(
      `CREATE INDEX IF NOT EXISTS ${name} ON ${tableIdentifier(table)}` +
        `${gist ? ' USING gist' : ''} (${quoteIdentifier(column.name)})`,
    );
  }
  return statements;
}

/**
 * Creates pg_sphere in the catalog database, or says precisely what stops it: the
 * package is missing, the role may not create extensions, or (Debian bookworm's
 * pgsphere 1.1.1 on PostgreSQL 15.19+) its install script is refused.
 */
async function ensurePgSphere(sql: postgres.TransactionSql, where: string): Promise<void> {
  const [available] = await sql.unsafe(
    "SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'pg_sphere'",
  );
  if (!available || available.n === 0) {
    throw new EngineError(
      `pg_sphere is not installed on the PostgreSQL server of ${where}: install it on the server ` +
        '(Debian: apt-get install postgresql-15-pgsphere, matching the server version)',
    );
  }
  try {
    await sql.unsafe('CREATE EXTENSION IF NOT EXISTS pg_sphere');
  } catch (error) {
    const message = errorMessage(error);
    if (/already the commutator/.test(message)) {
      throw new EngineError(
        `pg_sphere cannot be created in ${where}: ${message}. The installed pg_sphere ` +
          "(Debian's postgresql-15-pgsphere 1.1.1) declares two DaCHS-compatibility '@' MOC " +
          'operators that this PostgreSQL rejects; remove them from the install script as ' +
          "hearc's .ci/run does (section PostgreSQL), or install pgsphere 1.4 or later",
        { cause: error },
      );
    }
    if (/permission denied|must be superuser|must be owner/i.test(message)) {
      throw new EngineError(
        `pg_sphere is not enabled in ${where} and this role may not enable it: ask a database ` +
          `superuser to run CREATE EXTENSION pg_sphere in that database (${message})`,
        { cause: error },
      );
    }
    throw new EngineError(`cannot create pg_sphere in ${where}: ${message}`, { cause: error });
  }
}

/** Teaches the client pg_sphere's types, whose OIDs differ from database to database; returns them. */
async function registerSphereParsers(sql: Sql): Promise<Set<number>> {
  const types = await sql.unsafe<{ oid: number }[]>(
    `SELECT t.oid::int AS oid FROM pg_type t JOIN pg_extension e ON e.extnamespace = t.typnamespace
     WHERE e.extname = 'pg_sphere' AND t.typname IN ('spoint', 'scircle', 'spoly', 'sbox')`,
  );
  for (const { oid } of types) sql.options.parsers[oid] = daliFromSphere;
  return new Set(types.map((t) => t.oid));
}

/** The URL without its password, for messages. */
function describeLocation(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'the configured PostgreSQL database';
  }
}
