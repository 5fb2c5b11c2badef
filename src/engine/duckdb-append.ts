/**
 * Bulk loading into DuckDB: `INSERT INTO table SELECT … FROM hearc_append_scan(key)`, a
 * table function that hands DuckDB the batch's typed arrays a data chunk at a time (one
 * copy each), so that millions of events load per second. Only the columns whose values
 * vary come through the scan: a value repeated on every row is a literal of the SELECT
 * and a column the batch lacks is NULL there. The statement runs in the connection's
 * transaction (an ingest that fails leaves nothing) and off this thread: DuckDB's own
 * work per row (statistics, segments, compression) no longer holds up the event loop,
 * which only fills each chunk. The appender could not do either: it fills every column
 * of the table, flushes on the calling thread, and copies each value once more into a
 * collection of its own first.
 */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBHugeIntVector,
  DuckDBTableFunction,
  FLOAT,
  INTEGER,
  SMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api';
import type { TableDef } from '../schema/types.js';
import {
  batchValue,
  quoteIdentifier,
  sqlStringLiteral,
  tableIdentifier,
  type BatchColumn,
  type ColumnStorage,
} from './catalog-sql.js';
import { errorMessage, type CodedStrings, type SqlValue } from './types.js';

/** Rows per data chunk the scan fills: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

function appendType(storage: ColumnStorage): DuckDBType {
  if (storage.kind === 'text') return VARCHAR;
  if (storage.kind !== 'scalar') throw new Error(`internal: cannot append ${storage.kind}`);
  switch (storage.datatype) {
    case 'boolean':
      return BOOLEAN;
    case 'unsignedByte':
      return UTINYINT;
    case 'short':
      return SMALLINT;
    case 'int':
      return INTEGER;
    case 'long':
      return BIGINT;
    case 'float':
      return FLOAT;
    case 'double':
      return DOUBLE;
  }
}

/** What the vectors keep on the JavaScript side (private in the typings of @duckdb/node-api 1.5). */
interface VectorInternals {
  readonly items?:
    Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | BigInt64Array;
  readonly validity?: {
    readonly data: BigUint64Array | null;
    setItemValid(index: number, valid: boolean): void;
  };
  /** The C vector; for VARCHAR its 16-byte string_t items are read and written through another view. */
  readonly vector?: Parameters<typeof DuckDBHugeIntVector.fromRawVector>[0];
  /** A copy of the C vector's items (of HUGEINT and VARCHAR vectors), written back by flush(). */
  readonly dataView?: DataView;
}
const internals = (vector: DuckDBVector): VectorInternals => vector as unknown as VectorInternals;

/**
 * Fills a VARCHAR vector with coded strings: each distinct string of the chunk crosses into
 * DuckDB once (a native call per string is what costs), and its other rows get a copy of
 * the first one's string_t, which points into the same vector's string heap.
 */
function fillCoded(vector: DuckDBVector, values: CodedStrings, first: number, count: number): void {
  const { codes, dictionary } = values;
  const { validity, vector: raw } = internals(vector);
  if (!raw) throw new Error('internal: a VARCHAR vector without its C vector');
  const firstRow = new Int32Array(dictionary.length).fill(-1);
  const copyOf = new Int32Array(count);
  // A reused vector: every row valid again before this chunk's NULLs are marked.
  validity?.data?.fill(0xffffffffffffffffn);
  for (let r = 0; r < count; r++) {
    const code = codes[first + r] as number;
    const value = dictionary[code] ?? null;
    const seen = firstRow[code] as number;
    if (value === null || seen < 0) {
      vector.setItem(r, value as never);
      firstRow[code] = r;
      copyOf[r] = -1;
    } else copyOf[r] = seen;
  }
  vector.flush();
  // The string_t items as DuckDB now holds them, 16 bytes each: copied row to row, written back once.
  const items = DuckDBHugeIntVector.fromRawVector(raw, count);
  const view = internals(items).dataView;
  if (!view) throw new Error('internal: a HUGEINT vector without its items');
  for (let r = 0; r < count; r++) {
    const from = copyOf[r] as number;
    if (from < 0) continue;
    for (let b = 0; b < 16; b += 4) view.setUint32(16 * r + b, view.getUint32(16 * from + b));
  }
  items.flush();
}

