/** Catalogs for tests: a fresh embedded (DuckDB) one, and a data store published in one. */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Engine, openEngine } from '../../src/engine/index.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { type IngestReport, ingestDataStore } from '../../src/ingest/ingest.js';
import { tempDir } from './tmp.js';

/** A fresh embedded (DuckDB) catalog in a temporary folder, closed when the test ends. */
export async function tempCatalog(t: Pick<TestContext, 'after'>): Promise<Engine> {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  return engine;
}

/** Creates the catalog's tables in `engine` and publishes the data store `store` there, public. */
export async function publishPublic(
  engine: Engine,
  store: string,
  collection: string,
): Promise<IngestReport> {
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, store, {
    authority: 'test.hearc',
    collection,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  if (report.failed.length > 0) throw new Error(`ingest failed: ${JSON.stringify(report.failed)}`);
  return report;
}
