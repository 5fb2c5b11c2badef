/**
 * Writing a cutout of an event list as a GADF file: the EVENTS rows that pass the
 * selection, streamed batch by batch from the source into the batch writer (memory
 * is one batch, however long the list); GTI intersected with the time window;
 * TSTART/TSTOP, ONTIME and LIVETIME (ONTIME times DEADC) updated together; every other
 * HDU (POINTING, the IRFs) copied byte for byte; HISTORY cards saying what was cut,
 * by whom and when; CHECKSUM/DATASUM on the HDUs written anew.
 */
import { open, rm } from 'node:fs/promises';
import {
  buildBinTable,
  type ColumnDescriptor,
  type ColumnValues,
  createBinTableWriter,
  emptyPrimaryHeader,
  type Header,
  type NumericArray,
  openByteSource,
  type BinTableWriter,
  type WritableHdu,
  type ByteSource,
} from '../fits/index.js';
import {
  type EventBatch,
  EventList,
  type EventQuantity,
  GadfError,
  type GoodTimeIntervals,
  mjdToIso,
} from '../gadf/index.js';
import { SodaError, usageError } from './errors.js';
import type { Interval } from './params.js';
import { regionTest, regionText, type SkyRegion } from './regions.js';
import type { CutoutSources, SourceHdu } from './sources.js';

export interface CutoutSelection {
  /** An event is kept when every region holds it. */
  readonly regions: readonly SkyRegion[];
  /** MJD (UTC). */
  readonly time?: Interval;
  /** Reconstructed energy, TeV. */
  readonly energy?: Interval;
  readonly eventTypes?: readonly number[];
}

/** Who made the cutout, when, of what and how: written as HISTORY cards. */
export interface CutoutRecord {
  readonly software: string;
  readonly date: Date;
  readonly did: string;
  /** The request's parameters as given. */
  readonly parameters: readonly (readonly [string, string])[];
  /** Where the cutout's provenance is (W3C PROV-AQ has_provenance), written as PROV_URL. */
  readonly provenanceUrl?: string;
}

export interface CutoutSummary {
  readonly eventsRead: number;
  readonly eventsKept: number;
  /** Good time intervals of the cutout, seconds since the EVENTS reference epoch (TIMEZERO applied). */
  readonly gtis: readonly (readonly [number, number])[];
  readonly ontime?: number;
  readonly livetime?: number;
}

type Intervals = [number, number][];

const PIECE = 1 << 20;

function numbersOf(values: ColumnValues, column: string): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return Array.from(values, Number);
  }
  if (ArrayBuffer.isView(values))
    return values as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
  throw new SodaError('Error', `column ${column} is not numeric`);
}

/** The values of the selected rows (`rows[0..count)`) of a column of `rowCount` rows. */
function takeRows(
  values: ColumnValues,
  rowCount: number,
  rows: Uint32Array,
  count: number,
): ColumnValues {
  const perRow = rowCount === 0 ? 0 : values.length / rowCount;
  if (ArrayBuffer.isView(values)) {
    const typed = values as NumericArray;
    const Ctor = typed.constructor as new (length: number) => NumericArray;
    const out = new Ctor(count * perRow);
    for (let k = 0; k < count; k++) {
      const from = rows[k]! * perRow;
      if (perRow === 1) out[k] = typed[from]!;
      else
        (out as Float64Array).set(
          (typed as Float64Array).subarray(from, from + perRow),
          k * perRow,
        );
    }
    return out;
  }
  const list = values as readonly unknown[];
  const out: unknown[] = [];
  for (let k = 0; k < count; k++) {
    const from = rows[k]! * perRow;
    for (let j = 0; j < perRow; j++) out.push(list[from + j]);
  }
  return out as ColumnValues;
}

function concatValues(parts: readonly ColumnValues[]): ColumnValues {
  const first = parts[0]!;
  if (!ArrayBuffer.isView(first)) return (parts as unknown[][]).flat() as ColumnValues;
  const Ctor = (first as NumericArray).constructor as new (length: number) => NumericArray;
  const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    (out as Float64Array).set(part as Float64Array, at);
    at += part.length;
  }
  return out;
}

function columnSpec(column: ColumnDescriptor) {
  return {
    name: column.name,
    format: column.tform,
    ...(column.unit !== undefined ? { unit: column.unit } : {}),
    ...(column.dim !== undefined ? { dim: column.dim } : {}),
    ...(column.scale !== 1 ? { scale: column.scale } : {}),
    ...(column.zero !== 0 ? { zero: column.zero } : {}),
    ...(column.nullValue !== undefined ? { nullValue: column.nullValue } : {}),
  };
}

