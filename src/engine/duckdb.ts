/**
 * The embedded catalog: one DuckDB file per deployment (or ':memory:'), a small pool
 * of connections so that queries run concurrently off the event loop, streaming
 * results chunk by chunk, and cancellation through `connection.interrupt()`.
 *
 * Storage (the DuckDB dialect of the ADQL compiler relies on it): DALI geometry
 * (point, circle, polygon) and other arrays as DOUBLE[] (or a list of the element
 * type), timestamps as TIMESTAMP (UTC), MOCs and strings as VARCHAR.
 */
import { resolve } from 'node:path';
import {
  DuckDBArrayType,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBListType,
  DuckDBTimestampValue,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  listValue,
  type DuckDBDataChunk,
  type DuckDBVector,
  type DuckDBMaterializedResult,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { type ColumnDef, qualifiedName, storedColumns, type TableDef } from '../schema/types.js';
import {
  fillAllStcsTexts,
  selectCatalogRows,
  SessionTransaction,
  type BoundValue,
  type CatalogSession,
  type RowFilter,
} from './catalog-session.js';
import {
  columnStorage,
  dropTableSql,
  ensureTablesWith,
  quoteIdentifier,
  selectSql,
  sqlStringLiteral,
  tableIdentifier,
  type ColumnStorage,
} from './catalog-sql.js';
import { appendToDuckDb, registerAppendScan } from './duckdb-append.js';
import { duckDbType } from './duckdb-types.js';
import { PreparedStatements } from './duckdb-statements.js';
import { chunkVector, readVectorValues } from './duckdb-columns.js';
import { chunkBytes, chunkFetched } from './duckdb-chunk-memory.js';
import {
  DEFAULT_BATCH_SIZE,
  guardedCursor,
  QueryGuard,
  type PositionalRow,
  type RowSource,
} from './cursor.js';
import { duckdbPreludeSql, registerDuckDbFunctions } from './dialect/duckdb-prelude.js';
import { ConnectionPool } from './pool.js';
import { beginCommit, commitsTo, commitsUnderWay } from './commits.js';
import {
  EngineError,
  errorMessage,
  type CatalogRow,
  type CatalogTransaction,
  type Cursor,
  type Engine,
  type EngineUsage,
  type QueryOptions,
  type SortKey,
  type SqlValue,
  type UnchangedAlternative,
} from './types.js';

export interface DuckDbOptions {
  /** Open the file for reading only (several processes may then share it). */
  readonly readOnly?: boolean;
  /** Connections in the pool: how many queries run at once. Default 4. */
  readonly connections?: number;
}

/**
 * What a column's definition adds for its storage hint: a low-cardinality text is written
 * as a dictionary without analysing FSST (and the others) on every row group of a bulk
 * load; a text read whole by results is stored uncompressed, which a scan copies instead
 * of decoding (FSST took three times as long); so are numbers that results read more
 * than queries scan (ColumnDef.numberStorage: ALP decodes a whole vector for each row).
 */
function storageSql(storage: ColumnStorage, column: ColumnDef): string {
  if (storage.kind === 'text') {
    if (column.lowCardinality) return ' USING COMPRESSION dictionary';
    if (column.textStorage === 'uncompressed') return ' USING COMPRESSION uncompressed';
  }
  const number = storage.kind === 'scalar' && storage.datatype !== 'boolean';
  if (number && column.numberStorage === 'uncompressed') return ' USING COMPRESSION uncompressed';
  return '';
}

/** The SQL type of a column in a table definition. */
function duckDbColumnSql(storage: ColumnStorage, column: ColumnDef): string {
  return duckDbType(storage).sql + storageSql(storage, column);
}

/**
 * DuckDB's own definition of `table` with the storage its columns were given: DuckDB
 * keeps `USING COMPRESSION` but does not show it in the definition.
 */
function withColumnStorage(definition: string, table: TableDef): string {
  let sql = definition;
  // Column names are regular identifiers, quoted by DuckDB only when they are keywords.
  for (const column of storedColumns(table)) {
    const storage = storageSql(columnStorage(table, column), column);
    if (storage) {
      sql = sql.replace(
        new RegExp(`([(,]\\s*"?${column.name}"? [A-Z][A-Z0-9_]*)\\b`),
        `$1${storage}`,
      );
    }
  }
  return sql;
}

/** A catalog value as a bound DuckDB parameter of the column's type. */
function duckDbValue(storage: ColumnStorage, value: SqlValue): DuckDBValue {
  if (value === null) return null;
  if (value instanceof Date) return new DuckDBTimestampValue(BigInt(value.getTime()) * 1000n);
  if (Array.isArray(value)) {
    const long = storage.kind === 'array' && storage.element === 'long';
    return listValue(value.map((v: number) => (long ? BigInt(v) : v)));
  }
  if (storage.kind === 'scalar' && storage.datatype === 'long' && typeof value === 'number') {
    return BigInt(value);
  }
  return value as DuckDBValue;
}

/** Turns the JS values of one DuckDB result column into catalog values. */
type ColumnReader = ((value: unknown) => SqlValue) | undefined;

const SCALAR_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.ENUM,
  DuckDBTypeId.UUID,
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
  DuckDBTypeId.DATE,
  DuckDBTypeId.SQLNULL,
]);

