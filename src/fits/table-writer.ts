/**
 * Writing a large binary table batch by batch (event-list cutouts): rows go to
 * disk as they come, and at the end NAXIS2, DATASUM and CHECKSUM are patched in
 * place, so memory holds one batch whatever the table's size.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ChecksumAccumulator, stampChecksums } from './checksum.js';
import type { ColumnInput } from './encode.js';
import { scatterRows } from './encode.js';
import { FitsError, type FitsErrorContext } from './errors.js';
import { findColumn } from './columns.js';
import { paddedLength, type Card, type Header } from './header.js';
import {
  checkHdu,
  countRows,
  emptyPrimaryHeader,
  encodeFixed,
  hduChunks,
  planColumns,
  tableHeader,
  temporaryPathFor,
  type BinTableColumnSpec,
  type ColumnPlan,
  type WritableHdu,
} from './write.js';

export interface BinTableWriterSpec {
  readonly name: string;
  /** As for buildBinTable, without values; unsigned columns need their `zero` stated. */
  readonly columns: readonly Omit<BinTableColumnSpec, 'values'>[];
  readonly header?: readonly Card[];
  /** Rows to come; required when writing to a stream, checked at the end when given. */
  readonly rowCount?: number;
}

export interface BinTableWriterOptions {
  readonly gzip?: boolean;
  readonly gzipLevel?: number;
  /** CHECKSUM/DATASUM (default true for files; not possible for streams, which get none). */
  readonly checksum?: boolean;
  /** Primary header (default: an empty primary). */
  readonly primary?: Header;
  /** HDUs written after the table (e.g. GTI after EVENTS). */
  readonly after?: readonly WritableHdu[];
  /** For stream targets: end the stream when the writer closes (default true). */
  readonly end?: boolean;
}

export interface BinTableWriter {
  readonly rowsWritten: number;
  /** One batch: values per column, by name (case-insensitive) or in column order. */
  writeRows(values: Readonly<Record<string, ColumnInput>> | readonly ColumnInput[]): Promise<void>;
  /** Finishes the file (patches NAXIS2 and checksums, compresses, renames into place). */
  close(): Promise<void>;
  /** Stops and removes what was written (files only). */
  abort(): Promise<void>;
}

/** Opens a writer to a file path (atomic: written aside, renamed at close) or to a stream. */
export async function createBinTableWriter(
  target: string | Writable,
  spec: BinTableWriterSpec,
  options: BinTableWriterOptions = {},
): Promise<BinTableWriter> {
  const file = typeof target === 'string' ? target : undefined;
  const context: FitsErrorContext = { ...(file ? { file } : {}), hdu: `1 (${spec.name})` };
  const { plans, rowWidth } = planColumns(spec.columns, () => undefined, context);
  const variable = plans.find((p) => p.tform.variable !== undefined);
  if (variable) {
    throw new FitsError(
      'variable-length columns cannot be written batch by batch; use buildBinTable',
      variable.context,
    );
  }
  const primary = options.primary ?? emptyPrimaryHeader();
  checkHdu({ header: primary, data: new Uint8Array(0) }, true, { ...context, hdu: '0 (primary)' });
  (options.after ?? []).forEach((hdu, i) =>
    checkHdu(hdu, false, { ...context, hdu: String(i + 2) }),
  );
  if (typeof target === 'string') {
    return FileTableWriter.open(target, spec, options, plans, rowWidth, primary, context);
  }
  if (spec.rowCount === undefined) {
    throw new FitsError(
      'writing to a stream needs the row count up front (spec.rowCount)',
      context,
    );
  }
  if (options.checksum === true) {
    throw new FitsError(
      'CHECKSUM needs the data before the header; write to a file path to get checksums',
      context,
    );
  }
  return new StreamTableWriter(target, spec, options, plans, rowWidth, primary, context);
}

abstract class TableWriterBase implements BinTableWriter {
  rowsWritten = 0;
  protected dataLength = 0;

