/**
 * Streaming VOTable writer for TAP results: column metadata and an (async)
 * iterable of row batches in, UTF-8 chunks out. Rows are encoded as they arrive
 * and handed out in chunks of about `chunkBytes`, so memory stays flat for a
 * result of any length. An error while rows are being written still ends in a
 * valid document, with INFO QUERY_STATUS=ERROR after the TABLE (DALI 1.1 §4.4.2).
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { binaryFieldEncoder, type BinaryFieldEncoder } from './binary-encode.js';
import { ByteSink } from './byte-sink.js';
import {
  cellTextFormatter,
  componentsOf,
  VOTABLE_TEXT,
  type CellValue,
  type ColumnBatch,
  type RowSource,
} from './cells.js';
import { resultClosing, resultOpening, type ResultDocumentOptions } from './document.js';
import { locateCellError, VotableError } from './errors.js';
import { checkFieldDescription, isStringType, type FieldDescription } from './field.js';
import {
  DEFAULT_CHUNK_BYTES,
  chunkOf,
  streamRows,
  textRowSerializer,
  type RowSerializer,
} from './row-stream.js';
import { Binary2ColumnWriter } from './binary-columns.js';
import { escapeXmlText } from '../dali/index.js';

export type VotableSerialization = 'TABLEDATA' | 'BINARY' | 'BINARY2';

export interface VotableWriteOptions extends ResultDocumentOptions {
  /** Default BINARY2: smaller and faster; TABLEDATA for people and XML tools. */
  readonly serialization?: VotableSerialization;
  /**
   * The result was truncated at MAXREC: true, or a function asked after the last row
   * (for callers that learn it while reading). Adds INFO QUERY_STATUS=OVERFLOW after the TABLE.
   */
  readonly overflow?: boolean | (() => boolean);
  /** Told about an error that ended the rows early (the document reports it and stays valid). */
  readonly onError?: (error: unknown) => void;
  /** About how many bytes make a chunk (default 64 KiB). */
  readonly chunkBytes?: number;
}

export interface WriteSummary {
  /** Complete rows written. */
  readonly rows: number;
  readonly overflow: boolean;
  /** What ended the rows early, if anything. */
  readonly error?: unknown;
}

function tabledataSerializer(fields: readonly FieldDescription[]): RowSerializer {
  const shapes = fields.map(checkFieldDescription);
  // astropy 5.2 cannot read an empty TD for a fixed-length complex array (E02): NaNs say null there.
  const nulls = fields.map((f, i) => {
    const shape = shapes[i];
    if (componentsOf(f.datatype) !== 2 || shape === undefined || shape.variable) return '<TD/>';
    return `<TD>${new Array<string>(2 * (shape.maxElements ?? 0)).fill('NaN').join(' ')}</TD>`;
  });
  const cells = fields.map((f, i) => {
    const format = cellTextFormatter(f, shapes[i], VOTABLE_TEXT);
    const escape = isStringType(f.datatype);
    return (value: CellValue): string => {
      const cell = format(value);
      if (cell === '') return '<TD/>';
      return escape ? `<TD>${escapeXmlText(cell)}</TD>` : `<TD>${cell}</TD>`;
    };
  });
  return textRowSerializer(fields, {
    opening: '<TABLEDATA>\n',
    closing: '</TABLEDATA>',
    firstRowOpen: '<TR>',
    rowOpen: '<TR>',
    separator: '',
    rowClose: '</TR>\n',
    cells,
    nulls,
  });
}

/** The null value BINARY gives integer fields that declare none (it has no null flags). */
const BINARY_INTEGER_NULLS: Partial<Record<FieldDescription['datatype'], string>> = {
  unsignedByte: '255',
  short: '-32768',
  int: '-2147483648',
  long: '-9223372036854775808',
};

/**
 * The fields as BINARY (VOTable 1.5 §5.4) writes them: a null is NaN for floating
 * types, '?' for booleans, an empty string or variable-length array, and for integers
 * the VALUES null value, declared here where the field has none.
 */
function withBinaryNulls(fields: readonly FieldDescription[]): FieldDescription[] {
  return fields.map((f) => {
    const nullValue = BINARY_INTEGER_NULLS[f.datatype];
    return nullValue === undefined || f.nullValue !== undefined ? f : { ...f, nullValue };
  });
}

function binaryNullWriter(
  field: FieldDescription,
  encoder: BinaryFieldEncoder,
): (sink: ByteSink) => void {
  const shape = checkFieldDescription(field);
  if (field.nullValue !== undefined && !shape?.variable && !isStringType(field.datatype)) {
    const magic = field.datatype === 'long' ? BigInt(field.nullValue) : Number(field.nullValue);
    // A fixed-length array of null values stands for a null array.
    const cell =
      shape === undefined ? magic : new Array<unknown>(shape.maxElements ?? 0).fill(magic);
    return (sink) => encoder.write(sink, cell as CellValue);
  }
  if (field.arraysize === undefined && field.datatype === 'boolean') return (sink) => sink.u8(0x3f);
  return encoder.writeNull;
}

