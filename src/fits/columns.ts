/**
 * Binary table column descriptions: TFORMn read into code, repeat and width,
 * together with TTYPEn, TUNITn, TDIMn, TSCALn/TZEROn and TNULLn, decoded once
 * per table (FITS 4.0 section 7.3).
 */
import { FitsError, type FitsErrorContext } from './errors.js';
import type { Header } from './header.js';

export type ColumnCode = 'L' | 'X' | 'B' | 'I' | 'J' | 'K' | 'A' | 'E' | 'D' | 'C' | 'M';

export interface ColumnDescriptor {
  /** 1-based column number, as in TTYPEn. */
  readonly index: number;
  readonly name: string;
  readonly tform: string;
  /** Element type; for variable-length arrays the type of the heap elements. */
  readonly code: ColumnCode;
  /** Elements per row; for variable-length arrays 1 (one descriptor). */
  readonly repeat: number;
  readonly byteOffset: number;
  readonly byteWidth: number;
  readonly unit?: string;
  /** TDIMn as written (FITS order, fastest-varying first). */
  readonly dim?: readonly number[];
  readonly scale: number;
  readonly zero: number;
  readonly nullValue?: number | bigint;
  readonly variable?: { readonly descriptor: 'P' | 'Q'; readonly maxLength?: number };
}

/** Bytes per element of each code; X is counted in bits and handled apart. */
export const ELEMENT_BYTES: Readonly<Record<ColumnCode, number>> = {
  L: 1,
  X: 1,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
};

export interface ParsedTform {
  readonly code: ColumnCode;
  readonly repeat: number;
  readonly byteWidth: number;
  readonly variable?: { readonly descriptor: 'P' | 'Q'; readonly maxLength?: number };
}

const FIXED_TFORM = /^(\d*)([LXBIJKAEDCM])(\d*)$/;
const VARIABLE_TFORM = /^([01]?)([PQ])([LXBIJKAEDCM])(?:\((\d+)\))?$/;

/** Reads a TFORM value such as `1E`, `20A`, `576E`, `1PE(20)` or `QD`. */
export function parseTform(tform: string, context: FitsErrorContext): ParsedTform {
  const text = tform.trim().toUpperCase();
  const variable = VARIABLE_TFORM.exec(text);
  if (variable) {
    const descriptor = variable[2] as 'P' | 'Q';
    const repeat = variable[1] === '0' ? 0 : 1;
    const maxLength = variable[4] === undefined ? undefined : Number(variable[4]);
    return {
      code: variable[3] as ColumnCode,
      repeat,
      byteWidth: repeat * (descriptor === 'P' ? 8 : 16),
      variable: { descriptor, ...(maxLength !== undefined ? { maxLength } : {}) },
    };
  }
  const fixed = FIXED_TFORM.exec(text);
  // Only A takes trailing characters (rAw, a sub-string width); others have none.
  if (!fixed || (fixed[3] !== '' && fixed[2] !== 'A')) {
    throw new FitsError(
      `TFORM '${tform}' is not a binary table format (expected rT with T one of L X B I J K A E D C M, or rPt(max) / rQt(max))`,
      context,
    );
  }
  const code = fixed[2] as ColumnCode;
  const repeat = fixed[1] === '' ? 1 : Number(fixed[1]);
  return { code, repeat, byteWidth: fixedWidth(code, repeat) };
}

/** Bytes one row of a fixed-width column takes. */
export function fixedWidth(code: ColumnCode, repeat: number): number {
  return code === 'X' ? Math.ceil(repeat / 8) : repeat * ELEMENT_BYTES[code];
}

/** Reads a TDIM value `(a,b,c)`. */
export function parseTdim(text: string, context: FitsErrorContext): number[] {
  const match = /^\s*\(\s*(\d+(?:\s*,\s*\d+)*)\s*\)\s*$/.exec(text);
  if (!match) throw new FitsError(`TDIM '${text}' is not of the form (n1,n2,...)`, context);
  return match[1]!.split(',').map((n) => Number(n.trim()));
}

