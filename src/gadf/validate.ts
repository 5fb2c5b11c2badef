/**
 * `hearc validate`: checks a data store (or one FITS file) against GADF 0.3, class by
 * class: what the spec makes mandatory and hearc needs to read the data is an error;
 * what it makes mandatory but is only metadata is a warning; optional keywords
 * (OBS_MODE, OBSERVER, TELAPSE, OBJECT, DATE-OBS, ...) are not reported. Indexes that
 * name missing files or HDUs, EVENTS columns and units, time keywords, GTIs inside
 * TSTART/TSTOP, and every IRF table (of an observation or standing alone): its
 * classes, axes (LO/HI pairs, units, order) and data sizes.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { BinTableHdu, type HduSummary, type Header, scanFile } from '../fits/index.js';
import type { ScannedFile } from '../fits/index.js';
import {
  classifyHdu,
  type DataStore,
  listFitsFiles,
  type ObservationEntry,
  openDataStores,
  parseObsId,
  type StoreProblem,
} from './datastore.js';
import { formatOf } from './format.js';
import { bandsTables, isMapIrfClass, readMapIrf } from './irf-map.js';
import { dataSubspaceOf, isOgipPhotonList } from './ogip.js';
import { loadObservation } from './observation.js';
import { type Quantity, unitFactor } from './units.js';

export interface ValidationReport {
  readonly root: string;
  /** Data stores found (hdu-index tables, or one built from the event files). */
  readonly stores: number;
  readonly observations: number;
  /** IRF files that no index names, checked on their own. */
  readonly standaloneFiles: number;
  /** The format of each store, and of each file whose format is not its store's. */
  readonly formats: readonly FormatOfPath[];
  readonly problems: readonly StoreProblem[];
  readonly errors: number;
  readonly warnings: number;
}

export interface FormatOfPath {
  /** A store (its hdu-index, or the root when it has none) or a file in it. */
  readonly kind: 'store' | 'file';
  readonly path: string;
  /** 'GADF 0.2', 'GADF 0.3', 'VODF 0.1 (draft)', 'OGIP photon list', or 'format not stated'. */
  readonly format: string;
}

const NOT_STATED = 'format not stated';

const EVENT_COLUMNS: readonly (readonly [name: string, quantity?: Quantity])[] = [
  ['EVENT_ID'],
  ['TIME', 'time'],
  ['RA', 'angle'],
  ['DEC', 'angle'],
  ['ENERGY', 'energy'],
];

/** GADF 0.3 mandatory EVENTS keywords that are metadata: readers (hearc, gammapy) do without, so a warning. */
const MANDATORY_METADATA_KEYWORDS: readonly (readonly [keyword: string, fallback: string])[] = [
  ['HDUCLASS', 'the HDU is recognised by its name'],
  ['HDUDOC', 'the format is assumed to be GADF'],
  ['HDUVERS', 'the format version is unknown'],
  ['HDUCLAS1', 'the HDU is recognised by its name'],
  ['ORIGIN', 'published without it'],
  ['CREATOR', 'published without it'],
  ['TELESCOP', 'facility_name is NULL'],
  ['INSTRUME', 'instrument_name is NULL'],
  ['EQUINOX', 'J2000 is assumed'],
  ['RADECSYS', 'ICRS is assumed'],
  ['TIMEUNIT', "'s' is assumed"],
  ['TIMESYS', 'TT is assumed'],
  ['TIMEREF', 'LOCAL is assumed'],
  ['ONTIME', 'the sum of the GTIs is used'],
  ['LIVETIME', 'ONTIME x DEADC is used'],
  ['DEADC', 'LIVETIME / ONTIME is used'],
];

/** What the VODF draft (vodf_schema) requires of every HDU, as metadata: warnings too. */
const VODF_METADATA_KEYWORDS: readonly (readonly [keyword: string, fallback: string])[] = [
  ['HDUCLASS', 'the HDU is recognised by its name'],
  ['HDUDOC', 'the draft version is unknown'],
  ['HDUVERS', 'the draft version is unknown'],
  ['ORIGIN', 'published without it'],
  ['CREATOR', 'published without it'],
  ['TELESCOP', 'facility_name is NULL'],
  ['DATE-OBS', 'published without it'],
  ['TIMESYS', 'TT is assumed'],
  ['TREFPOS', 'TOPOCENTER is assumed'],
  ['OBSGEO-B', 'no site: no horizontal coordinates'],
  ['OBSGEO-L', 'no site: no horizontal coordinates'],
  ['OBSGEO-H', 'published without it'],
];

