/**
 * One interface over the catalog databases. DuckDB (embedded, default) and
 * PostgreSQL + pg_sphere implement it; nothing outside `src/engine` writes SQL for a
 * specific database. Catalog maintenance is expressed with TableDefs and values;
 * queries arrive as SQL already compiled by the ADQL compiler for `engine.dialect`.
 */
import type { CommitMark, TableDef, UnchangedAlternative } from '../schema/types.js';

export type { CommitMark, UnchangedAlternative };

export type DialectName = 'duckdb' | 'postgres';

/**
 * A value stored in or read from the catalog. Geometry (DALI point/circle/polygon)
 * and other arrays travel as number arrays; timestamps as Date.
 *
 * Both engines read values back by one rule, whatever the value: BIGINT (long,
 * count(*)) and wider integers as bigint; every other number (smallint, integer,
 * real rounded to single precision, double, decimal) as number; timestamps and
 * dates as Date (UTC, millisecond precision); arrays and pg_sphere values as
 * number[] (degrees); text as string; NULL as null.
 */
export type SqlValue = null | boolean | number | bigint | string | Date | readonly number[];

/** One row keyed by lower-case column name. */
export type CatalogRow = Readonly<Record<string, SqlValue>>;

export interface QueryOptions {
  /** Stop after this many rows (the caller may ask for one more to detect overflow). */
  readonly maxRows?: number;
  /** Cancel the query in the database after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Cancel the query in the database when aborted. */
  readonly signal?: AbortSignal;
  /** Rows per batch yielded by the cursor. */
  readonly batchSize?: number;
  /**
   * Give up (EngineBusyError) when no catalog connection is free within this many
   * milliseconds; default: wait until one is, or until the timeout or signal.
   */
  readonly waitMs?: number;
  /**
   * The statement may be kept prepared for the next query of the same text (DuckDB):
   * for SQL that reads tables only (compiled ADQL), not the catalog's table functions.
   */
  readonly keepPrepared?: boolean;
  /**
   * Another statement to run instead when the snapshot the query reads holds no commit
   * to the marked tables beyond the marks (`markOf`), and no write is under way:
   * compiled ADQL without its rights filters, valid while they hide nothing
   * (auth/open-rights.ts). DuckDB checks its own counts, which see every commit;
   * PostgreSQL reads its commit log inside the snapshot (engine/commit-log.ts).
   */
  readonly whenUnchanged?: UnchangedAlternative;
}

/** How the catalog's connections are used right now. */
export interface EngineUsage {
  /** Connections queries may use at once. */
  readonly connections: number;
  /** Connections running a query, a transaction or a cursor not yet read to the end. */
  readonly busy: number;
  /** Queries waiting for a free connection. */
  readonly waiting: number;
}

/** Rows of a result by column: columns[c][r], every column rowCount long, in SQL column order. */
export interface SqlColumnBatch {
  readonly rowCount: number;
  readonly columns: readonly (readonly SqlValue[])[];
}

/**
 * A streaming result: batches of positional rows, in the column order of the SQL;
 * or, read with columnBatches() instead, the same rows by column (no row arrays).
 */
export interface Cursor extends AsyncIterable<readonly (readonly SqlValue[])[]> {
  readonly columnNames: readonly string[];
  /** The rows as column batches (of the database's own batch size); iterate this or the cursor, once. */
  columnBatches(): AsyncIterable<SqlColumnBatch>;
  /** Releases the database resources early; safe to call twice. */
  close(): Promise<void>;
}

/** Thrown when a query ran past its timeout or was cancelled. */
export class QueryCancelledError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'aborted',
  ) {
    super(message);
    this.name = 'QueryCancelledError';
  }
}

/** Thrown for database-level failures, with the database's message kept for logs. */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** Thrown when every catalog connection stayed busy for the whole allowed wait. */
export class EngineBusyError extends EngineError {
  constructor(
    readonly usage: EngineUsage,
    readonly waitedMs: number,
  ) {
    super(
      `all ${usage.connections} catalog connections stayed busy for ${waitedMs / 1000} s ` +
        `(${usage.waiting} more queries waiting)`,
    );
    this.name = 'EngineBusyError';
  }
}

/** The message of whatever a database client threw. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Strings as indexes into a few distinct ones (null for NULL): an observation's identifiers on each of its events. */
export interface CodedStrings {
  readonly codes: Uint32Array;
  readonly dictionary: readonly (string | null)[];
}

/**
 * The values of one column for a batch of rows: typed numbers (NaN stands for NULL),
 * strings (null for NULL), coded strings, or one value repeated on every row.
 */
export type ColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | readonly (string | null)[]
  | CodedStrings
  | { readonly repeat: SqlValue };

/** Many rows given column by column: the fast way to load large tables (events). */
export interface ColumnBatch {
  readonly rowCount: number;
  /** By column name; columns of the table left out are NULL. */
  readonly columns: Readonly<Record<string, ColumnValues>>;
}

