/**
 * The coverage of what the catalog publishes, as MOCs: per observation a space MOC of
 * its field of view (s_region) and a time MOC of its good time intervals (t_intervals);
 * per collection and for the whole service their unions and their space-time MOC, with
 * the energy range, the messengers and the date of the last change, which the registry
 * records describe.
 * Computed from the catalog when asked and kept until the catalog changes, in memory and
 * in the catalog (coverage-cache.ts), so that the next start need not compute it again.
 */
import { createHash } from 'node:crypto';
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import {
  ingestStateTable,
  obscoreHeaTable,
  obscoreTable,
  withdrawnObservationTable,
} from '../obscore/schema.js';
import { columnDef, type TableDef, tableColumns } from '../schema/types.js';
import { lazyMocFile, type MocFile, spaceMocFile, spaceTimeMocFile, timeMocFile } from './files.js';
import { type MocLibrary, mocLibrary, type SpaceMoc } from './library.js';
import { asciiCellRanges } from '../adql/index.js';
import { cellRangesMoc, coarserCellRanges, SpaceCellSet } from './space-cells.js';
import {
  buildSpaceTimeMoc,
  slabSpans,
  SPACE_TIME_MOC_SPACE_DEPTH,
  type SpanSlab,
  SpanSlabBuilder,
} from './space-time-moc.js';
import { normalizeRanges, timeRangesFromAscii, type TimeRanges } from './time-moc.js';
import { startModuleWorker } from '../service/index.js';
import { loadCoverage, type StoredCoverage, storeCoverage } from './coverage-cache.js';

/** HEALPix order of the space MOCs: cells of about 3.4 arcmin, well under a field of view. */
export const SPACE_MOC_DEPTH = 10;

/**
 * The space MOC of each observation, written by ingest in the transaction that writes
 * its ObsCore row, so that a coverage is a union of stored cells (never published).
 */
export const observationCoverageTable: TableDef = {
  schema: 'hearc_internal',
  name: 'observation_coverage',
  description: 'The space MOC of each observation (ASCII, MOC 2.0, order 10).',
  columns: [
    columnDef('obs_publisher_did', 'char', 'Dataset identifier.', { nullable: false }),
    columnDef('space_moc', 'char', 'The field of view as an ASCII MOC.', {
      xtype: 'moc',
      nullable: false,
    }),
  ],
  primaryKey: ['obs_publisher_did'],
  foreignKeys: [
    {
      targetTable: 'ivoa.obscore',
      columns: [{ from: 'obs_publisher_did', target: 'obs_publisher_did' }],
      description: 'The observation covered.',
    },
  ],
};

/**
 * The collections whose coverage (and so registry record) has been told of the public,
 * and since when each is not any more: a collection withdrawn whole or made all
 * proprietary (hidden metadata) then gets an OAI-PMH deleted record, so that harvesters
 * drop it; one that was never public is never named.
 */
export const registryToldTable: TableDef = {
  schema: 'hearc_internal',
  name: 'registry_told',
  description: 'Collections told of in the registry records, and when each stopped being told of.',
  columns: [
    columnDef('collection', 'char', 'The collection (obs_collection).', { nullable: false }),
    columnDef('told_at', 'char', 'When its record was first told of (ISO 8601, UTC).', {
      nullable: false,
    }),
    columnDef('gone_at', 'char', 'When its record stopped being told of, or NULL while it is.'),
  ],
  primaryKey: ['collection'],
};

/** The longest the MOCs of rows without stored ones are computed before the server answers others. */
const YIELD_AFTER_MS = 20;

/** The columns a coverage reads: whole ObsCore rows of a large catalog would take gigabytes. */
const COVERAGE_OBSCORE = tableColumns(obscoreTable, [
  'obs_publisher_did',
  'obs_collection',
  'em_min',
  'em_max',
]);
const COVERAGE_HEA = tableColumns(obscoreHeaTable, [
  'obs_publisher_did',
  't_intervals',
  'messenger',
]);
/** What the space MOC of an observation is made from (rowMoc). */
const FIELD_OF_VIEW = tableColumns(obscoreTable, ['obs_publisher_did', 's_region', 's_fov']);