/** Observation modes without a fixed pointing (GADF 0.3 and the HE extension's drift scans). */
const UNPOINTED_MODES = new Set(['DRIFT', 'SCAN', 'SURVEY', 'ALL-SKY', 'ALLSKY']);

/** Column name → unit (TUNITn) of a table HDU. */
function tableColumns(header: Header): Map<string, string> {
  const columns = new Map<string, string>();
  const fields = header.getInteger('TFIELDS') ?? 0;
  for (let i = 1; i <= fields; i++) {
    const name = header.getString(`TTYPE${i}`);
    if (name) columns.set(name.trim().toUpperCase(), (header.getString(`TUNIT${i}`) ?? '').trim());
  }
  return columns;
}

/** What validate says of an EVENTS header (ingest summarises the same findings). */
export function checkEventsHeader(
  header: Header,
  where: string,
  obsId: string | undefined,
  /** A POINTING HDU or the obs-index gives the pointing. */
  pointingElsewhere: boolean,
): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const add = (severity: StoreProblem['severity'], message: string): void => {
    problems.push({ severity, path: where, ...(obsId !== undefined ? { obsId } : {}), message });
  };
  const columns = tableColumns(header);
  // An OGIP photon list (Fermi-LAT FT1) follows its own format: no OBS_ID, EVENT_ID or pointing, MeV.
  const ogip = isOgipPhotonList(header);
  const vodf = formatOf(header)?.family === 'VODF';
  const format = ogip ? 'OGIP photon lists' : vodf ? 'the VODF draft' : 'GADF 0.3';
  for (const [name, quantity] of EVENT_COLUMNS) {
    const unit = columns.get(name);
    if (unit === undefined && ogip && name === 'EVENT_ID') continue;
    if (unit === undefined) add('error', `EVENTS has no ${name} column (mandatory in ${format})`);
    else if (quantity && unit !== '' && unitFactor(quantity, unit) === undefined) {
      add('error', `EVENTS column ${name} has unit '${unit}', which is not a unit of ${quantity}`);
    } else if (quantity === 'energy' && unit === '' && !header.getString('EUNIT')?.trim()) {
      add(
        'warning',
        `EVENTS column ENERGY has no unit (no TUNIT, no EUNIT): ${ogip ? 'MeV (OGIP photon lists)' : 'TeV'} is assumed`,
      );
    } else if (quantity && quantity !== 'energy' && unit === '') {
      add(
        'warning',
        `EVENTS column ${name} has no unit: ${quantity === 'time' ? 's' : 'deg'} is assumed`,
      );
    }
  }
  for (const keyword of ogip ? ['TSTART', 'TSTOP'] : ['OBS_ID', 'TSTART', 'TSTOP']) {
    if (!header.has(keyword))
      add('error', `EVENTS header has no ${keyword} keyword (mandatory in ${format})`);
  }
  if (ogip) {
    try {
      dataSubspaceOf(header, where);
    } catch (err) {
      add('error', `the selection (DSS keywords) cannot be read: ${(err as Error).message}`);
    }
  }
  if (
    !header.has('MJDREF') &&
    !(header.has('MJDREFI') && header.has('MJDREFF')) &&
    !(vodf && header.has('DATEREF'))
  ) {
    add(
      'error',
      `EVENTS header has no MJDREFI/MJDREFF (or MJDREF${vodf ? ', or DATEREF' : ''}): times cannot be placed`,
    );
  }
  const metadata = ogip ? [] : vodf ? VODF_METADATA_KEYWORDS : MANDATORY_METADATA_KEYWORDS;
  for (const [keyword, fallback] of metadata) {
    if (!header.has(keyword))
      add(
        'warning',
        `EVENTS header has no ${keyword} keyword (mandatory in ${format}; ${fallback})`,
      );
  }
  const obsIdValue = header.get('OBS_ID');
  if (obsIdValue !== undefined && parseObsId(obsIdValue) === undefined) {
    add(
      'warning',
      `EVENTS header OBS_ID is not an integer${vodf ? '' : ', as GADF 0.3 asks'}: the index's OBS_ID is used`,
    );
  }
  for (const [keyword, column] of [
    ['TELESCOP', 'facility_name'],
    ['INSTRUME', 'instrument_name'],
  ] as const) {
    if (header.has(keyword) && !header.getString(keyword)?.trim())
      add('warning', `EVENTS header ${keyword} is empty (${column} is NULL)`);
  }
  const obsMode = header.getString('OBS_MODE')?.trim().toUpperCase();
  const unpointed = obsMode !== undefined && UNPOINTED_MODES.has(obsMode);
  if (!pointingElsewhere && !unpointed && !ogip) {
    for (const keyword of ['RA_PNT', 'DEC_PNT']) {
      if (header.has(keyword)) continue;
      // The VODF draft defines no pointing keyword yet: the events' footprint stands in.
      if (vodf)
        add(
          'warning',
          `EVENTS header has no ${keyword} (the VODF draft defines no pointing keyword yet): the sky region is the events' footprint`,
        );
      else
        add('error', `EVENTS header has no ${keyword}, and no POINTING HDU or obs-index gives it`);
    }
  }
  const timeUnit = header.getString('TIMEUNIT')?.trim();
  if (timeUnit !== undefined && unitFactor('time', timeUnit) === undefined)
    add('error', `TIMEUNIT '${timeUnit}' is not a unit of time`);
  const timesys = header.getString('TIMESYS')?.trim().toUpperCase();
  if (timesys !== undefined && !['TT', 'UTC', 'TAI', 'TDT', 'GPS'].includes(timesys)) {
    add('error', `TIMESYS '${timesys}' is not a time scale hearc can convert (TT, UTC, TAI, GPS)`);
  }
  const tstart = header.has('TSTART') ? header.getNumber('TSTART') : undefined;
  const tstop = header.has('TSTOP') ? header.getNumber('TSTOP') : undefined;
  if (tstart !== undefined && tstop !== undefined && tstop < tstart)
    add('error', `TSTOP (${tstop}) is before TSTART (${tstart})`);
  const deadc = header.has('DEADC') ? header.getNumber('DEADC') : undefined;
  if (deadc !== undefined && (deadc < 0 || deadc > 1))
    add('error', `DEADC ${deadc} is outside [0, 1]`);
  return problems;
}

