/** A catalog with two simulated collections near RA=0, one in each hemisphere. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { tempDir } from '../helpers/tmp.js';

export const COLLECTIONS = ['north', 'south'] as const;

/** Ingests (again) the simulated store of `collection`, public; asserts that nothing failed. */
export async function ingestCollection(
  engine: Engine,
  dir: string,
  collection: (typeof COLLECTIONS)[number],
): Promise<void> {
  const report = await ingestDataStore(engine, join(dir, collection), {
    authority: 'test.hearc',
    collection,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
}

/**
 * The catalog file and its engine (open; close it before another process opens the file);
 * the stores are the folders `dir`/north and `dir`/south.
 */
export async function twoCollectionCatalog(
  t: TestContext,
  open?: () => Promise<Engine>,
): Promise<{ db: string; engine: Engine; dir: string }> {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const engine = open ? await open() : await openEngine(db);
  await engine.ensureTables(catalogTables);
  const targets = {
    north: { name: 'A', ra: 359.8, dec: 30 },
    south: { name: 'B', ra: 0.2, dec: -45 },
  };
  for (const collection of COLLECTIONS) {
    const store = join(dir, collection);
    await simulateDataStore({
      outDir: store,
      observations: 3,
      seed: 3,
      eventsPerObservation: 100,
      targets: [targets[collection]],
    });
    await ingestCollection(engine, dir, collection);
  }
  return { db, engine, dir };
}
