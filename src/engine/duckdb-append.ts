/**
 * Bulk loading into DuckDB: columns copied into data chunks of the appender, typed
 * arrays with one copy each, so that millions of events load per second. The appender
 * writes in the connection's transaction, so an ingest that fails leaves nothing.
 */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBHugeIntVector,
  FLOAT,
  INTEGER,
  SMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api';
import type { TableDef } from '../schema/types.js';
import { batchValue, type BatchColumn, type ColumnStorage } from './catalog-sql.js';
import type { CodedStrings } from './types.js';

/** Rows per data chunk: DuckDB's vector size. */
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

/** Values the same on every row: filled into a reused chunk once. */
const isConstant = (values: BatchColumn['values']): boolean =>
  values === undefined || 'repeat' in values;

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
  if (values === undefined && validity) {
    validity.setItemValid(0, false);
    validity.data?.fill(0n);
    vector.flush();
    return;
  }
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

/**
 * Appends checked batch columns (every column of the table, in order) to `table`.
 * Full chunks reuse one data chunk, whose constant columns (an observation's
 * identifier, the columns its files lack) are written once.
 */
export async function appendToDuckDb(
  connection: DuckDBConnection,
  catalog: string | null,
  table: TableDef,
  columns: readonly BatchColumn[],
  rowCount: number,
): Promise<void> {
  const types = columns.map((c) => appendType(c.storage));
  const appender = await connection.createAppender(table.name, table.schema, catalog);
  try {
    const reused = rowCount >= CHUNK_ROWS ? DuckDBDataChunk.create(types, CHUNK_ROWS) : undefined;
    let constantsFilled = false;
    for (let first = 0; first < rowCount; first += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rowCount - first);
      const chunk = count === CHUNK_ROWS && reused ? reused : DuckDBDataChunk.create(types, count);
      const skipConstants = chunk === reused && constantsFilled;
      columns.forEach((c, i) => {
        if (!(skipConstants && isConstant(c.values)))
          fillVector(chunk.getColumnVector(i), c, first, count);
      });
      if (chunk === reused) constantsFilled = true;
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
