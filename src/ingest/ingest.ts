/**
 * `hearc ingest`: reads a GADF data store and writes its observations into the
 * catalog, all in one transaction per run. Unchanged observations are skipped (a
 * fingerprint of their files and of the publishing settings is kept), broken ones are
 * reported and left out, and an interrupted run leaves the catalog as it was.
 */
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import { type ObservationRights, rightsAtIngest } from '../auth/rights.js';
import {
  type CatalogRow,
  type Engine,
  keepsOrderByRewrite,
  type SqlValue,
  type StorageOrdered,
} from '../engine/index.js';
import {
  eventsTable,
  orderEventsIfDue,
  recordAppendedEvents,
  withEventWriter,
} from '../events/index.js';
import {
  checkEventsHeader,
  type DataStore,
  isNeutrinoRelease,
  openNeutrinoRelease,
  writeNeutrinoStore,
  type ObservationReading,
  type ObservationSummary,
  readObservation,
  type MissingFile,
  type ObservationEntry,
  openDataStores,
  type StoreProblem,
} from '../gadf/index.js';
import { mocLibrary, observationCoverageTable, observationSpaceMoc } from '../moc/index.js';
import { collectionFromName, type PublishConfig, publisherDid } from '../obscore/config.js';
import { observationRows } from '../obscore/rows.js';
import { orderObscoreIfDue, recordAppendedObservations } from '../obscore/order.js';
import {
  ingestStateTable,
  irfTable,
  obscoreHeaTable,
  obscoreTable,
  withdrawnObservationTable,
} from '../obscore/schema.js';
import { agentsOf, datasetProvenance, ProvenanceBatch } from '../provenance/index.js';
import { loadServiceDescription, type ServiceDescription } from '../service/index.js';
import { catalogTables, servedCatalog } from './catalog.js';

export interface IngestFailure {
  readonly obsId?: string;
  readonly path?: string;
  readonly message: string;
}

export type ObservationStatus = 'added' | 'updated' | 'unchanged' | 'skipped' | 'failed';

/** What became of one observation (of one store, one event class). */
export interface ObservationOutcome {
  /** The store's name in the tree ('' when the tree holds one store). */
  readonly store: string;
  readonly collection: string;
  readonly obsId: string;
  readonly did: string;
  readonly status: ObservationStatus;
  /** The event file, relative to the root. */
  readonly path?: string;
  /** Why it was skipped or failed. */
  readonly reason?: string;
  /** What a reader should know although it was published (missing IRF files, ...). */
  readonly notes?: readonly string[];
  /** The format of the event file, when it is not the store's. */
  readonly formatVersion?: string;
}

/** One data store of the tree, as published. */
export interface StoreOutcome {
  readonly name: string;
  readonly collection: string;
  /** The hdu-index file relative to the root, with the table number when it holds several. */
  readonly index?: string;
  readonly eventClass?: string;
  readonly formatVersion?: string;
  readonly missingFiles: readonly MissingFile[];
}

export interface IngestReport {
  readonly root: string;
  readonly stores: readonly StoreOutcome[];
  /** Every observation of every store, in the order read. */
  readonly observations: readonly ObservationOutcome[];
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  /** Observations left out on purpose (their event file is missing). */
  readonly skipped: readonly IngestFailure[];
  readonly failed: readonly IngestFailure[];
  readonly warnings: readonly StoreProblem[];
  /** What `hearc validate` would say of the published event lists, counted by finding. */
  readonly validation: readonly ValidationFinding[];
  /** Bytes of the data files read for the added and updated observations. */
  readonly bytesRead: number;
  /**
   * hearc.events rewritten in global cell order after the ingest, because the events
   * appended since the last rewrite had doubled it (DuckDB); or why that failed (the
   * ingest stands, and the next ingest or `hearc events cluster` tries again).
   */
  readonly eventsOrdered?: StorageOrdered | { readonly failed: string };
  /**
   * ivoa.obscore rewritten in sky order after the ingest, because it is kept so (since a
   * `hearc obscore cluster`) and the rows appended since the last rewrite had doubled it
   * (DuckDB); or why that failed (the ingest stands, and the command tries again).
   */
  readonly obscoreOrdered?: StorageOrdered | { readonly failed: string };
  /**
   * Why the planner's statistics of the published tables were not brought up to date
   * after the observations added or updated (Engine.refreshStatistics); the ingest stands.
   */
  readonly statisticsFailed?: string;
}

