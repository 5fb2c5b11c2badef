/**
 * What one observation of a data store holds, read from its files: the EVENTS
 * header and statistics over the events, the good time intervals, the pointing,
 * and a description of each IRF component. Large event lists are streamed.
 */
import { stat } from 'node:fs/promises';
import { BinTableHdu, type Header, type RowBatch, type ScannedFile } from '../fits/index.js';
import type { HduLocation, ObservationEntry } from './datastore.js';
import { GadfError } from './errors.js';
import { parseObsId } from './datastore.js';
import { type EventBatch, EventList, type HduRef, scanFor } from './event-list.js';
import { angularSeparation, equatorialToHorizontal } from './geometry.js';
import { isMapIrfClass, readMapIrf, scanMapIrfFile } from './irf-map.js';
import {
  type DataSubspace,
  dataSubspaceOf,
  facilityOf,
  isOgipPhotonList,
  spacecraftLivetime,
} from './ogip.js';
import { type PsfContainment, psfContainment } from './psf.js';
import { numberOf, stringOf, type TableRow } from './table.js';
import { type TimeReference, metToMjdUtc } from './time.js';
import { unitFactor } from './units.js';

export type Enclosure = 'full-enclosure' | 'point-like';

export interface IrfComponent {
  /** HDU_TYPE: aeff, edisp, psf, bkg, rad_max. */
  readonly type: string;
  readonly hduClass: string;
  readonly hduName: string;
  readonly relativePath: string;
  readonly hduSize: number;
  readonly enclosure?: Enclosure;
  /** True-energy validity range in TeV. */
  readonly energyLo?: number;
  readonly energyHi?: number;
  /** Largest field-of-view offset covered, deg. */
  readonly offsetMax?: number;
  /** For PSF components: the 68% containment radius at the reference energy and offset. */
  readonly containment68?: PsfContainment;
}

/** Where the angular resolution is quoted (HE extension s_ref_energy / s_ref_oaa). */
export const RESOLUTION_REFERENCE = { energy: 1, offset: 0.5 } as const;

export interface SourceFile {
  readonly relativePath: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface ObservationSummary {
  readonly obsId: string;
  readonly files: readonly SourceFile[];
  readonly events: HduLocation;
  readonly eventsHeader: Header;
  readonly telescope?: string;
  readonly instrument?: string;
  readonly obsMode: string;
  readonly object?: string;
  readonly targetName?: string;
  /** The fixed pointing; undefined for drift scans and surveys. */
  readonly raPnt?: number;
  readonly decPnt?: number;
  /** Where the observation looks: the pointing, or the mean direction of the events. */
  readonly centre: { readonly ra: number; readonly dec: number };
  /** Declination range of the events, for observations without a fixed pointing. */
  readonly decRange?: readonly [number, number];
  readonly altPnt?: number;
  readonly azPnt?: number;
  readonly raObj?: number;
  readonly decObj?: number;
  readonly timeRef: TimeReference;
  /** MET seconds. */
  readonly tstart: number;
  readonly tstop: number;
  /** MJD (UTC) of tstart/tstop. */
  readonly mjdStart: number;
  readonly mjdStop: number;
  readonly ontime: number;
  readonly livetime: number;
  readonly deadc: number;
  /** Good time intervals, MET seconds. */
  readonly gtis: readonly (readonly [number, number])[];
  readonly eventCount: number;
  /** Event energies, TeV. */
  readonly energyMin: number;
  readonly energyMax: number;
  /** Largest distance of an event from the centre, deg (may be a stray event far out). */
  readonly maxOffset: number;
  /** Distance from the pointing within which 99% of the events lie, deg. */
  readonly offset99: number;
  readonly nTels?: number;
  readonly geolon?: number;
  readonly geolat?: number;
  readonly altitude?: number;
  readonly irfs: readonly IrfComponent[];
  /** For OGIP photon lists (Fermi-LAT FT1): the selection of their DSS keywords. */
  readonly selection?: DataSubspace;
  /** The format the EVENTS header follows ('GADF 0.3', 'VODF 0.1 (draft)'), when it says. */
  readonly formatVersion?: string;
  /** The event class or type of the whole list (EV_CLASS; VODF: the type its observation was split by). */
  readonly eventClass?: string;
  /** What the reader decided that a publisher should know (a string OBS_ID, no fixed pointing). */
  readonly notes: readonly string[];
}

/** Event offsets binned finely enough for quantiles, in constant memory however many events. */
class OffsetHistogram {
  private static readonly BIN = 0.01;
  private readonly counts = new Float64Array(18001);
  private total = 0;
  add(offset: number): void {
    const bin = Math.min(this.counts.length - 1, Math.floor(offset / OffsetHistogram.BIN));
    this.counts[bin] = (this.counts[bin] as number) + 1;
    this.total++;
  }
  /** Another histogram's counts (of the same binning) added to these. */
  addCounts(counts: Float64Array): void {
    for (let i = 0; i < counts.length; i++) {
      this.counts[i] = (this.counts[i] as number) + (counts[i] as number);
      this.total += counts[i] as number;
    }
  }
  get binCounts(): Float64Array {
    return this.counts;
  }
  /** Upper edge of the bin where the cumulative count reaches the fraction. */
  quantile(fraction: number): number {
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      if (seen >= fraction * this.total && this.total > 0) return (i + 1) * OffsetHistogram.BIN;
    }
    return 0;
  }
}

