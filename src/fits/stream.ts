/**
 * Reading big files without holding them: headers of every HDU (data skipped),
 * and the rows of one binary table in batches. Memory is one batch plus a few
 * zlib chunks, whatever the size of the table; gzip files decompress on the fly.
 */
import { ChecksumAccumulator, checkSums, checksumOf, type ChecksumStatus } from './checksum.js';
import { findColumn, readColumns, type ColumnDescriptor } from './columns.js';
import { decodeRows, type RowBatch } from './decode.js';
import { FitsError, hduLabel, withFitsContext, type FitsErrorContext } from './errors.js';
import { BLOCK_LENGTH, Header, paddedLength } from './header.js';
import { heapOf, makeHdu, type Hdu } from './hdu.js';
import {
  extensionName,
  extensionVersion,
  hduContext,
  readLayout,
  type DataLayout,
  isFiller,
  startsWith,
} from './layout.js';
import { openByteSource, type ByteSource } from './source.js';

export interface HduSummary {
  readonly index: number;
  /** EXTNAME, or '' when there is none. */
  readonly name: string;
  readonly extver: number;
  /** 'bintable', 'image' (also the primary array) or 'other'. */
  readonly kind: 'bintable' | 'image' | 'other';
  readonly header: Header;
  /** Offset of the header in the (decompressed) stream. */
  readonly headerOffset: number;
  /** Offset of the data in the (decompressed) stream. */
  readonly dataOffset: number;
  /** Data bytes including the heap, excluding padding. */
  readonly dataByteLength: number;
  /** Header + data + padding. */
  readonly hduByteLength: number;
}

export interface HeaderRead {
  readonly summary: HduSummary;
  readonly layout: DataLayout;
  /** The header as stored, for checksums and byte-exact copies. */
  readonly headerBytes: Uint8Array;
  readonly context: FitsErrorContext;
}

/** Reads the next header from the source; undefined at the end of the file. */
export async function readNextHeader(
  source: ByteSource,
  index: number,
): Promise<HeaderRead | undefined> {
  const headerOffset = source.position;
  const context: FitsErrorContext = { file: source.path, hdu: String(index) };
  const blocks: Uint8Array[] = [];
  for (;;) {
    const block = await source.read(BLOCK_LENGTH);
    if (blocks.length === 0 && index > 0 && isFiller(block)) return undefined;
    if (blocks.length === 0 && index > 0 && !startsWith(block, 'XTENSION')) {
      throw new FitsError(
        `bytes follow the last HDU but do not start an extension header`,
        context,
      );
    }
    blocks.push(block);
    if (block.length < BLOCK_LENGTH || endsHeader(block)) break;
  }
  return parsedHeader(concat(blocks), { path: source.path, index, headerOffset });
}

/** A header's bytes (as stored) read into the summary of its HDU and its data's layout. */
function parsedHeader(
  headerBytes: Uint8Array,
  at: { readonly path: string; readonly index: number; readonly headerOffset: number },
): HeaderRead {
  const { path, index, headerOffset } = at;
  const context: FitsErrorContext = { file: path, hdu: String(index) };
  const { header, byteLength } = Header.parse(headerBytes, context);
  if (byteLength > headerBytes.length) {
    throw new FitsError('the file is truncated inside the header', context);
  }
  const located = hduContext(path, index, header);
  header.locate(located);
  const layout = readLayout(header, index === 0, located);
  const summary: HduSummary = {
    index,
    name: extensionName(header),
    extver: extensionVersion(header),
    kind: kindOf(layout, header),
    header,
    headerOffset,
    dataOffset: headerOffset + byteLength,
    dataByteLength: layout.dataByteLength,
    hduByteLength: byteLength + paddedLength(layout.dataByteLength),
  };
  return { summary, layout, headerBytes, context: located };
}

/**
 * An HDU held in memory as bytes of its own, its header as stored and its data: what
 * another thread can be handed (transferred, not copied) instead of reading the file again.
 */
export interface HduImage {
  readonly path: string;
  readonly index: number;
  readonly header: Uint8Array;
  readonly data: Uint8Array;
}