export interface ValidationFinding {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** How many published observations it concerns. */
  readonly observations: number;
}

export interface IngestOptions {
  /** Called after each observation is read (for progress output). */
  readonly onObservation?: (obsId: string, outcome: 'read' | 'unchanged' | 'failed') => void;
  /** Who publishes (provenance agents and software; default: the built-in description). */
  readonly service?: ServiceDescription;
  /** Record the provenance of each dataset (default true; false only to measure its cost). */
  readonly provenance?: boolean;
  /** Events held to be clustered by cell before they are appended (default CLUSTER_ROWS). */
  readonly eventBufferRows?: number;
  /** ObsCore rows appended before ivoa.obscore may be rewritten in sky order (default OBSCORE_ORDER_MIN_ROWS). */
  readonly obscoreOrderRows?: number;
  /**
   * Read and sort events on a thread of their own while this one appends them (default:
   * with two cores or more, when the event files hold more than THREAD_BYTES).
   */
  readonly eventThread?: boolean;
}

/** Event files large enough for a thread of their own to pay for its start. */
export const THREAD_BYTES = 32 * 2 ** 20;

/** Whether these observations' event files are worth a writer thread (sizes read until they are). */
async function worthAThread(entries: readonly ObservationEntry[]): Promise<boolean> {
  if (availableParallelism() < 2) return false;
  let bytes = 0;
  for (const entry of entries) {
    const events = entry.hdus.find((h) => h.type === 'events');
    if (events) bytes += (await stat(events.path).catch(() => undefined))?.size ?? 0;
    if (bytes > THREAD_BYTES) return true;
  }
  return false;
}

/** The folder of a neutrino release that holds its FITS form (one GADF-like file per season). */
export const NEUTRINO_STORE_DIR = 'hearc-gadf';

/** The ingest settings a dataset's provenance records. */
function recordedConfiguration(config: PublishConfig, root: string): Record<string, string> {
  return {
    authority: config.authority,
    collection: config.collection,
    data_rights: config.dataRights,
    access_mode: config.accessMode,
    data_store: root.split('/').filter(Boolean).pop() ?? root,
    ...(config.ownerGroup !== undefined ? { owner_group: config.ownerGroup } : {}),
    ...(config.proprietaryMonths !== undefined
      ? { proprietary_months: String(config.proprietaryMonths) }
      : {}),
    ...(config.releaseDate !== undefined ? { release_date: config.releaseDate.toISOString() } : {}),
    ...(config.messenger !== undefined ? { messenger: config.messenger } : {}),
  };
}

/**
 * The server serves only files inside the data store (no link leads out of it), so a
 * file that is a symbolic link to somewhere else is refused here, not 404 when asked for.
 */
async function checkInsideStore(root: string, relativePaths: readonly string[]): Promise<void> {
  const realRoot = await realpath(root);
  for (const path of relativePaths) {
    const real = await realpath(join(root, path));
    const rel = relative(realRoot, real);
    if (rel.startsWith('..') || rel.startsWith(sep) || rel === '') {
      throw new Error(
        `${path} is a symbolic link to ${real}, outside the data store ${root}: hearc serves only files inside the store; copy the file in, or ingest the folder that holds it`,
      );
    }
  }
}

/** Digest of what an observation's rows are made from: its files and the publishing settings. */
async function fingerprintOf(entry: ObservationEntry, config: PublishConfig): Promise<string> {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({ config, index: entry.index ?? null }, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v,
    ),
  );
  // One stat per file: an observation's HDUs mostly share one file.
  const infos = new Map<string, Awaited<ReturnType<typeof stat>> | undefined>();
  for (const path of new Set(entry.hdus.map((h) => h.path))) {
    infos.set(path, await stat(path).catch(() => undefined));
  }
  for (const hdu of entry.hdus) {
    const info = infos.get(hdu.path);
    hash.update(
      `${hdu.type}|${hdu.hduClass}|${hdu.hduName}|${hdu.relativePath}|${info?.size ?? -1}|${info?.mtimeMs ?? -1}\n`,
    );
  }
  return hash.digest('hex');
}

/** Observations read ahead of the one being written. */
const READ_AHEAD = 4;

/** Maps items through `work`, in order, with up to `depth` of them in progress at once. */
async function* readAhead<T, R>(
  items: readonly T[],
  depth: number,
  work: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  while (next < items.length || pending.length > 0) {
    while (next < items.length && pending.length < depth) {
      const promise = work(items[next++] as T);
      promise.catch(() => undefined); // awaited below, in order
      pending.push(promise);
    }
    yield await (pending.shift() as Promise<R>);
  }
}

