/**
 * Writing FITS: binary tables and images built from values, and files written
 * atomically (temp file, then rename) with CHECKSUM/DATASUM and optional gzip.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { checksumOf, stampChecksums } from './checksum.js';
import { parseTform, signednessOffset, type ColumnCode, type ParsedTform } from './columns.js';
import {
  encodeBits,
  encodeLogical,
  encodeNumbers,
  encodeStrings,
  isOffsetType,
  scatterRows,
  type ColumnInput,
} from './encode.js';
import { FitsError, type FitsErrorContext } from './errors.js';
import { Header, paddedLength, type Card, type HeaderValue } from './header.js';
import { BITPIX_CODE, readLayout, type Bitpix } from './layout.js';

/** An HDU ready to write: its header and its data bytes (big-endian, with heap, without padding). */
export interface WritableHdu {
  readonly header: Header;
  readonly data: Uint8Array;
}

export interface BinTableColumnSpec {
  readonly name: string;
  /** TFORM, e.g. '1D', '1E', '20E', '1K', '10A', '1PE(20)', 'QD'. */
  readonly format: string;
  readonly unit?: string;
  /** TDIM in FITS order (fastest first). */
  readonly dim?: readonly number[];
  /**
   * Physical values, laid out as the reader returns them. Unsigned typed arrays
   * (Uint16/Uint32/BigUint64, Int8 for B) get the TZERO convention automatically.
   */
  readonly values: ColumnInput;
  readonly zero?: number;
  readonly scale?: number;
  readonly nullValue?: number | bigint;
}

export interface BinTableSpec {
  readonly name: string;
  readonly columns: readonly BinTableColumnSpec[];
  /**
   * More cards, after the structural ones. Cards the writer sets itself (XTENSION,
   * NAXISn, TFIELDS, TTYPEn..TNULLn, EXTNAME, CHECKSUM, ...) are skipped, so a
   * source table's cards can be passed as they are.
   */
  readonly header?: readonly Card[];
  /** Needed only for a table without columns. */
  readonly rowCount?: number;
}

const TABLE_OWNED =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|THEAP|EXTEND|EXTNAME|CHECKSUM|DATASUM|END|(TTYPE|TFORM|TUNIT|TDIM|TSCAL|TZERO|TNULL)\d+)$/;
const IMAGE_OWNED =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|EXTEND|EXTNAME|BSCALE|BZERO|BLANK|CHECKSUM|DATASUM|END)$/;

/** A planned column: its TFORM read, the scaling in force and its place in the row. */
export interface ColumnPlan {
  readonly spec: BinTableColumnSpec;
  readonly number: number;
  readonly tform: ParsedTform;
  readonly scale: number;
  readonly zero: number;
  readonly byteOffset: number;
  readonly context: FitsErrorContext;
}

/** Reads the columns' TFORMs and places them in the row; checks TDIM and TNULL. */
export function planColumns(
  columns: readonly Omit<BinTableColumnSpec, 'values'>[],
  sampleValues: (index: number) => unknown,
  context: FitsErrorContext,
): { plans: ColumnPlan[]; rowWidth: number } {
  let offset = 0;
  const plans = columns.map((spec, i) => {
    const where = { ...context, column: spec.name };
    const tform = parseTform(spec.format, where);
    const sample = sampleValues(i);
    const auto = isOffsetType(tform.code, sample) ? signednessOffset(tform.code) : undefined;
    const plan: ColumnPlan = {
      spec: spec as BinTableColumnSpec,
      number: i + 1,
      tform,
      scale: spec.scale ?? 1,
      zero: spec.zero ?? auto ?? 0,
      byteOffset: offset,
      context: where,
    };
    if (spec.dim && !tform.variable && spec.dim.reduce((a, b) => a * b, 1) !== tform.repeat) {
      throw new FitsError(
        `dim (${spec.dim.join(',')}) does not hold the ${tform.repeat} elements of '${spec.format}'`,
        where,
      );
    }
    if (spec.nullValue !== undefined && !'BIJK'.includes(tform.code)) {
      throw new FitsError(
        `a null value (TNULL) is only allowed for integer columns, not '${spec.format}'`,
        where,
      );
    }
    offset += tform.byteWidth;
    return plan;
  });
  return { plans, rowWidth: offset };
}