/** A copy of an HDU kept by scanFile as an image, in buffers of its own (a scan's data may share one). */
export function hduImage(path: string, hdu: Hdu): HduImage {
  // new Uint8Array(view) copies; a Buffer's slice() would not.
  const [header, data] = [new Uint8Array(hdu.header.toBytes()), new Uint8Array(hdu.data)];
  return { path, index: hdu.index, header, data };
}

/** What scanFile would have read and kept of the HDU of an image. */
export function scannedImage(image: HduImage): ScannedFile {
  const read = parsedHeader(image.header, { ...image, headerOffset: 0 });
  const { summary, layout, context } = read;
  if (image.data.length !== layout.dataByteLength) throw truncated(read, image.data.length);
  const hdu = withFitsContext(context, () =>
    makeHdu({ index: summary.index, header: summary.header, layout, data: image.data, context }),
  );
  return { hdus: [summary], kept: new Map([[summary.index, hdu]]) };
}

function kindOf(layout: DataLayout, header: Header): HduSummary['kind'] {
  if (layout.xtension === 'BINTABLE') return 'bintable';
  const groups =
    layout.xtension === 'primary' && layout.axes[0] === 0 && header.get('GROUPS') === true;
  if ((layout.xtension === 'primary' && !groups) || layout.xtension === 'IMAGE') return 'image';
  return 'other';
}

/** Skips an HDU's data and padding; a short data part is a truncated file. */
async function skipData(source: ByteSource, read: HeaderRead): Promise<void> {
  const { dataByteLength } = read.layout;
  const skipped = await source.skip(paddedLength(dataByteLength));
  if (skipped < dataByteLength) throw truncated(read, skipped);
}

export function truncated(read: HeaderRead, present: number): FitsError {
  return new FitsError(
    `the file is truncated: the header says ${read.layout.dataByteLength} bytes of data, only ${present} are present`,
    read.context,
  );
}

/** The headers of every HDU, with where each one's data sits; the data are not kept. */
export async function scanHdus(path: string): Promise<HduSummary[]> {
  return (await scanFile(path)).hdus;
}

export interface ScanOptions {
  /** Keep the data of the HDUs this accepts, decoded on request (the others are skipped). */
  readonly keep?: (summary: HduSummary) => boolean;
  /** Stop reading the file once this returns true (asked after each HDU). */
  readonly until?: (summaries: readonly HduSummary[]) => boolean;
}

export interface ScannedFile {
  /** Every HDU read (up to where `until` stopped). */
  readonly hdus: HduSummary[];
  /** The HDUs kept, by index. */
  readonly kept: ReadonlyMap<number, Hdu>;
}

/**
 * One pass over a file: every header, and the data of the HDUs `keep` asks for, so
 * that a gzip file is inflated once for its headers and its small tables together.
 */
export async function scanFile(path: string, options: ScanOptions = {}): Promise<ScannedFile> {
  const source = await openByteSource(path);
  try {
    const hdus: HduSummary[] = [];
    const kept = new Map<number, Hdu>();
    for (;;) {
      const read = await readNextHeader(source, hdus.length);
      if (read === undefined) break;
      hdus.push(read.summary);
      if (options.keep?.(read.summary)) {
        const { dataByteLength } = read.layout;
        const bytes = await source.read(paddedLength(dataByteLength));
        if (bytes.length < dataByteLength) throw truncated(read, bytes.length);
        const data = bytes.subarray(0, dataByteLength);
        kept.set(
          read.summary.index,
          withFitsContext(read.context, () =>
            makeHdu({
              index: read.summary.index,
              header: read.summary.header,
              layout: read.layout,
              data,
              context: read.context,
            }),
          ),
        );
      } else await skipData(source, read);
      if (options.until?.(hdus)) break;
    }
    return { hdus, kept };
  } finally {
    await source.close();
  }
}