const NUMBER_ELEMENTS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
]);

function columnReader(type: DuckDBType): ColumnReader {
  if (SCALAR_TYPES.has(type.typeId)) return undefined;
  if (type instanceof DuckDBListType || type instanceof DuckDBArrayType) {
    if (NUMBER_ELEMENTS.has(type.valueType.typeId)) return undefined;
    // Catalog arrays are numbers; a BIGINT[] element beyond 2^53 loses precision.
    return (value) =>
      value === null
        ? null
        : (value as unknown[]).map((v) => (v === null ? Number.NaN : Number(v)));
  }
  return (value) => (value === null ? null : stringOf(value));
}

function stringOf(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'object') {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

function readersOf(result: DuckDBResult): ColumnReader[] {
  return result.columnTypes().map(columnReader);
}

/**
 * Makes columns converted by the JS converter (column-wise conversion is about a
 * third faster than row-wise) catalog values, where they need it.
 */
function toCatalogValues(
  columns: unknown[][],
  readers: readonly ColumnReader[],
  ready: readonly boolean[] = [],
): SqlValue[][] {
  columns.forEach((values, i) => {
    const read = ready[i] ? undefined : readers[i];
    if (read) for (let r = 0; r < values.length; r++) values[r] = read(values[r]);
  });
  return columns as SqlValue[][];
}

/** Rows of catalog values from converted columns (see toCatalogValues). */
function catalogValues(
  columns: unknown[][],
  readers: readonly ColumnReader[],
  ready: readonly boolean[] = [],
): SqlValue[][] {
  return rowsOfColumns(toCatalogValues(columns, readers, ready));
}

function rowsOfColumns(columns: readonly (readonly SqlValue[])[]): SqlValue[][] {
  const rowCount = columns[0]?.length ?? 0;
  const rows: SqlValue[][] = new Array<SqlValue[]>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row = new Array<SqlValue>(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = columns[c]![r]!;
    rows[r] = row;
  }
  return rows;
}

interface CurrentChunk {
  readonly chunk: DuckDBDataChunk;
  readonly rowCount: number;
  at: number;
  readonly vectors: readonly DuckDBVector[];
  /** Columns the generic converter made, whole, by index. */
  readonly converted: unknown[][];
}

/**
 * Reads a result chunk by chunk. DuckDB computes each chunk only when asked, on a
 * thread of its own: the next one is asked for as soon as one arrives, so that DuckDB
 * computes it while this thread converts and encodes the one in hand (one chunk
 * ahead, no more).
 */
class DuckDbRowSource implements RowSource {
  readonly columnNames: readonly string[];
  private readonly readers: ColumnReader[];
  /** The columns' types, known once: a vector made without one asks DuckDB for it. */
  private readonly types: readonly DuckDBType[];
  /** The native bytes of one chunk of this result. */
  private readonly chunkBytes: number;
  /** The next chunk, asked for ahead; undefined once the result is exhausted. */
  private ahead: Promise<DuckDBDataChunk | null> | undefined;
  private exhausted = false;
  /** The chunk being handed out, and the row its next batch starts at. */
  private current: CurrentChunk | undefined;

  /**
   * `rowsPerBatch` (the query's batch size): a chunk of DuckDB (2048 rows, in native
   * memory) is made JS values that many rows at a time, so that the values of a wide
   * result are encoded and dropped before the next young-generation collection rather
   * than living through several, copied and promoted, while other requests run.
   */
  constructor(
    private readonly result: DuckDBResult,
    private readonly connection: DuckDBConnection,
    private readonly release: () => void | Promise<void>,
    private readonly rowsPerBatch: number,
  ) {
    this.columnNames = result.columnNames();
    this.readers = readersOf(result);
    this.types = result.columnTypes();
    this.chunkBytes = chunkBytes(this.types);
  }

  async next(): Promise<PositionalRow[] | undefined> {
    const columns = await this.nextColumns();
    return columns && rowsOfColumns(columns);
  }

  /** The chunk asked for ahead (or now), asking for the one after it. */
  private async nextChunk(): Promise<DuckDBDataChunk | undefined> {
    if (this.exhausted) return undefined;
    const asked = this.ahead ?? this.result.fetchChunk();
    this.ahead = undefined;
    const chunk = await asked;
    if (!chunk || chunk.rowCount === 0) {
      this.exhausted = true;
      return undefined;
    }
    chunkFetched(this.chunkBytes);
    const next = this.result.fetchChunk();
    // Its failure is thrown by the call that takes it; none may take it (a closed cursor).
    next.catch(() => undefined);
    this.ahead = next;
    return chunk;
  }

  async nextColumns(): Promise<SqlValue[][] | undefined> {
    let current = this.current;
    if (current === undefined || current.at >= current.rowCount) {
      // The chunk read is let go of before the next arrives: a collection may take it.
      this.current = current = undefined;
      const chunk = await this.nextChunk();
      this.current = current = chunk && {
        chunk,
        rowCount: chunk.rowCount,
        at: 0,
        vectors: this.types.map((type, c) => chunkVector(chunk, c, type)),
        converted: [],
      };
      if (current === undefined) return undefined;
    }
    const from = current.at;
    const to = Math.min(current.rowCount, from + this.rowsPerBatch);
    current.at = to;
    const columns: unknown[][] = [];
    const fastColumns: boolean[] = [];
    for (let c = 0; c < current.vectors.length; c++) {
      const fast = readVectorValues(current.vectors[c]!, from, to);
      fastColumns.push(fast !== undefined);
      if (fast !== undefined) columns.push(fast);
      else {
        // The generic converter reads a whole chunk: once, then its rows a batch at a time.
        const whole = (current.converted[c] ??= current.chunk.convertColumnValues(
          c,
          JSDuckDBValueConverter,
        ));
        columns.push(from === 0 && to === current.rowCount ? whole : whole.slice(from, to));
      }
    }
    return toCatalogValues(columns, this.readers, fastColumns);
  }

  async finish(exhausted: boolean): Promise<void> {
    try {
      if (exhausted || this.exhausted) return;
      // Ends the half-read result and its transaction before the connection is reused;
      // the chunk asked ahead is waited for first (DuckDB is never asked twice at once).
      this.connection.interrupt();
      const ahead = this.ahead;
      this.ahead = undefined;
      const last = await ahead?.catch(() => null);
      if (ahead === undefined || (last && last.rowCount > 0)) {
        await this.result.fetchChunk().catch(() => null);
      }
    } finally {
      await this.release();
    }
  }
}

/** Instances open in this process, by file: DuckDB must not open one file twice. */
/** The name the catalog file is attached under (any name but those of our schemas). */
const CATALOG_NAME = 'hearc_catalog';

const openInstances = new Map<
  string,
  { instance: DuckDBInstance; readOnly: boolean; users: number }
>();

async function openInstance(path: string, readOnly: boolean): Promise<DuckDBInstance> {
  const shared = path === ':memory:' ? undefined : openInstances.get(path);
  if (shared) {
    if (shared.readOnly && !readOnly) {
      throw new EngineError(`the catalog ${path} is already open read-only in this process`);
    }
    shared.users++;
    return shared.instance;
  }
  let instance: DuckDBInstance;
  try {
    // A sort or join larger than memory spills beside the catalog (`<catalog>.tmp`), not
    // into the folder the command runs in: the catalog's disk is the one sized for it.
    instance = await DuckDBInstance.create(
      ':memory:',
      path === ':memory:' ? {} : { temp_directory: `${path}.tmp` },
    );
  } catch (error) {
    throw openError(path, error);
  }
  if (path !== ':memory:') {
    // Attached under a fixed name: DuckDB would name the catalog after the file, and a
    // file called hearc.duckdb (or ivoa.duckdb ...) would clash with our schemas.
    const connection = await instance.connect();
    try {
      await connection.run(
        `ATTACH ${sqlStringLiteral(path)} AS ${CATALOG_NAME}${readOnly ? ' (READ_ONLY)' : ''}`,
      );
    } catch (error) {
      connection.disconnectSync();
      instance.closeSync();
      throw openError(path, error);
    }
    connection.disconnectSync();
  }
  if (path !== ':memory:') openInstances.set(path, { instance, readOnly, users: 1 });
  return instance;
}

function closeInstance(path: string, instance: DuckDBInstance): void {
  const shared = openInstances.get(path);
  if (shared && shared.instance === instance) {
    if (--shared.users > 0) return;
    openInstances.delete(path);
  }
  instance.closeSync();
}

/** DuckDB's own messages about locks and missing files, said in hearc's terms. */
function openError(path: string, error: unknown): EngineError {
  const message = errorMessage(error);
  if (/Could not set lock on file/i.test(message)) {
    const pid = /PID (\d+)/.exec(message)?.[1];
    return new EngineError(
      `the catalog ${path} is in use by another hearc process (pid ${pid ?? 'unknown'}); ` +
        'a DuckDB catalog has one writer, so stop that process (or wait for it to finish) and run this again; ' +
        'a PostgreSQL catalog lets servers and commands work at once',
      { cause: error },
    );
  }
  if (/database does not exist|No such file|Cannot open database/i.test(message)) {
    return new EngineError(`cannot open the catalog ${path}: ${message}`, { cause: error });
  }
  return new EngineError(`cannot open the DuckDB catalog ${path}: ${message}`, { cause: error });
}

/**
 * Installs the dialect prelude on a new connection. Its statements must create
 * connection-local (TEMP) objects: a read-only catalog refuses CREATE, and a
 * persistent macro would rewrite the catalog on every open.
 */
async function prepareConnection(
  instance: DuckDBInstance,
  path: string,
): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  if (path !== ':memory:') await connection.run(`USE ${CATALOG_NAME}`);
  for (const statement of duckdbPreludeSql) await connection.run(statement);
  registerDuckDbFunctions(connection);
  registerAppendScan(connection);
  return connection;
}