/** DIDs per transaction when computed space MOCs are stored, and per read of missing ones. */
const STORE_CHUNK = 5000;

/** What a coverage tells besides its MOCs. */
interface CoverageFacts {
  readonly observations: number;
  /** Merged good time intervals, depth-61 ticks (TCB). */
  readonly timeRanges: TimeRanges;
  /** The widest wavelength range of the observations (em_min, em_max), m. */
  readonly wavelength?: readonly [number, number];
  /** Messenger particles ('photon', 'neutrino', ...), sorted. */
  readonly messengers: readonly string[];
  /** When the first and the newest observations were ingested (ISO 8601); undefined when empty. */
  readonly created?: string;
  readonly updated?: string;
  /** The space MOC degraded to REGISTRY_MOC_DEPTH, in ASCII: small enough for a registry record. */
  readonly spaceSummary: string;
}

/** What one collection (or the whole service) covers. */
export interface Coverage extends CoverageFacts {
  readonly space: MocFile;
  readonly time: MocFile;
  /** The sky observed at each time (MOC 2.0 STMOC), built when first asked for. */
  readonly spaceTime: MocFile;
}

/** HEALPix order of the coverage in registry records (cells of about 0.9 deg). */
export const REGISTRY_MOC_DEPTH = 6;

export interface CatalogCoverage {
  /** A digest of the catalog's state: it changes when observations are ingested or withdrawn. */
  readonly state: string;
  readonly collections: ReadonlyMap<string, Coverage>;
  readonly service: Coverage;
  /**
   * Collections told of with withdrawn observations, and when the last of them was
   * withdrawn (ISO 8601); and collections once told of and now gone, with when (withdrawn
   * whole: the withdrawal; all hidden: when seen). Those absent from `collections` are
   * gone: their records are deleted ones.
   */
  readonly withdrawn: ReadonlyMap<string, string>;
}

export interface ObservationMocs {
  readonly did: string;
  readonly space: MocFile;
  readonly time: MocFile;
  readonly spaceTime: MocFile;
}

export interface CoverageCatalogOptions {
  /** How long a computed coverage is served before the catalog's state is checked again (default 5 s). */
  readonly recheckMs?: number;
  /** IVOA identifiers of the service and of its collections, for MOCID. */
  readonly identifiers?: CoverageIdentifiers;
  /**
   * The observations the public may not know of now (hidden proprietary metadata): left
   * out of every coverage. Read with the catalog's state, so a release shows on the next check.
   */
  readonly hidden?: () => Promise<ReadonlySet<string>>;
  /**
   * Told when what a coverage computed could not be stored in the catalog (a read-only
   * one): the space MOCs of rows without a stored one, the coverage kept for the next
   * start, the notes of collections told of. Serving goes on without them.
   */
  readonly onStoreError?: (error: unknown) => void;
  /** Called when a coverage computed differs from the one before (not for the first). */
  readonly onChange?: (coverage: CatalogCoverage) => void;
}

const text = (value: SqlValue | undefined): string | undefined =>
  value === null || value === undefined ? undefined : String(value);
