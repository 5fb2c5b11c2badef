/**
 * Turning big-endian binary table bytes into typed arrays, a column at a time.
 * Numbers are gathered from their rows and byte-swapped in bulk into one fresh
 * buffer that becomes the typed array; no per-value objects are made.
 */
import { Buffer } from 'node:buffer';
import { endianness } from 'node:os';
import {
  ELEMENT_BYTES,
  findColumn,
  isSignednessOffset,
  type ColumnCode,
  type ColumnDescriptor,
} from './columns.js';
import { FitsError, type FitsErrorContext } from './errors.js';

if (endianness() !== 'LE') {
  throw new Error(
    'hearc fits: big-endian hosts are not supported (typed arrays are read as little-endian)',
  );
}

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * Values of a column for N rows: numbers as a typed array of N*repeat (row-major),
 * L as booleans (null for undefined), A as strings, X as 0/1 bits, C/M as
 * interleaved (re, im) pairs, variable-length columns as one entry per row.
 */
export type ColumnValues = NumericArray | string[] | Array<boolean | null> | ColumnValues[];

export interface ColumnData {
  readonly descriptor: ColumnDescriptor;
  readonly values: ColumnValues;
}

/** A run of rows of one table, decoded. */
export interface RowBatch {
  /** Index (0-based) of the first row in the table. */
  readonly firstRow: number;
  readonly rowCount: number;
  readonly columns: readonly ColumnData[];
  /** The column with this name (case-insensitive); throws FitsError naming it when absent. */
  column(name: string): ColumnData;
}

/** The bytes of some consecutive rows of a table, with the heap for variable-length columns. */
export interface TableBytes {
  /** Starts at the first of the rows. */
  readonly rows: Uint8Array;
  readonly rowCount: number;
  readonly rowWidth: number;
  /** Starts at THEAP; needed only by variable-length columns. */
  readonly heap?: Uint8Array;
}

/** How the stored elements of a column are laid out. */
interface ElementRun {
  readonly code: ColumnCode;
  readonly repeat: number;
  readonly scale: number;
  readonly zero: number;
  readonly nullValue?: number | bigint;
  readonly dim?: readonly number[];
}

export function decodeRows(
  columns: readonly ColumnDescriptor[],
  table: TableBytes,
  firstRow: number,
  context: FitsErrorContext,
): RowBatch {
  const decoded = columns.map((descriptor) => ({
    descriptor,
    values: decodeColumn(descriptor, table, context),
  }));
  return {
    firstRow,
    rowCount: table.rowCount,
    columns: decoded,
    column: (name: string) => findColumn(decoded, (c) => c.descriptor.name, name, context),
  };
}

export function decodeColumn(
  column: ColumnDescriptor,
  table: TableBytes,
  context: FitsErrorContext,
): ColumnValues {
  if (column.variable)
    return decodeVariableColumn(column, table, { ...context, column: column.name });
  return decodeElements(column, table.rows, column.byteOffset, table.rowWidth, table.rowCount);
}

/** Decodes `rows` runs of `run.repeat` elements, each run starting `stride` bytes after the last. */
function decodeElements(
  run: ElementRun,
  src: Uint8Array,
  start: number,
  stride: number,
  rows: number,
): ColumnValues {
  switch (run.code) {
    case 'L':
      return decodeLogical(src, start, stride, rows, run.repeat);
    case 'X':
      return decodeBits(src, start, stride, rows, run.repeat);
    case 'A':
      return decodeStrings(src, start, stride, rows, run.repeat, run.dim);
    case 'C':
    case 'M': {
      const size = run.code === 'C' ? 4 : 8;
      const bytes = gatherSwapped(src, start, stride, rows, run.repeat * 2, size);
      return applyScaling(run, storedArray(run.code, bytes.buffer));
    }
    default: {
      const size = ELEMENT_BYTES[run.code];
      const bytes = gatherSwapped(src, start, stride, rows, run.repeat, size);
      if (isSignednessOffset(run.code, run.scale, run.zero)) return flipSignedness(run.code, bytes);
      return applyScaling(run, storedArray(run.code, bytes.buffer));
    }
  }
}

type NumericArrayType = new (buffer: ArrayBufferLike) => NumericArray;

