/**
 * Scale of the map-dataset service (issue 19: "100 runs in under a minute; memory flat
 * in the number of runs"): a simulated store of Crab runs (events and IRFs from
 * src/sim) ingested into a DuckDB catalog, then stacked map datasets of the first N
 * runs made through the path the async job takes (requestedDatasets: catalog, rights
 * gate, IRF ranges; then produceMapDataset: reduce, stack, write FITS and preview).
 * Each N runs in a fresh child process, so its peak RSS is its own. Prints wall time,
 * CPU time (all threads) and peak RSS per N, and the ratios of the largest N to the
 * smallest: time per run (1 = linear) and peak RSS (1 = flat).
 *
 * Each N is made with 1 and 2 worker threads (--threads): the speed-up, and the check
 * that the FITS files are identical.
 *
 *   node --import tsx bench/analysis-scale.ts [--runs 25,100] [--threads 1,2] [--events 20000] [--binsz 0.02] [--width 5] [--keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  mapDatasetRequest,
  PRODUCT_FILES,
  produceMapDataset,
  requestedDatasets,
} from '../src/analysis/index.js';
import { DaliParameters } from '../src/dali/index.js';
import { DatasetCatalog } from '../src/datalink/index.js';
import { openEngine } from '../src/engine/index.js';
import { ingestDataStore } from '../src/ingest/ingest.js';
import { obscoreTable } from '../src/obscore/schema.js';
import { simulateDataStore } from '../src/sim/simulate.js';
import { withoutChecksums } from '../test/helpers/fits-edit.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    events: { type: 'string' },
    binsz: { type: 'string' },
    width: { type: 'string' },
    keep: { type: 'string' },
    threads: { type: 'string' },
    child: { type: 'string' },
    work: { type: 'string' },
  },
});
const binsz = Number(values.binsz ?? 0.02);
const width = Number(values.width ?? 5);
const crab = { name: 'Crab Nebula', ra: 83.6331, dec: 22.0145 };

/** What one child measures. */
interface Figures {
  readonly runs: number;
  readonly threads: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Peak RSS of the whole child (MiB) and its RSS before the work began. */
  readonly peakMb: number;
  readonly startMb: number;
  readonly counts: number;
  readonly pixels: string;
  /** sha256 of the MapDataset FITS file but its checksum cards: the same for every thread count. */
  readonly digest: string;
}

if (values.child !== undefined) {
  console.log(
    JSON.stringify(await measure(Number(values.child), Number(values.threads), values.work!)),
  );
} else {
  await parent();
}

/** One stacked map dataset of the first `n` runs of the catalog in `work`, as the async job makes it. */
async function measure(n: number, threads: number, work: string): Promise<Figures> {
  const engine = await openEngine(join(work, 'catalog.duckdb'));
  try {
    const rows = [...(await engine.selectRows(obscoreTable))]
      .map((r) => ({ did: String(r.obs_publisher_did), obsId: Number(r.obs_id) }))
      .sort((a, b) => a.obsId - b.obsId)
      .slice(0, n);
    if (rows.length !== n) throw new Error(`the catalog has ${rows.length} runs, not ${n}`);
    const limits = { maxPixels: 1_000_000, maxEnergyBins: 100, maxRuns: 1000 };
    const request = mapDatasetRequest(
      new DaliParameters([
        ...rows.map((r) => ['ID', r.did] as const),
        ['CENTER', `${crab.ra} ${crab.dec}`],
        ['WIDTH', String(width)],
        ['BINSZ', String(binsz)],
        ['ENERGY', '0.5 50 12'],
        ['ENERGY_TRUE', '0.3 100 20'],
        ['OFFSET_MAX', '2.5'],
      ]),
      limits,
    );
    const startMb = process.memoryUsage().rss / 2 ** 20;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const datasets = await requestedDatasets(
      request,
      new DatasetCatalog(engine),
      () => Promise.resolve({ allowed: true }),
      { maxRuns: limits.maxRuns },
    );
    const product = await produceMapDataset(datasets, request, { workDir: work, threads });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const digest = createHash('sha256')
      .update(withoutChecksums(readFileSync(join(product.dir, PRODUCT_FILES.fits))))
      .digest('hex');
    await product.dispose();
    const { grid } = request.geometry;
    return {
      runs: n,
      threads,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      // resourceUsage().maxRSS is in KiB, over the child's whole life.
      peakMb: process.resourceUsage().maxRSS / 1024,
      startMb,
      counts: product.summary.counts,
      pixels: `${grid.nx}×${grid.ny}`,
      digest,
    };
  } finally {
    await engine.close();
  }
}

