/**
 * The coincidence service: DALI parameters (ALERT with BEFORE/AFTER, or POS and TIME for an
 * ad-hoc region) in, the coincident observations out, with the caller's rights applied:
 * observations the caller may not read are counted, never named.
 */
import {
  alertsTable,
  discMap,
  findAlertRevision,
  loadLocalisation,
  type ProbabilityMap,
} from '../alerts/index.js';
import { DaliError, DaliParameters } from '../dali/index.js';
import type { Engine } from '../engine/index.js';
import { tableColumns } from '../schema/types.js';
import { parseInterval, parsePos } from '../soda/index.js';
import type { CoincidenceCatalog } from './catalog.js';
import { type Coincidence, type CoincidenceWindow, searchCoincidences } from './search.js';

/** Days searched before and after the event when BEFORE / AFTER are not given. */
export const DEFAULT_BEFORE_DAYS = 1;
export const DEFAULT_AFTER_DAYS = 1;
/** Longest window searched, days. */
export const MAX_WINDOW_DAYS = 3660;

export interface CoincidenceQuery {
  /** What is searched: an alert (and revision) or an ad-hoc region. */
  readonly alertId?: string;
  readonly revision?: number;
  /** With an alert: names its stored map for good, the key of its kept index. */
  readonly mapKey?: string;
  /** The localisation; an alert's is read from the catalog only when its index is not kept. */
  readonly map: ProbabilityMap | (() => Promise<ProbabilityMap>);
  readonly window: CoincidenceWindow;
}

export interface CoincidenceResult {
  readonly query: CoincidenceQuery;
  /** What the caller may see, most probable first. */
  readonly visible: readonly Coincidence[];
  /** Coincident observations the caller may not read. */
  readonly hidden: number;
}

const bad = (message: string): DaliError => new DaliError(400, message);

function days(params: DaliParameters, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > MAX_WINDOW_DAYS) {
    throw bad(`${name} must be a number of days from 0 to ${MAX_WINDOW_DAYS}, not '${text}'`);
  }
  return value;
}

/** The query the parameters ask for (alerts are read from the catalog). */
export async function coincidenceQuery(
  engine: Engine,
  params: DaliParameters,
): Promise<CoincidenceQuery> {
  const before = days(params, 'BEFORE', DEFAULT_BEFORE_DAYS);
  const after = days(params, 'AFTER', DEFAULT_AFTER_DAYS);
  const alertId = params.get('ALERT')?.trim();
  const revisionText = params.get('REVISION');
  if (alertId) {
    if (params.has('POS')) throw bad('give ALERT or POS, not both');
    const revision = revisionText === undefined ? undefined : Number(revisionText);
    if (revision !== undefined && !Number.isInteger(revision)) {
      throw bad(`REVISION must be an integer, not '${revisionText}'`);
    }
    const alert = await findAlertRevision(engine, alertId, revision);
    if (!alert) {
      throw new DaliError(
        404,
        `no alert '${alertId}'${revision !== undefined ? ` revision ${revision}` : ''} in hearc.alerts`,
      );
    }
    const noMap = bad(
      `alert '${alertId}' revision ${alert.revision} has no localisation (no error region or map): search it with POS and TIME`,
    );
    if (!alert.localised) throw noMap;
    return {
      alertId,
      revision: alert.revision,
      mapKey: `${alertId}\n${alert.revision}\n${alert.ingestedAt}`,
      map: async () => {
        const map = await loadLocalisation(engine, alertId, alert.revision);
        if (!map) throw noMap;
        return map;
      },
      window: { tEvent: params.has('TIME') ? timeOf(params).tEvent : alert.tEvent, before, after },
    };
  }
  const pos = params.get('POS');
  if (pos === undefined) throw bad('give ALERT=<alert_id> (see hearc.alerts), or POS and TIME');
  const region = parsePos(pos);
  if (region.kind !== 'circle') throw bad('POS takes a CIRCLE (ra dec radius, deg) here');
  if (!params.has('TIME')) throw bad('POS needs TIME: the event time (MJD) or an interval');
  const time = timeOf(params);
  return {
    map: discMap(region.ra, region.dec, region.radius),
    window: time.interval
      ? {
          tEvent: time.tEvent,
          before: time.tEvent - time.interval.lo,
          after: time.interval.hi - time.tEvent,
        }
      : { tEvent: time.tEvent, before, after },
  };
}

