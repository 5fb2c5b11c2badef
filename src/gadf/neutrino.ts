/**
 * Neutrino event samples, an input family beside GADF: IceCube's public point-source
 * track release (text tables per season: events/, uptime/, irfs/) and HESE-style samples
 * published as JSON columns. Each season or sample is read into a NeutrinoSample, which
 * `writeNeutrinoStore` turns into a GADF-like FITS file (EVENTS + GTI + AEFF) that the
 * one event-list reader then publishes like any other observation.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GadfError } from './errors.js';

/** One event of a sample: time in MJD (UTC), direction in deg (ICRS), energy in GeV. */
export interface NeutrinoEvents {
  readonly mjd: Float64Array;
  readonly ra: Float64Array;
  readonly dec: Float64Array;
  readonly energyGeV: Float64Array;
  /** Angular uncertainty of the direction, deg (optional). */
  readonly angErr?: Float64Array;
  /** Local (detector) azimuth and zenith, deg (optional). */
  readonly azimuth?: Float64Array;
  readonly zenith?: Float64Array;
}

/** An effective area binned in true neutrino energy (GeV) and declination (deg), in cm². */
export interface NeutrinoEffectiveArea {
  readonly relativePath: string;
  readonly energyEdges: readonly number[];
  readonly decEdges: readonly number[];
  /** [dec bin][energy bin], cm². */
  readonly area: readonly (readonly number[])[];
}

export interface NeutrinoSample {
  /** The season or sample name: 'IC86_II', 'HESE_data'. */
  readonly name: string;
  /** Detector configuration (IC40, IC59, IC79, IC86), else the observatory. */
  readonly instrument: string;
  /** 'track' for the point-source samples, 'starting' for HESE. */
  readonly eventClass: string;
  /** The source tables, relative to the release folder. */
  readonly sources: readonly string[];
  readonly events: NeutrinoEvents;
  /** Detector uptime, MJD (UTC) start/stop pairs. */
  readonly uptime: readonly (readonly [number, number])[];
  readonly effectiveArea?: NeutrinoEffectiveArea;
  /** What a publisher should know (an effective area borrowed from another season, ...). */
  readonly notes: readonly string[];
}

export interface NeutrinoRelease {
  readonly root: string;
  readonly samples: readonly NeutrinoSample[];
}

/** A text table: its header names (from the last comment line before the data) and numeric rows. */
interface TextTable {
  readonly path: string;
  readonly names: readonly string[];
  readonly rows: readonly (readonly number[])[];
}

