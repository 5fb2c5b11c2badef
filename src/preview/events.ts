/**
 * What a preview needs from an event list file (EVENTS with GTI and maybe POINTING
 * HDUs, as DataLink's `#this` product holds them): who, where and when from the
 * headers, the good time intervals, and the events themselves in batches, so that
 * a list of any length passes through in constant memory.
 */
import { type Header, type HduSummary, openBinTableStream, scanHdus } from '../fits/index.js';
import { classifyHdu, parseObsId } from '../gadf/datastore.js';
import { metToMjdUtc, parseTimeScale, type TimeReference } from '../gadf/time.js';

/** The event list cannot be previewed: says which file and what is missing. */
export class PreviewError extends Error {
  constructor(message: string, path: string) {
    super(`${path}: ${message}`);
    this.name = 'PreviewError';
  }
}

export interface EventListInfo {
  readonly path: string;
  readonly obsId?: string;
  /** OBJECT of the EVENTS header. */
  readonly target?: string;
  readonly telescope?: string;
  /** Pointing direction (deg). */
  readonly raPnt: number;
  readonly decPnt: number;
  readonly timeRef: TimeReference;
  /** MET seconds. */
  readonly tstart: number;
  readonly tstop: number;
  /** Good time intervals in MET seconds of the EVENTS time reference, in time order. */
  readonly gtis: readonly (readonly [number, number])[];
  readonly eventCount: number;
  /** Multiply ENERGY by this to get TeV. */
  readonly energyToTeV: number;
  readonly eventsHdu: number;
}

/** One batch of events: directions (deg), energies (TeV), times (MET s). */
export interface EventBatch {
  readonly count: number;
  readonly ra: ArrayLike<number>;
  readonly dec: ArrayLike<number>;
  readonly energy: ArrayLike<number>;
  readonly time: ArrayLike<number>;
}

const SI_PREFIX_TO_TEV: Readonly<Record<string, number>> = {
  P: 1e3,
  T: 1,
  G: 1e-3,
  M: 1e-6,
  k: 1e-9,
  '': 1e-12,
};

/** TeV per unit of an energy unit string such as 'TeV' or 'GeV'; undefined when unknown. */
export function teVPerUnit(unit: string): number | undefined {
  const match = /^([PTGMk]?)eV$/.exec(unit.trim());
  return match ? SI_PREFIX_TO_TEV[match[1]!] : undefined;
}

function numbers(values: unknown, column: string, path: string): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return Float64Array.from(values, Number);
  }
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    return values as unknown as ArrayLike<number>;
  }
  throw new PreviewError(`EVENTS column ${column} is not numeric`, path);
}

function timeReference(header: Header, path: string): TimeReference {
  const mjdRefInt = header.getNumber('MJDREFI');
  const mjdRef = header.getNumber('MJDREF');
  if (mjdRefInt === undefined && mjdRef === undefined) {
    throw new PreviewError('the EVENTS header has no MJDREFI/MJDREFF or MJDREF', path);
  }
  return {
    mjdRefInt: mjdRefInt ?? Math.floor(mjdRef!),
    mjdRefFrac: mjdRefInt !== undefined ? (header.getNumber('MJDREFF') ?? 0) : mjdRef! % 1,
    scale: parseTimeScale(header.getString('TIMESYS'), path),
  };
}

/** Seconds to add to times of `other` to express them on `ref`'s reference epoch. */
function epochShift(ref: TimeReference, other: Header, path: string): number {
  if (!other.has('MJDREFI') && !other.has('MJDREF')) return 0;
  const theirs = timeReference(other, path);
  return (theirs.mjdRefInt - ref.mjdRefInt + (theirs.mjdRefFrac - ref.mjdRefFrac)) * 86400;
}

async function firstRows(
  path: string,
  hdu: number,
  columns: readonly string[],
): Promise<ArrayLike<number>[]> {
  const stream = await openBinTableStream(path, hdu, {
    columns,
    batchRows: Number.MAX_SAFE_INTEGER,
  });
  for await (const batch of stream.batches) {
    return columns.map((c) => numbers(batch.column(c).values, c, path));
  }
  return columns.map(() => []);
}

function hduOfType(hdus: readonly HduSummary[], type: string, obsId: string | undefined) {
  return hdus.find((h) => {
    if (classifyHdu(h.header, h.name)?.type !== type) return false;
    const own = parseObsId(h.header.get('OBS_ID'));
    return own === undefined || obsId === undefined || own === obsId;
  });
}

