/** Gzip, recognised by its magic bytes whatever the file is called. */
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FitsError } from './errors.js';

/** Gzip streams start with 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** zlib output chunk: large chunks inflate about twice as fast as the 16 kB default. */
export const GUNZIP_CHUNK = 1 << 18;

/** Decompresses a whole gzip file (in zlib's thread pool, off the event loop). */
export async function gunzipWhole(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    const gunzip = Readable.from([bytes], { objectMode: false }).pipe(
      createGunzip({ chunkSize: GUNZIP_CHUNK }),
    );
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
    }
  } catch (error) {
    throw gzipError(error, path);
  }
  const whole = Buffer.concat(chunks, length);
  return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
}

export function gzipError(error: unknown, path: string): FitsError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FitsError(
    `the gzip stream is corrupted or truncated (${reason})`,
    { file: path },
    { cause: error },
  );
}