/**
 * What the catalog says of an observation's events (count, energy range, offsets from
 * its centre), gathered batch by batch from whichever pass reads them: the ingest's one
 * pass that also writes hearc.events, or loadObservation's own.
 */
export class EventStatistics {
  count = 0;
  energyMin = Infinity;
  energyMax = -Infinity;
  maxOffset = 0;
  readonly offsets = new OffsetHistogram();
  constructor(readonly centre: { readonly ra: number; readonly dec: number }) {}

  /** One batch of events, converted by the event-list reader (deg, TeV). */
  add(batch: EventBatch<'ra' | 'dec' | 'energy'>): void {
    const { ra, dec, energy } = batch;
    const { ra: raPnt, dec: decPnt } = this.centre;
    for (let i = 0; i < batch.count; i++) {
      const e = energy[i] as number;
      if (e < this.energyMin) this.energyMin = e;
      if (e > this.energyMax) this.energyMax = e;
      const offset = angularSeparation(raPnt, decPnt, ra[i] as number, dec[i] as number);
      if (offset > this.maxOffset) this.maxOffset = offset;
      this.offsets.add(offset);
    }
    this.count += batch.count;
  }

  /** What another thread gathered, as plain data (for postMessage). */
  tally(): EventTally {
    const { count, energyMin, energyMax, maxOffset } = this;
    return { count, energyMin, energyMax, maxOffset, offsetCounts: this.offsets.binCounts };
  }

  /** Adds the events another pass (on another thread) gathered. */
  absorb(tally: EventTally): void {
    this.count += tally.count;
    this.energyMin = Math.min(this.energyMin, tally.energyMin);
    this.energyMax = Math.max(this.energyMax, tally.energyMax);
    this.maxOffset = Math.max(this.maxOffset, tally.maxOffset);
    this.offsets.addCounts(tally.offsetCounts);
  }
}

/** EventStatistics as plain data: what a worker thread that read the events sends back. */
export interface EventTally {
  readonly count: number;
  readonly energyMin: number;
  readonly energyMax: number;
  readonly maxOffset: number;
  readonly offsetCounts: Float64Array;
}

/**
 * An observation read but for its events: the event list, opened by the pass that read
 * the headers, and the summary once `statistics` has seen every event.
 */
export interface ObservationReading {
  readonly events: EventList;
  readonly statistics: EventStatistics;
  readonly files: readonly SourceFile[];
  summary(): ObservationSummary;
}

/** The HDUs of one file, from one pass that kept the tables the index names. */
class FileAccess {
  constructor(
    private readonly scanned: ScannedFile,
    private readonly path: string,
  ) {}
  private summary(name: string) {
    const found = this.scanned.hdus.find((s) => s.name.toUpperCase() === name.toUpperCase());
    if (!found) throw new GadfError(`has no HDU named '${name}'`, this.path);
    return found;
  }
  header(name: string): Header {
    return this.summary(name).header;
  }
  hduSize(name: string): number {
    return this.summary(name).hduByteLength;
  }
  /** All rows of a small table. */
  table(name: string): RowBatch {
    const kept = this.scanned.kept.get(this.summary(name).index);
    if (!(kept instanceof BinTableHdu))
      throw new GadfError(`HDU '${name}' is not a binary table`, this.path);
    return kept.readRows();
  }
}

