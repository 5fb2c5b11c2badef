/**
 * The loop every result format shares: pull row batches, encode each row, hand
 * out a chunk whenever about `chunkBytes` are waiting. Formats differ only in the
 * RowSerializer they plug in and in what they do when the rows fail.
 */
import type { Row, RowSource } from './cells.js';
import { locateCellError, VotableError } from './errors.js';
import type { FieldDescription } from './field.js';

export interface RowSerializer {
  /** Text before the first row (after the document head). */
  readonly opening: string;
  /** Text after the last row. */
  readonly closing: string;
  /** Encodes one row (1-based `rowNumber` for messages); on failure leaves nothing of it behind. */
  add(row: Row, rowNumber: number): void;
  /** Size of what is waiting to be handed out. */
  pending(): number;
  /** Takes what is waiting (everything when `final`). */
  take(final: boolean): string;
}

export const DEFAULT_CHUNK_BYTES = 1 << 16;

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

/** Encodes all rows, yielding full chunks and counting rows in `progress`. Errors propagate. */
export async function* streamRows(
  serializer: RowSerializer,
  rows: RowSource,
  chunkBytes: number,
  progress: { rows: number },
): AsyncGenerator<Buffer, void, undefined> {
  for await (const batch of rows) {
    for (const row of batch) {
      serializer.add(row, progress.rows + 1);
      progress.rows++;
      if (serializer.pending() >= chunkBytes) yield Buffer.from(serializer.take(false), 'utf8');
    }
  }
}
