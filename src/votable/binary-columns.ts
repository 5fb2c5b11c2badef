/**
 * BINARY2 rows written column by column (VOTable 1.5 §5.5): the byte size of every
 * row is measured first (fixed-width fields need no look at the cells), then each
 * field writes its cells straight into one buffer at its place in each row, with
 * typed writes for numbers and strings copied as bytes. The bytes are those of
 * binaryFieldEncoder row by row; a cell it would refuse makes write() throw (with
 * nothing of the batch left in the sink) so that the caller can locate the error.
 */
import { binaryFieldEncoder, type BinaryFieldEncoder } from './binary-encode.js';
import { ByteSink } from './byte-sink.js';
import {
  integerElement,
  longElement,
  realElement,
  booleanElement,
  stringCell,
  type CellValue,
  type ColumnBatch,
} from './cells.js';
import { ELEMENT_BYTES, INTEGER_RANGES, type ArrayShape, type FieldDescription } from './field.js';

type Cells = readonly (CellValue | undefined)[];

/** Where the rows of one window go: `at[r]` is the next free byte of row r. */
interface RowPlaces {
  readonly buffer: Buffer;
  readonly view: DataView;
  readonly at: Int32Array;
  readonly rowStart: Int32Array;
}

interface ColumnWriter {
  /** Bytes every row takes, or undefined when they vary (measure adds them). */
  readonly fixedBytes: number | undefined;
  measure?(cells: Cells, from: number, to: number, sizes: Int32Array): void;
  write(cells: Cells, from: number, to: number, places: RowPlaces, flag: (r: number) => void): void;
}

const isNull = (value: CellValue | undefined): value is null | undefined =>
  value === null || value === undefined;

/**
 * The fixed-width scalars. Each write loop calls closures of one function only (a loop
 * shared through per-type `put` and `valueOf` callbacks made its call sites
 * megamorphic: a quarter of a 1M-row result's time). A null writes the filler of its
 * type (NaN for reals, 0 else).
 */
function numberWriter(field: FieldDescription): ColumnWriter | undefined {
  const datatype = field.datatype;
  switch (datatype) {
    case 'double':
    case 'float':
    case 'unsignedByte':
    case 'short':
    case 'int': {
      const integral = datatype !== 'double' && datatype !== 'float';
      const [min, max] = integral ? INTEGER_RANGES[datatype] : [-Infinity, Infinity];
      const bytes = ELEMENT_BYTES[datatype];
      const put = (view: DataView, at: number, n: number): void => {
        if (datatype === 'double') view.setFloat64(at, n);
        else if (datatype === 'float') view.setFloat32(at, n);
        else if (datatype === 'int') view.setInt32(at, n);
        else if (datatype === 'short') view.setInt16(at, n);
        else view.setUint8(at, n);
      };
      return {
        fixedBytes: bytes,
        write(cells, from, to, { view, at }, flag) {
          for (let r = from, i = 0; r < to; r++, i++) {
            const v = cells[r];
            const p = at[i]!;
            if (
              typeof v === 'number' &&
              (!integral || (Number.isInteger(v) && v >= min && v <= max))
            )
              put(view, p, v);
            else if (isNull(v)) {
              flag(i);
              put(view, p, integral ? 0 : NaN);
            } else put(view, p, integral ? integerElement(v, datatype) : realElement(v, datatype));
            at[i] = p + bytes;
          }
        },
      };
    }
    case 'long':
      return {
        fixedBytes: 8,
        write(cells, from, to, { view, at }, flag) {
          for (let r = from, i = 0; r < to; r++, i++) {
            const v = cells[r];
            if (isNull(v)) flag(i);
            view.setBigInt64(at[i]!, isNull(v) ? 0n : longElement(v));
            at[i] = at[i]! + 8;
          }
        },
      };
    case 'boolean':
      return {
        fixedBytes: 1,
        write(cells, from, to, { buffer, at }, flag) {
          for (let r = from, i = 0; r < to; r++, i++) {
            const v = cells[r];
            if (isNull(v)) flag(i);
            buffer[at[i]!] = isNull(v) ? 0 : booleanElement(v, datatype) ? 0x54 : 0x46;
            at[i] = at[i]! + 1;
          }
        },
      };
    default:
      return undefined;
  }
}

/** Puts text of characters below U+0100 at `at`, one byte each. */
function putLatin1(buffer: Buffer, at: number, text: string): void {
  if (text.length > 24) buffer.write(text, at, 'latin1');
  else for (let k = 0; k < text.length; k++) buffer[at + k] = text.charCodeAt(k);
}

