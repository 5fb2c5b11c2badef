/**
 * Result columns read straight from DuckDB's vectors: numbers from their typed
 * arrays, null flags from the validity bytes, short strings from the inline bytes,
 * lists of numbers from the child vector. The generic value converter builds a
 * value object per cell and tests validity with BigInt arithmetic; this does
 * neither. The values are the catalog values the converter path gives (see
 * SqlValue): BIGINT as bigint, TIMESTAMP as Date (microseconds truncated to ms),
 * numeric lists as number[]. Types without a fast reader return undefined.
 */
import {
  DuckDBBigIntVector,
  DuckDBDoubleVector,
  DuckDBFloatVector,
  DuckDBIntegerVector,
  DuckDBListVector,
  DuckDBSmallIntVector,
  DuckDBTimestampVector,
  DuckDBTinyIntVector,
  DuckDBUTinyIntVector,
  DuckDBVarCharVector,
  type DuckDBDataChunk,
  type DuckDBType,
  DuckDBVector,
} from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { isAscii } from 'node:buffer';
import type { SqlValue } from './types.js';

/**
 * The vectors' fields this reads (private in the typings of @duckdb/node-api 1.5,
 * which package.json pins); a vector not shaped so is read by the converter.
 */
interface VectorInternals {
  readonly items?: unknown;
  readonly dataView?: unknown;
  readonly childData?: DuckDBVector;
  readonly entryData?: unknown;
}

const internals = (vector: DuckDBVector): VectorInternals => vector as unknown as VectorInternals;

type NumberItems = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** The validity bitmap as bytes (bit i of the little-endian words is row i), or null when all are valid. */
function validityBytes(vector: DuckDBVector): Uint8Array | null {
  const validity = (
    vector as unknown as { validity: { data: BigUint64Array | null; offset: number } }
  ).validity;
  if (!validity.data) return null;
  if (validity.offset !== 0) throw new Error('hearc reads DuckDB vectors from offset 0 only');
  const words = validity.data;
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

const valid = (bytes: Uint8Array | null, row: number): boolean =>
  bytes === null || ((bytes[row >> 3]! >> (row & 7)) & 1) === 1;

function numberColumn(items: NumberItems, bytes: Uint8Array | null, from: number, to: number) {
  const out = new Array<SqlValue>(to - from);
  for (let r = from; r < to; r++) out[r - from] = valid(bytes, r) ? items[r]! : null;
  return out;
}

function bigintColumn(items: BigInt64Array, bytes: Uint8Array | null, from: number, to: number) {
  const out = new Array<SqlValue>(to - from);
  for (let r = from; r < to; r++) out[r - from] = valid(bytes, r) ? items[r]! : null;
  return out;
}

function timestampColumn(items: BigInt64Array, bytes: Uint8Array | null, from: number, to: number) {
  const out = new Array<SqlValue>(to - from);
  // Catalogs repeat timestamps row after row: one Date for a run of equal ones.
  let last: Date | undefined;
  let lastMicros = 0n;
  for (let r = from; r < to; r++) {
    if (!valid(bytes, r)) {
      out[r - from] = null;
      continue;
    }
    const micros = items[r]!;
    if (last !== undefined && micros === lastMicros) {
      out[r - from] = last;
      continue;
    }
    const m = Number(micros);
    // BigInt division truncates toward zero; so does this, exactly, below 2^53.
    last = Number.isSafeInteger(m)
      ? new Date((m - (m % 1000)) / 1000)
      : new Date(Number(micros / 1000n));
    lastMicros = micros;
    out[r - from] = last;
  }
  return out;
}

/** The column's vector in a result chunk, made with the column's type known (none asked of DuckDB). */
export function chunkVector(
  chunk: DuckDBDataChunk,
  column: number,
  type: DuckDBType,
): DuckDBVector {
  return DuckDBVector.create(
    bindings.data_chunk_get_vector(chunk.chunk, column),
    chunk.rowCount,
    type,
  );
}

/** The most bytes of long strings read in one native call. */
const RUN_BYTES = 1 << 20;

// Decodes as the vector's own getItem does (a TextDecoder: a leading BOM is dropped).
const utf8 = new TextDecoder();

function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = length - 1; i >= 0; i--) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/** Where the bytes of the long string of row r are (a string_t: length, prefix, pointer). */
const pointerAt = (view: DataView, r: number): number =>
  view.getUint32(r * 16 + 8, true) + view.getUint32(r * 16 + 12, true) * 2 ** 32;

/**
 * Long strings (over 12 bytes) of rows `from` on that DuckDB stored one right after the
 * other (the usual case: a vector's string heap), read with one native call instead of
 * one each: the bytes read are exactly theirs. Returns the row after the run.
 */
