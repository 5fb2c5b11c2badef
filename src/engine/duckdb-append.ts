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
  DuckDBTableFunction,
  INTEGER,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBVector,
} from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { duckDbType } from './duckdb-types.js';
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

/** What the vectors keep on the JavaScript side (private in the typings of @duckdb/node-api 1.5). */
interface VectorInternals {
  readonly items?:
    Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | BigInt64Array;
}
const internals = (vector: DuckDBVector): VectorInternals => vector as unknown as VectorInternals;

/** A chunk's string_t items (16 bytes a row) as 32-bit words, built here and copied in at once. */
const stringItems = new Uint32Array(4 * CHUNK_ROWS);
/** A chunk's validity bits, built here when some rows are NULL. */
const validityWords = new BigUint64Array(CHUNK_ROWS / 64);
const validityBits = new Uint8Array(validityWords.buffer);

/**
 * Fills rows [first, first + count) of coded strings into the VARCHAR vector `column` of
 * a fresh chunk: each distinct string crosses into DuckDB once (a native call per string
 * is what costs), into the first rows, and every row then gets a copy of its string's
 * string_t (inline, or pointing into the vector's string heap), written in one copy.
 */
function copyCoded(
  chunk: DuckDBDataChunk,
  column: number,
  values: CodedStrings,
  first: number,
  count: number,
): void {
  const { codes, dictionary } = values;
  const vector = bindings.data_chunk_get_vector(chunk.chunk, column);
  // Where each code's string_t is among the first rows: -1 not seen yet, -2 NULL.
  const slot = new Int32Array(dictionary.length).fill(-1);
  let distinct = 0;
  let nulls = false;
  for (let r = 0; r < count; r++) {
    const code = codes[first + r] as number;
    if (slot[code] !== -1) continue;
    const value = dictionary[code] ?? null;
    if (value === null) {
      nulls = true;
      slot[code] = -2;
      continue;
    }
    bindings.vector_assign_string_element(vector, distinct, value);
    slot[code] = distinct++;
  }
  const made = bindings.vector_get_data(vector, 16 * distinct);
  const entries = new Uint32Array(made.buffer, made.byteOffset, 4 * distinct);
  if (nulls) validityBits.fill(0xff);
  for (let r = 0; r < count; r++) {
    const at = 4 * (slot[codes[first + r] as number] as number);
    const to = 4 * r;
    if (at < 0) {
      stringItems.fill(0, to, to + 4);
      validityBits[r >> 3]! &= ~(1 << (r & 7));
    } else {
      stringItems[to] = entries[at] as number;
      stringItems[to + 1] = entries[at + 1] as number;
      stringItems[to + 2] = entries[at + 2] as number;
      stringItems[to + 3] = entries[at + 3] as number;
    }
  }
  bindings.copy_data_to_vector(vector, 0, stringItems.buffer, 0, 16 * count);
  if (nulls) {
    bindings.vector_ensure_validity_writable(vector);
    bindings.copy_data_to_vector_validity(
      vector,
      0,
      validityWords.buffer,
      0,
      8 * Math.ceil(count / 64),
    );
  }
}

/** Fills rows [first, first + count) of a batch column into a vector of a fresh chunk (every row valid). */
function fillVector(vector: DuckDBVector, c: BatchColumn, first: number, count: number): void {
  const values = c.values;
  const { items } = internals(vector);
  const typed =
    values !== undefined && !('repeat' in values) && !('codes' in values) && !Array.isArray(values)
      ? (values as Exclude<typeof values, readonly unknown[] | CodedStrings>)
      : undefined;
  if (items && typed) {
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

/** The typed array whose elements are a column's values as DuckDB stores them. */
const SAME_LAYOUT: Partial<Record<string, abstract new (length: number) => ArrayBufferView>> = {
  double: Float64Array,
  float: Float32Array,
  long: BigInt64Array,
  int: Int32Array,
  short: Int16Array,
  unsignedByte: Uint8Array,
};

/** Values copied as they lie, bytes to bytes, into DuckDB's vector. */
function copiedAsTheyLie(c: BatchColumn): boolean {
  const layout = c.storage.kind === 'scalar' ? SAME_LAYOUT[c.storage.datatype] : undefined;
  return layout !== undefined && c.values instanceof layout;
}

/** A batch being inserted: what the scan of its key reads. */
interface ScannedBatch {
  /** The columns that vary from row to row, in the scan's column order. */
  readonly columns: readonly BatchColumn[];
  /** Which of them copiedAsTheyLie. */
  readonly direct: readonly boolean[];
  readonly rowCount: number;
}

/** NaN (NULL) among rows [first, first + count) of float values. */
function hasNaN(values: Float64Array | Float32Array, first: number, count: number): boolean {
  for (let r = first; r < first + count; r++) if (values[r] !== values[r]) return true;
  return false;
}

/**
 * Rows [first, first + count) of a column copiedAsTheyLie into a vector of a fresh chunk
 * (every row valid) with one native copy, no vector object made; false when a NaN must
 * be a NULL (fillVector then marks it).
 */
function copyRows(
  chunk: DuckDBDataChunk,
  column: number,
  values: ArrayBufferView,
  first: number,
  count: number,
): boolean {
  if (
    (values instanceof Float64Array || values instanceof Float32Array) &&
    hasNaN(values, first, count)
  )
    return false;
  const width = (values as Float64Array).BYTES_PER_ELEMENT;
  bindings.copy_data_to_vector(
    bindings.data_chunk_get_vector(chunk.chunk, column),
    0,
    values.buffer as ArrayBuffer,
    values.byteOffset + first * width,
    count * width,
  );
  return true;
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
    batch.columns.forEach((c, i) => info.addResultColumn(`c${i}`, duckDbType(c.storage).type));
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
      batch.columns.forEach((c, i) => {
        const values = c.values;
        if (values !== undefined && 'codes' in values)
          return copyCoded(chunk, i, values, state.at, count);
        const copied =
          batch.direct[i] && copyRows(chunk, i, values as ArrayBufferView, state.at, count);
        if (!copied) fillVector(chunk.getColumnVector(i), c, state.at, count);
      });
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
  return `CAST(${sqlStringLiteral(text)} AS ${duckDbType(storage).sql})`;
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
  scanned.set(key, { columns: varying, direct: varying.map(copiedAsTheyLie), rowCount });
  try {
    await connection.run(
      `INSERT INTO ${target}${tableIdentifier(table)} (${names}) SELECT ${select.join(', ')} FROM ${from}`,
    );
  } finally {
    scanned.delete(key);
  }
}