let memoryEngines = 0;

export class DuckDbEngine implements Engine {
  readonly dialect = 'duckdb' as const;
  private memoryKey: string | undefined;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Statements kept prepared, per connection (duckdb-statements.ts). */
  private readonly statements = new PreparedStatements();
  /** Writes begun and ended by this engine: the generation of kept statements moves with them. */
  private writes = 0;

  private constructor(
    readonly location: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
    private readonly connections: readonly DuckDBConnection[],
    private readonly pool: ConnectionPool<DuckDBConnection>,
  ) {}

  /** Opens (creating it when writable) the catalog file, or an in-memory catalog for ':memory:'. */
  static async open(location: string, options: DuckDbOptions = {}): Promise<DuckDbEngine> {
    const path = location === ':memory:' ? location : resolve(location);
    const readOnly = options.readOnly ?? false;
    const instance = await openInstance(path, readOnly);
    const connections: DuckDBConnection[] = [];
    try {
      for (let i = 0; i < Math.max(1, options.connections ?? 4); i++) {
        connections.push(await prepareConnection(instance, path));
      }
    } catch (error) {
      for (const c of connections) c.disconnectSync();
      closeInstance(path, instance);
      throw new EngineError(
        `cannot prepare a connection to the catalog ${path} (dialect prelude): ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return new DuckDbEngine(path, readOnly, instance, connections, new ConnectionPool(connections));
  }

  async ensureTables(tables: readonly TableDef[]): Promise<void> {
    await this.write((connection) =>
      inTransaction(connection, () =>
        ensureTablesWith(
          {
            run: async (sql) => void (await connection.run(sql)),
            rows: async (sql) => (await connection.runAndReadAll(sql)).getRowsJS() as SqlValue[][],
          },
          tables,
          duckDbColumnSql,
        ),
      ),
    );
    const catalog = this.location === ':memory:' ? null : CATALOG_NAME;
    await fillAllStcsTexts(tables, (fill) =>
      this.write((connection) =>
        inTransaction(connection, () => fill(duckDbSession(connection, catalog))),
      ),
    );
  }

  async transaction<T>(work: (tx: CatalogTransaction) => Promise<T>): Promise<T> {
    return this.writeTransaction((session, _connection, kept) =>
      work(kept(new SessionTransaction(session))),
    );
  }

  async rewriteInOrder(
    table: TableDef,
    orderBy: readonly SortKey[],
    alsoWrite?: (tx: CatalogTransaction, rows: number) => Promise<void>,
  ): Promise<number> {
    const rows = await this.writeTransaction(
      async (session, connection, kept) => {
        // The sort and its insert run on every thread (half the wall time of one, the same CPU).
        await session.bulkLoad(true);
        const rows = await rewriteSorted(connection, table, orderBy);
        await alsoWrite?.(kept(new SessionTransaction(session)), rows);
        return rows;
      },
      [qualifiedName(table)],
    );
    // The old rows' blocks are free once this is in the file (see dropTables).
    await this.checkpoint();
    return rows;
  }

  async dropTables(tables: readonly TableDef[]): Promise<void> {
    await this.write(async (connection) => {
      for (const table of tables) await connection.run(dropTableSql(table));
    });
    // Write the drop into the file now, so its blocks are free for reuse and the WAL
    // stays small (per-query upload tables come and go all day).
    await this.checkpoint();
  }

  /**
   * Writes what is committed into the catalog file. It cannot run while another
   * transaction is open; the next checkpoint (or DuckDB's own) then does it.
   */
  private async checkpoint(): Promise<void> {
    if (this.location === ':memory:') return;
    await this.write((connection) => connection.run(`CHECKPOINT ${CATALOG_NAME}`)).catch(
      () => undefined,
    );
  }

  selectRows(table: TableDef, where?: RowFilter): Promise<CatalogRow[]> {
    return this.pool.use((connection) =>
      selectCatalogRows(duckDbSession(connection), table, where),
    );
  }

  streamRows(table: TableDef): Promise<Cursor> {
    return this.stream(selectSql(table, ''));
  }

  /**
   * The catalog's generation for kept statements: moves with every write by this engine
   * and every commit by an engine of this process (an admin command's, say).
   */
  private get generation(): number {
    return this.writes + this.commits;
  }

  /** Starts `sql` streaming, with its kept prepared statement when `keep`; a kept one that fails is dropped. */
  private async startStreaming(
    connection: DuckDBConnection,
    sql: string,
    keep: boolean,
  ): Promise<DuckDBResult> {
    if (!keep) return connection.stream(sql);
    const prepared = await this.statements.get(connection, sql, this.generation);
    if (prepared === undefined) return connection.stream(sql);
    try {
      return await prepared.stream();
    } catch (error) {
      this.statements.drop(connection, sql);
      throw error;
    }
  }

  async stream(sql: string, options: QueryOptions = {}): Promise<Cursor> {
    const guard = new QueryGuard(options);
    let connection: DuckDBConnection | undefined;
    let pinned = false;
    const release = async (running: DuckDBConnection): Promise<void> => {
      if (pinned) await running.run('ROLLBACK').catch(() => undefined);
      this.pool.release(running);
    };
    try {
      connection = await this.pool.acquire(guard.signal, options.waitMs);
      guard.throwIfCancelled();
      const running = connection;
      guard.onCancel(() => running.interrupt());
      let statement = sql;
      const alternative = options.whenUnchanged;
      if (alternative !== undefined && alternative.since.length > 0) {
        pinned = true;
        statement = (await this.unchangedSince(running, alternative)) ? alternative.sql : sql;
        guard.throwIfCancelled();
      }
      const result = await this.startStreaming(running, statement, options.keepPrepared === true);
      guard.throwIfCancelled();
      const source = new DuckDbRowSource(
        result,
        running,
        () => release(running),
        Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE),
      );
      return guardedCursor(source, guard, options);
    } catch (error) {
      guard.dispose();
      if (connection) await release(connection);
      throw guard.failure(error);
    }
  }

  /**
   * Opens a transaction on `connection` and pins its snapshot (a read of one marked
   * table), then tells whether that snapshot holds no commit to the marked tables beyond
   * the counts marked. A commit is counted only after its COMMIT returned, but it is
   * marked under way from before COMMIT is sent: with no commit under way after the pin,
   * and the counts as marked, the snapshot holds exactly the commits counted.
   */
  private async unchangedSince(
    connection: DuckDBConnection,
    alternative: UnchangedAlternative,
  ): Promise<boolean> {
    const first = alternative.since[0]!.tables[0];
    const read = first
      ? `SELECT count(*) FROM (SELECT 1 FROM ${tableIdentifier(first)} LIMIT 1)`
      : 'SELECT count(*) FROM duckdb_tables()';
    await connection.run(`BEGIN TRANSACTION; ${read}`);
    return (
      commitsUnderWay(this.commitKey) === 0 &&
      alternative.since.every((mark) => this.commitsWriting(mark.tables) === mark.commits)
    );
  }

  /** The catalog file, or this engine alone for an in-memory one. */
  private get commitKey(): string {
    return this.location === ':memory:'
      ? (this.memoryKey ??= `:memory:${++memoryEngines}`)
      : this.location;
  }

  get commits(): number {
    return commitsTo(this.commitKey);
  }

  /** DuckDB lets one process at a time open a catalog file for writing: this one, or none. */
  readonly countsEveryCommit = true;

  get commitsUnderWay(): number {
    return commitsUnderWay(this.commitKey);
  }

  commitsWriting(tables: readonly TableDef[]): number {
    return commitsTo(this.commitKey, tables.map(qualifiedName));
  }

  /** DuckDB keeps each table's statistics as it writes it. */
  refreshStatistics(): Promise<void> {
    return Promise.resolve();
  }

  /** This process's counts: the only writer of the file. */
  markOf(tables: readonly TableDef[]): number {
    return this.commitsWriting(tables);
  }

  readMark(tables: readonly TableDef[]): Promise<number> {
    return Promise.resolve(this.commitsWriting(tables));
  }

  usage(): EngineUsage {
    return this.pool.usage();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.close();
    await this.writeQueue.catch(() => undefined);
    for (const c of this.connections) c.disconnectSync();
    closeInstance(this.location, this.instance);
  }

  /**
   * `work` in one transaction of a catalog session, as a write: the tables written by
   * the SessionTransaction it keeps (and `alsoWritten`) are counted once COMMIT was sent,
   * whatever came of it. A count too many only makes caches look again; one too few
   * would hide a commit from them.
   */
  private writeTransaction<T>(
    work: (
      session: DuckDbSession,
      connection: DuckDBConnection,
      kept: (tx: SessionTransaction) => SessionTransaction,
    ) => Promise<T>,
    alsoWritten: readonly string[] = [],
  ): Promise<T> {
    let tx: SessionTransaction | undefined;
    let committed: ((written: Iterable<string>) => void) | undefined;
    return this.write(
      async (connection) => {
        const session = duckDbSession(
          connection,
          this.location === ':memory:' ? null : CATALOG_NAME,
        );
        try {
          return await inTransaction(
            connection,
            () => work(session, connection, (made) => (tx = made)),
            () => void (committed = beginCommit(this.commitKey)),
          );
        } finally {
          await session.endBulkLoad();
        }
      },
      () => committed?.([...alsoWritten, ...(tx?.written ?? [])]),
    );
  }

  /**
   * Catalog changes run one at a time: DuckDB would abort concurrent conflicting writers.
   * Runs `work` after the writes queued before it, on a connection of the pool. A write
   * in a transaction of its own marks its commit under way (commits.ts) and `counted`
   * counts it; any other write is marked as a commit under way from its first statement
   * to its end.
   */
  private write<T>(
    work: (connection: DuckDBConnection) => Promise<T>,
    counted?: () => void,
  ): Promise<T> {
    if (this.readOnly) {
      return Promise.reject(new EngineError(`the catalog ${this.location} is open read-only`));
    }
    this.writes++;
    const run = this.writeQueue
      .then(() => {
        const untracked = counted === undefined ? beginCommit(this.commitKey) : undefined;
        return this.pool.use(work).finally(() => untracked?.());
      })
      .finally(() => {
        this.writes++;
        counted?.();
      });
    this.writeQueue = run.catch(() => undefined);
    return run;
  }
}

/** `work` in one transaction; `committing` is told just before COMMIT is sent. */
async function inTransaction<T>(
  connection: DuckDBConnection,
  work: () => Promise<T>,
  committing?: () => void,
): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    committing?.();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A sort key as DuckDB SQL. */
const sortKeySql = (key: SortKey): string =>
  typeof key === 'string'
    ? quoteIdentifier(key)
    : `floor(${quoteIdentifier(key.column)} / ${String(key.bin)})`;

/**
 * Copies the rows of `table` in `orderBy` order into a new table made with DuckDB's own
 * definition of it (every type, NOT NULL and other constraint kept), which then takes
 * its name; in the connection's transaction. Returns the rows copied.
 */
async function rewriteSorted(
  connection: DuckDBConnection,
  table: TableDef,
  orderBy: readonly SortKey[],
): Promise<number> {
  const found = await connection.runAndReadAll(
    `SELECT sql, (SELECT count(*) FROM duckdb_indexes() i
                  WHERE i.database_name = t.database_name AND i.schema_name = t.schema_name
                    AND i.table_name = t.table_name)
     FROM duckdb_tables() t
     WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2`,
    [table.schema, table.name],
  );
  const [definition, indexes] = found.getRowsJS()[0] ?? [];
  const head = /^CREATE TABLE [^(]+\(/;
  if (typeof definition !== 'string' || !head.test(definition)) {
    throw new EngineError(`the catalog has no table ${qualifiedName(table)} to rewrite`);
  }
  // DuckDB keeps an index apart from the table's definition: it would be lost.
  if (Number(indexes) > 0) {
    throw new EngineError(`cannot rewrite ${qualifiedName(table)}: it has indexes`);
  }
  const copy = { ...table, name: `${table.name}__in_order` };
  await connection.run(
    withColumnStorage(definition, table).replace(head, `CREATE TABLE ${tableIdentifier(copy)}(`),
  );
  const copied = await connection.run(
    `INSERT INTO ${tableIdentifier(copy)} SELECT * FROM ${tableIdentifier(table)} ORDER BY ${orderBy.map(sortKeySql).join(', ')}`,
  );
  await connection.run(dropTableSql(table));
  await connection.run(
    `ALTER TABLE ${tableIdentifier(copy)} RENAME TO ${quoteIdentifier(table.name)}`,
  );
  return Number(copied.rowsChanged);
}

/** What DuckDB may hold in memory while it bulk-loads: it would otherwise keep every block it wrote. */
const BULK_LOAD_MEMORY = 512 * 2 ** 20;

/** Bytes of a DuckDB memory setting ('18.5 GiB', '512.0 MiB', '1.0 GB'), undefined when unlimited. */
function settingBytes(value: string): number | undefined {
  const found = /^([\d.]+)\s*([KMGT]i?B|bytes)$/i.exec(value.trim());
  if (!found) return undefined;
  const unit = found[2]!.toUpperCase();
  const base = unit.includes('I') ? 1024 : 1000;
  const power = unit === 'BYTES' ? 0 : 'KMGT'.indexOf(unit[0]!) + 1;
  return Number(found[1]) * base ** power;
}

/** A catalog session on a DuckDB connection, which may bulk-load (duckDbSession). */
type DuckDbSession = CatalogSession & {
  /** `parallel`: keep DuckDB's threads (a rewrite's sort, which uses them all without spinning). */
  bulkLoad(parallel?: boolean): Promise<void>;
  endBulkLoad(): Promise<void>;
};

/**
 * Runs catalog statements on one connection, values bound with their column's type. Its
 * first append sets DuckDB up for a bulk load until endBulkLoad: one thread (with more,
 * an append's insert is a parallel one whose threads spin while they wait for each other,
 * and merge their row groups after: twice the CPU for the bulk append alone),
 * and, for a catalog file, at most BULK_LOAD_MEMORY (so that memory stays flat however
 * many events are loaded).
 */
function duckDbSession(connection: DuckDBConnection, catalog: string | null = null): DuckDbSession {
  let before: { readonly threads: number; readonly memory: string } | undefined;
  const bulkLoad = async (parallel = false): Promise<void> => {
    if (before !== undefined) return;
    const setting = await connection.runAndReadAll(
      `SELECT current_setting('threads'), current_setting('memory_limit')`,
    );
    const [threads, memory] = setting.getRows()[0] ?? [];
    before = { threads: Number(threads ?? 1), memory: String(memory) };
    if (before.threads > 1 && !parallel) await connection.run('SET threads = 1');
    // An in-memory catalog has nowhere to evict its blocks to.
    if (catalog !== null && (settingBytes(before.memory) ?? Infinity) > BULK_LOAD_MEMORY)
      await connection.run(`SET memory_limit = '${BULK_LOAD_MEMORY / 2 ** 20}MiB'`);
  };
  const run = (sql: string, values: readonly BoundValue[]): Promise<DuckDBMaterializedResult> =>
    connection.run(
      sql,
      values.map((v) => duckDbValue(v.storage, v.value)),
      values.map((v) => duckDbType(v.storage).type),
    );
  return {
    placeholder: (n) => `$${n}`,
    geometryReadsBackAsWritten: true,
    execute: async (sql, values) => (await run(sql, values)).rowsChanged,
    query: async (sql, values) => {
      const result = await run(sql, values);
      return catalogValues(await result.convertColumns(JSDuckDBValueConverter), readersOf(result));
    },
    bulkLoad,
    append: async (table, columns, rowCount) => {
      await bulkLoad();
      await appendToDuckDb(connection, catalog, table, columns, rowCount);
    },
    endBulkLoad: async () => {
      if (before === undefined) return;
      await connection.run(`SET threads = ${before.threads}`);
      await connection.run(`SET memory_limit = ${sqlStringLiteral(before.memory)}`);
      before = undefined;
    },
  };
}