/** TIME: one MJD (the event), or an interval searched around its middle. */
function timeOf(params: DaliParameters): {
  tEvent: number;
  interval?: { lo: number; hi: number };
} {
  const text = (params.get('TIME') ?? '').trim();
  const parts = text.split(/\s+/);
  if (parts.length === 1) {
    const t = Number(text);
    if (text === '' || !Number.isFinite(t))
      throw bad(`TIME must be an MJD or an interval, not '${text}'`);
    return { tEvent: t };
  }
  const interval = parseInterval(text, 'TIME');
  if (!Number.isFinite(interval.lo) || !Number.isFinite(interval.hi)) {
    throw bad('TIME must be a finite interval (MJD MJD) for a coincidence search');
  }
  return { tEvent: (interval.lo + interval.hi) / 2, interval };
}

/**
 * Runs the search; `readable` is the rights gate over the coincident datasets (which of
 * them the caller may read), asked once for the whole answer.
 */
export async function runCoincidence(
  catalog: CoincidenceCatalog,
  query: CoincidenceQuery,
  readable: (dids: readonly string[]) => Promise<ReadonlySet<string>>,
): Promise<CoincidenceResult> {
  const found = searchCoincidences(
    await catalog.skyIndexOf(query.map, query.mapKey),
    await catalog.fieldsOfView(),
    query.window,
  );
  const allowed = await readable(found.map((c) => c.observation.did));
  const visible = found.filter((c) => allowed.has(c.observation.did));
  return { query, visible, hidden: found.length - visible.length };
}

/** The gate of a caller who may read everything published (the operator's CLI). */
export const everyoneReads = async (dids: readonly string[]): Promise<ReadonlySet<string>> =>
  new Set(dids);

/**
 * Searches a newly stored alert once, for nobody: its skymap index and its probability
 * in each field of view are kept by `catalog`, so the first request asking for it is as
 * fast as a repeated one. An alert without a localisation is left alone.
 */
export async function prepareCoincidence(
  engine: Engine,
  catalog: CoincidenceCatalog,
  alertId: string,
): Promise<void> {
  let query: CoincidenceQuery;
  try {
    query = await coincidenceQuery(engine, new DaliParameters([['ALERT', alertId]]));
  } catch (error) {
    // Not stored (withdrawn meanwhile) or not localised: nothing to prepare.
    if (error instanceof DaliError) return;
    throw error;
  }
  if (query.mapKey !== undefined && !catalog.firstPreparation(query.mapKey)) return;
  await runCoincidence(catalog, query, everyoneReads);
}

/** An alert's revisions as the catalog lists them (its stored documents left out). */
const ALERT_REVISIONS = tableColumns(alertsTable, ['alert_id', 'revision']);

/**
 * Prepares (as prepareCoincidence) each alert revision stored after it starts, however it
 * came (the /alerts feed, `hearc alerts ingest` through the server's admin socket, another
 * process on a PostgreSQL catalog): the catalog's alerts are looked at every `everyMs`.
 * `ready` settles once the alerts already stored are noted, with how many revisions they
 * are (undefined when they could not be read); `stop` ends the watch once a look under
 * way has finished.
 */
export function watchNewAlerts(
  engine: Engine,
  catalog: CoincidenceCatalog,
  options: {
    readonly everyMs?: number;
    readonly onError: (error: unknown) => void;
    /** Told of each alert prepared. */
    readonly onPrepared?: (alertId: string) => void;
  },
): { readonly ready: Promise<number | undefined>; stop(): Promise<void> } {
  // The revisions seen; the first look only notes them: alerts stored before are not new.
  let seen: Set<string> | undefined;
  let running = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  const look = async (): Promise<number> => {
    const fresh = new Set<string>();
    const now = new Set<string>();
    const cursor = await engine.streamRows(ALERT_REVISIONS);
    try {
      for await (const batch of cursor) {
        for (const [id, revision] of batch) {
          const key = `${String(id)}\n${String(revision)}`;
          now.add(key);
          if (seen !== undefined && !seen.has(key)) fresh.add(String(id));
        }
      }
    } finally {
      await cursor.close();
    }
    seen = now;
    for (const id of fresh) {
      await prepareCoincidence(engine, catalog, id);
      options.onPrepared?.(id);
    }
    return now.size;
  };
  const tick = (): Promise<number | undefined> => {
    if (running) return Promise.resolve(undefined);
    running = true;
    const looked = look()
      .catch((error: unknown) => void options.onError(error))
      .finally(() => {
        running = false;
      });
    inFlight = looked;
    return looked;
  };
  const ready = tick();
  const timer = setInterval(() => void tick(), options.everyMs ?? 5000);
  timer.unref();
  // Stopped, the watch has no query left running: the engine may be closed after it.
  const stop = async (): Promise<void> => {
    clearInterval(timer);
    await inFlight;
  };
  return { ready, stop };
}