/** Fills rows [first, first + count) of a batch column into a vector. */
function fillVector(vector: DuckDBVector, c: BatchColumn, first: number, count: number): void {
  const values = c.values;
  const { items, validity } = internals(vector);
  if (values !== undefined && 'codes' in values) return fillCoded(vector, values, first, count);
  const typed =
    values !== undefined && !('repeat' in values) && !Array.isArray(values)
      ? (values as Exclude<typeof values, readonly unknown[]>)
      : undefined;
  if (items && typed) {
    // A reused vector: every row valid again before this chunk's NULLs are marked.
    validity?.data?.fill(0xffffffffffffffffn);
    const part = typed.subarray(first, first + count);
    const floats = part instanceof Float64Array || part instanceof Float32Array;
    if (!(items instanceof BigInt64Array)) {
      if (part instanceof BigInt64Array) for (let r = 0; r < count; r++) items[r] = Number(part[r]);
      else items.set(part as ArrayLike<number>);
      if (floats)
        for (let r = 0; r < count; r++) if (Number.isNaN(part[r])) vector.setItem(r, null);
    } else if (part instanceof BigInt64Array) {
      items.set(part);
    } else {
      for (let r = 0; r < count; r++) {
        const v = part[r] as number;
        if (Number.isFinite(v)) items[r] = BigInt(Math.trunc(v));
        else vector.setItem(r, null);
      }
    }
    vector.flush();
    return;
  }
  const bigint = items instanceof BigInt64Array;
  for (let r = 0; r < count; r++) {
    const v = batchValue(values, first + r);
    vector.setItem(r, bigint && typeof v === 'number' ? BigInt(Math.trunc(v)) : (v as never));
  }
  vector.flush();
}

/** A batch being inserted: what the scan of its key reads. */
interface ScannedBatch {
  /** The columns that vary from row to row, in the scan's column order. */
  readonly columns: readonly BatchColumn[];
  readonly rowCount: number;
}

/** Batches being inserted, by the key their statement scans (one per connection at a time). */
const scanned = new Map<number, ScannedBatch>();
let lastKey = 0;

const SCAN_FUNCTION = 'hearc_append_scan';

/** Rows the scan has handed DuckDB so far: per statement. */
interface ScanState {
  at: number;
}

const appendScan = DuckDBTableFunction.create({
  name: SCAN_FUNCTION,
  parameterTypes: [INTEGER],
  bindFunction: (info) => {
    const batch = scanned.get(Number(info.getParameter(0)));
    if (!batch) return info.setError(`internal: ${SCAN_FUNCTION} has no batch to read`);
    batch.columns.forEach((c, i) => info.addResultColumn(`c${i}`, appendType(c.storage)));
    info.setBindData(batch);
    info.setCardinality(batch.rowCount, true);
  },
  initFunction: (info) => info.setInitData({ at: 0 } satisfies ScanState),
  mainFunction: (info, chunk: DuckDBDataChunk) => {
    const batch = info.bindData as ScannedBatch;
    const state = info.initData as ScanState;
    const count = Math.min(CHUNK_ROWS, batch.rowCount - state.at);
    chunk.rowCount = count;
    if (count === 0) return;
    try {
      batch.columns.forEach((c, i) => fillVector(chunk.getColumnVector(i), c, state.at, count));
    } catch (error) {
      info.setError(errorMessage(error));
    }
    state.at += count;
  },
});

/**
 * Makes the scan known to a new connection (DuckDB keeps it in the instance's system
 * catalog), before it runs anything: registering takes a catalog transaction.
 */
export function registerAppendScan(connection: DuckDBConnection): void {
  connection.registerTableFunction(appendScan);
}

/** A value the same on every row, as a literal of the column's type. */
function literalSql(storage: ColumnStorage, value: SqlValue): string {
  if (value === null) return 'NULL';
  // Through the value's text: exact for doubles (the shortest that reads back), bigints, NaN, ±Infinity.
  const text = Object.is(value, -0) ? '-0' : String(value);
  return `CAST(${sqlStringLiteral(text)} AS ${appendType(storage).toString()})`;
}

/**
 * Appends checked batch columns (every column of the table, in order) to `table`: the
 * columns that vary through the scan, repeated values as literals, absent ones NULL.
 */
export async function appendToDuckDb(
  connection: DuckDBConnection,
  catalog: string | null,
  table: TableDef,
  columns: readonly BatchColumn[],
  rowCount: number,
): Promise<void> {
  const varying = columns.filter((c) => c.values !== undefined && !('repeat' in c.values));
  const select = columns.map((c) => {
    const at = varying.indexOf(c);
    if (at >= 0) return `c${at}`;
    return literalSql(c.storage, c.values === undefined ? null : batchValue(c.values, 0));
  });
  const key = (lastKey = (lastKey % 0x7fffffff) + 1);
  // A batch of repeated values alone: DuckDB's table functions must give a column.
  const from = varying.length > 0 ? `${SCAN_FUNCTION}(${key})` : `range(${rowCount})`;
  const target = catalog === null ? '' : `${quoteIdentifier(catalog)}.`;
  const names = columns.map((c) => quoteIdentifier(c.column.name)).join(', ');
  scanned.set(key, { columns: varying, rowCount });
  try {
    await connection.run(
      `INSERT INTO ${target}${tableIdentifier(table)} (${names}) SELECT ${select.join(', ')} FROM ${from}`,
    );
  } finally {
    scanned.delete(key);
  }
}
