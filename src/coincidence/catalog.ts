/**
 * The footprints of the published observations: field of view, GTIs and dead time from the
 * catalog, with their fields of view kept between requests while the catalog is unchanged.
 */
import { createHash } from 'node:crypto';
import type { CatalogRow, Engine } from '../engine/index.js';
import { jdIntervalsOfTimeMoc } from '../moc/index.js';
import { ingestStateTable, obscoreHeaTable, obscoreTable } from '../obscore/schema.js';
import { tableColumns } from '../schema/types.js';
import { FieldsOfView, type ObservationFootprint } from './search.js';
import { SkyIndex } from './sky-index.js';
import type { ProbabilityMap } from '../alerts/index.js';

const MJD_JD = 2400000.5;

/**
 * GTIs in MJD (UTC) from an observation's time MOC (barycentric TCB) moved onto its
 * t_min: the light-time and time-scale offset is constant to milliseconds over a run.
 */
export function gtisOf(row: CatalogRow, timeMoc: string | undefined): [number, number][] {
  const tMin = Number(row.t_min);
  const tMax = Number(row.t_max);
  if (!Number.isFinite(tMin) || !Number.isFinite(tMax)) return [];
  if (timeMoc) {
    try {
      const jd = jdIntervalsOfTimeMoc(timeMoc);
      const first = jd[0];
      if (first) {
        const shift = tMin - (first[0] - MJD_JD);
        return jd.map(([a, b]) => [a - MJD_JD + shift, Math.min(tMax, b - MJD_JD + shift)]);
      }
    } catch {
      // An unreadable MOC: the run's span stands for its GTIs.
    }
  }
  return [[tMin, tMax]];
}

export function footprintOf(row: CatalogRow, timeMoc: string | undefined): ObservationFootprint {
  const polygon = Array.isArray(row.s_region) ? (row.s_region as readonly number[]) : undefined;
  const fov = Number(row.s_fov);
  const deadc = Number(row.deadc);
  return {
    did: String(row.obs_publisher_did),
    obsId: String(row.obs_id),
    ...(polygon ? { polygon } : {}),
    ...(typeof row.s_ra === 'number' ? { ra: row.s_ra } : {}),
    ...(typeof row.s_dec === 'number' ? { dec: row.s_dec } : {}),
    ...(Number.isFinite(fov) && fov > 0 ? { fovRadius: fov / 2 } : {}),
    gtis: gtisOf(row, timeMoc),
    deadc: Number.isFinite(deadc) && deadc > 0 && deadc <= 1 ? deadc : 1,
  };
}

/** What a footprint is made of (whole ObsCore rows of a large catalog would take gigabytes). */
const FOOTPRINT_COLUMNS = tableColumns(obscoreTable, [
  'obs_publisher_did',
  'obs_id',
  's_ra',
  's_dec',
  's_fov',
  's_region',
  't_min',
  't_max',
  'deadc',
]);

/** Every published observation's footprint. */
export async function loadFootprints(engine: Engine): Promise<ObservationFootprint[]> {
  const [rows, hea] = await Promise.all([
    engine.selectRows(FOOTPRINT_COLUMNS),
    engine.selectRows(tableColumns(obscoreHeaTable, ['obs_publisher_did', 't_intervals'])),
  ]);
  const mocs = new Map<string, string>();
  for (const h of hea) {
    if (typeof h.t_intervals === 'string') mocs.set(String(h.obs_publisher_did), h.t_intervals);
  }
  return rows.map((row) => footprintOf(row, mocs.get(String(row.obs_publisher_did))));
}

export interface CoincidenceCatalogOptions {
  /** Indexed alert skymaps kept (default 2: one of 1e6 cells takes about 50 MB). */
  readonly keptSkymaps?: number;
  /** How long, without a write in this process, the catalog's state is trusted before it is read again in the background (default 5 s: writes by other processes; never when the engine counts every write). */
  readonly recheckMs?: number;
}

/** The tables the fields of view are read from: writes to others (the audit trail) keep them. */
const FOOTPRINT_TABLES = [obscoreTable, obscoreHeaTable, ingestStateTable];