const sum = (intervals: readonly (readonly [number, number])[]): number =>
  intervals.reduce((s, [a, b]) => s + (b - a), 0);

/** Intervals clipped to the window, empty ones dropped; with the source row of each. */
function clip(
  intervals: readonly (readonly [number, number])[],
  window: Interval,
): { kept: Intervals; rows: number[] } {
  const kept: Intervals = [];
  const rows: number[] = [];
  intervals.forEach(([a, b], row) => {
    const lo = Math.max(a, window.lo);
    const hi = Math.min(b, window.hi);
    if (lo < hi) {
      kept.push([lo, hi]);
      rows.push(row);
    }
  });
  return { kept, rows };
}

/** The GTI table holding only the intervals clipped to the window. */
function clippedGtiHdu(
  gti: NonNullable<GoodTimeIntervals['table']>,
  kept: Intervals,
  rows: readonly number[],
  header: Header,
): WritableHdu {
  const pieces = new Map<string, ColumnValues[]>(gti.columns.map((c) => [c.name, []]));
  let first = 0;
  for (const batch of gti.batches) {
    const local = rows
      .filter((r) => r >= first && r < first + batch.rowCount)
      .map((r) => r - first);
    const selected = Uint32Array.from(local);
    for (const column of gti.columns) {
      pieces
        .get(column.name)!
        .push(
          takeRows(batch.column(column.name).values, batch.rowCount, selected, selected.length),
        );
    }
    first += batch.rowCount;
  }
  return buildBinTable({
    name: header.getString('EXTNAME') ?? 'GTI',
    columns: gti.columns.map((column) => {
      const upper = column.name.toUpperCase();
      const values =
        upper === 'START' || upper === 'STOP'
          ? Float64Array.from(kept, ([a, b]) => gti.storedOf(upper === 'START' ? a : b))
          : concatValues(pieces.get(column.name)!);
      return { ...columnSpec(column), values };
    }),
    header: header.cards,
    rowCount: kept.length,
  });
}

/** DATE-OBS/TIME-OBS (or DATE-END/TIME-END) for a time, in the form the header uses. */
function setCalendarDate(header: Header, date: string, time: string, mjdUtc: number): void {
  if (!header.has(date)) return;
  const iso = mjdToIso(mjdUtc).replace('Z', '');
  const existing = header.getString(date) ?? '';
  if (existing.includes('T') || !header.has(time))
    header.set(date, existing.includes('T') ? iso : iso.slice(0, 10));
  else {
    header.set(date, iso.slice(0, 10));
    header.set(time, iso.slice(11));
  }
}

function setIfPresent(header: Header, keyword: string, value: number): void {
  if (header.has(keyword)) header.set(keyword, value);
}

function describeSelection(selection: CutoutSelection, record: CutoutRecord): string[] {
  const lines = [
    `${record.software} SODA cutout made ${record.date.toISOString().slice(0, 19)} UTC from ${record.did}`,
  ];
  for (const [name, value] of record.parameters) {
    if (name !== 'ID') lines.push(`  ${name}=${value}`);
  }
  for (const region of selection.regions)
    lines.push(`  kept events inside ${regionText(region)} (ICRS deg)`);
  if (selection.energy)
    lines.push(`  kept events with ${selection.energy.lo} <= ENERGY <= ${selection.energy.hi} TeV`);
  if (selection.time) {
    lines.push(
      `  kept events and GTIs within MJD(UTC) ${selection.time.lo} to ${selection.time.hi}; TSTART, TSTOP, ONTIME scaled to the GTIs, LIVETIME = ONTIME * DEADC`,
    );
  }
  lines.push('  IRF and other HDUs copied unchanged');
  return lines;
}

const HISTORY_WIDTH = 72;

/** Adds `text` as HISTORY cards, broken between words; continuation lines are indented. */
function addHistory(header: Header, text: string): void {
  let line = '';
  for (const word of text.split(/(?<=\s)/)) {
    if (line.trim() !== '' && line.length + word.trimEnd().length > HISTORY_WIDTH) {
      header.addHistory(line.trimEnd());
      line = '    ';
    }
    line += word;
  }
  if (line.trim() !== '') header.addHistory(line.trimEnd());
}

