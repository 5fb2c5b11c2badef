/**
 * Sequential byte sources over a file: plain files are read at positions (skipping
 * is free), gzip files stream through zlib's gunzip (skipping decompresses but keeps
 * nothing). Gzip is recognised by its magic bytes. Memory stays at a few chunks.
 */
import { Buffer } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FitsError } from './errors.js';
import { GUNZIP_CHUNK, gzipError } from './gzip.js';

export interface ByteSource {
  readonly path: string;
  /** Bytes consumed so far (in the decompressed stream). */
  readonly position: number;
  /**
   * The next `n` bytes, fewer only at the end of the stream. The result may be a
   * view of an internal chunk; it stays valid (chunks are never reused).
   */
  read(n: number): Promise<Uint8Array>;
  /** Skips up to `n` bytes; returns how many there were. */
  skip(n: number): Promise<number>;
  /** Releases the file; safe to call twice. */
  close(): Promise<void>;
}

const FILE_CHUNK = 1 << 20;

export async function openByteSource(path: string): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new FitsError(
      `cannot open the file: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    if (bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b)
      return new GunzipSource(path, handle);
    const { size } = await handle.stat();
    return new PlainFileSource(path, handle, size);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

class PlainFileSource implements ByteSource {
  position = 0;
  #closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {}

  async read(n: number): Promise<Uint8Array> {
    const length = Math.max(0, Math.min(n, this.size - this.position));
    const out = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(
        out,
        filled,
        length - filled,
        this.position + filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.position += filled;
    return new Uint8Array(out.buffer, out.byteOffset, filled);
  }

  async skip(n: number): Promise<number> {
    const skipped = Math.max(0, Math.min(n, this.size - this.position));
    this.position += skipped;
    return skipped;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.handle.close();
  }
}

class GunzipSource implements ByteSource {
  position = 0;
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #destroy: () => Promise<void>;
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  #ended = false;

  constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    const input = handle.createReadStream({ start: 0, highWaterMark: FILE_CHUNK });
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
    // pipeline forwards read errors into gunzip, so the iterator below sees them.
    pipeline(input, gunzip, () => undefined);
    this.#chunks = gunzip[Symbol.asyncIterator]();
    this.#destroy = async () => {
      gunzip.destroy();
      input.destroy();
      // Resolves once the descriptor is really closed (also when the stream closed it first).
      await handle.close();
    };
  }

  async read(n: number): Promise<Uint8Array> {
    if (this.#chunk.length - this.#at >= n) {
      const view = this.#chunk.subarray(this.#at, this.#at + n);
      this.#at += n;
      this.position += n;
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n && (this.#at < this.#chunk.length || (await this.#next()))) {
      const take = Math.min(n - filled, this.#chunk.length - this.#at);
      out.set(this.#chunk.subarray(this.#at, this.#at + take), filled);
      this.#at += take;
      filled += take;
    }
    this.position += filled;
    return filled < n ? out.subarray(0, filled) : out;
  }

  async skip(n: number): Promise<number> {
    let skipped = 0;
    while (skipped < n && (this.#at < this.#chunk.length || (await this.#next()))) {
      const take = Math.min(n - skipped, this.#chunk.length - this.#at);
      this.#at += take;
      skipped += take;
    }
    this.position += skipped;
    return skipped;
  }

  async close(): Promise<void> {
    this.#ended = true;
    await this.#destroy();
  }

  async #next(): Promise<boolean> {
    if (this.#ended) return false;
    let step: IteratorResult<Buffer>;
    try {
      step = await this.#chunks.next();
    } catch (error) {
      this.#ended = true;
      throw gzipError(error, this.path);
    }
    if (step.done) {
      this.#ended = true;
      return false;
    }
    this.#chunk = step.value;
    this.#at = 0;
    return true;
  }
}