  constructor(
    protected readonly spec: BinTableWriterSpec,
    protected readonly options: BinTableWriterOptions,
    protected readonly plans: readonly ColumnPlan[],
    protected readonly rowWidth: number,
    protected readonly context: FitsErrorContext,
  ) {}

  async writeRows(
    values: Readonly<Record<string, ColumnInput>> | readonly ColumnInput[],
  ): Promise<void> {
    const valueOf = (plan: ColumnPlan): ColumnInput => {
      if (Array.isArray(values)) {
        const v = (values as readonly ColumnInput[])[plan.number - 1];
        if (v === undefined) throw new FitsError('no values given for the column', plan.context);
        return v;
      }
      const record = values as Readonly<Record<string, ColumnInput>>;
      const key = findColumn(Object.keys(record), (k) => k, plan.spec.name, this.context);
      return record[key]!;
    };
    const rows = countRows(this.plans, valueOf, 0);
    const batch = new Uint8Array(rows * this.rowWidth);
    for (const plan of this.plans) {
      const bytes = encodeFixed(plan, valueOf(plan), rows);
      scatterRows(bytes, batch, plan.byteOffset, this.rowWidth, rows, plan.tform.byteWidth);
    }
    await this.writeData(batch);
    this.rowsWritten += rows;
    this.dataLength += batch.length;
  }

  protected header(rowCount: number): Header {
    return tableHeader(this.spec.name, this.plans, this.rowWidth, rowCount, 0, this.spec.header);
  }

  protected checkRowCount(): void {
    if (this.spec.rowCount !== undefined && this.spec.rowCount !== this.rowsWritten) {
      throw new FitsError(
        `${this.rowsWritten} rows were written but the table was declared with ${this.spec.rowCount}`,
        this.context,
      );
    }
  }

  protected padding(): Uint8Array {
    return new Uint8Array(paddedLength(this.dataLength) - this.dataLength);
  }

  protected abstract writeData(bytes: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;
  abstract abort(): Promise<void>;
}

class FileTableWriter extends TableWriterBase {
  #position = 0;
  #headerOffset = 0;
  #headerLength = 0;
  readonly #sum = new ChecksumAccumulator();
  #finished = false;

  private constructor(
    private readonly path: string,
    private readonly raw: string,
    private readonly handle: FileHandle,
    spec: BinTableWriterSpec,
    options: BinTableWriterOptions,
    plans: readonly ColumnPlan[],
    rowWidth: number,
    context: FitsErrorContext,
  ) {
    super(spec, options, plans, rowWidth, context);
  }

  static async open(
    path: string,
    spec: BinTableWriterSpec,
    options: BinTableWriterOptions,
    plans: readonly ColumnPlan[],
    rowWidth: number,
    primary: Header,
    context: FitsErrorContext,
  ): Promise<FileTableWriter> {
    const raw = temporaryPathFor(path);
    let handle: FileHandle;
    try {
      handle = await open(raw, 'w');
    } catch (error) {
      throw new FitsError(
        `cannot write the file: ${(error as Error).message}`,
        { file: path },
        { cause: error },
      );
    }
    const writer = new FileTableWriter(path, raw, handle, spec, options, plans, rowWidth, context);
    try {
      const withExtend = primary.clone();
      withExtend.set('EXTEND', true);
      for (const chunk of hduChunks(
        { header: withExtend, data: new Uint8Array(0) },
        writer.#checksum,
      ))
        await writer.#append(chunk);
      writer.#headerOffset = writer.#position;
      const header = writer.#placeholderHeader(spec.rowCount ?? 0);
      writer.#headerLength = header.length;
      await writer.#append(header);
    } catch (error) {
      await writer.abort();
      throw error;
    }
    return writer;
  }

  get #checksum(): boolean {
    return this.options.checksum ?? true;
  }