const finite = (value: SqlValue | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function isoDate(value: SqlValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The field of view of an ObsCore row as polygon vertices, or undefined when it has none. */
function regionOf(row: CatalogRow): Float64Array | undefined {
  const region = row.s_region;
  if (!Array.isArray(region) || region.length < 6 || region.length % 2 !== 0) return undefined;
  return Float64Array.from(region as readonly number[]);
}

/** The space MOC of one field of view. */
export function fieldOfViewMoc(library: MocLibrary, vertices: Float64Array): SpaceMoc {
  return library.MOC.fromPolygon(SPACE_MOC_DEPTH, vertices, false);
}

/**
 * The space MOC of an ObsCore row: its s_region polygon; the whole sky when it has none
 * but a field of view of 360° (all-sky samples, e.g. neutrino seasons); else none.
 */
function rowMoc(library: MocLibrary, row: CatalogRow): SpaceMoc | undefined {
  const region = regionOf(row);
  if (region) return fieldOfViewMoc(library, region);
  const fov = finite(row.s_fov);
  if (fov !== undefined && fov >= 360)
    return library.MOC.fromZone(SPACE_MOC_DEPTH, 0, -90, 360, 90);
  return undefined;
}

interface Accumulator {
  observations: number;
  rows: CatalogRow[];
  /** The good time intervals of each row, in the order of `rows`. */
  rowTimes: TimeRanges[];
  /** What the rows cover in time and space, once their space MOCs are known. */
  spans: SpanSlab[];
  ranges: (readonly [bigint, bigint])[];
  emMin: number;
  emMax: number;
  messengers: Set<string>;
  created?: string;
  updated?: string;
}

function emptyAccumulator(): Accumulator {
  return {
    observations: 0,
    rows: [],
    rowTimes: [],
    spans: [],
    ranges: [],
    emMin: Infinity,
    emMax: -Infinity,
    messengers: new Set(),
  };
}

/** What the accumulations cover together (their rows left out, their spans kept). */
function joinAccumulators(parts: readonly Accumulator[]): Accumulator {
  const all = emptyAccumulator();
  for (const part of parts) {
    all.observations += part.observations;
    for (const slab of part.spans) all.spans.push(slab);
    for (const range of part.ranges) all.ranges.push(range);
    all.emMin = Math.min(all.emMin, part.emMin);
    all.emMax = Math.max(all.emMax, part.emMax);
    for (const messenger of part.messengers) all.messengers.add(messenger);
    if (part.created !== undefined && !(all.created !== undefined && all.created <= part.created)) {
      all.created = part.created;
    }
    if (part.updated !== undefined && !(all.updated !== undefined && all.updated >= part.updated)) {
      all.updated = part.updated;
    }
  }
  return all;
}

/** The union of flat [start, end) cell ranges at SPACE_MOC_DEPTH as files, made when asked. */
function spaceCoverageFile(
  library: MocLibrary,
  cells: Uint32Array,
  id: string | undefined,
): MocFile {
  let file: MocFile | undefined;
  const whole = (): MocFile => {
    if (file) return file;
    const moc = cellRangesMoc(library, cells, SPACE_MOC_DEPTH);
    try {
      return (file = spaceMocFile(moc, id));
    } finally {
      moc.free();
    }
  };
  return lazyMocFile({
    fits: () => whole().fits,
    json: () => whole().json,
    ascii: () => whole().ascii,
  });
}

/** The registry's summary of a space coverage: its cells widened to REGISTRY_MOC_DEPTH, ASCII. */
function spaceSummary(library: MocLibrary, cells: Uint32Array): string {
  const coarse = coarserCellRanges(cells, SPACE_MOC_DEPTH, REGISTRY_MOC_DEPTH);
  const summary = cellRangesMoc(library, coarse, REGISTRY_MOC_DEPTH);
  try {
    const ascii = String(summary.toAscii()).trim();
    return ascii.includes('/') ? ascii : `${REGISTRY_MOC_DEPTH}/`;
  } finally {
    summary.free();
  }
}

/**
 * What the coverage of a collection or of the service is made from: the catalog keeps
 * it between starts (coverage-cache.ts), its MOC files are made from it when asked.
 */
export interface CoverageParts extends CoverageFacts {
  /** The sky covered: flat [start, end) cell ranges at SPACE_MOC_DEPTH. */
  readonly cells: Uint32Array;
  /** What the observations cover, for the space-time MOC: the service's are its collections' in turn. */
  readonly spans: readonly SpanSlab[];
}

/** The parts of every collection's coverage and of the service's. */
export interface CoverageSummary {
  readonly collections: ReadonlyMap<string, CoverageParts>;
  readonly service: CoverageParts;
}

/** The parts of an accumulation whose space is `cells` (flat ranges at SPACE_MOC_DEPTH). */
function partsOf(library: MocLibrary, cells: Uint32Array, acc: Accumulator): CoverageParts {
  return {
    observations: acc.observations,
    cells,
    timeRanges: normalizeRanges(acc.ranges),
    ...(acc.emMin <= acc.emMax ? { wavelength: [acc.emMin, acc.emMax] as const } : {}),
    messengers: [...acc.messengers].sort(),
    ...(acc.created !== undefined ? { created: acc.created } : {}),
    ...(acc.updated !== undefined ? { updated: acc.updated } : {}),
    spaceSummary: spaceSummary(library, cells),
    spans: acc.spans,
  };
}

/** A coverage from its parts, its MOC files made when first asked for. */
function coverageOf(library: MocLibrary, parts: CoverageParts, id: string | undefined): Coverage {
  const { cells, spans, ...rest } = parts;
  return {
    ...rest,
    space: spaceCoverageFile(library, cells, id),
    time: timeMocFile(parts.timeRanges, id),
    spaceTime: spaceTimeMocFile(() => buildSpaceTimeMoc(slabSpans(spans)), id),
  };
}

/** The coverages of a summary's parts. */
function summaryCoverage(
  library: MocLibrary,
  summary: CoverageSummary,
  ids?: CoverageIdentifiers,
): Omit<CatalogCoverage, 'state' | 'withdrawn'> {
  const collections = new Map<string, Coverage>();
  for (const [name, parts] of summary.collections) {
    collections.set(name, coverageOf(library, parts, ids?.collection(name)));
  }
  return { collections, service: coverageOf(library, summary.service, ids?.service()) };
}

/** Identifiers of the service and its collections, for MOCID. */
export interface CoverageIdentifiers {
  service(): string;
  collection(name: string): string;
}

/**
 * The space MOC of an ObsCore row as the catalog stores it beside the row (ASCII, MOC
 * 2.0, at SPACE_MOC_DEPTH): computed once, at ingest; undefined when the row covers nothing.
 */
export function observationSpaceMoc(library: MocLibrary, row: CatalogRow): string | undefined {
  const moc = rowMoc(library, row);
  if (!moc) return undefined;
  try {
    return String(moc.toAscii()).trim();
  } finally {
    moc.free();
  }
}

/**
 * The coverage of ObsCore rows (with their ivoa.obscore_hea rows and ingest dates):
 * each field of view's cells (`stored` space MOCs by DID, computed for rows without one),
 * unions per collection, the service's as their union.
 */
export function summariseCoverage(
  library: MocLibrary,
  obscore: readonly CatalogRow[],
  hea: readonly CatalogRow[],
  ingested: ReadonlyMap<string, string>,
  ids?: CoverageIdentifiers,
  stored: ReadonlyMap<string, string | ArrayLike<number>> = new Map(),
): Omit<CatalogCoverage, 'state' | 'withdrawn'> {
  return summaryCoverage(library, summariseParts(library, obscore, hea, ingested, stored), ids);
}

/** The parts of the coverage of ObsCore rows (summariseCoverage). */
function summariseParts(
  library: MocLibrary,
  obscore: readonly CatalogRow[],
  hea: readonly CatalogRow[],
  ingested: ReadonlyMap<string, string>,
  stored: ReadonlyMap<string, string | ArrayLike<number>>,
): CoverageSummary {
  const heaByDid = new Map(hea.map((row) => [String(row.obs_publisher_did), row]));
  const byCollection = new Map<string, Accumulator>();
  for (const row of obscore) {
    const did = String(row.obs_publisher_did);
    const collection = String(row.obs_collection);
    let acc = byCollection.get(collection);
    if (!acc) byCollection.set(collection, (acc = emptyAccumulator()));
    acc.rows.push(row);
    const heaRow = heaByDid.get(did);
    const intervals = text(heaRow?.t_intervals);
    const times = intervals !== undefined ? timeRangesFromAscii(intervals) : [];
    for (const range of times) acc.ranges.push(range);
    acc.rowTimes.push(times);
    const messenger = text(heaRow?.messenger);
    const [emMin, emMax] = [finite(row.em_min), finite(row.em_max)];
    const updated = ingested.get(did) || undefined;
    acc.observations++;
    if (emMin !== undefined) acc.emMin = Math.min(acc.emMin, emMin);
    if (emMax !== undefined) acc.emMax = Math.max(acc.emMax, emMax);
    if (messenger) acc.messengers.add(messenger);
    if (updated && (acc.updated === undefined || updated > acc.updated)) acc.updated = updated;
    if (updated && (acc.created === undefined || updated < acc.created)) acc.created = updated;
  }
  const collections = new Map<string, CoverageParts>();
  const cells = new SpaceCellSet(SPACE_MOC_DEPTH);
  const serviceCells = new SpaceCellSet(SPACE_MOC_DEPTH);
  const sorted = [...byCollection].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, acc] of sorted) {
    cells.clear();
    // Kept until a space-time MOC is asked for: coarse cells, not the ASCII (250 MB at 1e5).
    const spans = new SpanSlabBuilder();
    acc.rows.forEach((row, i) => {
      const moc = stored.get(String(row.obs_publisher_did)) ?? observationSpaceMoc(library, row);
      const ranges = typeof moc === 'string' ? asciiCellRanges(moc, SPACE_MOC_DEPTH) : moc;
      if (ranges) {
        cells.add(ranges);
        const sky = coarserCellRanges(ranges, SPACE_MOC_DEPTH, SPACE_TIME_MOC_SPACE_DEPTH);
        spans.add(acc.rowTimes[i] ?? [], sky);
      }
    });
    acc.spans.push(spans.slab());
    const union = cells.ranges();
    serviceCells.add(union);
    collections.set(name, partsOf(library, union, acc));
  }
  const all = joinAccumulators(sorted.map(([, acc]) => acc));
  return { collections, service: partsOf(library, serviceCells.ranges(), all) };
}

