/**
 * The reverse of decode: physical values into big-endian stored bytes, for
 * binary table columns (fixed and variable-length) and image arrays.
 */
import { Buffer } from 'node:buffer';
import { ELEMENT_BYTES, isSignednessOffset, type ColumnCode } from './columns.js';
import { OFFSET_ARRAY, STORED_ARRAY, type ColumnValues, type NumericArray } from './decode.js';
import { FitsError, type FitsErrorContext } from './errors.js';

/** What a writer accepts for a column: decoded values, or plain arrays of numbers/bigints. */
export type ColumnInput =
  ColumnValues | readonly number[] | readonly bigint[] | readonly (readonly number[])[];

export interface StoredElements {
  readonly code: ColumnCode;
  readonly scale: number;
  readonly zero: number;
  readonly nullValue?: number | bigint;
}

const INTEGER_RANGE: Readonly<Partial<Record<ColumnCode, readonly [number, number]>>> = {
  B: [0, 255],
  I: [-32768, 32767],
  J: [-2147483648, 2147483647],
};

/** The typed array whose values, stored as is, need no scaling for this code. */
function isStoredType(code: ColumnCode, values: unknown): values is NumericArray {
  const type = STORED_ARRAY[code as keyof typeof STORED_ARRAY];
  return type !== undefined && values instanceof type;
}

/** The typed array of the other signedness that the TZERO/BZERO offset convention stores in this code. */
export function isOffsetType(code: ColumnCode, values: unknown): boolean {
  const type = OFFSET_ARRAY[code];
  return type !== undefined && values instanceof type;
}

/**
 * Physical numbers to big-endian stored elements, contiguous.
 * stored = (physical - zero) / scale, rounded for integer codes; NaN becomes the null value.
 */
export function encodeNumbers(
  run: StoredElements,
  values: ArrayLike<number | bigint>,
  context: FitsErrorContext,
): Uint8Array {
  const size = run.code === 'C' ? 4 : run.code === 'M' ? 8 : ELEMENT_BYTES[run.code];
  const unscaled = run.scale === 1 && run.zero === 0;
  let littleEndian: Uint8Array;
  if (
    (unscaled && isStoredType(run.code, values)) ||
    (isSignednessOffset(run.code, run.scale, run.zero) && isOffsetType(run.code, values))
  ) {
    const typed = values as NumericArray;
    littleEndian = new Uint8Array(typed.byteLength);
    littleEndian.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    // The offset conventions are a flip of the top bit.
    if (!unscaled)
      for (let i = size - 1; i < littleEndian.length; i += size)
        littleEndian[i] = littleEndian[i]! ^ 0x80;
  } else {
    littleEndian = new Uint8Array(convertNumbers(run, values, context).buffer);
  }
  const swapped = Buffer.from(
    littleEndian.buffer,
    littleEndian.byteOffset,
    littleEndian.byteLength,
  );
  if (size === 2) swapped.swap16();
  else if (size === 4) swapped.swap32();
  else if (size === 8) swapped.swap64();
  return littleEndian;
}

function convertNumbers(
  run: StoredElements,
  values: ArrayLike<number | bigint>,
  context: FitsErrorContext,
): NumericArray {
  const { code, scale, zero } = run;
  const n = values.length;
  if (code === 'K') {
    const out = new BigInt64Array(n);
    const blank = run.nullValue === undefined ? undefined : BigInt(run.nullValue);
    const bigZero = Number.isInteger(zero) ? BigInt(zero) : undefined;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (typeof v === 'bigint' && scale === 1 && bigZero !== undefined) {
        out[i] = BigInt.asIntN(64, v - bigZero);
      } else if (typeof v === 'number' && Number.isNaN(v)) {
        if (blank === undefined) throw nanWithoutNull(i, context);
        out[i] = blank;
      } else {
        out[i] = BigInt(Math.round((Number(v) - zero) / scale));
      }
    }
    return out;
  }
  const integer = code === 'B' || code === 'I' || code === 'J';
  const out =
    code === 'B'
      ? new Uint8Array(n)
      : code === 'I'
        ? new Int16Array(n)
        : code === 'J'
          ? new Int32Array(n)
          : code === 'E' || code === 'C'
            ? new Float32Array(n)
            : new Float64Array(n);
  const unscaled = scale === 1 && zero === 0;
  if (!integer) {
    for (let i = 0; i < n; i++)
      out[i] = unscaled ? Number(values[i]) : (Number(values[i]) - zero) / scale;
    return out;
  }
  const [low, high] = INTEGER_RANGE[code]!;
  const blank = run.nullValue === undefined ? undefined : Number(run.nullValue);
  for (let i = 0; i < n; i++) {
    const v = Number(values[i]);
    if (Number.isNaN(v)) {
      if (blank === undefined) throw nanWithoutNull(i, context);
      out[i] = blank;
      continue;
    }
    const stored = Math.round((v - zero) / scale);
    if (!(stored >= low && stored <= high)) {
      throw new FitsError(
        `value ${v} at element ${i} does not fit the stored type ${code} (${low}..${high} after TZERO/TSCAL)`,
        context,
      );
    }
    out[i] = stored;
  }
  return out;
}

function nanWithoutNull(index: number, context: FitsErrorContext): FitsError {
  return new FitsError(
    `element ${index} is NaN but the integer column has no null value (TNULL/BLANK)`,
    context,
  );
}

/** Logical values: T, F, or 0 for null. */
export function encodeLogical(values: ArrayLike<boolean | null>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === true ? 0x54 : v === false ? 0x46 : 0;
  }
  return out;
}

/** Bits (one 0/1 value each) packed most significant first, `bits` per row. */
export function encodeBits(values: ArrayLike<number>, rows: number, bits: number): Uint8Array {
  const width = Math.ceil(bits / 8);
  const out = new Uint8Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < bits; j++) {
      if (values[r * bits + j]) out[r * width + (j >> 3)]! |= 0x80 >> (j & 7);
    }
  }
  return out;
}

/** Strings padded with spaces to `width` bytes each. */
export function encodeStrings(
  values: readonly string[],
  width: number,
  context: FitsErrorContext,
): Uint8Array {
  const out = Buffer.alloc(values.length * width, 0x20);
  values.forEach((text, i) => {
    if (text.length > width) {
      throw new FitsError(
        `the string in row/element ${i + 1} has ${text.length} characters, more than ${width}`,
        context,
      );
    }
    for (let c = 0; c < text.length; c++) {
      const code = text.charCodeAt(c);
      if (code > 0x7e || (code < 0x20 && code !== 0)) {
        throw new FitsError(
          `the string in row/element ${i + 1} has character code ${code}; only ASCII text is allowed`,
          context,
        );
      }
    }
    out.write(text, i * width, 'latin1');
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Copies `rowBytes` bytes per row from a contiguous buffer into rows `stride` apart, at `start`. */
export function scatterRows(
  src: Uint8Array,
  dst: Uint8Array,
  start: number,
  stride: number,
  rows: number,
  rowBytes: number,
): void {
  if (rowBytes === 0) return;
  if (stride === rowBytes && start === 0) {
    dst.set(src.subarray(0, rows * rowBytes));
    return;
  }
  if (rowBytes >= 16) {
    for (let r = 0; r < rows; r++)
      dst.set(src.subarray(r * rowBytes, (r + 1) * rowBytes), start + r * stride);
    return;
  }
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const p = start + r * stride;
    for (let b = 0; b < rowBytes; b++) dst[p + b] = src[k++]!;
  }
}