function configuredRights(
  did: string,
  obscore: CatalogRow,
  config: PublishConfig,
): ObservationRights {
  const release: SqlValue | undefined = obscore.obs_release_date;
  return {
    did,
    dataRights: config.dataRights,
    ...(release instanceof Date ? { releaseDate: release } : {}),
    ...(config.ownerGroup !== undefined ? { ownerGroup: config.ownerGroup } : {}),
  };
}

/** The collection of a store of the tree: the configured one, suffixed with the store's name when there are several. */
export function collectionOfStore(config: PublishConfig, store: Pick<DataStore, 'name'>): string {
  return store.name === ''
    ? config.collection
    : collectionFromName(`${config.collection}-${store.name}`);
}

function relativeTo(root: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') ? path : rel.split(sep).join('/');
}

export async function ingestDataStore(
  engine: Engine,
  dir: string,
  config: PublishConfig,
  options: IngestOptions = {},
): Promise<IngestReport> {
  // A neutrino release (text or JSON tables) is published through its FITS form, written beside it.
  const neutrino = (await isNeutrinoRelease(dir))
    ? await writeNeutrinoStore(await openNeutrinoRelease(dir), join(dir, NEUTRINO_STORE_DIR))
    : undefined;
  const tree = await openDataStores(neutrino?.dir ?? dir);
  await engine.ensureTables(catalogTables);
  const known = new Map(
    (await engine.selectRows(ingestStateTable)).map((row) => [
      String(row.obs_publisher_did),
      String(row.fingerprint),
    ]),
  );
  // Withdrawn observations published again: their provenance records are still there.
  const withdrawn = new Set(
    (await engine.selectRows(withdrawnObservationTable)).map((row) =>
      String(row.obs_publisher_did),
    ),
  );

  const problems = [
    ...(neutrino?.notes ?? []).map((message): StoreProblem => ({ severity: 'warning', message })),
    ...tree.problems,
    ...tree.stores.flatMap((s) => s.problems),
  ];
  const failed: IngestFailure[] = problems
    .filter((p) => p.severity === 'error')
    .map((p) => ({ obsId: p.obsId, path: relativeTo(tree.root, p.path), message: p.message }));
  const warnings = problems
    .filter((p) => p.severity === 'warning')
    .map((p) =>
      p.path === undefined ? p : { ...p, path: relativeTo(tree.root, p.path) as string },
    );
  const unchanged: string[] = [];
  const added: string[] = [];
  const updated: string[] = [];
  const skipped: IngestFailure[] = [];
  const outcomes: ObservationOutcome[] = [];
  const findings = new Map<string, number>();
  let bytesRead = 0;
  const agents = agentsOf(options.service ?? loadServiceDescription({ env: {} }));

  interface Work {
    readonly store: DataStore;
    readonly config: PublishConfig;
    readonly entry: ObservationEntry;
    readonly notes: readonly string[];
  }
  const stores: StoreOutcome[] = [];
  const work: Work[] = [];
  for (const store of tree.stores) {
    const collection = collectionOfStore(config, store);
    const storeConfig = { ...config, collection };
    const index = relativeTo(tree.root, store.hduIndexPath);
    stores.push({
      name: store.name,
      collection,
      ...(index !== undefined
        ? { index: store.eventClass !== undefined ? `${index}[${store.hduIndexHdu}]` : index }
        : {}),
      ...(store.eventClass !== undefined ? { eventClass: store.eventClass } : {}),
      ...(store.formatVersion !== undefined ? { formatVersion: store.formatVersion } : {}),
      missingFiles: store.missingFiles,
    });
    for (const missing of store.missingFiles) {
      if (missing.type !== 'events') continue;
      const reason = `its event file ${missing.relativePath} does not exist`;
      skipped.push({ obsId: missing.obsId, path: missing.relativePath, message: reason });
      outcomes.push({
        store: store.name,
        collection,
        obsId: missing.obsId,
        did: publisherDid(storeConfig, missing.obsId),
        status: 'skipped',
        path: missing.relativePath,
        reason,
      });
    }
    for (const entry of store.observations) {
      const notes = store.missingFiles
        .filter((m) => m.obsId === entry.obsId)
        .map((m) => `${m.type} file ${m.relativePath} does not exist: published without it`);
      work.push({ store, config: storeConfig, entry, notes });
    }
  }

  /** What reading one observation gave: it read but for its events, or why it failed, or that it is unchanged. */
  type Outcome =
    | { readonly kind: 'unchanged' }
    | { readonly kind: 'failed'; readonly message: string }
    | { readonly kind: 'read'; readonly reading: ObservationReading; readonly startedAt: Date };
  const read = async (item: Work, fingerprint: string): Promise<Outcome> => {
    if (known.get(publisherDid(item.config, item.entry.obsId)) === fingerprint)
      return { kind: 'unchanged' };
    try {
      const startedAt = new Date();
      const reading = await readObservation(item.entry);
      await checkInsideStore(
        tree.root,
        reading.files.map((f) => f.relativePath),
      );
      return { kind: 'read', reading, startedAt };
    } catch (err) {
      return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  };
  /** The rows of an observation whose events have all been read, with its provenance and findings. */
  const described = (item: Work, summary: ObservationSummary, startedAt: Date) => {
    const rows = observationRows(summary, item.config);
    const files = summary.files.map((f) => f.relativePath);
    const provenance =
      options.provenance === false
        ? undefined
        : datasetProvenance(
            {
              did: rows.did,
              collection: item.config.collection,
              obsId: summary.obsId,
              eventsHeader: summary.eventsHeader,
              files,
              eventsFile: summary.events.relativePath,
              ...(summary.formatVersion !== undefined ? { format: summary.formatVersion } : {}),
              irfs: rows.irf,
              dataRights: item.config.dataRights,
              configuration: recordedConfiguration(item.config, item.store.root),
              startedAt,
              endedAt: new Date(),
            },
            agents,
          );
    return {
      rows,
      files,
      bytes: summary.files.reduce((sum, f) => sum + f.size, 0),
      notes: summary.notes,
      ...(summary.formatVersion !== undefined ? { formatVersion: summary.formatVersion } : {}),
      findings: checkEventsHeader(
        summary.eventsHeader,
        summary.events.relativePath,
        summary.obsId,
        item.entry.hdus.some((h) => h.type === 'pointing') ||
          (item.entry.index?.RA_PNT != null && item.entry.index.DEC_PNT != null),
      ),
      ...(provenance ? { provenance } : {}),
    };
  };

  // One transaction for the whole run, written observation by observation so that
  // memory stays flat however large the store is; the next few observations are read
  // while one is written, so file reading and the database overlap.
  const library = await mocLibrary();
  const threaded = options.eventThread ?? (await worthAThread(work.map((w) => w.entry)));
  const writing = { threaded, capacity: options.eventBufferRows };
  let appendedEvents = 0;
  await withEventWriter(engine, writing, async (tx, eventWriter) => {
    const provenance = new ProvenanceBatch(tx);
    for await (const { item, fingerprint, outcome } of readAhead(work, READ_AHEAD, async (item) => {
      const fingerprint = await fingerprintOf(item.entry, item.config);
      return { item, fingerprint, outcome: await read(item, fingerprint) };
    })) {
      const { entry, store } = item;
      const did = publisherDid(item.config, entry.obsId);
      const eventsPath = entry.hdus.find((h) => h.type === 'events')?.relativePath;
      const base = {
        store: store.name,
        collection: item.config.collection,
        obsId: entry.obsId,
        did,
        ...(eventsPath !== undefined ? { path: eventsPath } : {}),
        ...(item.notes.length > 0 ? { notes: item.notes } : {}),
      };
      if (outcome.kind === 'unchanged') {
        unchanged.push(entry.obsId);
        outcomes.push({ ...base, status: 'unchanged' });
        options.onObservation?.(entry.obsId, 'unchanged');
        continue;
      }
      if (outcome.kind === 'failed') {
        failed.push({
          obsId: entry.obsId,
          path: eventsPath ?? entry.hdus[0]?.relativePath,
          message: outcome.message,
        });
        outcomes.push({ ...base, status: 'failed', reason: outcome.message });
        options.onObservation?.(entry.obsId, 'failed');
        continue;
      }
      if (known.has(did)) {
        // Children first, so that foreign keys never point at a missing row.
        const tables = [
          eventsTable,
          irfTable,
          obscoreHeaTable,
          observationCoverageTable,
          obscoreTable,
          ingestStateTable,
        ];
        for (const table of tables) {
          await tx.deleteRows(table, 'obs_publisher_did', [did]);
        }
      }
      // Events first, in the one pass that also gives the observation's statistics: an event
      // list that cannot be read (or rows that cannot be made of it) leaves the observation out whole.
      const { reading } = outcome;
      let made: ReturnType<typeof described> | undefined;
      const events = await eventWriter
        .add(entry, did, {
          events: reading.events,
          statistics: reading.statistics,
          after: () => void (made = described(item, reading.summary(), outcome.startedAt)),
        })
        .catch((err: unknown) => err);
      if (events instanceof Error || !made) {
        const error = events instanceof Error ? events : new Error(String(events));
        // Its earlier rows are already gone: end the run, leaving the catalog as it was.
        if (known.has(did)) throw error;
        failed.push({ obsId: entry.obsId, path: entry.hdus[0]?.path, message: error.message });
        options.onObservation?.(entry.obsId, 'failed');
        continue;
      }
      if (typeof events === 'number') appendedEvents += events;
      const { rows, files } = made;
      for (const finding of made.findings) {
        const key = `${finding.severity}\n${finding.message}`;
        findings.set(key, (findings.get(key) ?? 0) + 1);
      }
      bytesRead += made.bytes;
      // Rights from the configuration, unless an operator set this observation's rights.
      const rights = await rightsAtIngest(tx, configuredRights(did, rows.obscore, item.config), {
        by: 'ingest',
        via: 'ingest',
        at: new Date(),
      });
      await tx.insertRows(obscoreTable, [
        {
          ...rows.obscore,
          data_rights: rights.dataRights,
          obs_release_date: rights.releaseDate ?? null,
        },
      ]);
      await tx.insertRows(obscoreHeaTable, [rows.hea]);
      await tx.insertRows(irfTable, rows.irf);
      // The field of view's MOC once, here: coverages are unions of the stored ones.
      const spaceMoc = observationSpaceMoc(library, rows.obscore);
      if (spaceMoc !== undefined) {
        await tx.insertRows(observationCoverageTable, [
          { obs_publisher_did: did, space_moc: spaceMoc },
        ]);
      }
      const state: CatalogRow = {
        obs_publisher_did: did,
        data_store: tree.root,
        fingerprint,
        files: JSON.stringify(files),
        ingested_at: new Date(),
      };
      await tx.insertRows(ingestStateTable, [state]);
      if (withdrawn.has(did)) {
        await tx.deleteRows(withdrawnObservationTable, 'obs_publisher_did', [did]);
      }
      if (made.provenance) {
        await provenance.add(made.provenance, known.has(did) || withdrawn.has(did));
      }
      const status = known.has(did) ? 'updated' : 'added';
      (status === 'updated' ? updated : added).push(entry.obsId);
      const notes = [...item.notes, ...made.notes];
      const format =
        made.formatVersion !== undefined && made.formatVersion !== store.formatVersion
          ? { formatVersion: made.formatVersion }
          : {};
      outcomes.push({ ...base, ...(notes.length > 0 ? { notes } : {}), ...format, status });
      options.onObservation?.(entry.obsId, 'read');
    }
    await provenance.flush();
    await eventWriter.finish();
    if (keepsOrderByRewrite(engine)) {
      await recordAppendedEvents(tx, appendedEvents);
      await recordAppendedObservations(tx, added.length + updated.length);
    }
  });
  const failure = (error: unknown): { failed: string } => ({
    failed: error instanceof Error ? error.message : String(error),
  });
  const eventsOrdered = await orderEventsIfDue(engine, options.eventBufferRows).catch(failure);
  const obscoreOrdered = await orderObscoreIfDue(engine, options.obscoreOrderRows).catch(failure);
  // Queries planned on the tables as they are now, not as they were before the load.
  const statistics =
    added.length + updated.length > 0
      ? await engine.refreshStatistics(servedCatalog.tables).then(() => undefined, failure)
      : undefined;

  return {
    root: tree.root,
    stores,
    observations: outcomes,
    added,
    updated,
    unchanged,
    skipped,
    failed,
    warnings,
    validation: [...findings.entries()].map(([key, observations]) => {
      const [severity, message] = key.split('\n') as ['error' | 'warning', string];
      return { severity, message, observations };
    }),
    bytesRead,
    ...(eventsOrdered ? { eventsOrdered } : {}),
    ...(obscoreOrdered ? { obscoreOrdered } : {}),
    ...(statistics ? { statisticsFailed: statistics.failed } : {}),
  };
}
