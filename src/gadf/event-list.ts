/**
 * The one event-list reader: an EVENTS table (with its GTI and POINTING tables) opened
 * lazily on the fits module's streaming reader. It knows the units of the columns
 * (TUNITn, then EUNIT, then the GADF default), the time model (MJDREFI/MJDREFF or
 * MJDREF, TIMESYS, TIMEREF, TIMEUNIT, TIMEZERO, leap seconds through ./time.ts), the
 * good time intervals, the pointing and the event types; the events themselves pass
 * through in batches, so memory stays flat however long the list is.
 *
 * Times it hands out are seconds since the EVENTS reference epoch with TIMEZERO
 * applied, whatever HDU they come from; energies are TeV, angles degrees.
 */
import {
  BinTableHdu,
  type ColumnDescriptor,
  type HduImage,
  type HduSummary,
  type Header,
  type RowBatch,
  type ScannedFile,
  hduImage,
  openBinTableStream,
  readColumns,
  scanFile,
  scannedImage,
} from '../fits/index.js';
import { classifyHdu, parseObsId } from './datastore.js';
import { GadfError } from './errors.js';
import { type FormatVersion, formatOf } from './format.js';
import { isOgipPhotonList } from './ogip.js';
import {
  metToMjdUtc,
  metToMjdUtcMany,
  mjdUtcToMet,
  type TimeReference,
  timeReferenceOf,
} from './time.js';
import { CANONICAL_UNIT, type Quantity, unitFactor } from './units.js';

/** An HDU of a file: by EXTNAME or by index (0 = primary). */
export interface HduRef {
  readonly path: string;
  readonly hdu: string | number;
}

/** How the raw times of one HDU become seconds since a reference epoch. */
export interface TimeModel {
  readonly reference: TimeReference;
  /** TIMEZERO, in TIMEUNIT. */
  readonly zero: number;
  /** Seconds per TIMEUNIT. */
  readonly unitSeconds: number;
  /** TIMEREF: where the times are measured (LOCAL when the header does not say). */
  readonly frame: string;
}

/** Where a column's unit was found. */
export type UnitSource = 'TUNIT' | 'EUNIT' | 'TIMEUNIT' | 'GADF default' | 'OGIP default';

export interface ColumnUnit {
  readonly unit: string;
  readonly source: UnitSource;
  /** Multiply stored values by this to get TeV, deg or s. */
  readonly factor: number;
}

export type EventQuantity = 'ra' | 'dec' | 'energy' | 'time';

const COLUMN_OF: Readonly<Record<EventQuantity, string>> = {
  ra: 'RA',
  dec: 'DEC',
  energy: 'ENERGY',
  time: 'TIME',
};
const QUANTITY_OF: Readonly<Record<EventQuantity, Quantity>> = {
  ra: 'angle',
  dec: 'angle',
  energy: 'energy',
  time: 'time',
};

/** The columns GADF requires of every EVENTS table that hearc publishes. */
export const REQUIRED_EVENT_COLUMNS: readonly EventQuantity[] = ['ra', 'dec', 'energy', 'time'];

/** One batch of events: the asked quantities converted (deg, TeV, s since the reference), and the rows as stored. */
export type EventBatch<Q extends EventQuantity> = {
  readonly count: number;
  readonly raw: RowBatch;
} & { readonly [K in Q]: ArrayLike<number> };

/** Good time intervals, seconds since the EVENTS reference epoch, in table order. */
export interface GoodTimeIntervals {
  readonly intervals: readonly (readonly [number, number])[];
  /** The GTI table as stored (absent when the intervals come from TSTART/TSTOP). */
  readonly table?: {
    readonly header: Header;
    readonly columns: readonly ColumnDescriptor[];
    readonly batches: readonly RowBatch[];
    /** Stored START/STOP value of a time in seconds since the EVENTS reference. */
    readonly storedOf: (seconds: number) => number;
  };
}

export type Pointing =
  | {
      readonly mode: 'fixed';
      readonly ra: number;
      readonly dec: number;
      readonly from: 'header' | 'index' | 'POINTING table';
    }
  | { readonly mode: 'none' };