/**
 * BINARY2 (null flags before each row) or BINARY (VOTable 1.5 §5.4: nulls in the cells).
 * BINARY2 windows are written column by column; a window with a bad cell is written
 * again row by row, which keeps the rows before it and says where it is.
 */
function binarySerializer(
  fields: readonly FieldDescription[],
  serialization: 'BINARY' | 'BINARY2',
): RowSerializer {
  const shapes = fields.map(checkFieldDescription);
  const encoders = fields.map((f, i) => binaryFieldEncoder(f, shapes[i]));
  const flagged = serialization === 'BINARY2';
  const columnWriter = flagged ? new Binary2ColumnWriter(fields, shapes) : undefined;
  const nullWriters = fields.map((f, i) =>
    flagged ? encoders[i]!.writeNull : binaryNullWriter(f, encoders[i]!),
  );
  const flagBytes = flagged ? (fields.length + 7) >> 3 : 0;
  const sink = new ByteSink();
  const addRow = (columns: ColumnBatch['columns'], r: number, rowNumber: number): void => {
    const rowStart = sink.length;
    sink.zeros(flagBytes);
    let column = 0;
    try {
      for (; column < fields.length; column++) {
        const value = columns[column]![r];
        if (value !== null && value !== undefined) {
          encoders[column]!.write(sink, value);
          continue;
        }
        if (flagged) {
          // Null flags: most significant bit of the first byte is the first column.
          const flagAt = rowStart + (column >> 3);
          sink.setU8(flagAt, sink.at(flagAt) | (0x80 >> (column & 7)));
        }
        nullWriters[column]!(sink);
      }
    } catch (error) {
      sink.truncate(rowStart);
      throw locateCellError(error, rowNumber, fields[column]?.name);
    }
  };
  return {
    opening: `<${serialization}>\n<STREAM encoding="base64">\n`,
    closing: `</STREAM>\n</${serialization}>`,
    addColumns(batch, from, to, progress) {
      if (columnWriter) {
        try {
          columnWriter.write(sink, batch, from, to);
          progress.rows += to - from;
          return;
        } catch {
          // Written again below, row by row, to keep the good rows and locate the bad cell.
        }
      }
      for (let r = from; r < to; r++) {
        addRow(batch.columns, r, progress.rows + 1);
        progress.rows++;
      }
    },
    pending: () => sink.length,
    take: (final) => sink.takeBase64Line(final),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Writes a TAP result VOTable. Throws (before the first chunk) a VotableError when
 * the fields are unusable; errors while rows are written end the document with
 * QUERY_STATUS=ERROR and are reported through `onError` and the summary.
 */
export async function* writeVotable(
  given: readonly FieldDescription[],
  rows: RowSource,
  options: VotableWriteOptions = {},
): AsyncGenerator<Buffer, WriteSummary, undefined> {
  if (given.length === 0) throw new VotableError('a result table needs at least one field');
  const serialization = options.serialization ?? 'BINARY2';
  const fields = serialization === 'BINARY' ? withBinaryNulls(given) : given;
  const serializer =
    serialization === 'TABLEDATA'
      ? tabledataSerializer(fields)
      : binarySerializer(fields, serialization);
  yield Buffer.from(resultOpening(fields, serializer.opening, options), 'utf8');

  const progress = { rows: 0 };
  let failure: { error: unknown } | undefined;
  try {
    yield* streamRows(
      serializer,
      fields,
      rows,
      options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      progress,
    );
  } catch (error) {
    failure = { error };
    options.onError?.(error);
  }
  const overflow =
    failure === undefined &&
    (typeof options.overflow === 'function' ? options.overflow() : options.overflow === true);
  const tail = resultClosing(serializer.closing, {
    overflow,
    errorMessage: failure === undefined ? undefined : messageOf(failure.error),
    ...(options.resources ? { resources: options.resources } : {}),
  });
  yield chunkOf(serializer.take(true), tail);
  return failure === undefined
    ? { rows: progress.rows, overflow }
    : { rows: progress.rows, overflow, error: failure.error };
}

/** Sends chunks to a Writable (an HTTP response, a file) with backpressure, then ends it. */
export async function writeChunksTo(
  chunks: AsyncIterable<Uint8Array>,
  destination: Writable,
): Promise<void> {
  await pipeline(Readable.from(chunks), destination);
}

/** Media types of the result formats (VOTable 1.5 §8, TAP 1.1 §5.1.3). */
export const MEDIA_TYPES = {
  BINARY: 'application/x-votable+xml; serialization=BINARY',
  BINARY2: 'application/x-votable+xml; serialization=BINARY2',
  TABLEDATA: 'application/x-votable+xml; serialization=TABLEDATA',
  csv: 'text/csv; header=present',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
} as const;