/** Reads a whitespace- or comma-separated numeric table; '#' lines are comments, the last one before the data names the columns. */
export async function readTextTable(path: string, relativePath: string): Promise<TextTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new GadfError(
      `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      path,
    );
  }
  let names: string[] = [];
  const rows: number[][] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (rows.length === 0) {
        const fields = splitFields(line.replace(/^#+/, ''));
        if (fields.length > 1) names = fields;
      }
      continue;
    }
    const fields = splitFields(line);
    const values = fields.map(Number);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new GadfError(
        `line ${i + 1}, field ${bad + 1}${names[bad] ? ` (${names[bad]})` : ''}: '${fields[bad]}' is not a number`,
        relativePath,
      );
    }
    const width = names.length > 0 ? names.length : (rows[0]?.length ?? values.length);
    if (values.length !== width) {
      throw new GadfError(
        `line ${i + 1} has ${values.length} fields, expected ${width}${names.length > 0 ? ` (${names.join(' ')})` : ''}`,
        relativePath,
      );
    }
    rows.push(values);
  }
  return { path, names, rows };
}

function splitFields(line: string): string[] {
  return line
    .trim()
    .split(/[\s,]+/)
    .filter((f) => f !== '');
}

/** Column names compared without units, case or punctuation: 'Dec[deg]' and 'dec' are one. */
function bareName(name: string): string {
  return name
    .replace(/\[[^\]]*\]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * The index of each wanted column: by name when the table has a header line, else
 * by the documented order. Throws naming the missing column.
 */
function columnIndexes<K extends string>(
  table: TextTable,
  relativePath: string,
  wanted: readonly {
    readonly key: K;
    readonly names: readonly string[];
    readonly required: boolean;
  }[],
): Partial<Record<K, number>> {
  const found: Partial<Record<K, number>> = {};
  const bare = table.names.map(bareName);
  for (const [position, column] of wanted.entries()) {
    const at =
      table.names.length > 0
        ? bare.findIndex((n) => column.names.map(bareName).includes(n))
        : position < (table.rows[0]?.length ?? wanted.length)
          ? position
          : -1;
    if (at >= 0) found[column.key] = at;
    else if (column.required) {
      throw new GadfError(
        `has no column ${column.names[0]}${table.names.length > 0 ? ` (columns: ${table.names.join(' ')})` : ''}`,
        relativePath,
      );
    }
  }
  return found;
}

const EVENT_COLUMNS = [
  { key: 'mjd', names: ['MJD[days]', 'MJD', 'time'], required: true },
  { key: 'logE', names: ['log10(E/GeV)', 'logE'], required: true },
  { key: 'angErr', names: ['AngErr[deg]', 'AngErr', 'sigma'], required: false },
  { key: 'ra', names: ['RA[deg]', 'RA'], required: true },
  { key: 'dec', names: ['Dec[deg]', 'Dec'], required: true },
  { key: 'azimuth', names: ['Azimuth[deg]', 'Azimuth', 'azi'], required: false },
  { key: 'zenith', names: ['Zenith[deg]', 'Zenith', 'zen'], required: false },
] as const;

const UPTIME_COLUMNS = [
  { key: 'start', names: ['MJD_start[days]', 'MJD_start', 'start'], required: true },
  { key: 'stop', names: ['MJD_stop[days]', 'MJD_stop', 'stop'], required: true },
] as const;

const AEFF_COLUMNS = [
  { key: 'eLo', names: ['log10(E_nu/GeV)_min', 'logE_min'], required: true },
  { key: 'eHi', names: ['log10(E_nu/GeV)_max', 'logE_max'], required: true },
  { key: 'decLo', names: ['Dec_nu_min[deg]', 'Dec_nu_min', 'dec_min'], required: true },
  { key: 'decHi', names: ['Dec_nu_max[deg]', 'Dec_nu_max', 'dec_max'], required: true },
  { key: 'area', names: ['A_Eff[cm^2]', 'A_Eff', 'aeff'], required: true },
] as const;

function columnOf(table: TextTable, index: number | undefined, transform = (v: number) => v) {
  if (index === undefined) return undefined;
  return Float64Array.from(table.rows, (row) => transform(row[index] as number));
}

function checkRange(
  values: Float64Array | undefined,
  lo: number,
  hi: number,
  what: string,
  relativePath: string,
): void {
  if (!values) return;
  const bad = values.findIndex((v) => v < lo || v > hi);
  if (bad >= 0) {
    throw new GadfError(
      `data row ${bad + 1}: ${what} ${values[bad]} is outside [${lo}, ${hi}]`,
      relativePath,
    );
  }
}

function eventsOf(table: TextTable, relativePath: string): NeutrinoEvents {
  const at = columnIndexes(table, relativePath, EVENT_COLUMNS);
  const events = {
    mjd: columnOf(table, at.mjd) as Float64Array,
    energyGeV: columnOf(table, at.logE, (v) => 10 ** v) as Float64Array,
    ra: columnOf(table, at.ra) as Float64Array,
    dec: columnOf(table, at.dec) as Float64Array,
    ...(at.angErr !== undefined ? { angErr: columnOf(table, at.angErr) } : {}),
    ...(at.azimuth !== undefined ? { azimuth: columnOf(table, at.azimuth) } : {}),
    ...(at.zenith !== undefined ? { zenith: columnOf(table, at.zenith) } : {}),
  } as NeutrinoEvents;
  checkRange(events.ra, 0, 360, 'RA', relativePath);
  checkRange(events.dec, -90, 90, 'Dec', relativePath);
  return events;
}

function uptimeOf(table: TextTable, relativePath: string): [number, number][] {
  const at = columnIndexes(table, relativePath, UPTIME_COLUMNS);
  const intervals = table.rows.map(
    (row) =>
      [row[at.start as number] as number, row[at.stop as number] as number] as [number, number],
  );
  for (const [i, [start, stop]] of intervals.entries()) {
    if (!(stop >= start)) {
      throw new GadfError(
        `data row ${i + 1}: uptime interval ends (MJD ${stop}) before it starts (MJD ${start})`,
        relativePath,
      );
    }
  }
  return intervals.sort((a, b) => a[0] - b[0]);
}

function sortedEdges(pairs: readonly (readonly [number, number])[]): number[] {
  const edges = [...new Set(pairs.flat())].sort((a, b) => a - b);
  return edges;
}

/** The effective area as a grid; every (energy, dec) bin must appear once. */
function effectiveAreaOf(table: TextTable, relativePath: string): NeutrinoEffectiveArea {
  const at = columnIndexes(table, relativePath, AEFF_COLUMNS);
  const get = (row: readonly number[], key: keyof typeof at) => row[at[key] as number] as number;
  const logEdges = sortedEdges(table.rows.map((r) => [get(r, 'eLo'), get(r, 'eHi')] as const));
  const decEdges = sortedEdges(table.rows.map((r) => [get(r, 'decLo'), get(r, 'decHi')] as const));
  if (logEdges.length < 2 || decEdges.length < 2)
    throw new GadfError('holds no effective-area bins', relativePath);
  const nE = logEdges.length - 1;
  const nDec = decEdges.length - 1;
  const area = Array.from({ length: nDec }, () => new Array<number>(nE).fill(NaN));
  for (const [i, row] of table.rows.entries()) {
    const ie = logEdges.indexOf(get(row, 'eLo'));
    const id = decEdges.indexOf(get(row, 'decLo'));
    if (logEdges[ie + 1] !== get(row, 'eHi') || decEdges[id + 1] !== get(row, 'decHi')) {
      throw new GadfError(`data row ${i + 1}: its bin overlaps other bins`, relativePath);
    }
    (area[id] as number[])[ie] = get(row, 'area');
  }
  const missing = area.flatMap((r, id) =>
    r.flatMap((v, ie) => (Number.isNaN(v) ? [[id, ie]] : [])),
  );
  if (missing.length > 0) {
    const [id, ie] = missing[0] as [number, number];
    throw new GadfError(
      `${missing.length} bin(s) missing, e.g. log10(E/GeV) ${logEdges[ie]}..${logEdges[ie + 1]}, Dec ${decEdges[id]}..${decEdges[id + 1]}`,
      relativePath,
    );
  }
  return {
    relativePath,
    energyEdges: logEdges.map((v) => 10 ** v),
    decEdges,
    area,
  };
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

const EVENT_FILE = /^(.+?)_exp\.(csv|txt|dat)$/i;
const AEFF_FILE = /^(.+?)_effectiveArea\.(csv|txt|dat)$/i;

/** 'IC86_II' → 'IC86': the detector configuration a season ran with. */
function detectorOf(season: string): string {
  return /^(IC\d+)/i.exec(season)?.[1]?.toUpperCase() ?? 'IceCube';
}

/** The HESE-style JSON samples: objects whose values are equal-length arrays with time, direction and energy. */
const HESE_COLUMNS = {
  mjd: ['mjd', 'MJD', 'time'],
  ra: ['ra', 'RA', 'recoRA'],
  dec: ['dec', 'Dec', 'DEC', 'recoDec'],
  energy: ['recoDepositedEnergy', 'energy', 'E'],
  angErr: ['angErr', 'AngErr', 'recoAngErr'],
} as const;

function jsonColumn(
  doc: Record<string, unknown>,
  names: readonly string[],
  relativePath: string,
  length: number | undefined,
): Float64Array | undefined {
  const name = names.find((n) => n in doc);
  if (name === undefined) return undefined;
  const values = doc[name];
  if (!Array.isArray(values)) throw new GadfError(`'${name}' is not an array`, relativePath);
  if (length !== undefined && values.length !== length) {
    throw new GadfError(
      `'${name}' has ${values.length} values, other columns ${length}`,
      relativePath,
    );
  }
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0)
    throw new GadfError(
      `'${name}'[${bad}] is ${JSON.stringify(values[bad])}, not a number`,
      relativePath,
    );
  return Float64Array.from(values as number[]);
}

async function readHeseSample(path: string, relativePath: string): Promise<NeutrinoSample> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new GadfError(`is not JSON (${(err as Error).message})`, relativePath);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new GadfError('is not a JSON object of columns', relativePath);
  const columns = doc as Record<string, unknown>;
  const need = (key: keyof typeof HESE_COLUMNS, length: number | undefined): Float64Array => {
    const column = jsonColumn(columns, HESE_COLUMNS[key], relativePath, length);
    if (!column) {
      throw new GadfError(
        `has no ${key} column (one of ${HESE_COLUMNS[key].join(', ')}); columns: ${Object.keys(columns).join(', ')}`,
        relativePath,
      );
    }
    return column;
  };
  const mjd = need('mjd', undefined);
  const n = mjd.length;
  const events: NeutrinoEvents = {
    mjd,
    ra: need('ra', n),
    dec: need('dec', n),
    energyGeV: need('energy', n),
    ...(jsonColumn(columns, HESE_COLUMNS.angErr, relativePath, n)
      ? { angErr: jsonColumn(columns, HESE_COLUMNS.angErr, relativePath, n) }
      : {}),
  };
  checkRange(events.ra, 0, 360, 'RA', relativePath);
  checkRange(events.dec, -90, 90, 'Dec', relativePath);
  const notes: string[] = [];
  const span = columns.livetime_mjd;
  let uptime: [number, number][];
  if (
    Array.isArray(span) &&
    span.length === 2 &&
    span.every((v) => typeof v === 'number') &&
    (span[1] as number) >= (span[0] as number)
  ) {
    uptime = [[span[0] as number, span[1] as number]];
  } else if (n > 0) {
    uptime = [[Math.min(...mjd), Math.max(...mjd)]];
    notes.push(
      `${relativePath} gives no livetime_mjd [start, stop]: the time span is that of its events`,
    );
  } else {
    throw new GadfError('holds no events and no livetime_mjd [start, stop]', relativePath);
  }
  return {
    name: basename(relativePath).replace(/\.json$/i, ''),
    instrument: 'IceCube',
    eventClass: 'starting',
    sources: [relativePath],
    events,
    uptime,
    notes,
  };
}

/** Whether `dir` holds a neutrino release hearc reads (IceCube events/ tables, or HESE-style JSON columns). */
export async function isNeutrinoRelease(dir: string): Promise<boolean> {
  if ((await listDir(join(dir, 'events'))).some((n) => EVENT_FILE.test(n))) return true;
  for (const name of await listDir(dir)) {
    if (!/\.json$/i.test(name)) continue;
    const head = (await readFile(join(dir, name), 'utf8').catch(() => '')).slice(0, 4096);
    if (/"(recoDepositedEnergy|mjd|MJD)"\s*:\s*\[/.test(head)) return true;
  }
  return false;
}

/**
 * Reads a neutrino release: each `events/<season>_exp.csv` with `uptime/<season>_exp.csv`
 * and `irfs/<season>_effectiveArea.csv` (a season without one uses the effective area of
 * the latest earlier season of the same detector, as the 10-year release intends), and
 * each HESE-style JSON file at the top. Samples come in time order.
 */
export async function openNeutrinoRelease(dir: string): Promise<NeutrinoRelease> {
  if (!(await isDirectory(dir))) throw new GadfError('is not a directory', dir);
  const eventsDir = join(dir, 'events');
  const uptimeDir = join(dir, 'uptime');
  const irfsDir = join(dir, 'irfs');
  const areas = new Map<string, NeutrinoEffectiveArea>();
  for (const name of await listDir(irfsDir)) {
    const season = AEFF_FILE.exec(name)?.[1];
    if (!season) continue;
    const rel = `irfs/${name}`;
    areas.set(season, effectiveAreaOf(await readTextTable(join(irfsDir, name), rel), rel));
  }
  const uptimes = new Map(
    (await listDir(uptimeDir)).flatMap((n) => {
      const season = EVENT_FILE.exec(n)?.[1];
      return season ? [[season, n] as const] : [];
    }),
  );
  const samples: NeutrinoSample[] = [];
  for (const name of await listDir(eventsDir)) {
    const season = EVENT_FILE.exec(name)?.[1];
    if (!season) continue;
    const rel = `events/${name}`;
    const events = eventsOf(await readTextTable(join(eventsDir, name), rel), rel);
    const uptimeName = uptimes.get(season);
    if (!uptimeName) {
      throw new GadfError(
        `season ${season} has no uptime table (expected uptime/${season}_exp.csv): its time span and livetime are unknown`,
        dir,
      );
    }
    const uptimeRel = `uptime/${uptimeName}`;
    const uptime = uptimeOf(await readTextTable(join(uptimeDir, uptimeName), uptimeRel), uptimeRel);
    if (uptime.length === 0)
      throw new GadfError(`holds no uptime intervals for season ${season}`, uptimeRel);
    samples.push({
      name: season,
      instrument: detectorOf(season),
      eventClass: 'track',
      sources: [rel, uptimeRel],
      events,
      uptime,
      notes: [],
    });
  }
  samples.sort((a, b) => (a.uptime[0]?.[0] ?? 0) - (b.uptime[0]?.[0] ?? 0));
  // Effective areas: the season's own, else that of the latest earlier season of its detector.
  const withAreas = samples.map((sample, i): NeutrinoSample => {
    const own = areas.get(sample.name);
    if (own)
      return { ...sample, effectiveArea: own, sources: [...sample.sources, own.relativePath] };
    const earlier = samples
      .slice(0, i)
      .reverse()
      .find((s) => s.instrument === sample.instrument && areas.has(s.name));
    const borrowed = earlier && areas.get(earlier.name);
    if (!borrowed) {
      return {
        ...sample,
        notes: [
          ...sample.notes,
          `season ${sample.name} has no effective area (irfs/${sample.name}_effectiveArea.csv)`,
        ],
      };
    }
    return {
      ...sample,
      effectiveArea: borrowed,
      sources: [...sample.sources, borrowed.relativePath],
      notes: [
        ...sample.notes,
        `season ${sample.name} uses the effective area of ${earlier.name} (${borrowed.relativePath})`,
      ],
    };
  });
  for (const name of await listDir(dir)) {
    if (!/\.json$/i.test(name) || !(await stat(join(dir, name))).isFile()) continue;
    withAreas.push(await readHeseSample(join(dir, name), name));
  }
  if (withAreas.length === 0) {
    throw new GadfError(
      'holds no neutrino sample (events/<season>_exp.csv with uptime/<season>_exp.csv, or a JSON file of columns)',
      dir,
    );
  }
  return { root: dir, samples: withAreas };
}
