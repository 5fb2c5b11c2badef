/**
 * TAP results as a FITS binary table (RESPONSEFORMAT=fits, application/fits). A
 * BINTABLE needs fixed widths (string lengths, array lengths) and the row count in
 * its header, and a result is known only once read: rows are spooled to a temporary
 * file while the widths are measured, then written with the FITS batch writer (which
 * patches NAXIS2 and the checksums) and streamed. Memory holds one batch.
 */
import { open, mkdtemp, rm } from 'node:fs/promises';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { deserialize, serialize } from 'node:v8';
import { type Card, createBinTableWriter, type ColumnInput } from '../fits/index.js';
import {
  columnsOfBatch,
  isColumnBatch,
  type CellValue,
  type ColumnBatch,
  type FieldDescription,
  type RowSource,
} from '../votable/index.js';

export interface FitsResultOptions {
  /** Asked after the last row: the result was cut at MAXREC. */
  readonly overflow?: () => boolean;
  /** Folder for the spool and the table (default: the OS temporary folder). */
  readonly tmpDir?: string;
}

type Kind = 'logical' | 'integer' | 'real' | 'text' | 'timestamp' | 'numeric-array';

interface ColumnLayout {
  readonly field: FieldDescription;
  readonly kind: Kind;
  /** FITS code of one element. */
  readonly code: string;
  /** Characters (text) or elements (arrays) in each cell; measured from the data. */
  width: number;
}

const INTEGER_CODES: Readonly<Record<string, readonly [string, number | bigint]>> = {
  unsignedByte: ['B', 255],
  short: ['I', -32768],
  int: ['J', -2147483648],
  long: ['K', -(2n ** 63n)],
};

function layoutOf(field: FieldDescription): ColumnLayout {
  const { datatype } = field;
  if (field.xtype === 'timestamp') return { field, kind: 'timestamp', code: 'A', width: 23 };
  if (datatype === 'char' || datatype === 'unicodeChar') {
    return { field, kind: 'text', code: 'A', width: 1 };
  }
  if (datatype === 'boolean') return { field, kind: 'logical', code: 'L', width: 1 };
  const element = INTEGER_CODES[datatype]?.[0] ?? (datatype === 'float' ? 'E' : 'D');
  if (field.arraysize !== undefined || field.xtype === 'interval') {
    return { field, kind: 'numeric-array', code: element, width: 1 };
  }
  return { field, kind: INTEGER_CODES[datatype] ? 'integer' : 'real', code: element, width: 1 };
}

/** Printable ASCII only: FITS strings allow nothing else. */
function asciiText(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?');
}

function cellText(cell: CellValue | undefined, kind: Kind): string {
  if (cell === null || cell === undefined) return '';
  if (kind === 'timestamp' && cell instanceof Date) return cell.toISOString().slice(0, 23);
  return asciiText(String(cell));
}

type Cells = ColumnBatch['columns'][number];

function measure(layouts: readonly ColumnLayout[], columns: ColumnBatch['columns']): void {
  layouts.forEach((layout, i) => {
    const cells = columns[i]!;
    if (layout.kind === 'text') {
      for (const cell of cells)
        layout.width = Math.max(layout.width, cellText(cell, 'text').length);
    } else if (layout.kind === 'numeric-array') {
      for (const cell of cells) {
        if (cell !== null && typeof cell === 'object') {
          layout.width = Math.max(layout.width, (cell as ArrayLike<unknown>).length);
        }
      }
    }
  });
}

/** One batch as column values for the FITS writer. */
function columnsOf(
  layouts: readonly ColumnLayout[],
  columns: ColumnBatch['columns'],
): ColumnInput[] {
  return layouts.map((layout, i) => {
    const cells: Cells = columns[i]!;
    switch (layout.kind) {
      case 'logical':
        return cells.map((c) => (typeof c === 'boolean' ? c : null));
      case 'integer':
        // NaN marks a null; the column's TNULL stands in for it.
        return cells.map((c) =>
          typeof c === 'bigint' ? c : c === null || c === undefined ? NaN : Number(c),
        ) as number[];
      case 'real':
        return cells.map((c) => (c === null || c === undefined ? NaN : Number(c)));
      case 'text':
      case 'timestamp':
        return cells.map((c) => cellText(c, layout.kind));
      case 'numeric-array': {
        const fill = layout.code === 'E' || layout.code === 'D' ? NaN : 0;
        return cells.map((c) => {
          const values =
            c !== null && typeof c === 'object'
              ? Array.from(c as ArrayLike<number | bigint>, Number)
              : [];
          while (values.length < layout.width) values.push(fill);
          return values;
        });
      }
    }
  }) as ColumnInput[];
}

/** Spool frames hold a batch by column. */
async function writeFrame(out: WriteStream, columns: ColumnBatch['columns']): Promise<void> {
  const body = serialize(columns);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  if (!out.write(header) || !out.write(body)) await once(out, 'drain');
}

async function* readFrames(path: string): AsyncGenerator<ColumnBatch['columns']> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(4);
    for (;;) {
      const { bytesRead } = await file.read(header, 0, 4);
      if (bytesRead < 4) return;
      const body = Buffer.alloc(header.readUInt32LE(0));
      await file.read(body, 0, body.length);
      yield deserialize(body) as ColumnBatch['columns'];
    }
  } finally {
    await file.close();
  }
}

/** The result as one FITS file: an empty primary HDU and a BINTABLE named RESULT. */
export async function* writeFitsResult(
  fields: readonly FieldDescription[],
  rows: RowSource,
  options: FitsResultOptions = {},
): AsyncGenerator<Buffer> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'hearc-fits-'));
  try {
    const layouts = fields.map(layoutOf);
    const spoolPath = join(dir, 'rows.spool');
    const spool = createWriteStream(spoolPath);
    let rowCount = 0;
    try {
      for await (const batch of rows) {
        const columns = columnsOfBatch(batch, fields.length);
        measure(layouts, columns);
        rowCount += isColumnBatch(batch) ? batch.rowCount : batch.length;
        await writeFrame(spool, columns);
      }
    } finally {
      spool.end();
      await once(spool, 'close');
    }
    const header: Card[] = [
      {
        keyword: 'QRYSTAT',
        value: options.overflow?.() ? 'OVERFLOW' : 'OK',
        comment: 'TAP query status: OVERFLOW when cut at MAXREC',
      },
    ];
    const tablePath = join(dir, 'result.fits');
    const writer = await createBinTableWriter(tablePath, {
      name: 'RESULT',
      rowCount,
      header,
      columns: layouts.map((layout) => {
        const nullValue =
          layout.kind === 'integer' ? INTEGER_CODES[layout.field.datatype]?.[1] : undefined;
        return {
          name: layout.field.name,
          format: `${layout.width}${layout.code}`,
          ...(layout.field.unit !== undefined ? { unit: layout.field.unit } : {}),
          ...(nullValue !== undefined ? { nullValue } : {}),
          ...(layout.field.datatype === 'unsignedByte' ? { zero: 0 } : {}),
        };
      }),
    });
    try {
      for await (const batch of readFrames(spoolPath))
        await writer.writeRows(columnsOf(layouts, batch));
      await writer.close();
    } catch (err) {
      await writer.abort();
      throw err;
    }
    await rm(spoolPath, { force: true });
    for await (const chunk of createReadStream(tablePath, { highWaterMark: 256 * 1024 })) {
      yield chunk as Buffer;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