/** The sky the events of an unpointed observation cover: the mean direction, and the declination range (deg). */
export interface SkyFootprint {
  readonly ra: number;
  readonly dec: number;
  readonly decMin: number;
  readonly decMax: number;
}

export interface EventTypes {
  /** EV_CLASS of the header. */
  readonly eventClass?: string;
  /** The EVENT_TYPE column (GADF: a bit field or integers), or EVT_TYPE (VODF mock data: strings). */
  readonly column?: ColumnDescriptor;
}

/**
 * EVENTS data up to this size are kept from the one pass that reads the headers and the
 * GTI (a gzip file is then inflated once); longer lists stream from the file on each read.
 */
const IN_MEMORY_EVENTS_BYTES = 64 * 1024 * 1024;
const BATCH_ROWS = 65536;

const refersTo = (ref: HduRef, hdu: HduSummary): boolean =>
  typeof ref.hdu === 'number'
    ? hdu.index === ref.hdu
    : hdu.name.toUpperCase() === ref.hdu.trim().toUpperCase() ||
      (hdu.index === 0 && ref.hdu.trim().toUpperCase() === 'PRIMARY');

/**
 * One pass over a file: its headers, and the tables `refs` name in it (EVENTS only when
 * small), stopping after the last; EventList.fromScan opens an event list from it.
 */
export async function scanFor(path: string, refs: readonly HduRef[]): Promise<ScannedFile> {
  const wanted = refs.filter((r) => r.path === path);
  return scanFile(path, {
    keep: (h) =>
      h.kind === 'bintable' &&
      wanted.some((r) => refersTo(r, h)) &&
      (classifyHdu(h.header, h.name)?.type !== 'events' ||
        h.dataByteLength <= IN_MEMORY_EVENTS_BYTES),
    until: (seen) => wanted.every((r) => seen.some((h) => refersTo(r, h))),
  });
}

function findIn(scanned: ScannedFile, ref: HduRef): { hdu: HduSummary; table?: BinTableHdu } {
  const hdu = scanned.hdus.find((h) => refersTo(ref, h));
  if (!hdu) {
    const names = scanned.hdus.map((h) => h.name || String(h.index)).join(', ');
    throw new GadfError(`there is no HDU '${String(ref.hdu)}' (HDUs: ${names})`, ref.path);
  }
  const kept = scanned.kept.get(hdu.index);
  return { hdu, ...(kept instanceof BinTableHdu ? { table: kept } : {}) };
}

function numeric(values: unknown, column: string, where: string): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return Float64Array.from(values, Number);
  }
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    return values as unknown as ArrayLike<number>;
  }
  throw new GadfError(`column ${column} is not numeric`, where);
}

function scaled(values: ArrayLike<number>, factor: number, offset = 0): ArrayLike<number> {
  if (factor === 1 && offset === 0) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = ((values[i] as number) + offset) * factor;
  return out;
}

/** The time model of a header; `fallback` stands in for a missing MJDREF (e.g. GTI tables). */
export function timeModelOf(
  header: Header,
  where: string,
  fallback?: TimeModel,
): TimeModel | undefined {
  let reference: TimeReference | undefined;
  try {
    reference = timeReferenceOf(header, fallback?.reference);
  } catch (error) {
    if (error instanceof GadfError) throw new GadfError(error.message, where);
    throw error;
  }
  if (!reference) return undefined;
  const timeUnit = header.getString('TIMEUNIT')?.trim() || undefined;
  const unitSeconds =
    timeUnit === undefined ? (fallback?.unitSeconds ?? 1) : unitFactor('time', timeUnit);
  if (unitSeconds === undefined) {
    throw new GadfError(`TIMEUNIT '${timeUnit}' is not a unit of time`, where);
  }
  return {
    reference,
    zero: header.has('TIMEZERO') ? (header.getNumber('TIMEZERO') ?? 0) : (fallback?.zero ?? 0),
    unitSeconds,
    frame: header.getString('TIMEREF')?.trim().toUpperCase() || (fallback?.frame ?? 'LOCAL'),
  };
}

function sameEpoch(a: TimeReference, b: TimeReference): boolean {
  return a.mjdRefInt === b.mjdRefInt && a.mjdRefFrac === b.mjdRefFrac && a.scale === b.scale;
}

