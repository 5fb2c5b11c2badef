/**
 * A GADF/VODF data store: the observations it holds and where each HDU lives.
 * Opened from its hdu-index (and obs-index) tables, or, when it has none, from the
 * headers of the event files in a directory.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type BinTableHdu, FitsError, readFits, scanHdus } from '../fits/index.js';
import type { Header } from '../fits/index.js';
import { GadfError } from './errors.js';
import { hasColumns, readTableRows, stringOf, type TableRow } from './table.js';

/** HDU_TYPE values of GADF 0.3 hdu-index tables. */
export type HduType = 'events' | 'gti' | 'pointing' | 'aeff' | 'edisp' | 'psf' | 'bkg' | 'rad_max';

export const IRF_HDU_TYPES: readonly HduType[] = ['aeff', 'edisp', 'psf', 'bkg', 'rad_max'];

export interface HduLocation {
  readonly obsId: string;
  readonly type: string;
  /** HDU_CLASS, lower case (events, gti, aeff_2d, psf_table, bkg_3d, ...). */
  readonly hduClass: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** Path of the file relative to the data store root, with '/' separators. */
  readonly relativePath: string;
  /** EXTNAME as the index gives it (match case-insensitively). */
  readonly hduName: string;
}

export interface ObservationEntry {
  /** OBS_ID as a decimal integer string. */
  readonly obsId: string;
  readonly hdus: readonly HduLocation[];
  /** The obs-index row, upper-case column names, when there is an obs-index. */
  readonly index?: TableRow;
}

export type Severity = 'error' | 'warning';

export interface StoreProblem {
  readonly severity: Severity;
  readonly message: string;
  readonly path?: string;
  readonly obsId?: string;
}

export interface DataStore {
  readonly root: string;
  readonly hduIndexPath?: string;
  readonly obsIndexPath?: string;
  readonly observations: readonly ObservationEntry[];
  /** Problems met while reading the indexes; the observations listed are still usable. */
  readonly problems: readonly StoreProblem[];
}

const FITS_NAME = /\.(fits|fit|fts)(\.gz)?$/i;
const INDEX_NAME = /^(hdu|obs)[-_]index.*\.(fits|fit|fts)(\.gz)?$/i;
const HDU_INDEX_COLUMNS = ['OBS_ID', 'HDU_TYPE', 'HDU_CLASS', 'FILE_DIR', 'FILE_NAME', 'HDU_NAME'];

/** OBS_ID as a decimal string, or undefined when the value is not an integer. */
export function parseObsId(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value))
    return BigInt(value.trim()).toString();
  return undefined;
}

/** OBS_ID of an index row; a non-integer value is recorded as an error and gives undefined. */
function obsIdOfRow(
  row: TableRow,
  indexPath: string,
  problems: StoreProblem[],
): string | undefined {
  const obsId = parseObsId(row.OBS_ID);
  if (obsId === undefined) {
    problems.push({
      severity: 'error',
      path: indexPath,
      message: `OBS_ID '${String(row.OBS_ID)}' is not an integer; row skipped`,
    });
  }
  return obsId;
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

async function listFitsFiles(dir: string, depth: number): Promise<string[]> {
  const found: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new GadfError(`cannot read the directory (${(err as Error).message})`, dir);
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth > 0 && !entry.name.startsWith('.')) {
      found.push(...(await listFitsFiles(path, depth - 1)));
    } else if (entry.isFile() && FITS_NAME.test(entry.name)) {
      found.push(path);
    }
  }
  return found;
}

/** The first binary table of an index file (hdu-index tables are sometimes mislabelled). */
async function readIndexTable(path: string): Promise<BinTableHdu> {
  const file = await readFits(path);
  const table = file.findHdu((h) => h.kind === 'bintable');
  if (!table || table.kind !== 'bintable') throw new GadfError('has no binary table', path);
  return table;
}