interface IrfSpec {
  /** HDUCLAS2 of the class. */
  readonly clas2: readonly string[];
  /** Axes, each a pair of <NAME>_LO/<NAME>_HI columns, in the order of the data (fastest first). */
  readonly axes: readonly (readonly [name: string, quantity?: Quantity])[];
  readonly data: readonly string[];
}

const ENERGY = ['ENERG', 'energy'] as const;
const OFFSET = ['THETA', 'angle'] as const;

/** GADF 0.3 IRF classes (HDUCLAS4): their axes and data columns. */
const IRF_SPECS: Readonly<Record<string, IrfSpec>> = {
  aeff_2d: { clas2: ['EFF_AREA'], axes: [ENERGY, OFFSET], data: ['EFFAREA'] },
  edisp_2d: {
    clas2: ['EDISP'],
    axes: [ENERGY, ['MIGRA'], OFFSET],
    data: ['MATRIX'],
  },
  psf_table: {
    clas2: ['PSF', 'RPSF'],
    axes: [ENERGY, OFFSET, ['RAD', 'angle']],
    data: ['RPSF'],
  },
  psf_3gauss: {
    clas2: ['PSF', 'RPSF'],
    axes: [ENERGY, OFFSET],
    data: ['SCALE', 'SIGMA_1', 'AMPL_2', 'SIGMA_2', 'AMPL_3', 'SIGMA_3'],
  },
  psf_king: { clas2: ['PSF', 'RPSF'], axes: [ENERGY, OFFSET], data: ['GAMMA', 'SIGMA'] },
  bkg_2d: { clas2: ['BKG'], axes: [ENERGY, OFFSET], data: ['BKG'] },
  bkg_3d: {
    clas2: ['BKG'],
    axes: [ENERGY, ['DETX', 'angle'], ['DETY', 'angle']],
    data: ['BKG'],
  },
  rad_max_2d: { clas2: ['RAD_MAX'], axes: [ENERGY, OFFSET], data: ['RAD_MAX'] },
};

/** Older files name the true-energy axis ETRUE (EDISP) rather than ENERG. */
const AXIS_ALIASES: Readonly<Record<string, readonly string[]>> = { ENERG: ['ETRUE'] };