type CutBatch = EventBatch<EventQuantity>;
/** A test of one batch's rows against the selection. */
type RowTest = (batch: CutBatch) => (row: number) => boolean;

/** The tests of the selection, and the quantities they need converted. */
function rowTests(
  selection: CutoutSelection,
  list: EventList,
  window: Interval | undefined,
): { tests: RowTest[]; quantities: EventQuantity[] } {
  const tests: RowTest[] = [];
  const quantities: EventQuantity[] = [];
  const need = (...wanted: EventQuantity[]) => {
    for (const q of wanted) {
      try {
        list.require([q]);
      } catch (error) {
        if (error instanceof GadfError) throw new SodaError('Error', error.message);
        throw error;
      }
      quantities.push(q);
    }
  };
  if (selection.regions.length > 0) {
    need('ra', 'dec');
    const inside = selection.regions.map(regionTest);
    tests.push(
      ({ ra, dec }) =>
        (i) =>
          inside.every((test) => test(ra[i]!, dec[i]!)),
    );
  }
  if (window) {
    need('time');
    tests.push(
      ({ time }) =>
        (i) =>
          time[i]! >= window.lo && time[i]! <= window.hi,
    );
  }
  if (selection.energy) {
    need('energy');
    const { lo, hi } = selection.energy;
    tests.push(
      ({ energy }) =>
        (i) =>
          energy[i]! >= lo && energy[i]! <= hi,
    );
  }
  if (selection.eventTypes) {
    const column = list.eventTypes.column;
    if (!column) throw usageError(`EVENT_TYPE: this event list has no EVENT_TYPE column`);
    const wanted = new Set(selection.eventTypes);
    if (column.code === 'X') {
      const bits = column.repeat;
      const indices = [...wanted].filter((t) => t < bits);
      tests.push((batch) => {
        const v = batch.raw.column(column.name).values as Uint8Array;
        return (i) => indices.some((t) => v[i * bits + t] === 1);
      });
    } else if ('BIJK'.includes(column.code) && column.repeat === 1) {
      tests.push((batch) => {
        const v = numbersOf(batch.raw.column(column.name).values, column.name);
        return (i) => wanted.has(v[i]!);
      });
    } else {
      throw usageError(
        `EVENT_TYPE: the EVENT_TYPE column (${column.tform}) is neither an integer nor a bit field`,
      );
    }
  }
  return { tests, quantities };
}

/** Copies HDUs byte for byte to the end of an open file, one source reader per file while it can go on. */
async function appendHdus(target: string, hdus: readonly SourceHdu[]): Promise<void> {
  const out = await open(target, 'a');
  let source: ByteSource | undefined;
  try {
    for (const hdu of hdus) {
      const { headerOffset, hduByteLength } = hdu.summary;
      if (!source || source.path !== hdu.path || source.position > headerOffset) {
        await source?.close();
        source = await openByteSource(hdu.path);
      }
      await source.skip(headerOffset - source.position);
      for (let done = 0; done < hduByteLength;) {
        const piece = await source.read(Math.min(PIECE, hduByteLength - done));
        if (piece.length === 0) {
          throw new SodaError('Error', `${hdu.path} is truncated in HDU ${hdu.summary.index}`);
        }
        await out.write(piece);
        done += piece.length;
      }
    }
  } finally {
    await source?.close();
    await out.close();
  }
}

