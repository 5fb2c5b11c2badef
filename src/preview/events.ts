/**
 * What a preview needs from an event list file (EVENTS with GTI and maybe POINTING
 * HDUs, as DataLink's `#this` product holds them), through the gadf module's one
 * event-list reader: who, where and when from the headers, the good time intervals,
 * and the events in batches, so that a list of any length passes through in
 * constant memory.
 */
import { EventList, GadfError, type TimeReference } from '../gadf/index.js';

/** The event list cannot be previewed: says which file and what is missing. */
export class PreviewError extends Error {
  constructor(message: string, path?: string) {
    super(path === undefined ? message : `${path}: ${message}`);
    this.name = 'PreviewError';
  }
}

export interface EventListInfo {
  readonly path: string;
  readonly obsId?: string;
  /** OBJECT of the EVENTS header. */
  readonly target?: string;
  readonly telescope?: string;
  /** Pointing direction (deg); for observations without one, the mean direction of the events. */
  readonly raPnt: number;
  readonly decPnt: number;
  readonly timeRef: TimeReference;
  /** Seconds since the reference epoch (TIMEZERO applied). */
  readonly tstart: number;
  readonly tstop: number;
  /** Good time intervals, seconds since the EVENTS reference epoch, in time order. */
  readonly gtis: readonly (readonly [number, number])[];
  readonly eventCount: number;
  readonly events: EventList;
}

/** One batch of events: directions (deg), energies (TeV), times (s since the reference). */
export interface EventBatch {
  readonly count: number;
  readonly ra: ArrayLike<number>;
  readonly dec: ArrayLike<number>;
  readonly energy: ArrayLike<number>;
  readonly time: ArrayLike<number>;
}

/** Reads the headers, GTIs and pointing of an event list file. */
export async function readEventListInfo(path: string): Promise<EventListInfo> {
  try {
    const events = await EventList.openFile(path);
    events.require();
    const fixed = await events.pointing();
    // A drift scan or survey has no pointing: the map is centred where its events are.
    const pointing = fixed.mode === 'fixed' ? fixed : await events.footprint();
    if (!pointing) {
      throw new PreviewError('no pointing (RA_PNT/DEC_PNT, a POINTING HDU) and no events', path);
    }
    const gtis = [...(await events.intervals())]
      .filter(([a, b]) => b > a)
      .sort((a, b) => a[0] - b[0]);
    if (gtis.length === 0) {
      throw new PreviewError('no good time interval (GTI, TSTART/TSTOP)', path);
    }
    const header = events.header;
    const obsId = events.obsId;
    const target = header.getString('OBJECT')?.trim();
    const telescope = header.getString('TELESCOP')?.trim();
    return {
      path,
      ...(obsId !== undefined ? { obsId } : {}),
      ...(target ? { target } : {}),
      ...(telescope ? { telescope } : {}),
      raPnt: pointing.ra,
      decPnt: pointing.dec,
      timeRef: events.time.reference,
      tstart: events.start ?? gtis[0]![0],
      tstop: events.stop ?? gtis[gtis.length - 1]![1],
      gtis,
      eventCount: events.rowCount,
      events,
    };
  } catch (error) {
    if (error instanceof GadfError) throw new PreviewError(error.message);
    throw error;
  }
}

/** The events in batches. Each call reads the events again. */
export async function* eventBatches(info: EventListInfo): AsyncGenerator<EventBatch> {
  yield* info.events.batches(['ra', 'dec', 'energy', 'time']);
}

/** MJD (UTC) of seconds since the reference epoch of the event list. */
export function mjdOf(info: EventListInfo, seconds: number): number {
  return info.events.mjd(seconds);
}