function numbersOf(table: BinTableHdu, column: string): number[] {
  const values = table.readRows(0, 1, [column]).column(column).values;
  return Array.from(values as ArrayLike<number | bigint>, Number);
}

/** The problems of one IRF table: class keywords, axes (pairs, units, order) and data sizes. */
export function checkIrfTable(
  hduClass: string,
  header: Header,
  table: BinTableHdu | undefined,
  where: string,
  obsId?: string,
): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const add = (severity: StoreProblem['severity'], message: string): void => {
    problems.push({ severity, path: where, ...(obsId !== undefined ? { obsId } : {}), message });
  };
  const spec = IRF_SPECS[hduClass];
  if (!spec) {
    add(
      'warning',
      `unknown IRF class '${hduClass}' (GADF 0.3 has ${Object.keys(IRF_SPECS).join(', ')})`,
    );
    return problems;
  }
  for (const keyword of [
    'HDUCLASS',
    'HDUDOC',
    'HDUVERS',
    'HDUCLAS1',
    'HDUCLAS2',
    'HDUCLAS3',
    'HDUCLAS4',
  ]) {
    if (!header.has(keyword))
      add('warning', `${hduClass} header has no ${keyword} keyword (mandatory in GADF 0.3)`);
  }
  const clas2 = header.getString('HDUCLAS2')?.trim().toUpperCase();
  if (clas2 && !spec.clas2.includes(clas2))
    add('error', `${hduClass} header has HDUCLAS2 '${clas2}', expected ${spec.clas2.join(' or ')}`);
  const clas3 = header.getString('HDUCLAS3')?.trim().toUpperCase();
  if (clas3 && clas3 !== 'POINT-LIKE' && clas3 !== 'FULL-ENCLOSURE')
    add(
      'error',
      `${hduClass} header has HDUCLAS3 '${clas3}', expected POINT-LIKE or FULL-ENCLOSURE`,
    );
  const columns = tableColumns(header);
  const descriptors = table?.columns ?? [];
  const repeatOf = (name: string): number | undefined =>
    descriptors.find((c) => c.name.trim().toUpperCase() === name)?.repeat;
  const lengths: number[] = [];
  for (const [axis, quantity] of spec.axes) {
    const name = [axis, ...(AXIS_ALIASES[axis] ?? [])].find(
      (n) => columns.has(`${n}_LO`) && columns.has(`${n}_HI`),
    );
    if (!name) {
      add('error', `${hduClass} table has no ${axis}_LO/${axis}_HI columns`);
      continue;
    }
    if (name !== axis)
      add(
        'warning',
        `${hduClass} names its ${axis} axis ${name}_LO/${name}_HI (GADF 0.3: ${axis}_LO/${axis}_HI)`,
      );
    for (const side of ['LO', 'HI']) {
      const unit = columns.get(`${name}_${side}`) ?? '';
      if (!quantity) continue;
      if (unit === '') add('warning', `${hduClass} column ${name}_${side} has no unit`);
      else if (unitFactor(quantity, unit) === undefined)
        add(
          'error',
          `${hduClass} column ${name}_${side} has unit '${unit}', which is not a unit of ${quantity}`,
        );
    }
    if (!table) continue;
    const lo = numbersOf(table, `${name}_LO`);
    const hi = numbersOf(table, `${name}_HI`);
    if (lo.length !== hi.length) {
      add(
        'error',
        `${hduClass} axis ${name}: ${name}_LO has ${lo.length} values, ${name}_HI ${hi.length}`,
      );
      continue;
    }
    lengths.push(lo.length);
    if (lo.every((l, i) => l === hi[i])) {
      // H.E.S.S. DR1 gives offsets as nodes (LO = HI); gammapy interpolates between them.
      add('warning', `${hduClass} axis ${name} gives nodes (LO = HI) rather than bins`);
    } else {
      const bad = lo.findIndex((l, i) => !(l < (hi[i] as number)));
      if (bad >= 0)
        add(
          'error',
          `${hduClass} axis ${name}: bin ${bad} has LO ${lo[bad]} not below HI ${hi[bad]}`,
        );
    }
    const unordered = lo.findIndex(
      (l, i) => i > 0 && l < (hi[i - 1] as number) - 1e-6 * Math.abs(l),
    );
    if (unordered >= 0)
      add(
        'error',
        `${hduClass} axis ${name}: bins are not in increasing order (bin ${unordered} starts at ${lo[unordered]}, before the end of bin ${unordered - 1} at ${hi[unordered - 1]})`,
      );
  }
  for (const data of spec.data) {
    if (!columns.has(data)) {
      add('error', `${hduClass} table has no ${data} column`);
      continue;
    }
    const repeat = repeatOf(data);
    if (repeat === undefined || lengths.length !== spec.axes.length) continue;
    const expected = lengths.reduce((a, b) => a * b, 1);
    if (repeat !== expected) {
      add(
        'error',
        `${hduClass} column ${data} holds ${repeat} values per row, the axes give ${lengths.join(' x ')} = ${expected}`,
      );
    }
  }
  return problems;
}

