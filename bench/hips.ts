/**
 * Counts HiPS generation (`hearc hips build`) on the shared real data (H.E.S.S. DR1 +
 * MAGIC, or a simulated store with --observations), against the baseline of reading
 * the same events from the catalog and only computing their HEALPix cells (the part of
 * the build that grows with the number of events); the rest is tiles and PNGs.
 *
 *   node --import tsx bench/hips.ts [--observations N --events-per-obs M] [--keep DIR]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileAdql, healpixNestedIndex } from '../src/adql/index.js';
import { sqlDialectFor } from '../src/engine/dialects.js';
import { openEngine } from '../src/engine/index.js';
import { buildCountsHips } from '../src/hips/index.js';
import { catalogTables } from '../src/ingest/catalog.js';
import { ingestDataStore } from '../src/ingest/ingest.js';
import { publishedSchema } from '../src/obscore/schema.js';
import { loadServiceDescription } from '../src/service/index.js';
import { simulateDataStore } from '../src/sim/simulate.js';
import { peakRssDuring } from './measure.js';

const { values } = parseArgs({
  options: {
    observations: { type: 'string' },
    'events-per-obs': { type: 'string' },
    keep: { type: 'string' },
  },
});
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'hearc-bench-hips-'));
mkdirSync(work, { recursive: true });
const shared = process.env.HEARC_TEST_DATA;
const stores: [string, string][] = [];
if (values.observations !== undefined) {
  const store = join(work, 'sim');
  await simulateDataStore({
    outDir: store,
    observations: Number(values.observations),
    seed: 5,
    eventsPerObservation: Number(values['events-per-obs'] ?? 100_000),
  });
  stores.push([store, 'sim']);
} else if (shared) {
  stores.push([join(shared, 'hess-dl3-dr1'), 'hess-dr1'], [join(shared, 'magic-rad-max'), 'magic']);
} else {
  console.error('bench/hips: set HEARC_TEST_DATA (the shared real data) or give --observations');
  process.exit(2);
}

const engine = await openEngine(join(work, 'catalog.duckdb'));
try {
  await engine.ensureTables(catalogTables);
  for (const [dir, collection] of stores) {
    const report = await ingestDataStore(engine, dir, {
      authority: 'bench',
      collection,
      accessMode: 'datalink',
      dataRights: 'public',
    });
    if (report.failed.length > 0) throw new Error(JSON.stringify(report.failed));
  }
  const baseline = await peakRssDuring(async () => {
    const { sql } = compileAdql(
      'SELECT ra, dec FROM hearc.events',
      publishedSchema,
      sqlDialectFor(engine.dialect),
    );
    let cells = 0;
    for await (const batch of (await engine.stream(sql)).columnBatches()) {
      const [ra, dec] = batch.columns as [readonly number[], readonly number[]];
      for (let i = 0; i < batch.rowCount; i++) cells += healpixNestedIndex(12, ra[i]!, dec[i]!) & 1;
    }
    return cells;
  });
  const service = loadServiceDescription({ env: {} });
  const built = await peakRssDuring(() => buildCountsHips({ engine, service, cacheDir: work }));
  const { hips, events } = built.result;
  const tiles = hips.reduce((n, h) => n + h.tiles, 0);
  console.log('| step | events | HiPS | tiles (png+fits pairs) | seconds | peak RSS MiB |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| read events + cells (baseline) | ${events} | | | ${baseline.seconds.toFixed(2)} | ${baseline.peakMb.toFixed(0)} |`,
  );
  console.log(
    `| hips build | ${events} | ${hips.length} | ${tiles} | ${built.seconds.toFixed(2)} | ${built.peakMb.toFixed(0)} |`,
  );
  console.log(`ratio build / baseline: ${(built.seconds / baseline.seconds).toFixed(1)}`);
} finally {
  await engine.close();
  if (values.keep === undefined) rmSync(work, { recursive: true, force: true });
}