/** The typed array holding each code's stored values (C and M hold re, im pairs). */
export const STORED_ARRAY: Readonly<
  Record<Exclude<ColumnCode, 'L' | 'X' | 'A'>, NumericArrayType>
> = {
  B: Uint8Array,
  I: Int16Array,
  J: Int32Array,
  K: BigInt64Array,
  E: Float32Array,
  D: Float64Array,
  C: Float32Array,
  M: Float64Array,
};

/** The typed array of the other signedness, which the TZERO/BZERO offset conventions store in B, I, J, K. */
export const OFFSET_ARRAY: Readonly<Partial<Record<ColumnCode, NumericArrayType>>> = {
  B: Int8Array,
  I: Uint16Array,
  J: Uint32Array,
  K: BigUint64Array,
};

export function storedArray(code: ColumnCode, buffer: ArrayBufferLike): NumericArray {
  return new STORED_ARRAY[code as keyof typeof STORED_ARRAY](buffer);
}

/** TZERO = -128, 2^15, 2^31, 2^63: flipping the top bit is the same as adding the offset. */
export function flipSignedness(code: ColumnCode, bytes: Uint8Array): NumericArray {
  const size = ELEMENT_BYTES[code];
  for (let i = size - 1; i < bytes.length; i += size) bytes[i] = bytes[i]! ^ 0x80;
  return new OFFSET_ARRAY[code]!(bytes.buffer);
}

/**
 * Physical values = stored * TSCAL + TZERO, as doubles, with TNULL values as NaN.
 * Unscaled values stay as stored unless `blanksToNaN` (images with BLANK).
 */
export function applyScaling(
  run: Omit<ElementRun, 'repeat'>,
  stored: NumericArray,
  blanksToNaN = false,
): NumericArray {
  if (run.scale === 1 && run.zero === 0 && !blanksToNaN) return stored;
  const { scale, zero } = run;
  const out = new Float64Array(stored.length);
  if (stored instanceof BigInt64Array || stored instanceof BigUint64Array) {
    const blank = run.nullValue === undefined ? undefined : BigInt(run.nullValue);
    for (let i = 0; i < stored.length; i++) {
      const v = stored[i]!;
      out[i] = v === blank ? Number.NaN : Number(v) * scale + zero;
    }
    return out;
  }
  const blank = run.nullValue === undefined ? Number.NaN : Number(run.nullValue);
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i]!;
    out[i] = v === blank ? Number.NaN : v * scale + zero;
  }
  return out;
}

/**
 * Copies `perRow` elements of `size` bytes from each of `rows` rows (`stride` apart)
 * into a fresh buffer, swapping each element to little-endian on the way.
 */
export function gatherSwapped(
  src: Uint8Array,
  start: number,
  stride: number,
  rows: number,
  perRow: number,
  size: number,
): Uint8Array {
  const rowBytes = perRow * size;
  const out = new Uint8Array(rows * rowBytes);
  if (out.length === 0) return out;
  checkBounds(src, start, stride, rows, rowBytes);
  if (rowBytes >= 32 || stride === rowBytes || size === 1) {
    // Whole runs: copy with memcpy, then swap everything natively.
    if (stride === rowBytes) out.set(src.subarray(start, start + out.length));
    else
      for (let r = 0; r < rows; r++)
        out.set(src.subarray(start + r * stride, start + r * stride + rowBytes), r * rowBytes);
    swapInPlace(out, size);
    return out;
  }
  // Short runs inside wider rows: read each element big-endian through a DataView (fastest in V8).
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (size === 4) {
    const words = new Uint32Array(out.buffer);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      const p = start + r * stride;
      for (let e = 0; e < perRow; e++) words[k++] = view.getUint32(p + 4 * e, false);
    }
  } else if (size === 8) {
    const words = new Uint32Array(out.buffer);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      const p = start + r * stride;
      for (let e = 0; e < perRow; e++, k += 2) {
        words[k + 1] = view.getUint32(p + 8 * e, false);
        words[k] = view.getUint32(p + 8 * e + 4, false);
      }
    }
  } else {
    const halves = new Uint16Array(out.buffer);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      const p = start + r * stride;
      for (let e = 0; e < perRow; e++) halves[k++] = view.getUint16(p + 2 * e, false);
    }
  }
  return out;
}