/** What changes when an observation is ingested, re-ingested or withdrawn. */
async function catalogState(engine: Engine): Promise<string> {
  const lines = (await engine.selectRows(ingestStateTable)).map(
    (row) =>
      `${String(row.obs_publisher_did)}\t${String(row.fingerprint)}\t${String(row.ingested_at)}`,
  );
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

interface CachedFields {
  readonly state: string;
  readonly fields: Promise<FieldsOfView>;
  /** The commits in this process to the footprints' tables, and the clock when the state was read. */
  readonly commits: number;
  readonly checkedAt: number;
}

/**
 * The catalog as the coincidence search reads it: the observations' fields of view, built
 * again only when the catalog's state changed (read again after a write to its observations
 * in this process, and, when other processes may write it, in the background every
 * `recheckMs`), and
 * the indexes of the last few alert skymaps (an alert revision never changes). Rights
 * are not kept here: the caller's gate judges every answer.
 */
export class CoincidenceCatalog {
  private cached: CachedFields | undefined;
  private rechecking: Promise<void> | undefined;
  private readonly background = new Set<Promise<unknown>>();
  /** By alert id, revision and ingest time, least recently used first. */
  private readonly skymaps = new Map<string, Promise<SkyIndex>>();
  /** Skymap keys searched ahead of any request (prepareCoincidence), the latest few. */
  private readonly prepared = new Set<string>();
  private readonly keptSkymaps: number;
  private readonly recheckMs: number;

  constructor(
    readonly engine: Engine,
    options: CoincidenceCatalogOptions = {},
  ) {
    this.keptSkymaps = options.keptSkymaps ?? 2;
    this.recheckMs = options.recheckMs ?? 5000;
  }

  /**
   * The fields of view of every published observation: as the catalog is now after a
   * write to its observations in this process; else as they were, read again in the
   * background once `recheckMs` has passed when other processes may write the catalog
   * (reading the state of 1e5 observations takes about 0.5 s).
   */
  async fieldsOfView(): Promise<FieldsOfView> {
    const cached = this.cached;
    const commits = this.engine.commitsWriting(FOOTPRINT_TABLES);
    if (cached?.commits !== commits) return this.check(commits);
    // Writes by other processes: none when the engine counts every write (DuckDB).
    const due = !this.engine.countsEveryCommit && Date.now() - cached.checkedAt >= this.recheckMs;
    if (due && !this.rechecking) {
      const recheck = this.inBackground(this.check(commits)).then(
        () => undefined,
        () => undefined,
      );
      this.rechecking = recheck;
      void recheck.finally(() => {
        if (this.rechecking === recheck) this.rechecking = undefined;
      });
    }
    return cached.fields;
  }

  /**
   * Work on the catalog that no request waits for (a recheck, an alert prepared when
   * stored): kept until it ends, so that settled() can wait for it.
   */
  inBackground<T>(work: Promise<T>): Promise<T> {
    this.background.add(work);
    const forget = (): void => void this.background.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Waits for the work begun in the background, so that the engine may be closed after. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private async check(commits: number): Promise<FieldsOfView> {
    const checkedAt = Date.now();
    const state = await catalogState(this.engine);
    const cached = this.cached;
    const fields =
      cached?.state === state
        ? cached.fields
        : loadFootprints(this.engine).then((footprints) => new FieldsOfView(footprints));
    const next = { state, fields, commits, checkedAt };
    this.cached = next;
    fields.catch(() => {
      if (this.cached === next) this.cached = undefined;
    });
    return fields;
  }

  /** True the first time a skymap key is to be prepared, false after (the feed and the watcher both ask). */
  firstPreparation(key: string): boolean {
    if (this.prepared.has(key)) return false;
    this.prepared.add(key);
    for (const old of this.prepared) {
      if (this.prepared.size <= 64) break;
      this.prepared.delete(old);
    }
    return true;
  }

  /**
   * The index of a skymap: with `key` (an alert revision's, which never changes) kept, and
   * the map read and decoded only when its index is not; without a key (an ad-hoc map), not kept.
   */
  async skyIndexOf(
    map: ProbabilityMap | (() => Promise<ProbabilityMap>),
    key?: string,
  ): Promise<SkyIndex> {
    const build = async (): Promise<SkyIndex> =>
      new SkyIndex(typeof map === 'function' ? await map() : map);
    if (key === undefined || this.keptSkymaps <= 0) return build();
    // The promise is kept: requests arriving together read and index the map once.
    const index = this.skymaps.get(key) ?? build();
    this.skymaps.delete(key);
    this.skymaps.set(key, index);
    index.catch(() => {
      if (this.skymaps.get(key) === index) this.skymaps.delete(key);
    });
    for (const old of this.skymaps.keys()) {
      if (this.skymaps.size <= this.keptSkymaps) break;
      this.skymaps.delete(old);
    }
    return index;
  }
}