function numericValues(batch: RowBatch, column: string): ArrayLike<number> {
  const values = batch.column(column).values;
  if (
    values instanceof Float32Array ||
    values instanceof Float64Array ||
    values instanceof Int16Array ||
    values instanceof Int32Array ||
    values instanceof Uint8Array ||
    values instanceof Uint16Array ||
    values instanceof Uint32Array ||
    values instanceof Int8Array
  ) {
    return values;
  }
  if (values instanceof BigInt64Array || values instanceof BigUint64Array)
    return Array.from(values, Number);
  throw new GadfError(`column ${column} is not numeric`);
}

function columnNames(header: Header): Set<string> {
  const names = new Set<string>();
  const fields = header.getInteger('TFIELDS') ?? 0;
  for (let i = 1; i <= fields; i++) {
    const name = header.getString(`TTYPE${i}`);
    if (name) names.add(name.toUpperCase());
  }
  return names;
}

function rangeOf(batch: RowBatch, column: string): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  const values = numericValues(batch, column);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** TeV per unit of an IRF energy column (TUNIT; GADF's TeV when absent); an unknown unit is an error naming it. */
function irfEnergyFactor(header: Header, column: string, location: HduLocation): number {
  const fields = header.getInteger('TFIELDS') ?? 0;
  for (let i = 1; i <= fields; i++) {
    if (header.getString(`TTYPE${i}`)?.trim().toUpperCase() !== column) continue;
    const unit = header.getString(`TUNIT${i}`)?.trim();
    if (!unit) return 1;
    const factor = unitFactor('energy', unit);
    if (factor === undefined) {
      throw new GadfError(
        `${location.hduName} column ${column} has unit '${unit}', not an energy (eV, keV, MeV, GeV, TeV, PeV)`,
        location.path,
      );
    }
    return factor;
  }
  return 1;
}

async function describeIrf(access: FileAccess, location: HduLocation): Promise<IrfComponent> {
  const header = access.header(location.hduName);
  const clas3 = header.getString('HDUCLAS3')?.toUpperCase();
  const enclosure: Enclosure | undefined =
    clas3 === 'POINT-LIKE'
      ? 'point-like'
      : clas3 === 'FULL-ENCLOSURE'
        ? 'full-enclosure'
        : undefined;
  const columns = columnNames(header);
  const table = access.table(location.hduName);
  // Older EDISP tables name the true-energy axis ETRUE_LO/ETRUE_HI.
  const energyAxis = ['ENERG', 'ETRUE'].find(
    (n) => columns.has(`${n}_LO`) && columns.has(`${n}_HI`),
  );
  // Neutrino IRFs (KM3NeT, ANTARES, IceCube) give energies in GeV: TUNIT says so.
  const perTeV = energyAxis ? irfEnergyFactor(header, `${energyAxis}_LO`, location) : 1;
  const energyLo = energyAxis ? rangeOf(table, `${energyAxis}_LO`)?.[0] : undefined;
  const energyHi = energyAxis ? rangeOf(table, `${energyAxis}_HI`)?.[1] : undefined;
  let offsetMax: number | undefined;
  if (columns.has('THETA_HI')) offsetMax = rangeOf(table, 'THETA_HI')?.[1];
  else if (columns.has('DETX_HI') && columns.has('DETY_HI')) {
    const x = rangeOf(table, 'DETX_HI');
    const y = rangeOf(table, 'DETY_HI');
    if (x && y) offsetMax = Math.min(Math.abs(x[1]), Math.abs(y[1]));
  }
  const containment68 =
    location.type === 'psf'
      ? psfContainment(
          location.hduClass,
          table,
          RESOLUTION_REFERENCE.energy / perTeV,
          RESOLUTION_REFERENCE.offset,
        )
      : undefined;
  return {
    type: location.type,
    hduClass: location.hduClass,
    hduName: location.hduName,
    relativePath: location.relativePath,
    hduSize: access.hduSize(location.hduName),
    enclosure,
    energyLo: energyLo === undefined ? undefined : energyLo * perTeV,
    energyHi: energyHi === undefined ? undefined : energyHi * perTeV,
    offsetMax,
    containment68: containment68 && {
      ...containment68,
      energy: containment68.energy * perTeV,
    },
  };
}

/** A map IRF (PSF, energy dispersion, exposure or background map): refused when it is broken. */
function describeMapIrf(scan: ScannedFile, location: HduLocation, obsId: string): IrfComponent {
  const where = `${location.relativePath}[${location.hduName}]`;
  const map = readMapIrf(
    scan,
    location.path,
    location.hduName,
    location.hduClass,
    location.type,
    where,
    obsId,
  );
  const error = map.problems.find((p) => p.severity === 'error');
  if (error) throw new GadfError(error.message, where);
  return {
    type: location.type,
    hduClass: location.hduClass,
    hduName: location.hduName,
    relativePath: location.relativePath,
    hduSize: map.byteSize,
    ...(map.energyLo !== undefined ? { energyLo: map.energyLo, energyHi: map.energyHi } : {}),
  };
}

function requireNumber(
  header: Header,
  keyword: string,
  fallback: number | undefined,
  path: string,
): number {
  const value = header.has(keyword) ? header.getNumber(keyword) : undefined;
  const chosen = value ?? fallback;
  if (chosen === undefined || !Number.isFinite(chosen)) {
    throw new GadfError(`EVENTS header has no ${keyword} (required by GADF)`, path);
  }
  return chosen;
}

function optionalNumber(header: Header, keyword: string, index?: TableRow): number | undefined {
  const fromHeader = header.has(keyword)
    ? numberOf(header.get(keyword) as number | string)
    : undefined;
  return fromHeader ?? numberOf(index?.[keyword]);
}

/** The declination band an EVENTS header declares (DEC_MIN, DEC_MAX in deg), checked. */
function declaredBand(header: Header, path: string): [number, number] | undefined {
  if (!header.has('DEC_MIN') && !header.has('DEC_MAX')) return undefined;
  const lo = header.getNumber('DEC_MIN');
  const hi = header.getNumber('DEC_MAX');
  if (lo === undefined || hi === undefined || !(lo >= -90 && lo < hi && hi <= 90)) {
    throw new GadfError(
      `EVENTS header DEC_MIN/DEC_MAX (${String(header.get('DEC_MIN'))}, ${String(header.get('DEC_MAX'))}) is not a declination band: both are needed, -90 <= DEC_MIN < DEC_MAX <= 90`,
      path,
    );
  }
  return [lo, hi];
}

/** Reads what the catalog needs to know about one observation, its events in a pass of its own. */
export async function loadObservation(entry: ObservationEntry): Promise<ObservationSummary> {
  const reading = await readObservation(entry);
  for await (const batch of reading.events.batches(['ra', 'dec', 'energy'])) {
    reading.statistics.add(batch);
  }
  return reading.summary();
}

/** Reads one observation but for the pass over its events, which the caller makes. */
export async function readObservation(entry: ObservationEntry): Promise<ObservationReading> {
  const events = entry.hdus.find((h) => h.type === 'events');
  if (!events) throw new GadfError(`observation ${entry.obsId} has no events HDU in the index`);

  const files: SourceFile[] = [];
  const paths = new Set(entry.hdus.map((h) => h.path));
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    const location = entry.hdus.find((h) => h.path === path);
    if (!info?.isFile()) {
      throw new GadfError(`file listed for observation ${entry.obsId} does not exist`, path);
    }
    files.push({
      relativePath: location?.relativePath ?? path,
      size: info.size,
      mtimeMs: info.mtimeMs,
    });
  }
  // One pass per file: its headers and every table the index names in it.
  const at = (h: HduLocation): HduRef => ({ path: h.path, hdu: h.hduName });
  const scans = new Map<string, ScannedFile>();
  // Map IRFs are read apart (readMapIrf): their maps may be large and are described by their headers.
  const tables = entry.hdus.filter((h) => !isMapIrfClass(h.hduClass));
  for (const path of paths) {
    scans.set(path, await scanFor(path, tables.filter((h) => h.path === path).map(at)));
  }
  const fileOf = (location: HduLocation): FileAccess =>
    new FileAccess(scans.get(location.path) as ScannedFile, location.path);
  const related = (type: string): HduRef | undefined => {
    const found = entry.hdus.find((h) => h.type === type);
    return found && at(found);
  };
  const list = EventList.fromScan(scans.get(events.path) as ScannedFile, at(events), {
    gti: related('gti'),
    pointing: related('pointing'),
  });
  list.require();
  const header = list.header;
  const path = events.path;
  const index = entry.index;
  const notes: string[] = [];
  const obsIdInFile = header.get('OBS_ID');
  const ogip = isOgipPhotonList(header);
  const selection = ogip ? dataSubspaceOf(header, path) : undefined;
  if (ogip && obsIdInFile === undefined) {
    notes.push(
      `an OGIP photon list (TELESCOP '${stringOf(header.getString('TELESCOP')) ?? ''}') without OBS_ID: published as OBS_ID ${entry.obsId}, the integer part of TSTART`,
    );
  }
  if (obsIdInFile !== undefined && parseObsId(obsIdInFile) === undefined) {
    // Survey instruments write a label ('chunks 103 - 133'); the index's integer identifies the run.
    notes.push(
      `EVENTS header OBS_ID '${String(obsIdInFile).trim()}' is not an integer: the index's OBS_ID ${entry.obsId} is used`,
    );
  } else if (obsIdInFile !== undefined && parseObsId(obsIdInFile) !== entry.obsId) {
    throw new GadfError(
      `EVENTS header OBS_ID ${String(obsIdInFile)} differs from the index (${entry.obsId})`,
      path,
    );
  }

  const timeRef = list.time.reference;
  const tstart = list.start ?? requireNumber(header, 'TSTART', numberOf(index?.TSTART), path);
  const tstop = list.stop ?? requireNumber(header, 'TSTOP', numberOf(index?.TSTOP), path);
  if (!(tstop >= tstart)) {
    throw new GadfError(
      `TSTOP (${tstop}) is before TSTART (${tstart}): the run has no time span`,
      path,
    );
  }

  const gtis = (await list.goodTimeIntervals())?.intervals ?? [[tstart, tstop] as const];
  const gtiSum = gtis.reduce((sum, [a, b]) => sum + (b - a), 0);
  const ontime = optionalNumber(header, 'ONTIME', index) ?? gtiSum;
  const deadcGiven = optionalNumber(header, 'DEADC', index);
  // A Fermi-LAT FT2 file knows the livetime of each 30 s of the mission.
  const spacecraft = entry.hdus.filter((h) => h.type === 'spacecraft');
  let spacecraftLive: number | undefined;
  for (const ft2 of spacecraft)
    spacecraftLive =
      (spacecraftLive ?? 0) +
      spacecraftLivetime(scans.get(ft2.path) as ScannedFile, ft2.path, gtis);
  if (ogip && spacecraft.length === 0 && !header.has('LIVETIME')) {
    notes.push(
      'no FT2 spacecraft file: t_exptime is the sum of the GTIs (the dead time is unknown)',
    );
  }
  const livetime =
    optionalNumber(header, 'LIVETIME', index) ?? spacecraftLive ?? ontime * (deadcGiven ?? 1);
  const deadc = deadcGiven ?? (ontime > 0 ? livetime / ontime : 1);

  const pointing = await list.pointing({
    ra: numberOf(index?.RA_PNT),
    dec: numberOf(index?.DEC_PNT),
  });
  let centre: { ra: number; dec: number };
  let decRange: [number, number] | undefined;
  const cone = selection?.cone;
  // A sample that says which declinations it covers (neutrino samples: DEC_MIN/DEC_MAX) covers that band, events or not.
  const declared = declaredBand(header, path);
  if (pointing.mode === 'fixed') centre = { ra: pointing.ra, dec: pointing.dec };
  else if (cone) {
    // A photon list selected in a cone (the DSS POS keyword): the sky it covers is that cone.
    centre = { ra: cone.ra, dec: cone.dec };
    decRange = [Math.max(-90, cone.dec - cone.radius), Math.min(90, cone.dec + cone.radius)];
  } else if (declared) {
    decRange = declared;
    centre = { ra: 0, dec: declared[0] + declared[1] >= 0 ? 90 : -90 };
    notes.push(
      `no fixed pointing: the sky region is the declination band ${declared[0]}..${declared[1]} deg the EVENTS header declares (DEC_MIN/DEC_MAX)`,
    );
  } else {
    // A drift scan or survey: the sky it covers is where its events are.
    const footprint = await list.footprint();
    if (!footprint) {
      throw new GadfError(
        'no pointing (RA_PNT/DEC_PNT are neither in the EVENTS header, the obs-index nor a POINTING HDU) and no events to tell the sky covered',
        path,
      );
    }
    centre = { ra: footprint.ra, dec: footprint.dec };
    decRange = [footprint.decMin, footprint.decMax];
    notes.push(
      `no fixed pointing (OBS_MODE ${stringOf(header.getString('OBS_MODE')) ?? 'not given'}): the sky region is the events' footprint`,
    );
  }
  const { ra: raPnt, dec: decPnt } = centre;
  const statistics = new EventStatistics(centre);

  // The site: GADF's GEOLON/GEOLAT/ALTITUDE, or the FITS 4 OBSGEO-L/B/H of the VODF draft.
  const geolon = optionalNumber(header, 'GEOLON', index) ?? optionalNumber(header, 'OBSGEO-L');
  const geolat = optionalNumber(header, 'GEOLAT', index) ?? optionalNumber(header, 'OBSGEO-B');
  const mjdStart = metToMjdUtc(tstart, timeRef);
  const mjdStop = metToMjdUtc(tstop, timeRef);
  let altPnt = optionalNumber(header, 'ALT_PNT', index);
  let azPnt = optionalNumber(header, 'AZ_PNT', index);
  if (
    pointing.mode === 'fixed' &&
    (altPnt === undefined || azPnt === undefined) &&
    geolon !== undefined &&
    geolat !== undefined
  ) {
    const horizontal = equatorialToHorizontal(
      raPnt,
      decPnt,
      (mjdStart + mjdStop) / 2,
      geolon,
      geolat,
    );
    altPnt ??= horizontal.alt;
    azPnt ??= horizontal.az;
  }

  const eventClass = list.eventTypes.eventClass ?? entry.eventType;
  if (entry.eventType !== undefined && list.eventTypes.eventClass === undefined) {
    notes.push(
      `event type ${entry.eventType} (from the GROUPING table: the observation holds events of this type only)`,
    );
  }

  const irfs: IrfComponent[] = [];
  // The map IRFs of a file (often all four in one) come from one more pass over it.
  const mapScans = new Map<string, ScannedFile>();
  for (const location of entry.hdus) {
    if (['events', 'gti', 'pointing', 'spacecraft'].includes(location.type)) continue;
    if (isMapIrfClass(location.hduClass)) {
      let scan = mapScans.get(location.path);
      if (!scan) {
        scan = await scanMapIrfFile(location.path);
        mapScans.set(location.path, scan);
      }
      irfs.push(describeMapIrf(scan, location, entry.obsId));
    } else irfs.push(await describeIrf(fileOf(location), location));
  }

  const summary = (): ObservationSummary => {
    const { count: eventCount, energyMin, energyMax, offsets } = statistics;
    // The declared band reaches this far from the pole it is centred on.
    const maxOffset = declared
      ? Math.max(statistics.maxOffset, centre.dec > 0 ? 90 - declared[0] : 90 + declared[1])
      : statistics.maxOffset;
    return {
      obsId: entry.obsId,
      files,
      events,
      eventsHeader: header,
      telescope: ogip ? facilityOf(header) : stringOf(header.getString('TELESCOP')),
      instrument: stringOf(header.getString('INSTRUME')),
      obsMode: (
        stringOf(header.getString('OBS_MODE')) ??
        stringOf(index?.OBS_MODE) ??
        (ogip ? 'SURVEY' : 'POINTING')
      ).toUpperCase(),
      object: stringOf(header.getString('OBJECT')) ?? stringOf(index?.OBJECT),
      targetName: stringOf(index?.TARGET_NAME),
      ...(pointing.mode === 'fixed' ? { raPnt, decPnt } : {}),
      centre,
      ...(decRange ? { decRange } : {}),
      altPnt,
      azPnt,
      raObj: optionalNumber(header, 'RA_OBJ', index),
      decObj: optionalNumber(header, 'DEC_OBJ', index),
      timeRef,
      tstart,
      tstop,
      mjdStart,
      mjdStop,
      ontime,
      livetime,
      deadc,
      gtis,
      eventCount,
      energyMin: eventCount > 0 ? energyMin : NaN,
      energyMax: eventCount > 0 ? energyMax : NaN,
      maxOffset,
      offset99: offsets.quantile(0.99),
      nTels: optionalNumber(header, 'N_TELS', index),
      geolon,
      geolat,
      altitude: optionalNumber(header, 'ALTITUDE', index) ?? optionalNumber(header, 'OBSGEO-H'),
      irfs,
      ...(selection ? { selection } : {}),
      ...(list.format ? { formatVersion: list.format.label } : {}),
      ...(eventClass ? { eventClass } : {}),
      notes,
    };
  };
  return { events: list, statistics, files, summary };
}