/** Opens the data store rooted at `dir` (the folder holding the indexes, or above them). */
export async function openDataStore(dir: string): Promise<DataStore> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new GadfError('is not a directory', root);

  const candidates = (await listFitsFiles(root, 2)).filter((p) =>
    INDEX_NAME.test(p.slice(dirname(p).length + 1)),
  );
  let hduIndexPath: string | undefined;
  let obsIndexPath: string | undefined;
  let hduIndex: BinTableHdu | undefined;
  let obsIndex: BinTableHdu | undefined;
  for (const path of candidates) {
    const table = await readIndexTable(path);
    // Recognise the tables by their columns, not their EXTNAME or file name.
    if (hasColumns(table, HDU_INDEX_COLUMNS)) {
      if (!hduIndex) [hduIndex, hduIndexPath] = [table, path];
    } else if (hasColumns(table, ['OBS_ID'])) {
      if (!obsIndex) [obsIndex, obsIndexPath] = [table, path];
    }
  }
  if (!hduIndex || !hduIndexPath) return openIndexless(root);

  const problems: StoreProblem[] = [];
  const obsRows = new Map<string, TableRow>();
  if (obsIndex && obsIndexPath) {
    for (const row of readTableRows(obsIndex)) {
      const obsId = obsIdOfRow(row, obsIndexPath, problems);
      if (obsId !== undefined) obsRows.set(obsId, row);
    }
  }

  const baseDir = stringOf(hduIndex.header.getString('BASE_DIR')) ?? dirname(hduIndexPath);
  const base = isAbsolute(baseDir) ? baseDir : resolve(dirname(hduIndexPath), baseDir);
  const byObs = new Map<string, HduLocation[]>();
  for (const row of readTableRows(hduIndex)) {
    const obsId = obsIdOfRow(row, hduIndexPath, problems);
    if (obsId === undefined) continue;
    const fileName = stringOf(row.FILE_NAME);
    const hduName = stringOf(row.HDU_NAME);
    const type = stringOf(row.HDU_TYPE)?.toLowerCase();
    if (!fileName || !hduName || !type) {
      problems.push({
        severity: 'error',
        path: hduIndexPath,
        obsId,
        message: 'hdu-index row without FILE_NAME, HDU_NAME or HDU_TYPE; row skipped',
      });
      continue;
    }
    const path = resolve(base, stringOf(row.FILE_DIR) ?? '.', fileName);
    if (!isInside(root, path)) {
      problems.push({
        severity: 'error',
        path: hduIndexPath,
        obsId,
        message: `file ${fileName} lies outside the data store root ${root}; row skipped`,
      });
      continue;
    }
    const list = byObs.get(obsId) ?? [];
    list.push({
      obsId,
      type,
      hduClass: (stringOf(row.HDU_CLASS) ?? type).toLowerCase(),
      path,
      relativePath: toPosix(relative(root, path)),
      hduName,
    });
    byObs.set(obsId, list);
  }

  for (const obsId of obsRows.keys()) {
    if (!byObs.has(obsId)) {
      problems.push({
        severity: 'warning',
        path: obsIndexPath,
        obsId,
        message: `observation ${obsId} is in the obs-index but has no HDUs in the hdu-index`,
      });
    }
  }
  const observations = [...byObs.entries()]
    .sort(([a], [b]) => compareObsIds(a, b))
    .map(([obsId, hdus]) => ({ obsId, hdus, index: obsRows.get(obsId) }));
  return { root, hduIndexPath, obsIndexPath, observations, problems };
}

export function compareObsIds(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const RESPONSE_TYPES: Readonly<Record<string, string>> = {
  EFF_AREA: 'aeff',
  EDISP: 'edisp',
  RPSF: 'psf',
  PSF: 'psf',
  BKG: 'bkg',
  RAD_MAX: 'rad_max',
};

/** HDU_TYPE and HDU_CLASS of an HDU from its HDUCLASn keywords (GADF 0.3). */
export function classifyHdu(
  header: Header,
  extname: string,
): { type: string; hduClass: string } | undefined {
  const clas1 = header.getString('HDUCLAS1')?.toUpperCase();
  const clas2 = header.getString('HDUCLAS2')?.toUpperCase();
  const clas4 = header.getString('HDUCLAS4')?.toLowerCase();
  const name = extname.toUpperCase();
  if (clas1 === 'EVENTS' || (!clas1 && name === 'EVENTS'))
    return { type: 'events', hduClass: 'events' };
  if (clas1 === 'GTI' || (!clas1 && name === 'GTI')) return { type: 'gti', hduClass: 'gti' };
  if (clas1 === 'POINTING' || (!clas1 && name === 'POINTING'))
    return { type: 'pointing', hduClass: 'pointing' };
  if (clas1 === 'RESPONSE') {
    const type = RESPONSE_TYPES[clas2 ?? ''];
    if (type) return { type, hduClass: clas4 ?? type };
  }
  return undefined;
}

/** A directory of event files without indexes: build the index from their headers. */
async function openIndexless(root: string): Promise<DataStore> {
  const problems: StoreProblem[] = [];
  const byObs = new Map<string, HduLocation[]>();
  for (const path of await listFitsFiles(root, 8)) {
    let hdus;
    try {
      hdus = await scanHdus(path);
    } catch (err) {
      problems.push({
        severity: 'error',
        path,
        message: err instanceof FitsError ? err.message : String(err),
      });
      continue;
    }
    const events = hdus.find((h) => classifyHdu(h.header, h.name)?.type === 'events');
    if (!events) continue;
    const obsId = parseObsId(events.header.get('OBS_ID'));
    if (obsId === undefined) {
      problems.push({
        severity: 'error',
        path,
        message: `EVENTS header OBS_ID '${String(events.header.get('OBS_ID'))}' is missing or not an integer; file skipped`,
      });
      continue;
    }
    if (byObs.has(obsId)) {
      problems.push({
        severity: 'error',
        path,
        obsId,
        message: `OBS_ID ${obsId} appears in more than one event file; file skipped`,
      });
      continue;
    }
    const list: HduLocation[] = [];
    for (const hdu of hdus) {
      const kind = classifyHdu(hdu.header, hdu.name);
      if (!kind) continue;
      list.push({
        obsId,
        ...kind,
        path,
        relativePath: toPosix(relative(root, path)),
        hduName: hdu.name,
      });
    }
    byObs.set(obsId, list);
  }
  const observations = [...byObs.entries()]
    .sort(([a], [b]) => compareObsIds(a, b))
    .map(([obsId, hdus]) => ({ obsId, hdus }));
  return { root, observations, problems };
}
