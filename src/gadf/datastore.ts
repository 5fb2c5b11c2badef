/**
 * A GADF/VODF data store: the observations it holds and where each HDU lives.
 * Opened from its hdu-index (and obs-index) tables, or, when it has none, from the
 * headers of the event files in a directory.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BinTableHdu, FitsError, type HduSummary, readFits, scanFile } from '../fits/index.js';
import type { Header } from '../fits/index.js';
import { GadfError } from './errors.js';
import { commonFormat, formatOf } from './format.js';
import { isOgipPhotonList, photonListObsId, spacecraftHdu } from './ogip.js';
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
  /** The event type of an observation split by type (VODF: its GROUPING table's EVT_TYPE). */
  readonly eventType?: string;
}

export type Severity = 'error' | 'warning';

export interface StoreProblem {
  readonly severity: Severity;
  readonly message: string;
  readonly path?: string;
  readonly obsId?: string;
}

/** An index entry whose file is not there: reported with its path, the rest is published. */
export interface MissingFile {
  readonly obsId: string;
  /** HDU_TYPE of the entry (events, gti, aeff, ...). */
  readonly type: string;
  readonly hduName: string;
  /** Path of the file relative to the data store root, with '/' separators. */
  readonly relativePath: string;
}

/**
 * One data store: one hdu-index table (and its obs-index). A folder tree may hold
 * several (one per instrument, per reconstruction, or per event class when an index
 * file has one table per class): each is a DataStore of its own.
 */
export interface DataStore {
  /** The folder the user named: every relativePath is relative to it. */
  readonly root: string;
  /** What tells this store from the others of its tree ('' when it is alone). */
  readonly name: string;
  /** The event class of a table of an index file that holds one table per class. */
  readonly eventClass?: string;
  readonly hduIndexPath?: string;
  /** Which HDU of the hdu-index file (the first binary table is 1). */
  readonly hduIndexHdu?: number;
  readonly obsIndexPath?: string;
  /** The format the hdu-index (or, without one, the event files) follows: 'GADF 0.3', 'VODF 0.1 (draft)'. */
  readonly formatVersion?: string;
  /** Observations with an event file; those whose event file is missing are in missingFiles only. */
  readonly observations: readonly ObservationEntry[];
  /** Index entries naming files that do not exist (left out of observations). */
  readonly missingFiles: readonly MissingFile[];
  /** Problems met while reading the indexes; the observations listed are still usable. */
  readonly problems: readonly StoreProblem[];
}

/** Every data store found under one folder. */
export interface DataStoreTree {
  readonly root: string;
  readonly stores: readonly DataStore[];
  /** Problems of the tree itself (unreadable index files, ...). */
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

/** The FITS files under `dir`, `depth` folders down, in name order; other files go to `others`. */
export async function listFitsFiles(
  dir: string,
  depth: number,
  others?: string[],
): Promise<string[]> {
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
      found.push(...(await listFitsFiles(path, depth - 1, others)));
    } else if (entry.isFile() && FITS_NAME.test(entry.name)) {
      found.push(path);
    } else if (entry.isFile() && !entry.name.startsWith('.')) {
      others?.push(path);
    }
  }
  return found;
}

/** The binary tables of an index file (hdu-index tables are sometimes mislabelled, HAWC's hold one per event class). */
async function readIndexTables(path: string): Promise<BinTableHdu[]> {
  const file = await readFits(path);
  return file.hdus.filter((h): h is BinTableHdu => h.kind === 'bintable');
}

/** What pairs an hdu-index file with its obs-index: 'hdu-index-GP.fits.gz' gives 'GP'. */
function indexKey(path: string): string {
  return basename(path)
    .replace(/\.(fits|fit|fts)(\.gz)?$/i, '')
    .replace(/^(hdu|obs)[-_]index/i, '')
    .replace(/^[-_.]+/, '');
}

/** The event class of table `i` of an index file with several: EV_CLASS, else a distinct EXTNAME, else its number. */
function classLabel(tables: readonly BinTableHdu[], i: number): string {
  const table = tables[i] as BinTableHdu;
  const evClass = stringOf(table.header.getString('EV_CLASS'));
  if (evClass) return evClass;
  const names = tables.map((t) => t.name.trim().toUpperCase());
  const name = names[i] ?? '';
  if (name !== '' && names.filter((n) => n === name).length === 1) return table.name.trim();
  return `hdu${table.index}`;
}