/** `coverage` updated at `at` when that is later than its last ingest. */
function changedAt(coverage: Coverage, at: string | undefined): Coverage {
  if (at === undefined || (coverage.updated !== undefined && coverage.updated >= at)) {
    return coverage;
  }
  return { ...coverage, updated: at };
}

/**
 * The registry_told rows to write for the collections told of now, and the collections
 * that are not told of any more, with when they stopped (`now` for those stopping now).
 */
function toldNotes(
  rows: readonly CatalogRow[],
  collections: ReadonlyMap<string, unknown>,
  now: string,
): { gone: Map<string, string>; changed: CatalogRow[] } {
  const known = new Set<string>();
  const gone = new Map<string, string>();
  const changed: CatalogRow[] = [];
  for (const row of rows) {
    const name = String(row.collection);
    const goneAt = text(row.gone_at);
    known.add(name);
    if (collections.has(name)) {
      if (goneAt !== undefined) changed.push({ ...row, gone_at: null });
    } else {
      gone.set(name, goneAt ?? now);
      if (goneAt === undefined) changed.push({ ...row, gone_at: now });
    }
  }
  for (const name of collections.keys()) {
    if (!known.has(name)) changed.push({ collection: name, told_at: now, gone_at: null });
  }
  return { gone, changed };
}