/** The header of a binary table, structural cards first. */
export function tableHeader(
  name: string,
  plans: readonly ColumnPlan[],
  rowWidth: number,
  rowCount: number,
  heapLength: number,
  extra: readonly Card[] | undefined,
  maxLengths: ReadonlyMap<number, number> = new Map(),
): Header {
  const cards: Card[] = [
    { keyword: 'XTENSION', value: 'BINTABLE', comment: 'binary table extension' },
    { keyword: 'BITPIX', value: 8, comment: 'array data type' },
    { keyword: 'NAXIS', value: 2, comment: 'number of array dimensions' },
    { keyword: 'NAXIS1', value: rowWidth, comment: 'length of dimension 1' },
    { keyword: 'NAXIS2', value: rowCount, comment: 'length of dimension 2' },
    { keyword: 'PCOUNT', value: heapLength, comment: 'number of group parameters' },
    { keyword: 'GCOUNT', value: 1, comment: 'number of groups' },
    { keyword: 'TFIELDS', value: plans.length, comment: 'number of table fields' },
  ];
  for (const plan of plans) {
    const n = plan.number;
    const { spec, tform } = plan;
    cards.push({ keyword: `TTYPE${n}`, value: spec.name });
    cards.push({
      keyword: `TFORM${n}`,
      value: writtenTform(spec.format, tform, maxLengths.get(n)),
    });
    if (spec.unit !== undefined && spec.unit !== '')
      cards.push({ keyword: `TUNIT${n}`, value: spec.unit });
    if (spec.dim !== undefined)
      cards.push({ keyword: `TDIM${n}`, value: `(${spec.dim.join(',')})` });
    if (spec.nullValue !== undefined) cards.push({ keyword: `TNULL${n}`, value: spec.nullValue });
    if (plan.scale !== 1) cards.push({ keyword: `TSCAL${n}`, value: plan.scale });
    if (plan.zero !== 0) cards.push({ keyword: `TZERO${n}`, value: exactInteger(plan.zero) });
  }
  cards.push({ keyword: 'EXTNAME', value: name, comment: 'extension name' });
  for (const card of extra ?? [])
    if (!TABLE_OWNED.test(card.keyword.toUpperCase())) cards.push(card);
  return new Header(cards);
}

/** Integers beyond 2^53 (TZERO = 2^63) are written as exact integers, not as reals. */
function exactInteger(value: number): HeaderValue {
  return Number.isInteger(value) && !Number.isSafeInteger(value) ? BigInt(value) : value;
}

function writtenTform(format: string, tform: ParsedTform, maxLength: number | undefined): string {
  if (!tform.variable) return format.trim().toUpperCase();
  const max = tform.variable.maxLength ?? maxLength ?? 0;
  return `${tform.repeat}${tform.variable.descriptor}${tform.code}(${max})`;
}

/** Rows in a column's values, from how many values one row holds. */
function rowsOf(plan: ColumnPlan, values: ColumnInput): number {
  const { code, repeat, variable } = plan.tform;
  if (variable) return values.length;
  const dim = plan.spec.dim;
  const perRow =
    code === 'A'
      ? dim && dim.length >= 2
        ? repeat / dim[0]!
        : 1
      : code === 'C' || code === 'M'
        ? 2 * repeat
        : repeat;
  if (perRow === 0) return Number.NaN;
  const rows = values.length / perRow;
  if (!Number.isInteger(rows)) {
    throw new FitsError(
      `${values.length} values are not a whole number of rows of ${perRow}`,
      plan.context,
    );
  }
  return rows;
}

/** The rows the values make, the same in every column (columns of no width do not count). */
export function countRows(
  plans: readonly ColumnPlan[],
  valuesOf: (plan: ColumnPlan) => ColumnInput,
  fallback: number,
): number {
  let rowCount: number | undefined;
  let counted: ColumnPlan | undefined;
  for (const plan of plans) {
    const rows = rowsOf(plan, valuesOf(plan));
    if (Number.isNaN(rows)) continue;
    if (rowCount !== undefined && rows !== rowCount) {
      throw new FitsError(
        `has ${rows} rows but column '${counted!.spec.name}' has ${rowCount}`,
        plan.context,
      );
    }
    rowCount = rows;
    counted = plan;
  }
  return rowCount ?? fallback;
}