async function parent(): Promise<void> {
  const sizes = (values.runs ?? '25,100').split(',').map(Number);
  const events = Number(values.events ?? 20000);
  const total = Math.max(...sizes);
  const work = values.keep ?? mkdtempSync(join(tmpdir(), 'hearc-bench-analysis-scale-'));
  try {
    const store = join(work, 'store');
    const db = join(work, 'catalog.duckdb');
    if (!existsSync(db)) {
      let start = performance.now();
      await simulateDataStore({
        outDir: store,
        observations: total,
        seed: 19,
        eventsPerObservation: events,
        targets: [crab],
      });
      const simulated = (performance.now() - start) / 1000;
      start = performance.now();
      const engine = await openEngine(db);
      await ingestDataStore(engine, store, {
        authority: 'bench',
        collection: 'sim',
        accessMode: 'datalink',
        dataRights: 'public',
      });
      await engine.close();
      console.log(
        `simulated ${total} Crab runs (~${events} events each, aeff_2d edisp_2d psf_3gauss bkg_2d) in ${simulated.toFixed(1)} s, ingested in ${((performance.now() - start) / 1000).toFixed(1)} s`,
      );
    }
    const self = fileURLToPath(import.meta.url);
    const threadCounts = (values.threads ?? '1,2').split(',').map(Number);
    const results: Figures[] = [];
    for (const n of sizes) {
      for (const threads of threadCounts) {
        const run = spawnSync(
          process.execPath,
          ['--import', 'tsx', self, '--child', String(n), '--threads', String(threads)].concat([
            '--work',
            work,
            '--binsz',
            String(binsz),
            '--width',
            String(width),
          ]),
          { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
        );
        if (run.status !== 0) throw new Error(`the child for ${n} runs failed: ${run.stderr}`);
        results.push(JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Figures);
      }
    }
    console.log(
      `stacked map dataset through the async job's path, ${results[0]!.pixels} px, 12 reco / 20 true energy bins, EDISP + PSF maps`,
    );
    for (const r of results) {
      console.log(
        `  ${String(r.runs).padStart(4)} runs ${r.threads} thread(s)  wall ${r.seconds.toFixed(1)} s (${((1000 * r.seconds) / r.runs).toFixed(0)} ms/run)  CPU ${r.cpuSeconds.toFixed(1)} s  peak RSS ${r.peakMb.toFixed(0)} MiB (${r.startMb.toFixed(0)} before)  ${r.counts} counts  fits ${r.digest.slice(0, 12)}`,
      );
    }
    const of = (n: number, threads: number) =>
      results.find((r) => r.runs === n && r.threads === threads)!;
    const [fewest, most] = [Math.min(...sizes), Math.max(...sizes)];
    for (const threads of threadCounts) {
      const [small, large] = [of(fewest, threads), of(most, threads)];
      const perRun = (r: Figures, k: 'seconds' | 'cpuSeconds') => r[k] / r.runs;
      console.log(
        `  ${threads} thread(s), ${most} vs ${fewest} runs: wall per run ×${(perRun(large, 'seconds') / perRun(small, 'seconds')).toFixed(2)}, CPU per run ×${(perRun(large, 'cpuSeconds') / perRun(small, 'cpuSeconds')).toFixed(2)}, peak RSS ×${(large.peakMb / small.peakMb).toFixed(2)}, RSS growth over start ×${((large.peakMb - large.startMb) / (small.peakMb - small.startMb)).toFixed(2)}; ${most} runs in under a minute: ${large.seconds < 60 ? 'yes' : 'no'} (${large.seconds.toFixed(1)} s)`,
      );
    }
    for (const n of sizes) {
      const base = of(n, threadCounts[0]!);
      for (const threads of threadCounts.slice(1)) {
        const r = of(n, threads);
        console.log(
          `  ${n} runs, ${threads} vs ${base.threads} thread(s): wall ×${(base.seconds / r.seconds).toFixed(2)} faster, CPU ×${(r.cpuSeconds / base.cpuSeconds).toFixed(2)}, peak RSS ×${(r.peakMb / base.peakMb).toFixed(2)}, FITS ${r.digest === base.digest ? 'identical' : 'DIFFERENT'}`,
        );
      }
    }
  } finally {
    if (values.keep === undefined) rmSync(work, { recursive: true, force: true });
  }
}