function readStringRun(
  vector: DuckDBVarCharVector,
  view: DataView,
  validity: Uint8Array | null,
  from: number,
  count: number,
  out: SqlValue[],
  offset: number,
): number {
  const first = pointerAt(view, from);
  let bytes = view.getUint32(from * 16, true);
  let end = from + 1;
  while (end < count && bytes < RUN_BYTES && valid(validity, end)) {
    const length = view.getUint32(end * 16, true);
    if (length <= 12 || pointerAt(view, end) !== first + bytes) break;
    bytes += length;
    end++;
  }
  if (end === from + 1) {
    out[from - offset] = vector.getItem(from);
    return end;
  }
  const run = bindings.get_data_from_pointer(
    view.buffer as ArrayBuffer,
    view.byteOffset + from * 16 + 8,
    bytes,
  );
  const text = Buffer.from(run.buffer, run.byteOffset, run.byteLength);
  const ascii = isAscii(text);
  let at = 0;
  let previous: string | undefined;
  let previousAt = 0;
  for (let r = from; r < end; r++) {
    const length = view.getUint32(r * 16, true);
    // A repeated string (a constant column) is the previous JS string again, not a new one.
    const value =
      previous !== undefined && previous.length === length && sameBytes(run, previousAt, at, length)
        ? previous
        : ascii
          ? text.toString('latin1', at, at + length)
          : utf8.decode(run.subarray(at, at + length));
    out[r - offset] = value;
    // Only an ASCII string's length is its byte count.
    previous = ascii ? value : undefined;
    previousAt = at;
    at += length;
  }
  return end;
}

/** Whether the inline bytes of rows a and b (string_t at a·16 and b·16) are the same. */
function sameInline(base: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 4; i < 4 + length; i++) if (base[a + i] !== base[b + i]) return false;
  return true;
}

/**
 * Inline strings (12 bytes or fewer) of plain ASCII are decoded here, a string the same
 * as the one before it being that string again; runs of long ones too; others by the
 * vector. Each string is made in one piece (built a character at a time, a string of
 * 12 made 12: the largest share of a result's garbage).
 */
function varcharColumn(vector: DuckDBVarCharVector, view: DataView, from: number, to: number) {
  const bytes = validityBytes(vector);
  const base = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const text = Buffer.from(base.buffer, base.byteOffset, base.byteLength);
  const out = new Array<SqlValue>(to - from);
  let previous: string | undefined;
  let previousAt = 0;
  for (let r = from; r < to; r++) {
    if (!valid(bytes, r)) {
      out[r - from] = null;
      continue;
    }
    const at = r * 16;
    const length = view.getUint32(at, true);
    if (length > 12) {
      r = readStringRun(vector, view, bytes, r, to, out, from) - 1;
      previous = undefined;
      continue;
    }
    if (
      previous !== undefined &&
      previous.length === length &&
      sameInline(base, previousAt, at, length)
    ) {
      out[r - from] = previous;
      continue;
    }
    let ascii = true;
    for (let i = at + 4; i < at + 4 + length; i++) {
      if (base[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      const value = text.toString('latin1', at + 4, at + 4 + length);
      previous = value;
      previousAt = at;
      out[r - from] = value;
      continue;
    }
    previous = undefined;
    out[r - from] = vector.getItem(r);
  }
  return out;
}

function listColumn(vector: DuckDBListVector, from: number, to: number): SqlValue[] | undefined {
  const { childData: child, entryData: entries } = internals(vector);
  if (child === undefined || !(entries instanceof BigUint64Array)) return undefined;
  const items = numberItemsOf(child);
  if (items === undefined) return undefined;
  const childBytes = validityBytes(child);
  const bytes = validityBytes(vector);
  const out = new Array<SqlValue>(to - from);
  for (let r = from; r < to; r++) {
    if (!valid(bytes, r)) {
      out[r - from] = null;
      continue;
    }
    const offset = Number(entries[2 * r]);
    const length = Number(entries[2 * r + 1]);
    const list = new Array<number | null>(length);
    for (let i = 0; i < length; i++) {
      list[i] = valid(childBytes, offset + i) ? items[offset + i]! : null;
    }
    out[r - from] = list as unknown as SqlValue;
  }
  return out;
}

function numberItemsOf(vector: DuckDBVector): NumberItems | undefined {
  if (
    vector instanceof DuckDBDoubleVector ||
    vector instanceof DuckDBFloatVector ||
    vector instanceof DuckDBIntegerVector ||
    vector instanceof DuckDBSmallIntVector ||
    vector instanceof DuckDBTinyIntVector ||
    vector instanceof DuckDBUTinyIntVector
  ) {
    const { items } = internals(vector);
    return ArrayBuffer.isView(items) && !(items instanceof DataView)
      ? (items as NumberItems)
      : undefined;
  }
  return undefined;
}

/**
 * The values of rows `from` to `to` (exclusive) of one result column, or undefined when
 * its type has no fast reader.
 */
export function readVectorValues(
  vector: DuckDBVector,
  from: number,
  to: number,
): SqlValue[] | undefined {
  const numbers = numberItemsOf(vector);
  if (numbers !== undefined) return numberColumn(numbers, validityBytes(vector), from, to);
  const { items, dataView } = internals(vector);
  if (vector instanceof DuckDBVarCharVector && dataView instanceof DataView) {
    return varcharColumn(vector, dataView, from, to);
  }
  if (vector instanceof DuckDBBigIntVector && items instanceof BigInt64Array) {
    return bigintColumn(items, validityBytes(vector), from, to);
  }
  if (vector instanceof DuckDBTimestampVector && items instanceof BigInt64Array) {
    return timestampColumn(items, validityBytes(vector), from, to);
  }
  if (vector instanceof DuckDBListVector) return listColumn(vector, from, to);
  return undefined;
}
