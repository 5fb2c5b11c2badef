/**
 * kill -9 of `hearc ingest` at different moments: the catalog afterwards holds either
 * the whole run or none of it, and its tables always agree with each other.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import {
  ingestStateTable,
  irfTable,
  obscoreHeaTable,
  obscoreTable,
} from '../../src/obscore/schema.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function runIngest(
  store: string,
  db: string,
  killAfterMs?: number,
): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(CLI)}).then(m => m.main(['ingest', ${JSON.stringify(store)}, '--db', ${JSON.stringify(db)}])).then(c => process.exit(c))`,
    ],
    { stdio: 'ignore' },
  );
  if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => resolve({ code, ms: Date.now() - started })),
  );
}

test('an interrupted ingest leaves the catalog as it was before the run', async (t) => {
  const store = tempDir(t);
  const observations = 30;
  await simulateDataStore({ outDir: store, observations, seed: 21, eventsPerObservation: 1500 });
  const work = tempDir(t);

  const full = await runIngest(store, join(work, 'reference.duckdb'));
  assert.equal(full.code, 0);

  for (const fraction of [0.5, 0.8, 0.95]) {
    const db = join(work, `killed-${fraction}.duckdb`);
    await runIngest(store, db, Math.round(full.ms * fraction));
    const engine = await openEngine(db);
    try {
      // Killed before the tables were made: an empty catalog is the state before the run.
      await engine.ensureTables(catalogTables);
      const counts = await Promise.all(
        [obscoreTable, obscoreHeaTable, ingestStateTable].map(
          async (table) => (await engine.selectRows(table)).length,
        ),
      );
      assert.ok(
        counts[0] === 0 || counts[0] === observations,
        `killed at ${fraction}: ${counts[0]} observations`,
      );
      assert.deepEqual(
        counts,
        [counts[0], counts[0], counts[0]],
        `tables disagree: ${counts.join(', ')}`,
      );
      assert.equal((await engine.selectRows(irfTable)).length, (counts[0] ?? 0) * 4);
    } finally {
      await engine.close();
    }
  }
});
