/**
 * Decouples producing an encoded result from sending it. The producer (database rows
 * turned into bytes) runs at the database's pace into a bounded memory buffer, then
 * into a private temporary file, so the catalog connection is released as soon as the
 * rows are produced however slowly the client reads. The file is unlinked as soon as
 * it is opened: it lives only as long as its descriptor, and nobody else can open it.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolOptions {
  /** A private folder (the deployment's cache) for the overflow file. */
  readonly dir: string;
  /** Bytes kept in memory before the rest goes to the file. Default 1 MiB. */
  readonly memoryBytes?: number;
}

const READ_BYTES = 256 * 1024;

export interface SpooledBody {
  /** The bytes of the source in order, read once. */
  readonly body: AsyncIterable<Buffer>;
  /** Settles once the source has been read to its end, failed, or been abandoned. */
  readonly finished: Promise<void>;
}

/** Reads `source` eagerly to its end; `body` yields the same bytes at the reader's pace. */
export function spooled(source: AsyncIterable<Buffer>, options: SpoolOptions): SpooledBody {
  const spool = new Spool(options);
  const finished = spool.fill(source[Symbol.asyncIterator]());
  return { body: { [Symbol.asyncIterator]: () => spool.drain() }, finished };
}

class Spool {
  private readonly memory: Buffer[] = [];
  private memoryBytes = 0;
  private file: Promise<FileHandle> | undefined;
  private written = 0;
  private read = 0;
  private ended = false;
  private failure: unknown;
  private abandoned = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SpoolOptions) {}

  async fill(source: AsyncIterator<Buffer>): Promise<void> {
    try {
      for (;;) {
        if (this.abandoned) {
          await source.return?.();
          return;
        }
        const next = await source.next();
        if (next.done) break;
        await this.append(next.value);
        this.notify();
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  async *drain(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = this.memory.shift();
        if (chunk) {
          this.memoryBytes -= chunk.length;
          yield chunk;
          continue;
        }
        if (this.read < this.written) {
          yield await this.readFile();
          continue;
        }
        if (this.ended) {
          if (this.failure !== undefined) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // The client went away (or all was sent): stop producing, drop the file.
      this.abandoned = true;
      const file = this.file;
      this.file = undefined;
      if (file) await (await file.catch(() => undefined))?.close();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async append(chunk: Buffer): Promise<void> {
    if (this.abandoned) return;
    const limit = this.options.memoryBytes ?? 1024 * 1024;
    if (!this.file && this.memoryBytes + chunk.length <= limit) {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    // Once spilling, every later byte goes to the file, so that order is kept.
    this.file ??= this.openFile();
    const handle = await this.file;
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, this.written);
      done += bytesWritten;
      this.written += bytesWritten;
    }
  }

  private async openFile(): Promise<FileHandle> {
    const path = join(this.options.dir, `.spool-${randomBytes(12).toString('hex')}`);
    const handle = await open(path, 'wx+', 0o600);
    await unlink(path);
    return handle;
  }

  private async readFile(): Promise<Buffer> {
    const handle = await this.file!;
    const want = Math.min(READ_BYTES, this.written - this.read);
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buffer, 0, want, this.read);
    this.read += bytesRead;
    return buffer.subarray(0, bytesRead);
  }
}
