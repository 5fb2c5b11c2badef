/**
 * A data store whose files are symbolic links to another folder: the server serves only
 * files inside the store, so ingest refuses those observations with a message that says
 * why (issue 18), instead of publishing rows whose files all answer 404.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { tempDir } from '../helpers/tmp.js';

test('event files linked from outside the store are refused at ingest, naming the link', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'store');
  await simulateDataStore({ outDir: store, observations: 2, seed: 7, eventsPerObservation: 50 });
  // Move the run files elsewhere and leave links in their place.
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const runFiles = readdirSync(store, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.fits.gz') && !f.includes('index'),
  );
  assert.ok(runFiles.length > 0);
  for (const file of runFiles) {
    const target = join(elsewhere, file.replace(/\//g, '_'));
    renameSync(join(store, file), target);
    symlinkSync(target, join(store, file));
  }
  const engine = await openEngine(join(dir, 'catalog.duckdb'));
  t.after(() => engine.close());
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, store, {
    authority: 'test.hearc',
    collection: 'links',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.equal(report.added.length, 0);
  assert.equal(report.failed.length, 2);
  for (const failure of report.failed) {
    assert.match(failure.message, /is a symbolic link to .* outside the data store/);
  }
});