export interface BinTableStreamOptions {
  /** Rows per batch (default: 65536, fewer for very wide rows). */
  readonly batchRows?: number;
  /** Columns to decode (case-insensitive); default all. */
  readonly columns?: readonly string[];
  /** EXTVER to match when selecting the HDU by name. */
  readonly extver?: number;
  /** Check CHECKSUM/DATASUM when the last batch has been read; a mismatch throws FitsError. */
  readonly verifyChecksums?: boolean;
}

export interface BinTableStream {
  readonly hdu: HduSummary;
  /** Every column of the table (also those not decoded). */
  readonly columns: readonly ColumnDescriptor[];
  readonly rowCount: number;
  /** The batches (one empty batch for a table without rows), once; the file is closed when they end, when the loop breaks, or on close(). */
  readonly batches: AsyncIterable<RowBatch>;
  /** Closes the file without reading on. */
  close(): Promise<void>;
}

const DEFAULT_BATCH_ROWS = 65536;
const MAX_BATCH_BYTES = 16 << 20;

/**
 * Opens a binary table for reading in batches. The HDUs before it are skipped;
 * nothing after it is read. Variable-length columns need the heap, which follows
 * all rows: asking for one reads the table's data into memory first.
 */
export async function openBinTableStream(
  path: string,
  hdu: string | number,
  options: BinTableStreamOptions = {},
): Promise<BinTableStream> {
  const source = await openByteSource(path);
  try {
    const read = await seekHdu(source, hdu, options.extver);
    if (read.summary.kind !== 'bintable') {
      throw new FitsError(
        `expected a binary table, found a ${read.layout.xtension} HDU`,
        read.context,
      );
    }
    const columns = readColumns(read.summary.header, read.context);
    const selected =
      options.columns === undefined
        ? columns
        : options.columns.map((name) => findColumn(columns, (c) => c.name, name, read.context));
    const [rowWidth = 0, rowCount = 0] = read.layout.axes;
    const batchRows =
      options.batchRows !== undefined
        ? Math.max(1, Math.floor(options.batchRows))
        : Math.max(
            1,
            Math.min(DEFAULT_BATCH_ROWS, Math.floor(MAX_BATCH_BYTES / Math.max(1, rowWidth))),
          );
    const plan: TablePlan = {
      read,
      selected,
      rowWidth,
      rowCount,
      batchRows,
      verify: options.verifyChecksums === true,
    };
    let started = false;
    return {
      hdu: read.summary,
      columns,
      rowCount,
      batches: {
        [Symbol.asyncIterator]: () => {
          if (started)
            throw new FitsError(
              'the batches of a table stream can be read only once',
              read.context,
            );
          started = true;
          return readBatches(source, plan)[Symbol.asyncIterator]();
        },
      },
      close: () => source.close(),
    };
  } catch (error) {
    await source.close();
    throw error;
  }
}

/** Reads headers until the wanted HDU (by index, or EXTNAME then EXTVER). */
async function seekHdu(
  source: ByteSource,
  wanted: string | number,
  extver: number | undefined,
): Promise<HeaderRead> {
  const seen: string[] = [];
  const name = typeof wanted === 'string' ? wanted.trim().toUpperCase() : undefined;
  for (let index = 0; ; index++) {
    const read = await readNextHeader(source, index);
    if (read === undefined) break;
    const { summary } = read;
    const matches =
      name === undefined
        ? index === wanted
        : (summary.name.toUpperCase() === name ||
            (index === 0 && summary.name === '' && name === 'PRIMARY')) &&
          (extver === undefined || summary.extver === extver);
    if (matches) return read;
    seen.push(hduLabel(index, summary.name));
    await skipData(source, read);
  }
  const what = typeof wanted === 'number' ? `HDU ${wanted}` : `HDU named '${wanted}'`;
  throw new FitsError(`there is no ${what} (HDUs: ${seen.join(', ')})`, { file: source.path });
}

interface TablePlan {
  readonly read: HeaderRead;
  readonly selected: readonly ColumnDescriptor[];
  readonly rowWidth: number;
  readonly rowCount: number;
  readonly batchRows: number;
  readonly verify: boolean;
}