/** The stored bytes of `rows` rows of one fixed-width column, contiguous. */
export function encodeFixed(plan: ColumnPlan, values: ColumnInput, rows: number): Uint8Array {
  const { code, repeat } = plan.tform;
  return encodeRun(plan, code, repeat, values, rows);
}

function encodeRun(
  plan: ColumnPlan,
  code: ColumnCode,
  repeat: number,
  values: ColumnInput,
  rows: number,
): Uint8Array {
  const where = plan.context;
  switch (code) {
    case 'L':
      return encodeLogical(expectArray<boolean | null>(values, 'booleans', where));
    case 'X':
      return encodeBits(values as ArrayLike<number>, rows, repeat);
    case 'A': {
      const strings = expectArray<string>(values, 'strings', where).map((s) =>
        typeof s === 'string' ? s : String(s),
      );
      const dim = plan.spec.dim;
      const width = dim && dim.length >= 2 ? dim[0]! : repeat;
      return encodeStrings(strings, width, where);
    }
    default: {
      const run = {
        code,
        scale: plan.scale,
        zero: plan.zero,
        ...(plan.spec.nullValue !== undefined ? { nullValue: plan.spec.nullValue } : {}),
      };
      return encodeNumbers(run, values as ArrayLike<number | bigint>, where);
    }
  }
}

function expectArray<T>(values: unknown, what: string, context: FitsErrorContext): readonly T[] {
  if (!Array.isArray(values)) throw new FitsError(`expected an array of ${what}`, context);
  return values as readonly T[];
}

/** Builds a BINTABLE HDU from column values. */
export function buildBinTable(spec: BinTableSpec): WritableHdu {
  const context: FitsErrorContext = { hdu: spec.name };
  const { plans, rowWidth } = planColumns(
    spec.columns,
    (i) => firstRowSample(spec.columns[i]!),
    context,
  );
  const rowCount = countRows(plans, (plan) => plan.spec.values, spec.rowCount ?? 0);
  const rowBytes = rowWidth * rowCount;
  const heap: Uint8Array[] = [];
  let heapLength = 0;
  const maxLengths = new Map<number, number>();
  const table = new Uint8Array(rowBytes);
  for (const plan of plans) {
    if (plan.tform.variable) {
      const { descriptors, max } = encodeVariable(plan, rowCount, (bytes) => {
        const offset = heapLength;
        heap.push(bytes);
        heapLength += bytes.length;
        return offset;
      });
      scatterRows(descriptors, table, plan.byteOffset, rowWidth, rowCount, plan.tform.byteWidth);
      maxLengths.set(plan.number, max);
    } else {
      const bytes = encodeFixed(plan, plan.spec.values, rowCount);
      scatterRows(bytes, table, plan.byteOffset, rowWidth, rowCount, plan.tform.byteWidth);
    }
  }
  const data = new Uint8Array(rowBytes + heapLength);
  data.set(table);
  let at = rowBytes;
  for (const piece of heap) {
    data.set(piece, at);
    at += piece.length;
  }
  const header = tableHeader(
    spec.name,
    plans,
    rowWidth,
    rowCount,
    heapLength,
    spec.header,
    maxLengths,
  );
  return { header, data };
}

/** The values whose type decides the unsigned convention: the first row's for variable-length columns. */
function firstRowSample(column: BinTableColumnSpec): unknown {
  const variable = /^[01]?[PQ]/i.test(column.format.trim());
  return variable ? (column.values as readonly unknown[])[0] : column.values;
}

/** Variable-length column: each row's elements go to the heap, the row holds (count, offset). */
function encodeVariable(
  plan: ColumnPlan,
  rowCount: number,
  appendToHeap: (bytes: Uint8Array) => number,
): { descriptors: Uint8Array; max: number } {
  const wide = plan.tform.variable?.descriptor === 'Q';
  const width = wide ? 16 : 8;
  const descriptors = new Uint8Array(rowCount * width);
  const view = new DataView(descriptors.buffer);
  const rows = plan.spec.values as readonly unknown[];
  const { code } = plan.tform;
  let max = 0;
  for (let r = 0; r < rowCount; r++) {
    const row = rows[r];
    const values = (code === 'A' ? [typeof row === 'string' ? row : ''] : row) as ColumnInput;
    const count =
      code === 'A'
        ? (values as string[])[0]!.length
        : code === 'C' || code === 'M'
          ? (row as ArrayLike<number>).length / 2
          : (row as ArrayLike<number>).length;
    const bytes =
      count === 0
        ? new Uint8Array(0)
        : encodeRun(
            { ...plan, spec: { ...plan.spec, dim: undefined } as BinTableColumnSpec },
            code,
            count,
            values,
            1,
          );
    const offset = count === 0 ? 0 : appendToHeap(bytes);
    max = Math.max(max, count);
    if (wide) {
      view.setBigUint64(r * width, BigInt(count), false);
      view.setBigUint64(r * width + 8, BigInt(offset), false);
    } else {
      if (offset > 0x7fffffff)
        throw new FitsError('the heap is larger than 2 GB; use a Q column', plan.context);
      view.setInt32(r * width, count, false);
      view.setInt32(r * width + 4, offset, false);
    }
  }
  return { descriptors, max };
}