function stringWriter(field: FieldDescription, shape: ArrayShape | undefined): ColumnWriter {
  const wide = field.datatype === 'unicodeChar';
  const unit = wide ? 2 : 1;
  const put = (places: RowPlaces, at: number, text: string): void => {
    if (!wide) putLatin1(places.buffer, at, text);
    else
      for (let k = 0; k < text.length; k++) places.view.setUint16(at + 2 * k, text.charCodeAt(k));
  };
  // The texts measured for the window, reused by write.
  let texts: (string | undefined)[] = [];
  // The last string or timestamp (by its time) and its checked text: catalogs repeat
  // them row after row.
  let lastString: string | undefined;
  let lastTime = NaN;
  let lastText = '';
  const textsOf = (cells: Cells, from: number, to: number): void => {
    if (texts.length < to - from) texts = new Array<string | undefined>(to - from);
    for (let r = from; r < to; r++) {
      const v = cells[r];
      if (isNull(v)) texts[r - from] = undefined;
      else if (v === lastString || (v instanceof Date && v.getTime() === lastTime)) {
        texts[r - from] = lastText;
      } else {
        const text = stringCell(v, field, shape, 'votable');
        if (typeof v === 'string') {
          lastString = v;
          lastTime = NaN;
          lastText = text;
        } else if (v instanceof Date) {
          lastString = undefined;
          lastTime = v.getTime();
          lastText = text;
        }
        texts[r - from] = text;
      }
    }
  };
  if (shape !== undefined && shape.variable) {
    return {
      fixedBytes: undefined,
      measure(cells, from, to, sizes) {
        textsOf(cells, from, to);
        for (let i = 0; i < to - from; i++)
          sizes[i] = sizes[i]! + 4 + (texts[i]?.length ?? 0) * unit;
      },
      write(_cells, from, to, places, flag) {
        const { view, at } = places;
        for (let i = 0; i < to - from; i++) {
          const text = texts[i];
          if (text === undefined) {
            flag(i);
            view.setInt32(at[i]!, 0);
            at[i] = at[i]! + 4;
            continue;
          }
          view.setInt32(at[i]!, text.length);
          put(places, at[i]! + 4, text);
          at[i] = at[i]! + 4 + text.length * unit;
        }
      },
    };
  }
  const size = (shape?.maxElements ?? 1) * unit;
  return {
    fixedBytes: size,
    write(cells, from, to, places, flag) {
      textsOf(cells, from, to);
      const { buffer, at } = places;
      for (let i = 0; i < to - from; i++) {
        const text = texts[i];
        const start = at[i]!;
        let used = 0;
        if (text === undefined) flag(i);
        else {
          put(places, start, text);
          used = text.length * unit;
        }
        buffer.fill(0, start + used, start + size);
        at[i] = start + size;
      }
    },
  };
}

/** Any other field (arrays, bits, complex numbers): its row encoder into a scratch sink, then copied. */
function encodedWriter(encoder: BinaryFieldEncoder): ColumnWriter {
  const scratch = new ByteSink();
  let ends = new Int32Array(0);
  let nulls = new Uint8Array(0);
  return {
    fixedBytes: undefined,
    measure(cells, from, to, sizes) {
      const count = to - from;
      if (ends.length < count) {
        ends = new Int32Array(count);
        nulls = new Uint8Array(count);
      }
      scratch.truncate(0);
      for (let i = 0; i < count; i++) {
        const v = cells[from + i];
        const before = scratch.length;
        if (isNull(v)) {
          nulls[i] = 1;
          encoder.writeNull(scratch);
        } else {
          nulls[i] = 0;
          encoder.write(scratch, v);
        }
        ends[i] = scratch.length;
        sizes[i] = sizes[i]! + scratch.length - before;
      }
    },
    write(_cells, from, to, { buffer, at }, flag) {
      const bytes = scratch.bytes;
      let start = 0;
      for (let i = 0; i < to - from; i++) {
        if (nulls[i] === 1) flag(i);
        const end = ends[i]!;
        bytes.copy(buffer, at[i]!, start, end);
        at[i] = at[i]! + end - start;
        start = end;
      }
    },
  };
}

/** Writes windows of column batches as BINARY2 rows into a ByteSink. */
export class Binary2ColumnWriter {
  private readonly writers: ColumnWriter[];
  private readonly flagBytes: number;
  private readonly fixedRowBytes: number;
  private sizes = new Int32Array(0);
  private at = new Int32Array(0);
  private rowStart = new Int32Array(0);

  constructor(fields: readonly FieldDescription[], shapes: readonly (ArrayShape | undefined)[]) {
    this.writers = fields.map((field, c) => {
      const shape = shapes[c];
      if (field.datatype === 'char' || field.datatype === 'unicodeChar') {
        if (!shape?.multidimensional) return stringWriter(field, shape);
      } else if (shape === undefined) {
        const writer = numberWriter(field);
        if (writer) return writer;
      }
      return encodedWriter(binaryFieldEncoder(field, shape));
    });
    this.flagBytes = (fields.length + 7) >> 3;
    this.fixedRowBytes = this.writers.reduce((sum, w) => sum + (w.fixedBytes ?? 0), this.flagBytes);
  }

  /** Appends rows `from` to `to` of the batch; throws, leaving the sink as it was, on a bad cell. */
  write(sink: ByteSink, batch: ColumnBatch, from: number, to: number): void {
    const count = to - from;
    if (this.sizes.length < count) {
      this.sizes = new Int32Array(count);
      this.at = new Int32Array(count);
      this.rowStart = new Int32Array(count);
    }
    const { sizes, at, rowStart, writers, flagBytes } = this;
    sizes.fill(this.fixedRowBytes, 0, count);
    const columns = batch.columns;
    for (let c = 0; c < writers.length; c++) writers[c]!.measure?.(columns[c]!, from, to, sizes);
    let total = 0;
    for (let i = 0; i < count; i++) total += sizes[i]!;
    const start = sink.length;
    sink.reserve(total);
    const places: RowPlaces = { buffer: sink.bytes, view: sink.dataView, at, rowStart };
    let offset = start;
    for (let i = 0; i < count; i++) {
      rowStart[i] = offset;
      for (let k = 0; k < flagBytes; k++) places.buffer[offset + k] = 0;
      at[i] = offset + flagBytes;
      offset += sizes[i]!;
    }
    sink.length = start + total;
    try {
      for (let c = 0; c < writers.length; c++) {
        // Null flags: most significant bit of the first byte is the first column.
        const flagByte = c >> 3;
        const bit = 0x80 >> (c & 7);
        const buffer = places.buffer;
        writers[c]!.write(columns[c]!, from, to, places, (i) => {
          const k = rowStart[i]! + flagByte;
          buffer[k] = buffer[k]! | bit;
        });
      }
    } catch (error) {
      sink.truncate(start);
      throw error;
    }
  }
}
