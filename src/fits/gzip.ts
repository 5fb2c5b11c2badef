/** Gzip, recognised by its magic bytes whatever the file is called. */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { FitsError } from './errors.js';

/** Gzip streams start with 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const gunzipAsync = promisify(gunzip);

/** Decompresses a whole gzip file (in zlib's thread pool, off the event loop). */
export async function gunzipWhole(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw gzipError(error, path);
  }
}

export function gzipError(error: unknown, path: string): FitsError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FitsError(
    `the gzip stream is corrupted or truncated (${reason})`,
    { file: path },
    { cause: error },
  );
}