function swapInPlace(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 2) view.swap16();
  else if (size === 4) view.swap32();
  else view.swap64();
}

function checkBounds(
  src: Uint8Array,
  start: number,
  stride: number,
  rows: number,
  rowBytes: number,
): void {
  const end = start + (rows - 1) * stride + rowBytes;
  if (start < 0 || end > src.length) {
    throw new FitsError(`the data are cut short: ${end} bytes needed, ${src.length} present`);
  }
}

function decodeLogical(
  src: Uint8Array,
  start: number,
  stride: number,
  rows: number,
  repeat: number,
): Array<boolean | null> {
  checkBounds(src, start, stride, rows, repeat);
  const out = new Array<boolean | null>(rows * repeat);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const p = start + r * stride;
    for (let e = 0; e < repeat; e++) {
      const b = src[p + e];
      out[k++] = b === 0x54 ? true : b === 0x46 ? false : null;
    }
  }
  return out;
}

function decodeBits(
  src: Uint8Array,
  start: number,
  stride: number,
  rows: number,
  bits: number,
): Uint8Array {
  checkBounds(src, start, stride, rows, Math.ceil(bits / 8));
  const out = new Uint8Array(rows * bits);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const p = start + r * stride;
    for (let j = 0; j < bits; j++) out[k++] = (src[p + (j >> 3)]! >> (7 - (j & 7))) & 1;
  }
  return out;
}

/**
 * One string per row; with a TDIM of two or more dimensions, one string per
 * TDIM1 characters (N * repeat / TDIM1 strings). A NUL ends a string; trailing
 * spaces are dropped.
 */
function decodeStrings(
  src: Uint8Array,
  start: number,
  stride: number,
  rows: number,
  repeat: number,
  dim: readonly number[] | undefined,
): string[] {
  checkBounds(src, start, stride, rows, repeat);
  const width = dim !== undefined && dim.length >= 2 && dim[0]! > 0 ? dim[0]! : repeat;
  const perRow = width === 0 ? 1 : Math.floor(repeat / width);
  const text = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const out = new Array<string>(rows * perRow);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < perRow; s++) {
      const from = start + r * stride + s * width;
      let end = from;
      while (end < from + width && text[end] !== 0) end++;
      out[k++] = text.toString('latin1', from, end).trimEnd();
    }
  }
  return out;
}

function decodeVariableColumn(
  column: ColumnDescriptor,
  table: TableBytes,
  context: FitsErrorContext,
): ColumnValues[] | string[] {
  const { rows, rowCount, rowWidth } = table;
  const heap = table.heap ?? new Uint8Array(0);
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  checkBounds(rows, column.byteOffset, rowWidth, rowCount, column.byteWidth);
  const wide = column.variable?.descriptor === 'Q';
  const arrays = new Array<ColumnValues>(rowCount);
  const strings = new Array<string>(column.code === 'A' ? rowCount : 0);
  for (let r = 0; r < rowCount; r++) {
    const p = r * rowWidth + column.byteOffset;
    const count = wide ? readUint64(view, p) : view.getInt32(p, false);
    const offset = wide ? readUint64(view, p + 8) : view.getInt32(p + 4, false);
    const length = column.code === 'X' ? Math.ceil(count / 8) : count * ELEMENT_BYTES[column.code];
    if (count < 0 || offset < 0 || offset + length > heap.length) {
      throw new FitsError(
        `row ${r + 1}: the array of ${count} elements at heap offset ${offset} runs past the heap (${heap.length} bytes)`,
        context,
      );
    }
    const run = { code: column.code, repeat: count, scale: column.scale, zero: column.zero };
    const values = decodeElements({ ...run, ...nullOf(column) }, heap, offset, length, 1);
    if (column.code === 'A') strings[r] = (values as string[])[0] ?? '';
    else arrays[r] = values;
  }
  return column.code === 'A' ? strings : arrays;
}

function nullOf(column: ColumnDescriptor): { nullValue?: number | bigint } {
  return column.nullValue === undefined ? {} : { nullValue: column.nullValue };
}

function readUint64(view: DataView, at: number): number {
  return view.getUint32(at, false) * 2 ** 32 + view.getUint32(at + 4, false);
}