/** The HDUs of one observation's event list in a file: EVENTS, and its GTI and POINTING. */
export function locateEventListHdus(
  hdus: readonly HduSummary[],
  obsId?: string,
): { events?: HduSummary; gti?: HduSummary; pointing?: HduSummary } {
  const found: { events?: HduSummary; gti?: HduSummary; pointing?: HduSummary } = {};
  for (const hdu of hdus) {
    const type = classifyHdu(hdu.header, hdu.name)?.type;
    if (type !== 'events' && type !== 'gti' && type !== 'pointing') continue;
    // A file may hold HDUs of several observations; those that say so must say ours.
    const own = parseObsId(hdu.header.get('OBS_ID'));
    const wanted =
      obsId ?? (type === 'events' ? undefined : parseObsId(found.events?.header.get('OBS_ID')));
    if (own !== undefined && wanted !== undefined && own !== wanted) continue;
    found[type] ??= hdu;
  }
  return found;
}

export class EventList {
  private constructor(
    /** The EVENTS HDU. */
    readonly ref: HduRef,
    readonly hdu: HduSummary,
    readonly columns: readonly ColumnDescriptor[],
    readonly time: TimeModel,
    /** EVENTS data when read in the opening pass. */
    private readonly eventsTable: BinTableHdu | undefined,
    private readonly related: {
      readonly gti?: HduRef;
      readonly pointing?: HduRef;
      /** The tables read in the opening pass, by HduRef. */
      readonly kept: Map<HduRef, BinTableHdu>;
    },
  ) {}

  /**
   * Opens an event list: one pass over the EVENTS file reads the headers and the GTI
   * and POINTING tables that sit in it (and the events when they are few); tables in
   * other files are read when asked for.
   */
  static async open(
    events: HduRef,
    related: { readonly gti?: HduRef; readonly pointing?: HduRef } = {},
  ): Promise<EventList> {
    const refs = [events, related.gti, related.pointing].filter((r) => r !== undefined);
    return EventList.fromScan(await scanFor(events.path, refs), events, related);
  }

  /** Opens the event list of a file holding EVENTS (and GTI, POINTING) HDUs: one pass over it. */
  static async openFile(path: string, obsId?: string): Promise<EventList> {
    const scanned = await scanFile(path, {
      keep: (h) => {
        const type = classifyHdu(h.header, h.name)?.type;
        return (
          h.kind === 'bintable' &&
          (type === 'gti' ||
            type === 'pointing' ||
            (type === 'events' && h.dataByteLength <= IN_MEMORY_EVENTS_BYTES))
        );
      },
    });
    const found = locateEventListHdus(scanned.hdus, obsId);
    if (!found.events) throw new GadfError('there is no EVENTS HDU', path);
    const at = (h: HduSummary | undefined): HduRef | undefined => h && { path, hdu: h.index };
    return EventList.fromScan(
      scanned,
      { path, hdu: found.events.index },
      { gti: at(found.gti), pointing: at(found.pointing) },
    );
  }

  /** An event list from a pass of scanFor over its EVENTS file that named `events` and `related`. */
  static fromScan(
    scanned: ScannedFile,
    events: HduRef,
    related: { readonly gti?: HduRef; readonly pointing?: HduRef },
  ): EventList {
    const { hdu, table } = findIn(scanned, events);
    if (hdu.kind !== 'bintable') {
      throw new GadfError(`HDU '${hdu.name || hdu.index}' is not a binary table`, events.path);
    }
    const time = timeModelOf(hdu.header, `${events.path} (HDU '${hdu.name || hdu.index}')`);
    if (!time) {
      throw new GadfError(
        `EVENTS header (HDU '${hdu.name}') has no MJDREFI/MJDREFF (or MJDREF): required by GADF`,
        events.path,
      );
    }
    const kept = new Map<HduRef, BinTableHdu>();
    for (const ref of [related.gti, related.pointing]) {
      if (ref?.path !== events.path) continue;
      const found = findIn(scanned, ref).table;
      if (found) kept.set(ref, found);
    }
    const columns =
      table?.columns ?? readColumns(hdu.header, { file: events.path, hdu: String(hdu.index) });
    return new EventList(events, hdu, columns, time, table, { ...related, kept });
  }