/** Reads the headers, GTIs and pointing of an event list file; the events are not read. */
export async function readEventListInfo(path: string): Promise<EventListInfo> {
  const hdus = await scanHdus(path);
  const events = hduOfType(hdus, 'events', undefined);
  if (!events) throw new PreviewError('there is no EVENTS HDU', path);
  const header = events.header;
  const obsId = parseObsId(header.get('OBS_ID'));
  const timeRef = timeReference(header, path);

  let raPnt = header.getNumber('RA_PNT');
  let decPnt = header.getNumber('DEC_PNT');
  const pointing = hduOfType(hdus, 'pointing', obsId);
  if ((raPnt === undefined || decPnt === undefined) && pointing) {
    const [ra, dec] = await firstRows(path, pointing.index, ['RA_PNT', 'DEC_PNT']);
    raPnt = ra?.[0];
    decPnt = dec?.[0];
  }
  if (raPnt === undefined || decPnt === undefined) {
    throw new PreviewError('no pointing: neither RA_PNT/DEC_PNT nor a POINTING HDU', path);
  }

  const gtiHdu = hduOfType(hdus, 'gti', obsId);
  const tstart = header.getNumber('TSTART');
  const tstop = header.getNumber('TSTOP');
  let gtis: [number, number][] = [];
  if (gtiHdu) {
    const shift = epochShift(timeRef, gtiHdu.header, path);
    const [starts = [], stops = []] = await firstRows(path, gtiHdu.index, ['START', 'STOP']);
    gtis = Array.from({ length: starts.length }, (_, i): [number, number] => [
      starts[i]! + shift,
      stops[i]! + shift,
    ]).filter(([a, b]) => b > a);
  } else if (tstart !== undefined && tstop !== undefined && tstop > tstart) {
    gtis = [[tstart, tstop]];
  }
  gtis.sort((a, b) => a[0] - b[0]);
  if (gtis.length === 0) throw new PreviewError('no good time interval (GTI, TSTART/TSTOP)', path);

  const energyUnit = eventsColumnUnit(header, 'ENERGY') ?? header.getString('EUNIT') ?? 'TeV';
  const energyToTeV = teVPerUnit(energyUnit);
  if (energyToTeV === undefined) {
    throw new PreviewError(`the energy unit '${energyUnit}' is not an eV multiple`, path);
  }
  const target = header.getString('OBJECT')?.trim();
  const telescope = header.getString('TELESCOP')?.trim();
  return {
    path,
    ...(obsId !== undefined ? { obsId } : {}),
    ...(target ? { target } : {}),
    ...(telescope ? { telescope } : {}),
    raPnt,
    decPnt,
    timeRef,
    tstart: tstart ?? gtis[0]![0],
    tstop: tstop ?? gtis[gtis.length - 1]![1],
    gtis,
    eventCount: header.getInteger('NAXIS2') ?? 0,
    energyToTeV,
    eventsHdu: events.index,
  };
}

function eventsColumnUnit(header: Header, column: string): string | undefined {
  const fields = header.getInteger('TFIELDS') ?? 0;
  for (let i = 1; i <= fields; i++) {
    if (header.getString(`TTYPE${i}`)?.trim().toUpperCase() === column) {
      const unit = header.getString(`TUNIT${i}`)?.trim();
      return unit === '' ? undefined : unit;
    }
  }
  return undefined;
}

/** The events in batches; energies in TeV. Each call reads the file again from the start. */
export async function* eventBatches(info: EventListInfo): AsyncGenerator<EventBatch> {
  const columns = ['RA', 'DEC', 'ENERGY', 'TIME'];
  const stream = await openBinTableStream(info.path, info.eventsHdu, { columns });
  for await (const batch of stream.batches) {
    const [ra, dec, rawEnergy, time] = columns.map((c) =>
      numbers(batch.column(c).values, c, info.path),
    ) as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>, ArrayLike<number>];
    const energy =
      info.energyToTeV === 1
        ? rawEnergy
        : Float64Array.from(rawEnergy, (e) => e * info.energyToTeV);
    yield { count: batch.rowCount, ra, dec, energy, time };
  }
}

/** MJD (UTC) of a MET time of the event list. */
export function mjdOf(info: EventListInfo, seconds: number): number {
  return metToMjdUtc(seconds, info.timeRef);
}