export interface ImageSpec {
  readonly name?: string;
  readonly bitpix: Bitpix;
  /** NAXIS1 first. */
  readonly shape: readonly number[];
  /** Physical values (NAXIS1 fastest). Unsigned typed arrays get the BZERO convention automatically. */
  readonly data: ArrayLike<number> | BigInt64Array | BigUint64Array;
  readonly bscale?: number;
  readonly bzero?: number;
  /** Integer images: stored value for NaN pixels. */
  readonly blank?: number | bigint;
  /** Write as the primary HDU (SIMPLE) instead of an IMAGE extension. */
  readonly primary?: boolean;
  readonly header?: readonly Card[];
}

/** Builds an IMAGE extension (or a primary array) from pixel values. */
export function buildImage(spec: ImageSpec): WritableHdu {
  const context: FitsErrorContext = { hdu: spec.name ?? (spec.primary ? '0 (primary)' : 'image') };
  const code = BITPIX_CODE[spec.bitpix];
  if (code === undefined)
    throw new FitsError(
      `BITPIX ${String(spec.bitpix)} is not one of 8, 16, 32, 64, -32, -64`,
      context,
    );
  const count = spec.shape.length === 0 ? 0 : spec.shape.reduce((a, b) => a * b, 1);
  if (spec.data.length !== count) {
    throw new FitsError(
      `the shape (${spec.shape.join(',')}) holds ${count} pixels but ${spec.data.length} were given`,
      context,
    );
  }
  const auto = isOffsetType(code, spec.data) ? signednessOffset(code) : undefined;
  const scale = spec.bscale ?? 1;
  const zero = spec.bzero ?? auto ?? 0;
  if (spec.blank !== undefined && spec.bitpix < 0)
    throw new FitsError('BLANK is only allowed in integer images', context);
  const data = encodeNumbers(
    { code, scale, zero, ...(spec.blank !== undefined ? { nullValue: spec.blank } : {}) },
    spec.data,
    context,
  );
  const cards: Card[] = spec.primary
    ? [{ keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' }]
    : [{ keyword: 'XTENSION', value: 'IMAGE', comment: 'image extension' }];
  cards.push({ keyword: 'BITPIX', value: spec.bitpix, comment: 'array data type' });
  cards.push({ keyword: 'NAXIS', value: spec.shape.length, comment: 'number of array dimensions' });
  spec.shape.forEach((length, i) => cards.push({ keyword: `NAXIS${i + 1}`, value: length }));
  if (!spec.primary) {
    cards.push({ keyword: 'PCOUNT', value: 0, comment: 'number of parameters' });
    cards.push({ keyword: 'GCOUNT', value: 1, comment: 'number of groups' });
  }
  if (scale !== 1) cards.push({ keyword: 'BSCALE', value: scale });
  if (zero !== 0) cards.push({ keyword: 'BZERO', value: exactInteger(zero) });
  if (spec.blank !== undefined) cards.push({ keyword: 'BLANK', value: spec.blank });
  if (spec.name !== undefined)
    cards.push({ keyword: 'EXTNAME', value: spec.name, comment: 'extension name' });
  for (const card of spec.header ?? [])
    if (!IMAGE_OWNED.test(card.keyword.toUpperCase())) cards.push(card);
  return { header: new Header(cards), data };
}

/** A primary HDU without data, announcing extensions. */
export function emptyPrimaryHeader(): Header {
  return new Header([
    { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' },
    { keyword: 'BITPIX', value: 8, comment: 'array data type' },
    { keyword: 'NAXIS', value: 0, comment: 'number of array dimensions' },
    { keyword: 'EXTEND', value: true },
  ]);
}

export interface WriteFitsOptions {
  /** Compress with gzip (default false). */
  readonly gzip?: boolean;
  /** zlib level 1..9 (default 6). */
  readonly gzipLevel?: number;
  /** Write CHECKSUM and DATASUM in every HDU (default true); false removes stale ones. */
  readonly checksum?: boolean;
}

/** Prepares the HDUs for writing: a primary first, EXTEND when extensions follow, sizes checked. */
export function prepareHdus(path: string, hdus: readonly WritableHdu[]): WritableHdu[] {
  if (hdus.length === 0) throw new FitsError('no HDUs to write', { file: path });
  const first = hdus[0]!;
  const list = isPrimary(first.header)
    ? [...hdus]
    : [{ header: emptyPrimaryHeader(), data: new Uint8Array(0) }, ...hdus];
  return list.map((hdu, index) => {
    const context = { file: path, hdu: String(index) };
    const primary = index === 0;
    checkHdu(hdu, primary, context);
    if (primary && list.length > 1 && hdu.header.get('EXTEND') !== true) {
      const header = hdu.header.clone();
      header.set('EXTEND', true);
      return { header, data: hdu.data };
    }
    return hdu;
  });
}

/** Checks that an HDU can be written where it is going: primary or extension, data as long as its header says. */
export function checkHdu(hdu: WritableHdu, primary: boolean, context: FitsErrorContext): void {
  if (!primary && isPrimary(hdu.header)) {
    throw new FitsError('a primary HDU (SIMPLE) can only be the first HDU of a file', context);
  }
  const layout = readLayout(hdu.header, primary, context);
  if (layout.dataByteLength !== hdu.data.length) {
    throw new FitsError(
      `the header describes ${layout.dataByteLength} bytes of data but ${hdu.data.length} were given`,
      context,
    );
  }
}

function isPrimary(header: Header): boolean {
  return header.cards[0]?.keyword.toUpperCase() === 'SIMPLE';
}

/** The bytes of one HDU: header, data, padding (spaces for ASCII tables, zeros otherwise). */
export function* hduChunks(hdu: WritableHdu, checksum: boolean): Generator<Uint8Array> {
  const header = hdu.header.clone();
  const padding = new Uint8Array(paddedLength(hdu.data.length) - hdu.data.length);
  if (header.getString('XTENSION')?.trim().toUpperCase() === 'TABLE') padding.fill(0x20);
  if (checksum) stampChecksums(header, checksumOf(hdu.data, padding));
  else {
    header.delete('CHECKSUM');
    header.delete('DATASUM');
  }
  yield header.toBytes();
  if (hdu.data.length > 0) yield hdu.data;
  if (padding.length > 0) yield padding;
}

/** A whole FITS file in memory (small files such as MOCs): primary first, checksums in every HDU. */
export function fitsFileBytes(hdus: readonly WritableHdu[], name = '(in memory)'): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const hdu of prepareHdus(name, hdus)) chunks.push(...hduChunks(hdu, true));
  return Buffer.concat(chunks);
}

/**
 * Writes HDUs to a file (primary first; an empty primary is added when the first
 * is an extension). The file appears complete or not at all: it is written to a
 * temporary name in the same folder and renamed.
 */
export async function writeFits(
  path: string,
  hdus: readonly WritableHdu[],
  options: WriteFitsOptions = {},
): Promise<void> {
  const prepared = prepareHdus(path, hdus);
  const checksum = options.checksum ?? true;
  await writeAtomically(path, options, function* () {
    for (const hdu of prepared) yield* hduChunks(hdu, checksum);
  });
}

/** Writes chunks to a temporary file next to `path` (through gzip if asked), then renames it. */
export async function writeAtomically(
  path: string,
  options: Pick<WriteFitsOptions, 'gzip' | 'gzipLevel'>,
  chunks: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const temp = temporaryPathFor(path);
  try {
    const source = Readable.from(chunks(), { objectMode: false });
    const sink = createWriteStream(temp);
    if (options.gzip) await pipeline(source, createGzip({ level: options.gzipLevel ?? 6 }), sink);
    else await pipeline(source, sink);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof FitsError) throw error;
    throw new FitsError(
      `cannot write the file: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
}

export function temporaryPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}
