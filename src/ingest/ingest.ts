/**
 * `hearc ingest`: reads a GADF data store and writes its observations into the
 * catalog, all in one transaction per run. Unchanged observations are skipped (a
 * fingerprint of their files and of the publishing settings is kept), broken ones are
 * reported and left out, and an interrupted run leaves the catalog as it was.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { CatalogRow, Engine } from '../engine/types.js';
import { type ObservationEntry, openDataStore, type StoreProblem } from '../gadf/datastore.js';
import { loadObservation } from '../gadf/observation.js';
import { type PublishConfig, publisherDid } from '../obscore/config.js';
import { observationRows, type ObservationRows } from '../obscore/rows.js';
import {
  catalogTables,
  ingestStateTable,
  irfTable,
  obscoreHeaTable,
  obscoreTable,
} from '../obscore/schema.js';

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
}

/** Digest of what an observation's rows are made from: its files and the publishing settings. */
async function fingerprintOf(entry: ObservationEntry, config: PublishConfig): Promise<string> {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({ config, index: entry.index ?? null }, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v,
    ),
  );
  for (const hdu of entry.hdus) {
    const info = await stat(hdu.path).catch(() => undefined);
    hash.update(
      `${hdu.type}|${hdu.hduClass}|${hdu.hduName}|${hdu.relativePath}|${info?.size ?? -1}|${info?.mtimeMs ?? -1}\n`,
    );
  }
  return hash.digest('hex');
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

  // One transaction for the whole run, written observation by observation so that
  // memory stays flat however large the store is.
  await engine.transaction(async (tx) => {
    for (const entry of store.observations) {
      const did = publisherDid(config, entry.obsId);
      const fingerprint = await fingerprintOf(entry, config);
      if (known.get(did) === fingerprint) {
        unchanged.push(entry.obsId);
        options.onObservation?.(entry.obsId, 'unchanged');
        continue;
      }
      let rows: ObservationRows;
      let files: readonly string[];
      try {
        const summary = await loadObservation(entry);
        bytesRead += summary.files.reduce((sum, f) => sum + f.size, 0);
        rows = observationRows(summary, config);
        files = summary.files.map((f) => f.relativePath);
      } catch (err) {
        failed.push({
          obsId: entry.obsId,
          path: entry.hdus[0]?.path,
          message: err instanceof Error ? err.message : String(err),
        });
        options.onObservation?.(entry.obsId, 'failed');
        continue;
      }
      if (known.has(did)) {
        // Children first, so that foreign keys never point at a missing row.
        for (const table of [irfTable, obscoreHeaTable, obscoreTable, ingestStateTable]) {
          await tx.deleteRows(table, 'obs_publisher_did', [did]);
        }
      }
      await tx.insertRows(obscoreTable, [rows.obscore]);
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
      (known.has(did) ? updated : added).push(entry.obsId);
      options.onObservation?.(entry.obsId, 'read');
    }
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