/** Files read once for all the observations that use them: their HDUs, with the IRF tables (and map IRFs' BANDS tables) kept. */
type FileScans = Map<string, ScannedFile | Error>;

async function scanned(path: string, scans: FileScans): Promise<ScannedFile | Error> {
  let scan = scans.get(path);
  if (!scan) {
    const bands = bandsTables();
    scan = await scanFile(path, {
      keep: (h) => {
        const type = classifyHdu(h.header, h.name)?.type;
        const irfTable =
          h.kind === 'bintable' &&
          type !== undefined &&
          !['events', 'gti', 'pointing'].includes(type);
        // bands() notes every BANDSHDU it sees: it is asked of every HDU.
        return bands(h) || irfTable;
      },
    }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    scans.set(path, scan);
  }
  return scan;
}

function keptTable(scan: ScannedFile, hdu: HduSummary): BinTableHdu | undefined {
  const kept = scan.kept.get(hdu.index);
  return kept instanceof BinTableHdu ? kept : undefined;
}

async function checkObservation(
  entry: ObservationEntry,
  scans: FileScans,
): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  const { obsId } = entry;
  if (!entry.hdus.some((h) => h.type === 'events')) {
    problems.push({ severity: 'error', obsId, message: `observation ${obsId} has no events HDU` });
  }
  if (!entry.hdus.some((h) => h.type === 'gti')) {
    problems.push({
      severity: 'warning',
      obsId,
      message: `observation ${obsId} has no GTI HDU (TSTART/TSTOP are used)`,
    });
  }
  let usable = problems.every((p) => p.severity !== 'error');
  for (const hdu of entry.hdus) {
    const scan = await scanned(hdu.path, scans);
    const where = `${hdu.relativePath}[${hdu.hduName}]`;
    if (scan instanceof Error) {
      problems.push({ severity: 'error', path: hdu.relativePath, obsId, message: scan.message });
      usable = false;
      continue;
    }
    const found = scan.hdus.find((s) => s.name.toUpperCase() === hdu.hduName.toUpperCase());
    if (!found) {
      problems.push({
        severity: 'error',
        path: hdu.relativePath,
        obsId,
        message: `has no HDU named '${hdu.hduName}' (named by the index for ${hdu.type})`,
      });
      usable = false;
      continue;
    }
    if (hdu.type === 'events') {
      const eventProblems = checkEventsHeader(
        found.header,
        where,
        obsId,
        entry.hdus.some((h) => h.type === 'pointing') ||
          (entry.index?.RA_PNT != null && entry.index?.DEC_PNT != null),
      );
      if (eventProblems.some((p) => p.severity === 'error')) usable = false;
      problems.push(...eventProblems);
    } else if (hdu.type === 'spacecraft') {
      continue;
    } else if (isMapIrfClass(hdu.hduClass)) {
      const map = readMapIrf(scan, hdu.path, hdu.hduName, hdu.hduClass, hdu.type, where, obsId);
      if (map.problems.some((p) => p.severity === 'error')) usable = false;
      problems.push(...map.problems);
    } else if (!['gti', 'pointing'].includes(hdu.type)) {
      problems.push(
        ...checkIrfTable(hdu.hduClass, found.header, keptTable(scan, found), where, obsId),
      );
    }
  }
  if (usable) {
    try {
      const obs = await loadObservation(entry);
      const tolerance = 1e-3;
      for (const [start, stop] of obs.gtis) {
        if (start < obs.tstart - tolerance || stop > obs.tstop + tolerance || stop < start) {
          problems.push({
            severity: 'error',
            obsId,
            path: obs.events.relativePath,
            message: `GTI [${start}, ${stop}] is not inside TSTART/TSTOP [${obs.tstart}, ${obs.tstop}]`,
          });
        }
      }
      const gtiSum = obs.gtis.reduce((sum, [a, b]) => sum + (b - a), 0);
      if (Math.abs(gtiSum - obs.ontime) > Math.max(1, 0.01 * obs.ontime)) {
        problems.push({
          severity: 'warning',
          obsId,
          path: obs.events.relativePath,
          message: `ONTIME ${obs.ontime} s differs from the sum of the GTIs (${gtiSum.toFixed(3)} s)`,
        });
      }
      if (obs.eventCount === 0)
        problems.push({
          severity: 'warning',
          obsId,
          path: obs.events.relativePath,
          message: 'event list is empty',
        });
    } catch (err) {
      problems.push({
        severity: 'error',
        obsId,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return problems;
}

/** The missing files of a store, one problem per file (or one for all when none exists: a wrong root). */
function missingFileProblems(store: DataStore): StoreProblem[] {
  const index = store.hduIndexPath ? relative(store.root, store.hduIndexPath) : 'the index';
  const byFile = new Map<string, { obsIds: Set<string>; types: Set<string> }>();
  for (const m of store.missingFiles) {
    const entry = byFile.get(m.relativePath) ?? { obsIds: new Set(), types: new Set() };
    entry.obsIds.add(m.obsId);
    entry.types.add(m.type);
    byFile.set(m.relativePath, entry);
  }
  if (byFile.size > 1 && store.observations.length === 0) {
    const [first] = byFile.keys();
    return [
      {
        severity: 'error',
        path: index,
        message: `none of the ${byFile.size} files ${index} names exists (the first is ${first}): is ${store.root} the data store root, and do FILE_DIR/BASE_DIR point at the files?`,
      },
    ];
  }
  return [...byFile.entries()].map(([path, { obsIds, types }]) => ({
    severity: 'error' as const,
    path,
    ...(obsIds.size === 1 ? { obsId: [...obsIds][0] as string } : {}),
    message: `file does not exist (named by ${index} for ${[...types].join(', ')}${obsIds.size > 1 ? ` of ${obsIds.size} observations` : ''})`,
  }));
}

export async function validateStore(
  store: DataStore,
  scans: FileScans = new Map(),
): Promise<ValidationReport> {
  const problems: StoreProblem[] = [...store.problems];
  const where = store.hduIndexPath ? relative(store.root, store.hduIndexPath) : store.root;
  if (!store.hduIndexPath) {
    problems.push({
      severity: 'warning',
      path: store.root,
      message: 'no hdu-index found: the index was built from the event file headers',
    });
  }
  problems.push(...missingFileProblems(store));
  if (store.observations.length === 0 && store.missingFiles.length === 0 && store.hduIndexPath) {
    problems.push({
      severity: 'error',
      path: where,
      message: 'the hdu-index lists no observations',
    });
  }
  for (const entry of store.observations) problems.push(...(await checkObservation(entry, scans)));
  const storeFormat = store.formatVersion ?? NOT_STATED;
  const formats: FormatOfPath[] = [{ kind: 'store', path: where, format: storeFormat }];
  const seen = new Set<string>();
  for (const hdu of store.observations.flatMap((o) => o.hdus)) {
    if (seen.has(hdu.path)) continue;
    seen.add(hdu.path);
    const scan = await scanned(hdu.path, scans);
    if (scan instanceof Error) continue;
    const format = fileFormat(scan.hdus);
    if (format !== storeFormat)
      formats.push({ kind: 'file', path: relative(store.root, hdu.path), format });
  }
  return {
    root: store.root,
    stores: 1,
    observations: store.observations.length,
    standaloneFiles: 0,
    formats,
    problems,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
  };
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** The format of a file: that of its first event list or IRF HDU that says one. */
function fileFormat(hdus: readonly HduSummary[]): string {
  for (const hdu of hdus) {
    if (!classifyHdu(hdu.header, hdu.name)) continue;
    const format = formatOf(hdu.header);
    if (format) return format.label;
  }
  return NOT_STATED;
}

/** Every GADF HDU of one file, checked on its own (a standalone IRF file, or an event file). */
async function checkFile(path: string, shownAs: string, scans: FileScans): Promise<StoreProblem[]> {
  const scan = await scanned(path, scans);
  if (scan instanceof Error) return [{ severity: 'error', path: shownAs, message: scan.message }];
  const problems: StoreProblem[] = [];
  let recognised = 0;
  for (const hdu of scan.hdus) {
    const kind = classifyHdu(hdu.header, hdu.name);
    if (!kind) continue;
    recognised++;
    const where = `${shownAs}[${hdu.name || hdu.index}]`;
    if (kind.type === 'events') {
      problems.push(
        ...checkEventsHeader(
          hdu.header,
          where,
          undefined,
          scan.hdus.some((h) => classifyHdu(h.header, h.name)?.type === 'pointing'),
        ),
      );
    } else if (!['gti', 'pointing'].includes(kind.type)) {
      problems.push(...checkIrfTable(kind.hduClass, hdu.header, keptTable(scan, hdu), where));
    }
  }
  if (recognised === 0) {
    problems.push({
      severity: 'error',
      path: shownAs,
      message: `holds no GADF HDU (HDUs: ${scan.hdus.map((h) => h.name || 'PRIMARY').join(', ')}): neither an event list nor an IRF`,
    });
  }
  return problems;
}

function summed(
  root: string,
  parts: Omit<ValidationReport, 'root' | 'errors' | 'warnings'>,
): ValidationReport {
  // Paths inside the root are shown relative to it, as the index names them.
  const shown = (path: string | undefined): string | undefined => {
    if (path === undefined || !isAbsolute(path)) return path;
    const rel = relative(root, path);
    return rel === '' || rel.startsWith('..') ? path : toPosix(rel);
  };
  const problems = parts.problems.map((p) =>
    p.path === undefined ? p : { ...p, path: shown(p.path) as string },
  );
  const formats = parts.formats.map((f) => ({ ...f, path: shown(f.path) ?? f.path }));
  return {
    root,
    ...parts,
    formats,
    problems,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
  };
}

const INDEX_FILE = /^(hdu|obs)[-_]index.*\.(fits|fit|fts)(\.gz)?$/i;

/**
 * Validates every data store under `path`, and the IRF files no index names; or, when
 * `path` is a FITS file, that file alone.
 */
export async function validateDataStore(path: string): Promise<ValidationReport> {
  const target = resolve(path);
  const info = await stat(target).catch(() => undefined);
  const scans: FileScans = new Map();
  if (info?.isFile()) {
    const problems = await checkFile(target, basename(target), scans);
    const scan = scans.get(target);
    const format = scan && !(scan instanceof Error) ? fileFormat(scan.hdus) : NOT_STATED;
    return summed(target, {
      stores: 0,
      observations: 0,
      standaloneFiles: 1,
      formats: [{ kind: 'file', path: basename(target), format }],
      problems,
    });
  }
  const tree = await openDataStores(target);
  const reports = [];
  for (const store of tree.stores) reports.push(await validateStore(store, scans));
  const problems = [...tree.problems, ...reports.flatMap((r) => r.problems)];
  const formats = reports.flatMap((r) => r.formats);
  // IRF files that no index names: checked on their own.
  const named = new Set(
    tree.stores.flatMap((s) => s.observations.flatMap((o) => o.hdus.map((h) => h.path))),
  );
  let standaloneFiles = 0;
  for (const file of await listFitsFiles(tree.root, 8)) {
    if (named.has(file) || INDEX_FILE.test(basename(file))) continue;
    const scan = await scanned(file, scans);
    if (scan instanceof Error) continue;
    const types = scan.hdus.map((h) => classifyHdu(h.header, h.name)?.type);
    if (types.includes('events') || !types.some((t) => t !== undefined)) continue;
    standaloneFiles++;
    problems.push(...(await checkFile(file, toPosix(relative(tree.root, file)), scans)));
    formats.push({
      kind: 'file',
      path: toPosix(relative(tree.root, file)),
      format: fileFormat(scan.hdus),
    });
  }
  const observations = reports.reduce((sum, r) => sum + r.observations, 0);
  if (observations === 0 && !problems.some((p) => p.severity === 'error')) {
    problems.push(
      standaloneFiles > 0
        ? {
            severity: 'warning',
            path: tree.root,
            message: `no event lists: ${standaloneFiles} file(s) of instrument responses only, nothing to publish`,
          }
        : {
            severity: 'error',
            path: tree.root,
            message: 'no hdu-index and no event files found: is this the data store root?',
          },
    );
  }
  return summed(tree.root, {
    stores: tree.stores.length,
    observations,
    standaloneFiles,
    formats,
    problems,
  });
}
