/**
 * Ingest throughput on a simulated store: observations/s and MB/s, against a baseline
 * measured in the same run (just gunzipping every file), and peak RSS for growing
 * store sizes to show that memory stays flat.
 *
 *   node --expose-gc --import tsx bench/ingest.ts [--obs 1000] [--events 3000] [--keep DIR]
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { openEngine } from '../src/engine/index.js';
import { ingestDataStore } from '../src/ingest/ingest.js';
import { simulateDataStore } from '../src/sim/simulate.js';
import { BENCH_PUBLISH, peakRssDuring } from './measure.js';

const { values } = parseArgs({
  options: { obs: { type: 'string' }, events: { type: 'string' }, keep: { type: 'string' } },
});
const total = Number(values.obs ?? 1000);
const events = Number(values.events ?? 3000);
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'hearc-bench-ingest-'));

async function gunzipAll(files: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const file of files) {
    await pipeline(
      createReadStream(file),
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _e, done) {
          bytes += chunk.length;
          done();
        },
      }),
    );
  }
  return bytes;
}

const sizes = [Math.ceil(total / 4), Math.ceil(total / 2), total];
console.log(
  `simulating stores of ${sizes.join(', ')} observations (~${events} events each) in ${work}`,
);
const rows: string[][] = [];
for (const n of sizes) {
  const store = join(work, `store-${n}`);
  if (!existsSync(join(store, 'hdu-index.fits.gz'))) {
    await simulateDataStore({
      outDir: store,
      observations: n,
      seed: 5,
      eventsPerObservation: events,
    });
  }
  const files = readdirSync(join(store, 'data')).map((f) => join(store, 'data', f));
  const mb = files.reduce((s, f) => s + statSync(f).size, 0) / 2 ** 20;
  const baseline = await peakRssDuring(() => gunzipAll(files));
  const db = join(work, `catalog-${n}.duckdb`);
  rmSync(db, { force: true });
  const engine = await openEngine(db);
  const ingest = await peakRssDuring(() => ingestDataStore(engine, store, BENCH_PUBLISH));
  await engine.close();
  globalThis.gc?.();
  const heapAfterMb = process.memoryUsage().heapUsed / 2 ** 20;
  if (ingest.result.added.length !== n)
    throw new Error(`ingested ${ingest.result.added.length} of ${n}`);
  rows.push([
    String(n),
    mb.toFixed(1),
    (n / ingest.seconds).toFixed(1),
    (mb / ingest.seconds).toFixed(1),
    (mb / baseline.seconds).toFixed(1),
    (baseline.seconds / ingest.seconds).toFixed(2),
    ingest.peakMb.toFixed(0),
    globalThis.gc ? heapAfterMb.toFixed(1) : 'n/a (--expose-gc)',
  ]);
}
const header = [
  'obs',
  'MB (gz)',
  'ingest obs/s',
  'ingest MB/s',
  'gunzip MB/s',
  'ratio ingest/gunzip',
  'peak RSS MB',
];
console.log(header.join(' | '));
for (const row of rows) console.log(row.join(' | '));
if (!values.keep) rmSync(work, { recursive: true, force: true });