  /** The header with the row count and checksum cards in place (their images have fixed widths). */
  #placeholderHeader(rowCount: number, dataSum?: number): Uint8Array {
    const header = this.header(rowCount);
    if (this.#checksum) stampChecksums(header, dataSum ?? 0);
    return header.toBytes();
  }

  protected async writeData(bytes: Uint8Array): Promise<void> {
    if (this.#finished) throw new FitsError('the writer is closed', this.context);
    this.#sum.add(bytes);
    await this.#append(bytes);
  }

  async #append(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(
        bytes,
        done,
        bytes.length - done,
        this.#position + done,
      );
      done += bytesWritten;
    }
    this.#position += bytes.length;
  }

  async close(): Promise<void> {
    if (this.#finished) return;
    try {
      this.checkRowCount();
      await this.#append(this.padding());
      for (const hdu of this.options.after ?? []) {
        for (const chunk of hduChunks(hdu, this.#checksum)) await this.#append(chunk);
      }
      const header = this.#placeholderHeader(this.rowsWritten, this.#sum.value);
      if (header.length !== this.#headerLength)
        throw new Error('the table header changed length while patching');
      await this.handle.write(header, 0, header.length, this.#headerOffset);
      await this.handle.close();
      this.#finished = true;
      if (this.options.gzip) {
        const gz = temporaryPathFor(this.path);
        try {
          await pipeline(
            createReadStream(this.raw),
            createGzip({ level: this.options.gzipLevel ?? 6 }),
            createWriteStream(gz),
          );
          await rename(gz, this.path);
        } finally {
          await rm(gz, { force: true });
          await rm(this.raw, { force: true });
        }
      } else {
        await rename(this.raw, this.path);
      }
    } catch (error) {
      await this.abort();
      if (error instanceof FitsError) throw error;
      throw new FitsError(
        `cannot write the file: ${(error as Error).message}`,
        { file: this.path },
        { cause: error },
      );
    }
  }

  async abort(): Promise<void> {
    if (!this.#finished) {
      this.#finished = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.raw, { force: true });
  }
}

class StreamTableWriter extends TableWriterBase {
  readonly #sink: Writable;
  readonly #done: Promise<void> | undefined;
  #started = false;

  constructor(
    private readonly target: Writable,
    spec: BinTableWriterSpec,
    options: BinTableWriterOptions,
    plans: readonly ColumnPlan[],
    rowWidth: number,
    private readonly primary: Header,
    context: FitsErrorContext,
  ) {
    super(spec, options, plans, rowWidth, context);
    if (options.gzip) {
      const gzip = createGzip({ level: options.gzipLevel ?? 6 });
      this.#done = pipeline(gzip, target, { end: options.end ?? true });
      this.#sink = gzip;
    } else {
      this.#sink = target;
    }
  }

  async #start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const primary = this.primary.clone();
    primary.set('EXTEND', true);
    for (const chunk of hduChunks({ header: primary, data: new Uint8Array(0) }, false))
      await this.#write(chunk);
    await this.#write(this.header(this.spec.rowCount ?? 0).toBytes());
  }

  protected async writeData(bytes: Uint8Array): Promise<void> {
    await this.#start();
    await this.#write(bytes);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (!this.#sink.write(bytes)) {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        this.#sink.once('error', onError);
        this.#sink.once('drain', () => {
          this.#sink.off('error', onError);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.#start();
    this.checkRowCount();
    await this.#write(this.padding());
    for (const hdu of this.options.after ?? []) {
      for (const chunk of hduChunks(hdu, false)) await this.#write(chunk);
    }
    if (this.#done) {
      this.#sink.end();
      await this.#done;
    } else if (this.options.end ?? true) {
      await new Promise<void>((resolve, reject) => {
        this.target.once('error', reject);
        this.target.end(() => resolve());
      });
    }
  }

  async abort(): Promise<void> {
    this.#sink.destroy();
  }
}
