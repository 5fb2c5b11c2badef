/** A fresh embedded (DuckDB) catalog in a temporary folder, closed when the test ends. */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Engine, openEngine } from '../../src/engine/index.js';
import { tempDir } from './tmp.js';

export async function tempCatalog(t: Pick<TestContext, 'after'>): Promise<Engine> {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  return engine;
}