  /**
   * The EVENTS table as an image another thread can take, when the opening pass read it
   * (a long list streams from its file instead): so that a file is inflated once.
   */
  image(): HduImage | undefined {
    return this.eventsTable && hduImage(this.path, this.eventsTable);
  }

  /** The event list of an image of its EVENTS table: its events and header, without GTI or pointing. */
  static fromImage(events: HduRef, image: HduImage): EventList {
    return EventList.fromScan(scannedImage(image), events, {});
  }

  /** A related table, read whole (from the opening pass when it was in the EVENTS file). */
  private async table(ref: HduRef): Promise<BinTableHdu> {
    const kept = this.related.kept.get(ref);
    if (kept) return kept;
    const { hdu, table } = findIn(await scanFor(ref.path, [ref]), ref);
    if (!table)
      throw new GadfError(`HDU '${hdu.name || hdu.index}' is not a binary table`, ref.path);
    this.related.kept.set(ref, table);
    return table;
  }

  get path(): string {
    return this.ref.path;
  }

  get header(): Header {
    return this.hdu.header;
  }

  get rowCount(): number {
    return this.header.getInteger('NAXIS2') ?? 0;
  }

  /** The format the EVENTS header says it follows (GADF 0.2/0.3, VODF draft, OGIP). */
  get format(): FormatVersion | undefined {
    return formatOf(this.header);
  }

  /** OBS_ID of the header as a decimal string, when it is an integer. */
  get obsId(): string | undefined {
    return parseObsId(this.header.get('OBS_ID'));
  }

  private get where(): string {
    return `${this.path} (HDU '${this.hdu.name || this.hdu.index}')`;
  }

  column(name: string): ColumnDescriptor | undefined {
    const upper = name.toUpperCase();
    return this.columns.find((c) => c.name.toUpperCase() === upper);
  }

  /** Throws a GadfError naming the first of `quantities` whose column is missing. */
  require(quantities: readonly EventQuantity[] = REQUIRED_EVENT_COLUMNS): void {
    for (const q of quantities) {
      if (!this.column(COLUMN_OF[q])) {
        throw new GadfError(
          `EVENTS table (HDU '${this.hdu.name}') has no ${COLUMN_OF[q]} column`,
          this.path,
        );
      }
    }
  }

  /** The unit of a column: TUNITn, then EUNIT (energy) or TIMEUNIT (time), then the format's default. */
  unit(quantity: EventQuantity): ColumnUnit {
    const kind = QUANTITY_OF[quantity];
    const tunit = this.column(COLUMN_OF[quantity])?.unit?.trim();
    let unit: string;
    let source: UnitSource;
    if (tunit) [unit, source] = [tunit, 'TUNIT'];
    else if (quantity === 'energy' && this.header.getString('EUNIT')?.trim())
      [unit, source] = [this.header.getString('EUNIT')!.trim(), 'EUNIT'];
    else if (quantity === 'time' && this.header.getString('TIMEUNIT')?.trim())
      [unit, source] = [this.header.getString('TIMEUNIT')!.trim(), 'TIMEUNIT'];
    // Photon lists of the OGIP family (Fermi-LAT FT1) state energies in MeV.
    else if (quantity === 'energy' && isOgipPhotonList(this.header))
      [unit, source] = ['MeV', 'OGIP default'];
    else [unit, source] = [CANONICAL_UNIT[kind], 'GADF default'];
    const factor = unitFactor(kind, unit);
    if (factor === undefined) {
      throw new GadfError(
        `the ${COLUMN_OF[quantity]} unit '${unit}' (${source}) is not a unit of ${kind}`,
        this.where,
      );
    }
    return { unit, source, factor };
  }

  /** Seconds since the reference epoch of a stored time of the EVENTS HDU (TSTART, TIME). */
  seconds(stored: number): number {
    return (stored + this.time.zero) * this.time.unitSeconds;
  }

  /** The stored value (TIME, TSTART units) of seconds since the reference epoch. */
  stored(seconds: number): number {
    return seconds / this.time.unitSeconds - this.time.zero;
  }

  /** MJD (UTC) of seconds since the reference epoch. */
  mjd(seconds: number): number {
    return metToMjdUtc(seconds, this.time.reference);
  }