/** Writes the cutout of `sources` to `target` (a new file). */
export async function writeCutout(
  sources: CutoutSources,
  selection: CutoutSelection,
  record: CutoutRecord,
  target: string,
): Promise<CutoutSummary> {
  const where = `${sources.events.path} (HDU ${sources.events.summary.index})`;
  const at = (hdu: SourceHdu) => ({ path: hdu.path, hdu: hdu.summary.index });
  let list: EventList;
  try {
    list = await EventList.open(at(sources.events), {
      ...(sources.gti ? { gti: at(sources.gti) } : {}),
    });
  } catch (error) {
    if (error instanceof GadfError) throw new SodaError('Error', `${where}: ${error.message}`);
    throw error;
  }
  let writer: BinTableWriter | undefined;
  try {
    const source = list.header;
    const variable = list.columns.find((c) => c.variable !== undefined);
    if (variable) {
      throw new SodaError(
        'Error',
        `${where}: the variable-length column ${variable.name} cannot be cut`,
        501,
      );
    }
    // The time window in seconds since the reference epoch, as the reader gives times.
    const window: Interval | undefined = selection.time && {
      lo: list.secondsOfMjd(selection.time.lo),
      hi: list.secondsOfMjd(selection.time.hi),
    };

    const header = source.clone();
    const primary = (
      sources.primary.getInteger('NAXIS') === 0 ? sources.primary : emptyPrimaryHeader()
    ).clone();
    const history = describeSelection(selection, record);
    for (const line of history) addHistory(header, line);
    addHistory(primary, `${history[0]}; see the HISTORY of the EVENTS HDU`);
    header.set('DATE', record.date.toISOString().slice(0, 19), 'file creation date (UTC)');
    if (record.provenanceUrl !== undefined) {
      for (const h of [primary, header]) {
        h.set('PROV_URL', record.provenanceUrl, 'W3C PROV-AQ has_provenance of this file');
      }
    }

    const gti = await list.goodTimeIntervals();
    const tstart = list.start;
    const tstop = list.stop;
    const before: readonly (readonly [number, number])[] =
      gti?.intervals ?? (tstart !== undefined && tstop !== undefined ? [[tstart, tstop]] : []);
    let gtis: Intervals = before.map(([a, b]) => [a, b]);
    let ontime = source.getNumber('ONTIME');
    let livetime = source.getNumber('LIVETIME');
    const after: WritableHdu[] = [];
    if (window) {
      const { kept, rows } = clip(before, window);
      gtis = kept;
      const deadc =
        source.getNumber('DEADC') ?? (ontime && livetime !== undefined ? livetime / ontime : 1);
      const total = sum(before);
      ontime = total > 0 ? (ontime ?? total) * (sum(kept) / total) : 0;
      livetime = ontime * deadc;
      header.set('ONTIME', ontime);
      header.set('LIVETIME', livetime);
      if (tstart !== undefined && tstop !== undefined) {
        const start = Math.min(Math.max(tstart, window.lo), tstop);
        const stop = Math.max(Math.min(tstop, window.hi), start);
        header.set('TSTART', list.stored(start));
        header.set('TSTOP', list.stored(stop));
        setIfPresent(header, 'TELAPSE', list.stored(stop) - list.stored(start));
        setCalendarDate(header, 'DATE-OBS', 'TIME-OBS', list.mjd(start));
        setCalendarDate(header, 'DATE-END', 'TIME-END', list.mjd(stop));
      }
      if (gti?.table) {
        const table = gti.table;
        const gtiHeader = table.header.clone();
        const [first] = kept;
        const last = kept[kept.length - 1];
        if (first && last) {
          setIfPresent(gtiHeader, 'TSTART', table.storedOf(first[0]));
          setIfPresent(gtiHeader, 'TSTOP', table.storedOf(last[1]));
        }
        addHistory(
          gtiHeader,
          `${history[0]}: intervals clipped to MJD(UTC) ${selection.time!.lo} to ${selection.time!.hi}`,
        );
        after.push(clippedGtiHdu(table, kept, rows, gtiHeader));
      }
    }

    const { tests, quantities } = rowTests(selection, list, window);
    writer = await createBinTableWriter(
      target,
      {
        name: source.getString('EXTNAME') ?? 'EVENTS',
        columns: list.columns.map(columnSpec),
        header: header.cards,
      },
      { primary, after, checksum: true },
    );
    let eventsRead = 0;
    for await (const batch of list.batches(quantities, { allColumns: true })) {
      const row = tests.map((test) => test(batch));
      const keep = new Uint32Array(batch.count);
      let count = 0;
      for (let i = 0; i < batch.count; i++) if (row.every((passes) => passes(i))) keep[count++] = i;
      eventsRead += batch.count;
      if (count === 0) continue;
      await writer.writeRows(
        list.columns.map((c) =>
          takeRows(batch.raw.column(c.name).values, batch.count, keep, count),
        ),
      );
    }
    const eventsKept = writer.rowsWritten;
    await writer.close();
    writer = undefined;
    try {
      await appendHdus(target, [...(gti && !window ? [sources.gti!] : []), ...sources.carried]);
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
    return {
      eventsRead,
      eventsKept,
      gtis,
      ...(ontime !== undefined ? { ontime } : {}),
      ...(livetime !== undefined ? { livetime } : {}),
    };
  } finally {
    await writer?.abort();
  }
}
