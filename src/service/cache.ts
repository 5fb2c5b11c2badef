/**
 * The deployment's private cache folder: extracted event lists, IRF components,
 * previews, SODA cutouts, async results and spilled sync results of data that may be
 * proprietary. One folder per deployment (never a guessable name in the system
 * temporary folder), mode 0700 and owned by the user running hearc; files in it 0600.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ServiceDescription } from './description.js';

export class CacheDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheDirError';
  }
}

/** Mode of the cache folders, and of every file written into them. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Catalog locations without a file of their own to sit beside. */
const IN_MEMORY = ':memory:';

/**
 * Where the cache of the deployment serving `catalog` lives: the service description's
 * `cache_dir`; else beside a DuckDB catalog file (`<catalog>.cache`); else (PostgreSQL)
 * `$XDG_CACHE_HOME/hearc/<hash of the catalog>` (default ~/.cache). Undefined for an
 * in-memory catalog without `cache_dir`: it gets a private temporary folder.
 */
export function cacheDirFor(
  service: Pick<ServiceDescription, 'cacheDir'>,
  catalog: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  if (service.cacheDir !== undefined) return resolve(service.cacheDir);
  if (catalog === undefined || catalog === IN_MEMORY) return undefined;
  if (!/^postgres(ql)?:\/\//i.test(catalog)) return `${resolve(catalog)}.cache`;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  const key = createHash('sha256').update(catalog).digest('hex').slice(0, 16);
  return join(base, 'hearc', key);
}

/**
 * Creates `dir` (mode 0700) or checks the folder that is there: it must be a folder
 * owned by this user and writable by no one else; one readable by others is made
 * private. Returns the folder's absolute path.
 */
export async function preparePrivateDir(dir: string): Promise<string> {
  const path = resolve(dir);
  try {
    await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (err) {
    throw new CacheDirError(
      `cannot create the cache folder ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const info = await stat(path);
  if (!info.isDirectory())
    throw new CacheDirError(`the cache folder ${path} is not a folder; set cache_dir to a folder`);
  const uid = process.getuid?.();
  if (uid === undefined) return path;
  if (info.uid !== uid) {
    throw new CacheDirError(
      `the cache folder ${path} belongs to another user (uid ${info.uid}, hearc runs as uid ${uid}); ` +
        'it would hold proprietary products: set cache_dir to a folder of your own',
    );
  }
  const mode = info.mode & 0o777;
  if ((mode & 0o022) !== 0) {
    throw new CacheDirError(
      `the cache folder ${path} is writable by other users (mode ${mode.toString(8)}); ` +
        `make it private (chmod 700 ${path}) or set cache_dir to another folder`,
    );
  }
  if (mode !== PRIVATE_DIR_MODE) await chmod(path, PRIVATE_DIR_MODE);
  return path;
}

/** A private folder with an unguessable name in the system temporary folder (mode 0700). */
export function privateTemporaryDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hearc-cache-'));
}