  /** MJDs (UTC) of many times in seconds since the reference epoch. */
  mjds(seconds: ArrayLike<number>): Float64Array {
    return metToMjdUtcMany(seconds, this.time.reference);
  }

  /** Seconds since the reference epoch of an MJD (UTC). */
  secondsOfMjd(mjdUtc: number): number {
    return mjdUtcToMet(mjdUtc, this.time.reference);
  }

  /** TSTART and TSTOP in seconds since the reference epoch, when the header has them. */
  get start(): number | undefined {
    const v = this.header.has('TSTART') ? this.header.getNumber('TSTART') : undefined;
    return v === undefined ? undefined : this.seconds(v);
  }

  get stop(): number | undefined {
    const v = this.header.has('TSTOP') ? this.header.getNumber('TSTOP') : undefined;
    return v === undefined ? undefined : this.seconds(v);
  }

  get eventTypes(): EventTypes {
    const eventClass = this.header.getString('EV_CLASS')?.trim() || undefined;
    const column = this.column('EVENT_TYPE') ?? this.column('EVT_TYPE');
    return { ...(eventClass ? { eventClass } : {}), ...(column ? { column } : {}) };
  }

  /** The GTI table, read whole; undefined when the event list has none. */
  async goodTimeIntervals(): Promise<GoodTimeIntervals | undefined> {
    if (!this.related.gti) return undefined;
    const gti = await this.table(this.related.gti);
    const batches = [gti.readRows()];
    const header = gti.header;
    const where = `${this.related.gti.path} (HDU '${gti.name || gti.index}')`;
    const model = timeModelOf(header, where, this.time)!;
    const columnUnit = (name: string): number => {
      const unit = gti.columns.find((c) => c.name.toUpperCase() === name)?.unit?.trim();
      if (!unit) return model.unitSeconds;
      const factor = unitFactor('time', unit);
      if (factor === undefined)
        throw new GadfError(`the ${name} unit '${unit}' is not a unit of time`, where);
      return factor;
    };
    const startUnit = columnUnit('START');
    const stopUnit = columnUnit('STOP');
    const zeroSeconds = model.zero * model.unitSeconds;
    const same = sameEpoch(model.reference, this.time.reference);
    // Seconds since the GTI's own epoch to seconds since the EVENTS epoch.
    const toEvents = (s: number): number =>
      same ? s : mjdUtcToMet(metToMjdUtc(s, model.reference), this.time.reference);
    const fromEvents = (s: number): number =>
      same ? s : mjdUtcToMet(metToMjdUtc(s, this.time.reference), model.reference);
    const intervals: [number, number][] = [];
    for (const batch of batches) {
      const starts = numeric(batch.column('START').values, 'START', where);
      const stops = numeric(batch.column('STOP').values, 'STOP', where);
      for (let i = 0; i < batch.rowCount; i++) {
        intervals.push([
          toEvents(starts[i]! * startUnit + zeroSeconds),
          toEvents(stops[i]! * stopUnit + zeroSeconds),
        ]);
      }
    }
    return {
      intervals,
      table: {
        header,
        columns: gti.columns,
        batches,
        storedOf: (s) => (fromEvents(s) - zeroSeconds) / startUnit,
      },
    };
  }

  /** The GTIs, or [TSTART, TSTOP] when there is no GTI table (none when neither). */
  async intervals(): Promise<readonly (readonly [number, number])[]> {
    const gti = await this.goodTimeIntervals();
    if (gti) return gti.intervals;
    const { start, stop } = this;
    return start !== undefined && stop !== undefined ? [[start, stop]] : [];
  }