/** Names that tell stores apart: the parts (folder, index name, class) that differ between them. */
function storeNames(parts: readonly (readonly string[])[]): string[] {
  const width = Math.max(0, ...parts.map((p) => p.length));
  const varying = Array.from({ length: width }, (_, k) =>
    parts.some((p) => (p[k] ?? '') !== (parts[0]?.[k] ?? '')),
  );
  const names = parts.map((p) =>
    p
      .filter((_, k) => varying[k])
      .filter((x) => x !== '')
      .join('-'),
  );
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}-${n}`;
  });
}

interface IndexFile {
  readonly path: string;
  readonly tables: readonly BinTableHdu[];
}

/**
 * Opens every data store under `dir`: each table of each hdu-index file is a store,
 * paired with the obs-index of its folder (same name suffix, or the only one there).
 * A tree with no index is one store built from the event files' headers.
 */
export async function openDataStores(dir: string): Promise<DataStoreTree> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new GadfError('is not a directory', root);

  const candidates = (await listFitsFiles(root, 2)).filter((p) => INDEX_NAME.test(basename(p)));
  const problems: StoreProblem[] = [];
  const hduFiles: IndexFile[] = [];
  const obsFiles: IndexFile[] = [];
  for (const path of candidates) {
    let tables: BinTableHdu[];
    try {
      tables = await readIndexTables(path);
    } catch (err) {
      problems.push({
        severity: 'error',
        path,
        message: `cannot read the index file: ${err instanceof Error ? err.message : String(err)}`,
      });
      continue;
    }
    // Recognise the tables by their columns, not their EXTNAME or file name.
    const hduTables = tables.filter((t) => hasColumns(t, HDU_INDEX_COLUMNS));
    const obsTables = tables.filter(
      (t) => !hasColumns(t, HDU_INDEX_COLUMNS) && hasColumns(t, ['OBS_ID']),
    );
    if (hduTables.length > 0) hduFiles.push({ path, tables: hduTables });
    else if (obsTables.length > 0) obsFiles.push({ path, tables: obsTables });
    else {
      problems.push({
        severity: 'warning',
        path,
        message: 'named like an index but holds neither an hdu-index nor an obs-index table',
      });
    }
  }
  if (hduFiles.length === 0) {
    return { root, stores: [await openIndexless(root)], problems };
  }

  const obsFileFor = (hduPath: string): IndexFile | undefined => {
    const here = obsFiles.filter((f) => dirname(f.path) === dirname(hduPath));
    const paired = here.find((f) => indexKey(f.path) === indexKey(hduPath));
    if (paired) return paired;
    if (here.length === 1) return here[0];
    return hduFiles.length === 1 && obsFiles.length === 1 ? obsFiles[0] : undefined;
  };
  const planned = hduFiles.flatMap((file) =>
    file.tables.map((table, i) => {
      const obsFile = obsFileFor(file.path);
      const obsTable =
        obsFile &&
        (obsFile.tables.length === file.tables.length ? obsFile.tables[i] : obsFile.tables[0]);
      const eventClass = file.tables.length > 1 ? classLabel(file.tables, i) : undefined;
      const folder = toPosix(relative(root, dirname(file.path))).replace(/\//g, '-');
      return {
        file,
        table,
        obsPath: obsFile?.path,
        obsTable,
        eventClass,
        parts: [folder, indexKey(file.path), eventClass ?? ''],
      };
    }),
  );
  const names = storeNames(planned.map((p) => p.parts));
  const stores: DataStore[] = [];
  for (const [i, p] of planned.entries()) {
    stores.push(
      await readStore(
        root,
        names[i] ?? '',
        p.file.path,
        p.table,
        p.obsPath,
        p.obsTable,
        p.eventClass,
      ),
    );
  }
  return { root, stores, problems };
}

/** Opens the one data store rooted at `dir` (the folder holding the indexes, or above them). */
export async function openDataStore(dir: string): Promise<DataStore> {
  const tree = await openDataStores(dir);
  const [store, ...others] = tree.stores;
  if (!store || others.length > 0) {
    throw new GadfError(
      `holds ${tree.stores.length} data stores (${tree.stores.map((s) => s.name).join(', ')}): open them with openDataStores`,
      tree.root,
    );
  }
  return { ...store, problems: [...tree.problems, ...store.problems] };
}

async function readStore(
  root: string,
  name: string,
  hduIndexPath: string,
  hduIndex: BinTableHdu,
  obsIndexPath: string | undefined,
  obsIndex: BinTableHdu | undefined,
  eventClass: string | undefined,
): Promise<DataStore> {
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

  // Entries whose file is missing are left out; an observation without its event file is skipped.
  const paths = new Set([...byObs.values()].flatMap((list) => list.map((h) => h.path)));
  const present = new Set<string>();
  await Promise.all(
    [...paths].map(async (path) => {
      if ((await stat(path).catch(() => undefined))?.isFile()) present.add(path);
    }),
  );
  const missingFiles: MissingFile[] = [];
  const observations: ObservationEntry[] = [];
  for (const [obsId, hdus] of [...byObs.entries()].sort(([a], [b]) => compareObsIds(a, b))) {
    const missing = hdus.filter((h) => !present.has(h.path));
    for (const h of missing) {
      missingFiles.push({ obsId, type: h.type, hduName: h.hduName, relativePath: h.relativePath });
    }
    const kept = hdus.filter((h) => present.has(h.path));
    if (missing.some((h) => h.type === 'events')) continue;
    observations.push({ obsId, hdus: kept, index: obsRows.get(obsId) });
  }
  const formatVersion = formatOf(hduIndex.header)?.label;
  return {
    root,
    name,
    ...(eventClass !== undefined ? { eventClass } : {}),
    hduIndexPath,
    hduIndexHdu: hduIndex.index,
    ...(obsIndexPath && obsIndex ? { obsIndexPath } : {}),
    ...(formatVersion ? { formatVersion } : {}),
    observations,
    missingFiles,
    problems,
  };
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
  const clas4 = header.getString('HDUCLAS4')?.trim().toLowerCase();
  const name = extname.toUpperCase();
  // The VODF draft (vodf_schema) classes its event list as OGIP, EVENTS.
  const ogip = clas1 === 'OGIP';
  if (clas1 === 'EVENTS' || (ogip && clas2 === 'EVENTS') || (!clas1 && name === 'EVENTS'))
    return { type: 'events', hduClass: 'events' };
  if (clas1 === 'GTI' || (ogip && clas2 === 'GTI') || (!clas1 && name === 'GTI'))
    return { type: 'gti', hduClass: 'gti' };
  if (clas1 === 'POINTING' || (!clas1 && name === 'POINTING'))
    return { type: 'pointing', hduClass: 'pointing' };
  if (clas1 === 'RESPONSE') {
    const type = RESPONSE_TYPES[clas2?.trim() ?? ''];
    // The VODF mock data write HDUCLAS4 '2D' for AEFF_2D, EDISP_2D, BKG_2D.
    if (type) return { type, hduClass: clas4 === '2d' ? `${type}_2d` : (clas4 ?? type) };
  }
  return undefined;
}

/** What a FITS file without an EVENTS table holds, for the report. */
function describeWithoutEvents(hdus: readonly { header: Header; name: string }[]): string {
  const classes = hdus.flatMap((h) => {
    const kind = classifyHdu(h.header, h.name);
    return kind ? [kind.hduClass] : [];
  });
  if (classes.length > 0) {
    return `holds instrument responses only (${classes.join(', ')}) and no EVENTS table: nothing to publish without an event list`;
  }
  const names = hdus.map((h) => h.name || 'PRIMARY').join(', ');
  return `holds no GADF/VODF event list or IRF (HDUs: ${names}); not published`;
}

/** Why an EVENTS header gives no integer OBS_ID: OGIP photon files (Fermi-LAT, X-ray missions) have none. */
function whyNoObsId(header: Header): string {
  const value = header.get('OBS_ID');
  const said = ['TELESCOP', 'INSTRUME', 'HDUCLASS']
    .map((k) => [k, stringOf(header.getString(k))] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} '${v}'`)
    .join(', ');
  const ogip =
    header.getString('HDUCLASS')?.trim().toUpperCase() === 'OGIP' ||
    /^(GLAST|FERMI)/i.test(header.getString('TELESCOP')?.trim() ?? '');
  if (value === undefined && ogip) {
    return `an OGIP photon event file (${said}) without OBS_ID and without a TSTART to number it by; file skipped`;
  }
  if (value === undefined) {
    return `EVENTS header has no OBS_ID keyword (required by GADF${said ? `; ${said}` : ''}); file skipped`;
  }
  return `EVENTS header OBS_ID '${String(value)}' is not an integer: give the store an hdu-index with integer OBS_IDs; file skipped`;
}

