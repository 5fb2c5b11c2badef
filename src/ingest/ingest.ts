/**
 * `hearc ingest`: reads a GADF data store and writes its observations into the
 * catalog, all in one transaction per run. Unchanged observations are skipped (a
 * fingerprint of their files and of the publishing settings is kept), broken ones are
 * reported and left out, and an interrupted run leaves the catalog as it was.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { type ObservationRights, rightsAtIngest } from '../auth/rights.js';
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import {
  loadObservation,
  type ObservationEntry,
  openDataStore,
  type StoreProblem,
} from '../gadf/index.js';
import { type PublishConfig, publisherDid } from '../obscore/config.js';
import { observationRows, type ObservationRows } from '../obscore/rows.js';
import { ingestStateTable, irfTable, obscoreHeaTable, obscoreTable } from '../obscore/schema.js';
import {
  agentsOf,
  datasetProvenance,
  ProvenanceBatch,
  type ProvGraph,
} from '../provenance/index.js';
import { loadServiceDescription, type ServiceDescription } from '../service/index.js';
import { catalogTables } from './catalog.js';

export interface IngestFailure {
  readonly obsId?: string;
  readonly path?: string;
  readonly message: string;
}

export interface IngestReport {
  readonly root: string;
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  readonly failed: readonly IngestFailure[];
  readonly warnings: readonly StoreProblem[];
  /** Bytes of the data files read for the added and updated observations. */
  readonly bytesRead: number;
}

export interface IngestOptions {
  /** Called after each observation is read (for progress output). */
  readonly onObservation?: (obsId: string, outcome: 'read' | 'unchanged' | 'failed') => void;
  /** Who publishes (provenance agents and software; default: the built-in description). */
  readonly service?: ServiceDescription;
  /** Record the provenance of each dataset (default true; false only to measure its cost). */
  readonly provenance?: boolean;
}

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

export async function ingestDataStore(
  engine: Engine,
  dir: string,
  config: PublishConfig,
  options: IngestOptions = {},
): Promise<IngestReport> {
  const store = await openDataStore(dir);
  await engine.ensureTables(catalogTables);
  const known = new Map(
    (await engine.selectRows(ingestStateTable)).map((row) => [
      String(row.obs_publisher_did),
      String(row.fingerprint),
    ]),
  );

  const failed: IngestFailure[] = store.problems
    .filter((p) => p.severity === 'error')
    .map((p) => ({ obsId: p.obsId, path: p.path, message: p.message }));
  const warnings = store.problems.filter((p) => p.severity === 'warning');
  const unchanged: string[] = [];
  const added: string[] = [];
  const updated: string[] = [];
  let bytesRead = 0;
  const agents = agentsOf(options.service ?? loadServiceDescription({ env: {} }));
  const configuration = recordedConfiguration(config, store.root);

  /** What reading one observation gave: its rows, or why it failed, or that it is unchanged. */
  type Outcome =
    | { readonly kind: 'unchanged' }
    | { readonly kind: 'failed'; readonly message: string }
    | {
        readonly kind: 'read';
        readonly rows: ObservationRows;
        readonly files: readonly string[];
        readonly bytes: number;
        readonly provenance?: ProvGraph;
      };
  const read = async (entry: ObservationEntry, fingerprint: string): Promise<Outcome> => {
    if (known.get(publisherDid(config, entry.obsId)) === fingerprint) return { kind: 'unchanged' };
    try {
      const startedAt = new Date();
      const summary = await loadObservation(entry);
      const rows = observationRows(summary, config);
      const files = summary.files.map((f) => f.relativePath);
      const provenance =
        options.provenance === false
          ? undefined
          : datasetProvenance(
              {
                did: rows.did,
                collection: config.collection,
                obsId: summary.obsId,
                eventsHeader: summary.eventsHeader,
                files,
                eventsFile: summary.events.relativePath,
                irfs: rows.irf,
                dataRights: config.dataRights,
                configuration,
                startedAt,
                endedAt: new Date(),
              },
              agents,
            );
      return {
        kind: 'read',
        rows,
        files,
        bytes: summary.files.reduce((sum, f) => sum + f.size, 0),
        ...(provenance ? { provenance } : {}),
      };
    } catch (err) {
      return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  };

  // One transaction for the whole run, written observation by observation so that
  // memory stays flat however large the store is; the next few observations are read
  // while one is written, so file reading and the database overlap.
  await engine.transaction(async (tx) => {
    const provenance = new ProvenanceBatch(tx);
    for await (const { entry, fingerprint, outcome } of readAhead(
      store.observations,
      READ_AHEAD,
      async (entry) => {
        const fingerprint = await fingerprintOf(entry, config);
        return { entry, fingerprint, outcome: await read(entry, fingerprint) };
      },
    )) {
      const did = publisherDid(config, entry.obsId);
      if (outcome.kind === 'unchanged') {
        unchanged.push(entry.obsId);
        options.onObservation?.(entry.obsId, 'unchanged');
        continue;
      }
      if (outcome.kind === 'failed') {
        failed.push({ obsId: entry.obsId, path: entry.hdus[0]?.path, message: outcome.message });
        options.onObservation?.(entry.obsId, 'failed');
        continue;
      }
      const { rows, files } = outcome;
      bytesRead += outcome.bytes;
      if (known.has(did)) {
        // Children first, so that foreign keys never point at a missing row.
        for (const table of [irfTable, obscoreHeaTable, obscoreTable, ingestStateTable]) {
          await tx.deleteRows(table, 'obs_publisher_did', [did]);
        }
      }
      // Rights from the configuration, unless an operator set this observation's rights.
      const rights = await rightsAtIngest(tx, configuredRights(did, rows.obscore, config), {
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
      const state: CatalogRow = {
        obs_publisher_did: did,
        data_store: store.root,
        fingerprint,
        files: JSON.stringify(files),
        ingested_at: new Date(),
      };
      await tx.insertRows(ingestStateTable, [state]);
      if (outcome.provenance) await provenance.add(outcome.provenance, known.has(did));
      (known.has(did) ? updated : added).push(entry.obsId);
      options.onObservation?.(entry.obsId, 'read');
    }
    await provenance.flush();
  });

  return {
    root: store.root,
    added,
    updated,
    unchanged,
    failed,
    warnings,
    bytesRead,
  };
}
