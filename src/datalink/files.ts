/**
 * Files of a data store as the service hands them out: a path recorded at ingest,
 * resolved under the store's root without ever leaving it (no '..', no absolute
 * paths, no symbolic link that points outside), and the media type it is served as.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

const FITS_NAME = /\.(fits|fit|fts)(\.gz)?$/i;

/**
 * Media type of a data store file. A gzip-compressed FITS file is served as its own
 * bytes with `application/fits` and no Content-Encoding: VO clients choose what to do
 * with a link by its media type, every FITS reader in use (astropy, cfitsio, STIL,
 * Aladin) reads gzip by its magic bytes, and Content-Encoding would make HTTP
 * clients inflate it silently, breaking Content-Length, ranges and the saved name.
 */
export function fileContentType(path: string): string {
  if (FITS_NAME.test(path)) return 'application/fits';
  if (/\.png$/i.test(path)) return 'image/png';
  if (/\.gz$/i.test(path)) return 'application/gzip';
  return 'application/octet-stream';
}

/** The segments of a relative posix path, or undefined when one could step outside. */
export function safeSegments(relativePath: string): string[] | undefined {
  if (relativePath === '' || relativePath.startsWith('/') || isAbsolute(relativePath)) {
    return undefined;
  }
  const segments = relativePath.split('/');
  const unsafe = segments.some(
    (s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'),
  );
  return unsafe ? undefined : segments;
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel);
}

/**
 * The real path of `relativePath` under `root` when it is a regular file that stays
 * inside the root once every symbolic link is followed; undefined otherwise.
 */
export async function resolveStoreFile(
  root: string,
  relativePath: string,
): Promise<string | undefined> {
  const segments = safeSegments(relativePath);
  if (!segments) return undefined;
  const realRoot = await realpath(root).catch(() => undefined);
  if (realRoot === undefined) return undefined;
  const real = await realpath(join(realRoot, ...segments)).catch(() => undefined);
  if (real === undefined || !isWithin(realRoot, real)) return undefined;
  const info = await stat(real).catch(() => undefined);
  return info?.isFile() ? real : undefined;
}