/** A directory of event files without indexes: build the index from their headers. */
async function openIndexless(root: string): Promise<DataStore> {
  const problems: StoreProblem[] = [];
  const byObs = new Map<string, HduLocation[]>();
  const formats = new Map<string, string | undefined>();
  const eventTypes = new Map<string, string>();
  const others: string[] = [];
  const fitsFiles = await listFitsFiles(root, 8, others);
  const notRead = others.filter((p) => !/(^|\/)(readme|license|licence|changelog)[^/]*$/i.test(p));
  if (notRead.length > 0) {
    const shown = notRead.slice(0, 3).map((p) => toPosix(relative(root, p)));
    problems.push({
      severity: 'warning',
      path: root,
      message: `${notRead.length} file(s) are not FITS (${shown.join(', ')}${notRead.length > 3 ? ', ...' : ''}): hearc reads GADF/VODF FITS event lists; they were not read`,
    });
  }
  const spacecraftFiles: { path: string; relativePath: string; start: number; stop: number }[] = [];
  const photonLists = new Map<string, { start: number; stop: number }>();
  // Every file's headers first (and GROUPING tables): a VODF observation names its IRF file.
  const scanned: { path: string; hdus: HduSummary[]; grouping?: BinTableHdu }[] = [];
  for (const path of fitsFiles) {
    try {
      const scan = await scanFile(path, { keep: (h) => isGroupingTable(h) });
      const grouping = [...scan.kept.values()].find((h) => h instanceof BinTableHdu);
      scanned.push({ path, hdus: scan.hdus, ...(grouping ? { grouping } : {}) });
    } catch (err) {
      problems.push({
        severity: 'error',
        path,
        message: err instanceof FitsError ? err.message : String(err),
      });
    }
  }
  const headersOf = new Map(scanned.map((f) => [f.path, f.hdus]));
  const groupedFiles = new Set<string>();
  const groupings = new Map<string, GroupMember[]>();
  for (const file of scanned) {
    if (!file.grouping) continue;
    const members = groupMembers(root, file.path, file.grouping, headersOf, problems);
    groupings.set(file.path, members);
    for (const m of members) if (m.path !== file.path) groupedFiles.add(m.path);
  }
  for (const { path, hdus } of scanned) {
    const events = hdus.find((h) => classifyHdu(h.header, h.name)?.type === 'events');
    const spacecraft = events ? undefined : spacecraftHdu(hdus);
    if (spacecraft) {
      // An FT2 spacecraft file: it goes with the photon lists of its time range.
      spacecraftFiles.push({
        path,
        relativePath: toPosix(relative(root, path)),
        start: spacecraft.header.getNumber('TSTART') ?? -Infinity,
        stop: spacecraft.header.getNumber('TSTOP') ?? Infinity,
      });
      continue;
    }
    if (!events) {
      if (!groupedFiles.has(path))
        problems.push({ severity: 'warning', path, message: describeWithoutEvents(hdus) });
      continue;
    }
    // A photon list without OBS_ID (Fermi-LAT FT1) is numbered by its start time.
    const photonList = events.header.get('OBS_ID') === undefined && isOgipPhotonList(events.header);
    const obsId = photonList
      ? photonListObsId(events.header)
      : parseObsId(events.header.get('OBS_ID'));
    if (obsId === undefined) {
      problems.push({ severity: 'error', path, message: whyNoObsId(events.header) });
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
    const members = groupings.get(path);
    const list: HduLocation[] = members
      ? members.map((m) => ({ obsId, ...m.location }))
      : hdus.flatMap((hdu) => {
          const kind = classifyHdu(hdu.header, hdu.name);
          return kind
            ? [
                {
                  obsId,
                  ...kind,
                  path,
                  relativePath: toPosix(relative(root, path)),
                  hduName: hdu.name,
                },
              ]
            : [];
        });
    byObs.set(obsId, list);
    formats.set(obsId, formatOf(events.header)?.label);
    const eventType = members && groupEventType(members);
    if (eventType !== undefined) eventTypes.set(obsId, eventType);
    if (photonList) {
      const start = events.header.getNumber('TSTART') ?? 0;
      photonLists.set(obsId, { start, stop: events.header.getNumber('TSTOP') ?? start });
    }
  }
  for (const ft2 of spacecraftFiles) {
    const served = [...photonLists].filter(([, t]) => t.start < ft2.stop && t.stop > ft2.start);
    for (const [obsId] of served) {
      byObs.get(obsId)?.push({
        obsId,
        type: 'spacecraft',
        hduClass: 'ft2',
        path: ft2.path,
        relativePath: ft2.relativePath,
        hduName: 'SC_DATA',
      });
    }
    if (served.length === 0) {
      problems.push({
        severity: 'warning',
        path: ft2.path,
        message: `a Fermi-LAT FT2 spacecraft file (MET ${ft2.start} to ${ft2.stop}), but no photon list of this folder falls in its time range; not read`,
      });
    }
  }
  const observations = [...byObs.entries()]
    .sort(([a], [b]) => compareObsIds(a, b))
    .map(([obsId, hdus]): ObservationEntry => {
      const eventType = eventTypes.get(obsId);
      return { obsId, hdus, ...(eventType !== undefined ? { eventType } : {}) };
    });
  const formatVersion = commonFormat([...formats.values()]);
  return {
    root,
    name: '',
    ...(formatVersion !== undefined ? { formatVersion } : {}),
    observations,
    missingFiles: [],
    problems,
  };
}

/** A FITS hierarchical grouping table (VODF's observation table): EXTNAME GROUPING with MEMBER_NAME. */
function isGroupingTable(hdu: HduSummary): boolean {
  return hdu.kind === 'bintable' && hdu.name.trim().toUpperCase() === 'GROUPING';
}

interface GroupMember {
  readonly path: string;
  readonly location: Omit<HduLocation, 'obsId'>;
  /** EVT_TYPE of the row (VODF mock data), 'none' and empty left out. */
  readonly eventType?: string;
}

const NO_LOCATION = new Set(['', 'NULL', 'NONE']);

/**
 * The HDUs a GROUPING table names: MEMBER_LOCATION empty or 'NULL' is the table's own
 * file, else a path relative to it (a file: URL is accepted); each member is classed
 * by its own header. Members that cannot be found are reported and left out.
 */
function groupMembers(
  root: string,
  path: string,
  table: BinTableHdu,
  headersOf: ReadonlyMap<string, readonly HduSummary[]>,
  problems: StoreProblem[],
): GroupMember[] {
  const members: GroupMember[] = [];
  for (const row of readTableRows(table)) {
    const name = stringOf(row.MEMBER_NAME);
    if (!name) continue;
    const where = stringOf(row.MEMBER_LOCATION) ?? '';
    const file = NO_LOCATION.has(where.toUpperCase())
      ? path
      : resolve(dirname(path), where.replace(/^file:(\/\/)?/i, ''));
    const hdu = headersOf
      .get(file)
      ?.find((h) => h.name.trim().toUpperCase() === name.toUpperCase());
    const kind = hdu && classifyHdu(hdu.header, hdu.name);
    if (!isInside(root, file) || !hdu || !kind) {
      problems.push({
        severity: 'warning',
        path,
        message: !isInside(root, file)
          ? `GROUPING member ${name} lies outside the data store (${where}); left out`
          : !hdu
            ? `GROUPING member ${name} is not in ${toPosix(relative(root, file))}; left out`
            : `GROUPING member ${name} is neither an event list nor an IRF; left out`,
      });
      continue;
    }
    const eventType = stringOf(row.EVT_TYPE);
    members.push({
      path: file,
      location: {
        ...kind,
        path: file,
        relativePath: toPosix(relative(root, file)),
        hduName: hdu.name,
      },
      ...(eventType && eventType.toLowerCase() !== 'none' ? { eventType } : {}),
    });
  }
  return members;
}

/** The event type of a grouping whose IRFs are all of one type (VODF: event types split into observations). */
function groupEventType(members: readonly GroupMember[]): string | undefined {
  const types = new Set(members.flatMap((m) => (m.eventType ? [m.eventType] : [])));
  return types.size === 1 ? [...types][0] : undefined;
}