  /**
   * The pointing: RA_PNT/DEC_PNT of the header, else `index` (the obs-index row), else
   * the first row of the POINTING table; `none` for instruments without a fixed pointing.
   */
  async pointing(index?: { readonly ra?: number; readonly dec?: number }): Promise<Pointing> {
    const ra = this.header.has('RA_PNT') ? this.header.getNumber('RA_PNT') : undefined;
    const dec = this.header.has('DEC_PNT') ? this.header.getNumber('DEC_PNT') : undefined;
    if (ra !== undefined && dec !== undefined && Number.isFinite(ra) && Number.isFinite(dec))
      return { mode: 'fixed', ra, dec, from: 'header' };
    if (index?.ra !== undefined && index.dec !== undefined)
      return { mode: 'fixed', ra: index.ra, dec: index.dec, from: 'index' };
    if (this.related.pointing) {
      const table = await this.table(this.related.pointing);
      const names = new Set(table.columns.map((c) => c.name.toUpperCase()));
      if (names.has('RA_PNT') && names.has('DEC_PNT') && table.rowCount > 0) {
        const where = this.related.pointing.path;
        const first = table.readRows(0, 1, ['RA_PNT', 'DEC_PNT']);
        return {
          mode: 'fixed',
          ra: numeric(first.column('RA_PNT').values, 'RA_PNT', where)[0]!,
          dec: numeric(first.column('DEC_PNT').values, 'DEC_PNT', where)[0]!,
          from: 'POINTING table',
        };
      }
    }
    return { mode: 'none' };
  }

  /**
   * Where the events lie, for observations without a fixed pointing (drift scans): the
   * mean of their directions and their declination range; undefined when there are
   * none. One pass over the events.
   */
  async footprint(): Promise<SkyFootprint | undefined> {
    let [x, y, z, count] = [0, 0, 0, 0];
    let decMin = Infinity;
    let decMax = -Infinity;
    const rad = Math.PI / 180;
    for await (const batch of this.batches(['ra', 'dec'])) {
      for (let i = 0; i < batch.count; i++) {
        const ra = (batch.ra[i] as number) * rad;
        const dec = (batch.dec[i] as number) * rad;
        if (!Number.isFinite(ra) || !Number.isFinite(dec)) continue;
        x += Math.cos(dec) * Math.cos(ra);
        y += Math.cos(dec) * Math.sin(ra);
        z += Math.sin(dec);
        count++;
        decMin = Math.min(decMin, dec / rad);
        decMax = Math.max(decMax, dec / rad);
      }
    }
    if (count === 0) return undefined;
    const norm = Math.hypot(x, y, z);
    // Events all round the sky average to nothing: the pole of the band they fill stands in.
    if (norm < 1e-9 * count) return { ra: 0, dec: decMin + decMax >= 0 ? 90 : -90, decMin, decMax };
    const ra = (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
    return { ra, dec: Math.asin(Math.max(-1, Math.min(1, z / norm))) / rad, decMin, decMax };
  }

  /**
   * The events in batches, the asked quantities converted to deg, TeV and seconds
   * since the reference epoch. `allColumns` decodes every stored column into `raw`
   * (for copies); otherwise only the asked ones. Each call reads the file anew.
   */
  async *batches<Q extends EventQuantity>(
    quantities: readonly Q[],
    options: { readonly allColumns?: boolean; readonly batchRows?: number } = {},
  ): AsyncGenerator<EventBatch<Q>> {
    this.require(quantities);
    const plan = quantities.map((q) => {
      const name = this.column(COLUMN_OF[q])!.name;
      const unit = this.unit(q);
      // TIMEZERO is in TIMEUNIT; a TIME column in another unit still gets it in TIMEUNIT.
      const offset = q === 'time' ? (this.time.zero * this.time.unitSeconds) / unit.factor : 0;
      return { q, name, factor: unit.factor, offset };
    });
    const names = options.allColumns ? undefined : plan.map((p) => p.name);
    const convert = (raw: RowBatch): EventBatch<Q> => {
      const batch: Record<string, unknown> = { count: raw.rowCount, raw };
      for (const { q, name, factor, offset } of plan) {
        batch[q] = scaled(numeric(raw.column(name).values, name, this.where), factor, offset);
      }
      return batch as EventBatch<Q>;
    };
    const rows = options.batchRows ?? BATCH_ROWS;
    const table = this.eventsTable;
    if (table) {
      for (let first = 0; first < table.rowCount || first === 0; first += rows) {
        yield convert(table.readRows(first, Math.min(rows, table.rowCount - first), names));
      }
      return;
    }
    const stream = await openBinTableStream(this.ref.path, this.ref.hdu, {
      ...(names ? { columns: names } : {}),
      batchRows: rows,
    });
    try {
      for await (const raw of stream.batches) yield convert(raw);
    } finally {
      await stream.close();
    }
  }
}