const UNSIGNED_ZERO: Readonly<Partial<Record<ColumnCode, number>>> = {
  B: -128,
  I: 32768,
  J: 2147483648,
  K: 9223372036854775808,
};

/** True when TZERO/TSCAL are the standard offset that turns the stored integers into the other signedness. */
export function isSignednessOffset(code: ColumnCode, scale: number, zero: number): boolean {
  return scale === 1 && UNSIGNED_ZERO[code] === zero;
}

/** The zero that stores unsigned (or, for B, signed) integers in a column of this code. */
export function signednessOffset(code: ColumnCode): number | undefined {
  return UNSIGNED_ZERO[code];
}

/** Column descriptions of a BINTABLE header; checks they add up to NAXIS1. */
export function readColumns(header: Header, context: FitsErrorContext): ColumnDescriptor[] {
  const count = header.requireInteger('TFIELDS');
  const rowWidth = header.requireInteger('NAXIS1');
  if (count < 0 || count > 999) {
    throw new FitsError(`TFIELDS = ${count} is outside 0..999`, { ...context, card: 'TFIELDS' });
  }
  const columns: ColumnDescriptor[] = [];
  let offset = 0;
  for (let n = 1; n <= count; n++) {
    const name = header.getString(`TTYPE${n}`)?.trim() ?? '';
    const where = { ...context, column: name === '' ? `#${n}` : name, card: `TFORM${n}` };
    const tform = header.getString(`TFORM${n}`);
    if (tform === undefined) throw new FitsError(`TFORM${n} is missing`, where);
    const parsed = parseTform(tform, where);
    const unit = header.getString(`TUNIT${n}`)?.trim();
    const tdim = header.getString(`TDIM${n}`);
    const dim = tdim === undefined ? undefined : parseTdim(tdim, { ...where, card: `TDIM${n}` });
    if (dim && !parsed.variable && dim.reduce((a, b) => a * b, 1) > parsed.repeat) {
      throw new FitsError(
        `TDIM${n} = ${tdim} holds ${dim.reduce((a, b) => a * b, 1)} elements but TFORM${n} = '${tform}' only ${parsed.repeat}`,
        { ...where, card: `TDIM${n}` },
      );
    }
    const nullValue = header.get(`TNULL${n}`);
    if (
      nullValue !== undefined &&
      nullValue !== null &&
      typeof nullValue !== 'number' &&
      typeof nullValue !== 'bigint'
    ) {
      throw new FitsError(`TNULL${n} must be an integer`, { ...where, card: `TNULL${n}` });
    }
    columns.push({
      index: n,
      name,
      tform: tform.trim(),
      code: parsed.code,
      repeat: parsed.repeat,
      byteOffset: offset,
      byteWidth: parsed.byteWidth,
      scale: header.getNumber(`TSCAL${n}`) ?? 1,
      zero: header.getNumber(`TZERO${n}`) ?? 0,
      ...(unit !== undefined && unit !== '' ? { unit } : {}),
      ...(dim !== undefined ? { dim } : {}),
      ...(nullValue !== undefined && nullValue !== null ? { nullValue } : {}),
      ...(parsed.variable ? { variable: parsed.variable } : {}),
    });
    offset += parsed.byteWidth;
  }
  if (offset !== rowWidth) {
    throw new FitsError(
      `the columns' TFORMs add up to ${offset} bytes per row but NAXIS1 = ${rowWidth}`,
      { ...context, card: 'NAXIS1' },
    );
  }
  return columns;
}

/** The first item whose column name matches, ignoring case (FITS column names are case-insensitive). */
export function findColumn<T>(
  items: readonly T[],
  nameOf: (item: T) => string,
  name: string,
  context: FitsErrorContext,
): T {
  const wanted = name.trim().toUpperCase();
  const found = items.find((item) => nameOf(item).toUpperCase() === wanted);
  if (found !== undefined) return found;
  const names = items.map(nameOf).join(', ');
  throw new FitsError(`no such column (columns: ${names || 'none'})`, { ...context, column: name });
}