async function* readBatches(source: ByteSource, plan: TablePlan): AsyncGenerator<RowBatch> {
  const { read, selected, rowWidth, rowCount, batchRows } = plan;
  const sum = plan.verify ? new ChecksumAccumulator() : undefined;
  try {
    if (selected.some((c) => c.variable !== undefined)) {
      const data = await source.read(read.layout.dataByteLength);
      if (data.length < read.layout.dataByteLength) throw truncated(read, data.length);
      sum?.add(data);
      const heap = withFitsContext(read.context, () =>
        heapOf(read.summary.header, data, rowWidth * rowCount, read.context),
      );
      for (let first = 0; first < rowCount; first += batchRows) {
        const count = Math.min(batchRows, rowCount - first);
        const rows = data.subarray(first * rowWidth, (first + count) * rowWidth);
        yield decodeRows(selected, { rows, rowCount: count, rowWidth, heap }, first, read.context);
      }
      if (sum) await finishChecksums(source, plan, sum, data.length);
      return;
    }
    if (rowCount === 0)
      yield decodeRows(
        selected,
        { rows: new Uint8Array(0), rowCount: 0, rowWidth },
        0,
        read.context,
      );
    for (let first = 0; first < rowCount; first += batchRows) {
      const count = Math.min(batchRows, rowCount - first);
      const rows = await source.read(count * rowWidth);
      if (rows.length < count * rowWidth) throw truncated(read, first * rowWidth + rows.length);
      sum?.add(rows);
      yield decodeRows(selected, { rows, rowCount: count, rowWidth }, first, read.context);
    }
    if (sum) await finishChecksums(source, plan, sum, rowCount * rowWidth);
  } finally {
    await source.close();
  }
}

/** Reads the rest of the data (heap, padding) into the sum and checks CHECKSUM/DATASUM. */
async function finishChecksums(
  source: ByteSource,
  plan: TablePlan,
  sum: ChecksumAccumulator,
  consumed: number,
): Promise<ChecksumStatus> {
  const { read } = plan;
  for (let left = paddedLength(read.layout.dataByteLength) - consumed; left > 0;) {
    const piece = await source.read(Math.min(left, MAX_BATCH_BYTES));
    if (piece.length === 0) break;
    sum.add(piece);
    left -= piece.length;
  }
  return checkSums(read.summary.header, checksumOf(read.headerBytes), sum.value, read.context);
}

/** A stream of a table's batches that opens the file on first use. */
export interface LazyBinTableStream extends AsyncIterable<RowBatch> {
  /** The table's description (opens the file if not yet open). */
  info(): Promise<Omit<BinTableStream, 'batches' | 'close'>>;
  /** Closes the file if it was opened and not read to the end. */
  close(): Promise<void>;
}

/** `for await (const batch of streamBinTable(path, 'EVENTS', { columns: ['ENERGY'] }))`. */
export function streamBinTable(
  path: string,
  hdu: string | number,
  options: BinTableStreamOptions = {},
): LazyBinTableStream {
  let opening: Promise<BinTableStream> | undefined;
  const opened = (): Promise<BinTableStream> =>
    (opening ??= openBinTableStream(path, hdu, options));
  return {
    async *[Symbol.asyncIterator]() {
      yield* (await opened()).batches;
    },
    async info() {
      const { hdu: summary, columns, rowCount } = await opened();
      return { hdu: summary, columns, rowCount };
    },
    async close() {
      if (opening) await (await opening).close();
    },
  };
}

/** True at a header's end: some card in the block is END. */
function endsHeader(block: Uint8Array): boolean {
  for (let at = 0; at + 80 <= block.length; at += 80) {
    if (block[at] === 0x45 && block[at + 1] === 0x4e && block[at + 2] === 0x44) {
      let blank = true;
      for (let i = at + 3; i < at + 80 && blank; i++) blank = block[i] === 0x20;
      if (blank) return true;
    }
    for (let i = at; i < at + 80; i++) {
      const b = block[i]!;
      if (b < 0x20 || b > 0x7e) return true; // let Header.parse report the bad byte
    }
  }
  return false;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
