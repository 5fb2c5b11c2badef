/**
 * HDUs held in memory: a header and the bytes of its data, decoded on request.
 * Binary tables decode a column or a run of rows; images decode the whole array
 * with BSCALE/BZERO/BLANK applied.
 */
import { findColumn, readColumns, type ColumnDescriptor } from './columns.js';
import {
  applyScaling,
  decodeColumn,
  decodeRows,
  flipSignedness,
  gatherSwapped,
  storedArray,
  type ColumnData,
  type NumericArray,
  type RowBatch,
  type TableBytes,
} from './decode.js';
import { FitsError, withFitsContext, type FitsErrorContext } from './errors.js';
import type { Header } from './header.js';
import {
  BITPIX_CODE,
  extensionName,
  extensionVersion,
  type Bitpix,
  type DataLayout,
} from './layout.js';
import { isSignednessOffset } from './columns.js';

interface HduParts {
  readonly index: number;
  readonly header: Header;
  readonly layout: DataLayout;
  /** Data bytes including the heap, excluding padding. */
  readonly data: Uint8Array;
  readonly context: FitsErrorContext;
}

abstract class HduBase {
  readonly index: number;
  /** EXTNAME, or '' when there is none. */
  readonly name: string;
  /** EXTVER, 1 when absent. */
  readonly extver: number;
  readonly header: Header;
  /** The data bytes as stored (big-endian), including any heap, without padding. */
  readonly data: Uint8Array;
  protected readonly context: FitsErrorContext;

  constructor(parts: HduParts) {
    this.index = parts.index;
    this.header = parts.header;
    this.name = extensionName(parts.header);
    this.extver = extensionVersion(parts.header);
    this.data = parts.data;
    this.context = parts.context;
  }
}

export class BinTableHdu extends HduBase {
  readonly kind = 'bintable' as const;
  readonly columns: readonly ColumnDescriptor[];
  readonly rowCount: number;
  /** Bytes per row (NAXIS1). */
  readonly rowWidth: number;
  readonly #heap: Uint8Array;

  constructor(parts: HduParts) {
    super(parts);
    const [rowWidth = 0, rowCount = 0] = parts.layout.axes;
    this.rowWidth = rowWidth;
    this.rowCount = rowCount;
    this.columns = readColumns(parts.header, parts.context);
    this.#heap = heapOf(parts.header, parts.data, rowWidth * rowCount, parts.context);
  }

  /** The column with this name (case-insensitive); throws FitsError naming it when absent. */
  column(name: string): ColumnDescriptor {
    return findColumn(this.columns, (c) => c.name, name, this.context);
  }

  /** All values of one column. */
  readColumn(name: string): ColumnData {
    const descriptor = this.column(name);
    const values = withFitsContext({ ...this.context, column: descriptor.name }, () =>
      decodeColumn(descriptor, this.#rows(0, this.rowCount), this.context),
    );
    return { descriptor, values };
  }

  /** Rows `first` to `first + count - 1` (default: to the end); every column decoded, or the named ones. */
  readRows(first = 0, count = this.rowCount - first, columns?: readonly string[]): RowBatch {
    if (
      !Number.isInteger(first) ||
      !Number.isInteger(count) ||
      first < 0 ||
      count < 0 ||
      first + count > this.rowCount
    ) {
      throw new FitsError(
        `rows ${first}..${first + count - 1} are outside the table's ${this.rowCount} rows`,
        this.context,
      );
    }
    const selected = columns === undefined ? this.columns : columns.map((c) => this.column(c));
    return decodeRows(selected, this.#rows(first, count), first, this.context);
  }

  #rows(first: number, count: number): TableBytes {
    const start = first * this.rowWidth;
    return {
      rows: this.data.subarray(start, start + count * this.rowWidth),
      rowCount: count,
      rowWidth: this.rowWidth,
      heap: this.#heap,
    };
  }
}

/** The heap of a binary table: from THEAP (default: after the rows) to the end of PCOUNT. */
export function heapOf(
  header: Header,
  data: Uint8Array,
  tableBytes: number,
  context: FitsErrorContext,
): Uint8Array {
  const pcount = header.getInteger('PCOUNT') ?? 0;
  const theap = header.getInteger('THEAP') ?? tableBytes;
  if (theap < tableBytes || theap > tableBytes + pcount) {
    throw new FitsError(`THEAP = ${theap} is outside the data (${tableBytes} + ${pcount} bytes)`, {
      ...context,
      card: 'THEAP',
    });
  }
  return data.subarray(theap, tableBytes + pcount);
}

export type ImageArray = NumericArray;

export class ImageHdu extends HduBase {
  readonly kind = 'image' as const;
  readonly bitpix: Bitpix;
  /** NAXIS1 first (the fastest-varying axis). */
  readonly shape: readonly number[];

  constructor(parts: HduParts) {
    super(parts);
    this.bitpix = parts.layout.bitpix;
    this.shape = parts.layout.axes;
  }

  /**
   * The pixel values with BSCALE/BZERO applied: the unsigned (or signed-byte)
   * conventions give Uint16/Uint32/BigUint64/Int8 arrays; other scaling, or a BLANK
   * in an integer image, gives a Float64Array with NaN for blank pixels.
   */
  read(): ImageArray {
    return decodeImage(this.bitpix, this.data, this.header, this.context);
  }
}

export function decodeImage(
  bitpix: Bitpix,
  data: Uint8Array,
  header: Header,
  context: FitsErrorContext,
): ImageArray {
  const code = BITPIX_CODE[bitpix];
  const size = Math.abs(bitpix) / 8;
  const count = Math.floor(data.length / size);
  const bytes = withFitsContext(context, () =>
    gatherSwapped(data, 0, count * size, 1, count, size),
  );
  const scale = header.getNumber('BSCALE') ?? 1;
  const zero = header.getNumber('BZERO') ?? 0;
  if (isSignednessOffset(code, scale, zero)) return flipSignedness(code, bytes);
  const stored = storedArray(code, bytes.buffer);
  const blank = bitpix > 0 ? (header.get('BLANK') ?? undefined) : undefined;
  if (blank !== undefined && typeof blank !== 'number' && typeof blank !== 'bigint') {
    throw new FitsError('BLANK must be an integer', { ...context, card: 'BLANK' });
  }
  if (blank === undefined || blank === null) return applyScaling({ code, scale, zero }, stored);
  return applyScaling({ code, scale, zero, nullValue: blank }, stored, true);
}

/** An HDU this module keeps but does not decode (ASCII TABLE, random groups, foreign extensions). */
export class OtherHdu extends HduBase {
  readonly kind = 'other' as const;
  /** XTENSION upper-cased ('TABLE', 'A3DTABLE', ...), or 'primary'. */
  readonly xtension: string;

  constructor(parts: HduParts) {
    super(parts);
    this.xtension = parts.layout.xtension;
  }
}

export type Hdu = BinTableHdu | ImageHdu | OtherHdu;

/** Builds the right HDU class for a header and its data. */
export function makeHdu(parts: HduParts): Hdu {
  return withFitsContext(parts.context, () => {
    const { xtension, axes } = parts.layout;
    const groups = xtension === 'primary' && axes[0] === 0 && parts.header.get('GROUPS') === true;
    if (xtension === 'BINTABLE') return new BinTableHdu(parts);
    if ((xtension === 'primary' && !groups) || xtension === 'IMAGE') return new ImageHdu(parts);
    return new OtherHdu(parts);
  });
}