/** Operations allowed inside a catalog write transaction. */
export interface CatalogTransaction {
  insertRows(table: TableDef, rows: readonly CatalogRow[]): Promise<void>;
  /**
   * Appends rows given column by column, with the database's bulk path (DuckDB's
   * appender, PostgreSQL's COPY); only scalar and text columns.
   */
  appendColumns(table: TableDef, batch: ColumnBatch): Promise<void>;
  /** Deletes the rows whose `column` is one of `values`; returns how many. */
  deleteRows(table: TableDef, column: string, values: readonly SqlValue[]): Promise<number>;
  selectRows(
    table: TableDef,
    where?: { readonly column: string; readonly values: readonly SqlValue[] },
  ): Promise<CatalogRow[]>;
}

/** A key a table is stored in order of: a column, or its values in bins of `bin` (floor(column / bin)). */
export type SortKey = string | { readonly column: string; readonly bin: number };

export interface Engine {
  readonly dialect: DialectName;
  /** The catalog as opened: a DuckDB file path, ':memory:' or a postgres:// URL. */
  readonly location: string;
  /** Creates missing schemas and tables for these definitions (idempotent). */
  ensureTables(tables: readonly TableDef[]): Promise<void>;
  /**
   * Write transactions committed to this catalog by engines of this process so far: tells
   * a cache whether its catalog may have changed (writes by other processes are not counted).
   */
  readonly commits: number;
  /** Of those, the transactions that wrote one of `tables` (a cache of these tables asks). */
  commitsWriting(tables: readonly TableDef[]): number;
  /**
   * True when the commits counted are every write to the catalog, so that a cache checked
   * against them is exact (DuckDB: the process that opened the file is its only writer);
   * false when other processes may write it (PostgreSQL).
   */
  readonly countsEveryCommit: boolean;
  /**
   * The mark of `tables` that a query's snapshot is checked against (whenUnchanged): the
   * commits counted by this process on DuckDB; on PostgreSQL the commit log as last read
   * (any process's commits), undefined until read again after this process wrote them,
   * or when they cannot be checked in a snapshot (a partition on a shard).
   */
  markOf(tables: readonly TableDef[]): number | undefined;
  /** Reads the mark of `tables` now (and keeps it for markOf); undefined when they cannot be checked. */
  readMark(tables: readonly TableDef[]): Promise<number | undefined>;
  /**
   * Commits this process has sent to the catalog and not yet counted in `commits` (for a
   * moment a commit is in the catalog before it is counted): a cache or a snapshot
   * checked against the counts holds no commit they miss only while this is 0.
   */
  readonly commitsUnderWay: number;
  /** Runs `work` in one transaction: all of it is committed, or none of it. */
  transaction<T>(work: (tx: CatalogTransaction) => Promise<T>): Promise<T>;
  /**
   * Rewrites `table` with its rows sorted by the keys `orderBy`, keeping its definition,
   * in one transaction that also runs `alsoWrite` (given the rows rewritten): queries
   * see the old rows or the new, a failure or a kill leaves the table as it was. Returns
   * the rows rewritten. DuckDB only (its row groups' zone maps prune by storage order);
   * absent on PostgreSQL, whose big tables are partitioned by range instead.
   */
  rewriteInOrder?(
    table: TableDef,
    orderBy: readonly SortKey[],
    alsoWrite?: (tx: CatalogTransaction, rows: number) => Promise<void>,
  ): Promise<number>;
  /** Reads rows of one table outside a transaction. */
  selectRows(
    table: TableDef,
    where?: { readonly column: string; readonly values: readonly SqlValue[] },
  ): Promise<CatalogRow[]>;
  /**
   * Reads the rows of one table (the columns its definition names, in that order) a
   * batch at a time, outside a transaction: for tables too large to hold as rows.
   */
  streamRows(table: TableDef): Promise<Cursor>;
  /** Drops these tables if they exist (TAP_UPLOAD: a query's uploaded tables, after it ran). */
  dropTables(tables: readonly TableDef[]): Promise<void>;
  /** Streams the result of SQL compiled for this dialect (e.g. by the ADQL compiler). */
  stream(sql: string, options?: QueryOptions): Promise<Cursor>;
  /** How many connections are busy and how many queries wait (VOSI availability). */
  usage(): EngineUsage;
  /**
   * After a bulk write (an ingest): brings the planner's statistics of `tables` up to date.
   * PostgreSQL: VACUUM (ANALYZE), since autovacuum may be off, is late, and never analyzes
   * a partitioned table's parent (a fresh load of 1e7 events planned without them ran
   * events cones 2-4× slower); DuckDB keeps its statistics as it writes: nothing to do.
   */
  refreshStatistics(tables: readonly TableDef[]): Promise<void>;
  /**
   * The partitions of `table` (TableDef.partitions) that live on other servers, as last
   * read (at ensureTables and readMark): PostgreSQL shards. The engine's ADQL dialect
   * (engineDialect) aggregates them one by one. Absent where nothing is sharded (DuckDB).
   */
  foreignPartitions?(table: TableDef): readonly number[];
  close(): Promise<void>;
}