/** The space MOCs of ObsCore rows (observationSpaceMoc) computed on a worker thread, a batch at a time. */
class SpaceMocThread {
  private readonly worker = startModuleWorker(import.meta.url, 'space-moc-worker');

  /** The ASCII space MOC of each row that covers some sky, by DID. */
  spaceMocs(rows: readonly CatalogRow[]): Promise<[string, string][]> {
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const onMessage = (answer: { mocs?: [string, string][]; error?: string }): void => {
        settle();
        if (answer.mocs) resolve(answer.mocs);
        else reject(new Error(`the space MOCs were not computed: ${answer.error ?? 'no answer'}`));
      };
      const onError = (error: unknown): void => {
        settle();
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const onExit = (code: number): void => {
        settle();
        reject(new Error(`the space MOC thread stopped (exit code ${code})`));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(
        rows.map((row) => ({
          obs_publisher_did: row.obs_publisher_did,
          s_region: row.s_region,
          s_fov: row.s_fov,
        })),
      );
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export class CoverageCatalog {
  private cached: { checkedAt: number; coverage: Promise<CatalogCoverage> } | undefined;
  private readonly recheckMs: number;

  constructor(
    private readonly engine: Engine,
    private readonly options: CoverageCatalogOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? 5000;
  }

  /**
   * The digest of the catalog's state, the ingest date of each observation and the date
   * of the last withdrawal in each collection.
   */
  private async state(): Promise<{
    digest: string;
    ingested: Map<string, string>;
    withdrawn: Map<string, string>;
    hidden: ReadonlySet<string>;
  }> {
    const [rows, withdrawals, hidden] = await Promise.all([
      this.engine.selectRows(ingestStateTable),
      this.engine.selectRows(withdrawnObservationTable),
      this.options.hidden?.() ?? new Set<string>(),
    ]);
    const ingested = new Map<string, string>();
    const withdrawn = new Map<string, string>();
    const lines: string[] = [];
    for (const row of rows) {
      const did = String(row.obs_publisher_did);
      const at = isoDate(row.ingested_at) ?? '';
      ingested.set(did, at);
      lines.push(`${did}\t${text(row.fingerprint) ?? ''}\t${at}`);
    }
    for (const row of withdrawals) {
      const collection = String(row.obs_collection);
      const at = isoDate(row.withdrawn_at) ?? '';
      if (at > (withdrawn.get(collection) ?? '')) withdrawn.set(collection, at);
      lines.push(`withdrawn\t${String(row.obs_publisher_did)}\t${at}`);
    }
    for (const did of hidden) lines.push(`hidden\t${did}`);
    const digest = createHash('sha256').update(lines.sort().join('\n')).digest('hex');
    return { digest: digest.slice(0, 32), ingested, withdrawn, hidden };
  }

  /**
   * The coverage of the catalog as it is now (recomputed only when its state changed).
   * `fresh` reads the state now and vouches for no later call: the next one reads the
   * state again, and reuses this coverage when nothing changed.
   */
  async current(options: { fresh?: boolean } = {}): Promise<CatalogCoverage> {
    const cached = this.cached;
    if (cached && options.fresh !== true && Date.now() - cached.checkedAt < this.recheckMs) {
      return cached.coverage;
    }
    const checkedAt = options.fresh === true ? -Infinity : Date.now();
    const state = await this.state();
    const previous = await cached?.coverage.catch(() => undefined);
    if (previous?.state === state.digest) {
      this.cached = { checkedAt, coverage: Promise.resolve(previous) };
      return previous;
    }
    const coverage = this.compute(state.digest, state.ingested, state.withdrawn, state.hidden);
    this.cached = { checkedAt, coverage };
    coverage.then(
      (computed) => {
        if (previous !== undefined) this.options.onChange?.(computed);
      },
      () => {
        if (this.cached?.coverage === coverage) this.cached = undefined;
      },
    );
    return coverage;
  }

  private async compute(
    state: string,
    ingested: ReadonlyMap<string, string>,
    withdrawn: ReadonlyMap<string, string>,
    hidden: ReadonlySet<string>,
  ): Promise<CatalogCoverage> {
    const library = await mocLibrary();
    const stored =
      (await loadCoverage(this.engine, state)) ?? (await this.summarise(state, ingested, hidden));
    const summary = summaryCoverage(library, stored.summary, this.options.identifiers);
    // A withdrawal changes what a collection and the service cover: their dates follow it.
    const collections = new Map(
      [...summary.collections].map(([name, c]) => [name, changedAt(c, withdrawn.get(name))]),
    );
    // A collection whose observations are all hidden is not told of, withdrawals included.
    const hiddenCollections = new Set(stored.hiddenCollections);
    // Withdrawals date the collections told of; gone collections are deleted records only
    // if their records were told of once (a collection never public is never named),
    // dated by the withdrawal when withdrawn whole, else when seen gone.
    const told = new Map([...withdrawn].filter(([name]) => collections.has(name)));
    const withdrawnWhole = new Map(
      [...withdrawn].filter(([name]) => !collections.has(name) && !hiddenCollections.has(name)),
    );
    for (const [name, goneAt] of await this.recordTold(collections, withdrawnWhole)) {
      told.set(name, withdrawnWhole.get(name) ?? goneAt);
    }
    const lastWithdrawal = [...told.values()].sort().at(-1);
    return {
      state,
      collections,
      service: changedAt(summary.service, lastWithdrawal),
      withdrawn: told,
    };
  }

  /**
   * The coverage of the catalog in state `state` computed from its rows and their stored
   * space MOCs (those missing are computed and stored), then stored in the catalog for
   * the next start; a failure to store either goes to onStoreError.
   */
  private async summarise(
    state: string,
    ingested: ReadonlyMap<string, string>,
    hidden: ReadonlySet<string>,
  ): Promise<StoredCoverage> {
    const library = await mocLibrary();
    const [obscore, hea] = await Promise.all([
      this.engine.selectRows(COVERAGE_OBSCORE),
      this.engine.selectRows(COVERAGE_HEA),
    ]);
    const visible = obscore.filter((row) => !hidden.has(String(row.obs_publisher_did)));
    const spaceMocs: Map<string, string | Uint32Array> = await this.storedCells(
      new Set(visible.map((row) => String(row.obs_publisher_did))),
    );
    const computed = await this.computeMissingMocs(visible, spaceMocs);
    for (const [did, ascii] of computed) spaceMocs.set(did, ascii);
    const summary = summariseParts(library, visible, hea, ingested, spaceMocs);
    if (computed.size > 0) await this.storeComputed(computed);
    const hiddenCollections = [...new Set(obscore.map((row) => String(row.obs_collection)))].filter(
      (name) => !summary.collections.has(name),
    );
    const stored = { summary, hiddenCollections };
    await storeCoverage(this.engine, state, stored).catch((error: unknown) =>
      this.options.onStoreError?.(error),
    );
    return stored;
  }

  /**
   * Notes in the catalog which collections are told of now and which stopped being told
   * of (now, unless noted before); returns those that stopped, with when. When the notes
   * cannot be written (a read-only catalog), the error goes to onStoreError and the notes
   * as they were are used.
   */
  private async recordTold(
    collections: ReadonlyMap<string, unknown>,
    withdrawnWhole: ReadonlyMap<string, string>,
  ): Promise<ReadonlyMap<string, string>> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      // A catalog from before the notes: collections already withdrawn whole were told of.
      const existed = await this.engine.selectRows(registryToldTable).then(
        () => true,
        () => false,
      );
      await this.engine.ensureTables([registryToldTable]);
      return await this.engine.transaction(async (tx) => {
        if (!existed && withdrawnWhole.size > 0) {
          await tx.insertRows(
            registryToldTable,
            [...withdrawnWhole].map(([name, at]) => ({
              collection: name,
              told_at: at,
              gone_at: at,
            })),
          );
        }
        const notes = toldNotes(await tx.selectRows(registryToldTable), collections, now);
        if (notes.changed.length > 0) {
          const names = notes.changed.map((row) => String(row.collection));
          await tx.deleteRows(registryToldTable, 'collection', names);
          await tx.insertRows(registryToldTable, notes.changed);
        }
        return notes.gone;
      });
    } catch (error) {
      this.options.onStoreError?.(error);
      const rows = await this.engine.selectRows(registryToldTable).catch(() => []);
      return toldNotes(rows, collections, now).gone;
    }
  }

  /**
   * The space MOCs of the rows that have none stored, from their fields of view read a
   * chunk at a time and computed a few at a time, so that a server keeps answering
   * meanwhile (minutes for 1e5 rows written without them).
   */
  /**
   * The stored space MOCs of these observations as cell ranges (order 10), streamed a
   * batch at a time: the ASCII of 1e5 of them is 250 MB, which reading them as rows held
   * at once (and left the database's result memory behind).
   */
  private async storedCells(dids: ReadonlySet<string>): Promise<Map<string, Uint32Array>> {
    const cursor = await this.engine.streamRows(observationCoverageTable);
    const cells = new Map<string, Uint32Array>();
    let since = performance.now();
    try {
      for await (const batch of cursor.columnBatches()) {
        const [ids, mocs] = batch.columns as [readonly unknown[], readonly unknown[]];
        for (let i = 0; i < batch.rowCount; i++) {
          const did = String(ids[i]);
          if (!dids.has(did)) continue;
          cells.set(did, Uint32Array.from(asciiCellRanges(String(mocs[i]), SPACE_MOC_DEPTH)));
        }
        if (performance.now() - since > YIELD_AFTER_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          since = performance.now();
        }
      }
    } finally {
      await cursor.close();
    }
    return cells;
  }

  private async computeMissingMocs(
    rows: readonly CatalogRow[],
    stored: ReadonlyMap<string, unknown>,
  ): Promise<Map<string, string>> {
    const missing = rows.map((row) => String(row.obs_publisher_did)).filter((d) => !stored.has(d));
    const computed = new Map<string, string>();
    if (missing.length === 0) return computed;
    // On a thread of their own: the server answers meanwhile, and moc-wasm's memory goes with it.
    const thread = new SpaceMocThread();
    try {
      for (let start = 0; start < missing.length; start += STORE_CHUNK) {
        const fields = await this.engine.selectRows(FIELD_OF_VIEW, {
          column: 'obs_publisher_did',
          values: missing.slice(start, start + STORE_CHUNK),
        });
        for (const [did, ascii] of await thread.spaceMocs(fields)) computed.set(did, ascii);
      }
    } finally {
      await thread.close();
    }
    return computed;
  }

  /**
   * Stores the space MOCs a coverage had to compute (rows written before MOCs were stored
   * at ingest, or by other tools), so that the next start unions stored cells. Best
   * effort: rows stored meanwhile (by an ingest) are kept, and a failure is only reported.
   */
  private async storeComputed(computed: ReadonlyMap<string, string>): Promise<void> {
    const dids = [...computed.keys()];
    // Chunks: a bound parameter per DID stays under PostgreSQL's limit, and work done sticks.
    for (let start = 0; start < dids.length; start += STORE_CHUNK) {
      const chunk = dids.slice(start, start + STORE_CHUNK);
      try {
        await this.engine.transaction(async (tx) => {
          const present = await tx.selectRows(observationCoverageTable, {
            column: 'obs_publisher_did',
            values: chunk,
          });
          const known = new Set(present.map((row) => String(row.obs_publisher_did)));
          const rows = chunk
            .filter((did) => !known.has(did))
            .map((did) => ({ obs_publisher_did: did, space_moc: computed.get(did) ?? '' }));
          if (rows.length > 0) await tx.insertRows(observationCoverageTable, rows);
        });
      } catch (error) {
        this.options.onStoreError?.(error);
        return;
      }
    }
  }

  /** The MOCs of one observation, or undefined when the collection has no such observation. */
  async observation(collection: string, obsId: string): Promise<ObservationMocs | undefined> {
    const rows = await this.engine.selectRows(obscoreTable, { column: 'obs_id', values: [obsId] });
    const row = rows
      .filter((r) => r.obs_collection === collection)
      .sort((a, b) => String(a.obs_publisher_did).localeCompare(String(b.obs_publisher_did)))[0];
    if (!row) return undefined;
    const did = String(row.obs_publisher_did);
    const [hea] = await this.engine.selectRows(obscoreHeaTable, {
      column: 'obs_publisher_did',
      values: [did],
    });
    const [stored] = await this.engine.selectRows(observationCoverageTable, {
      column: 'obs_publisher_did',
      values: [did],
    });
    const library = await mocLibrary();
    const moc =
      (stored ? library.MOC.fromAscii(String(stored.space_moc)) : rowMoc(library, row)) ??
      library.MOC.newEmpty(SPACE_MOC_DEPTH);
    try {
      const intervals = text(hea?.t_intervals);
      const time = intervals !== undefined ? timeRangesFromAscii(intervals) : [];
      const space = spaceMocFile(moc, did);
      const span = { time, space: space.ascii };
      return {
        did,
        space,
        time: timeMocFile(time, did),
        spaceTime: spaceTimeMocFile(() => buildSpaceTimeMoc([span]), did),
      };
    } finally {
      moc.free();
    }
  }
}
