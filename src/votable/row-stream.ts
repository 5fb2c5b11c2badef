/**
 * The loop every result format shares: pull batches (by row or by column), encode
 * them a window of rows at a time, hand out a chunk whenever about `chunkBytes` are
 * waiting. Formats differ only in the RowSerializer they plug in and in what they do
 * when the rows fail.
 */
import {
  columnsOfBatch,
  isColumnBatch,
  type ColumnBatch,
  type Row,
  type RowBatch,
  type RowSource,
} from './cells.js';
import { locateCellError, VotableError } from './errors.js';
import type { FieldDescription } from './field.js';

export interface RowSerializer {
  /** Text before the first row (after the document head). */
  readonly opening: string;
  /** Text after the last row. */
  readonly closing: string;
  /**
   * Encodes rows `from` to `to` (exclusive) of a batch, counting each complete row in
   * `progress.rows` (1-based row numbers in messages follow it). On a bad cell the rows
   * before it stay written and the error, located, is thrown.
   */
  addColumns(batch: ColumnBatch, from: number, to: number, progress: { rows: number }): void;
  /** Size of what is waiting to be handed out. */
  pending(): number;
  /** Takes what is waiting (everything when `final`): text, or bytes ready to send. */
  take(final: boolean): string | Buffer;
}

export const DEFAULT_CHUNK_BYTES = 1 << 16;

/** Rows encoded per call of addColumns, at first and at most; then sized to about one chunk. */
const FIRST_WINDOW_ROWS = 64;
const MAX_WINDOW_ROWS = 2048;
/** Pending text of a text serializer: rows are appended, chunks taken. */
export function textQueue(): {
  append(text: string): void;
  pending(): number;
  take(): string;
} {
  let queued = '';
  return {
    append: (text) => {
      queued += text;
    },
    pending: () => queued.length,
    take: () => {
      const out = queued;
      queued = '';
      return out;
    },
  };
}

export function checkRowLength(row: Row, fieldCount: number, rowNumber: number): void {
  if (row.length !== fieldCount) {
    throw new VotableError(`row has ${row.length} cells, the table has ${fieldCount} fields`, {
      row: rowNumber,
    });
  }
}

/**
 * Runs `encodeCell` over the cells of a row, adding the row and field to any
 * VotableError it throws.
 */
export function forEachCell(
  row: Row,
  fields: readonly FieldDescription[],
  rowNumber: number,
  encodeCell: (column: number) => void,
): void {
  checkRowLength(row, fields.length, rowNumber);
  let column = 0;
  try {
    for (; column < fields.length; column++) encodeCell(column);
  } catch (error) {
    throw locateCellError(error, rowNumber, fields[column]?.name);
  }
}

/** Checks that every cell of a column batch has its field. */
export function checkColumnCount(batch: ColumnBatch, fieldCount: number, rowNumber: number): void {
  if (batch.columns.length !== fieldCount) {
    throw new VotableError(
      `row has ${batch.columns.length} cells, the table has ${fieldCount} fields`,
      { row: rowNumber },
    );
  }
}

/** A chunk of what a serializer took, followed by `tail` (UTF-8). */
export function chunkOf(taken: string | Buffer, tail = ''): Buffer {
  if (typeof taken === 'string') return Buffer.from(taken + tail, 'utf8');
  return tail === '' ? taken : Buffer.concat([taken, Buffer.from(tail, 'utf8')]);
}

/** Encodes all rows, yielding full chunks and counting rows in `progress`. Errors propagate. */
export async function* streamRows(
  serializer: RowSerializer,
  fields: readonly FieldDescription[],
  rows: RowSource,
  chunkBytes: number,
  progress: { rows: number },
): AsyncGenerator<Buffer, void, undefined> {
  let window = FIRST_WINDOW_ROWS;
  for await (const given of rows) {
    let batch: ColumnBatch;
    let badRow: number | undefined;
    if (isColumnBatch(given)) {
      checkColumnCount(given, fields.length, progress.rows + 1);
      batch = given;
    } else {
      const bad = given.findIndex((row) => row.length !== fields.length);
      badRow = bad < 0 ? undefined : bad;
      const good = badRow === undefined ? given : given.slice(0, badRow);
      batch = { rowCount: good.length, columns: columnsOfBatch(good, fields.length) };
    }
    for (let from = 0; from < batch.rowCount;) {
      const to = Math.min(batch.rowCount, from + window);
      const before = serializer.pending();
      serializer.addColumns(batch, from, to, progress);
      // Chunks stay near chunkBytes: the HTTP layer buffers a number of chunks, not of bytes.
      const grown = serializer.pending() - before;
      if (grown > 0) {
        const fit = Math.floor((chunkBytes * (to - from)) / grown);
        window = Math.max(1, Math.min(MAX_WINDOW_ROWS, fit));
      }
      from = to;
      if (serializer.pending() >= chunkBytes) yield chunkOf(serializer.take(false));
    }
    if (badRow !== undefined) {
      checkRowLength((given as RowBatch)[badRow]!, fields.length, progress.rows + 1);
    }
  }
}

/** How a text format spells its rows: everything but the cell values is fixed text. */
export interface TextRowSpec {
  readonly opening: string;
  readonly closing: string;
  /** Text before the first row's cells, and before every other row's. */
  readonly firstRowOpen: string;
  readonly rowOpen: string;
  readonly separator: string;
  readonly rowClose: string;
  /** Text of a non-null cell, per field (already escaped/quoted for the format). */
  readonly cells: readonly ((value: NonNullable<Row[number]>) => string)[];
  /** Text of a null cell, per field. */
  readonly nulls: readonly string[];
}

/** Whether a cell holds the value of `last` (0 and -0 print differently; NaN never repeats). */
function repeats(value: NonNullable<Row[number]>, last: Row[number]): boolean {
  if (value === last) return value !== 0;
  return value instanceof Date && last instanceof Date && value.getTime() === last.getTime();
}

/** A serializer writing rows as text, a window of rows into one string, cell by cell over the columns. */
export function textRowSerializer(
  fields: readonly FieldDescription[],
  spec: TextRowSpec,
): RowSerializer {
  const queue = textQueue();
  const { cells, nulls, separator, rowClose } = spec;
  const width = fields.length;
  let rowOpen = spec.firstRowOpen;
  // The last value of each column and its text: catalogs repeat values row after row.
  const lastValue: Row[number][] = fields.map(() => undefined);
  const lastText: string[] = fields.map(() => '');
  return {
    opening: spec.opening,
    closing: spec.closing,
    addColumns(batch, from, to, progress) {
      const columns = batch.columns;
      let out = '';
      let c = 0;
      try {
        for (let r = from; r < to; r++) {
          let line = rowOpen;
          for (c = 0; c < width; c++) {
            const value = columns[c]![r];
            if (c > 0) line += separator;
            if (value === null || value === undefined) line += nulls[c]!;
            else if (repeats(value, lastValue[c])) line += lastText[c]!;
            else {
              const text = cells[c]!(value);
              // Arrays may be refilled by their producer: only values that cannot change are kept.
              lastValue[c] = typeof value !== 'object' || value instanceof Date ? value : undefined;
              lastText[c] = text;
              line += text;
            }
          }
          out += line + rowClose;
          rowOpen = spec.rowOpen;
          progress.rows++;
        }
      } catch (error) {
        queue.append(out);
        throw locateCellError(error, progress.rows + 1, fields[c]?.name);
      }
      queue.append(out);
    },
    pending: queue.pending,
    take: queue.take,
  };
}
