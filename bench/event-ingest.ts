/**
 * The event ingest into DuckDB alone: CPU seconds per 1e6 events (main thread, where the
 * appender's flush runs, and every thread), events/s, peak RSS and the catalog's size,
 * for this tree and, with --base, another checkout of hearc (a baseline) in alternate
 * runs (A B A B …) so that a shared machine's load weighs on both alike; medians and
 * ratios against the baseline. Each run is a child process (its CPU and memory its own)
 * that ingests the store into a fresh catalog file, the rewrite in cell order held off
 * (--order: then run and measured apart).
 *
 *   node --import tsx bench/event-ingest.ts [--store DIR] [--base DIR] [--rounds 3] [--order]
 *
 * Without --store a store of 175 observations × ~38,000 events (≈ 5e6) is simulated into
 * a temporary folder. --base DIR: a checkout with node_modules (e.g. `git archive main |
 * tar -x -C DIR`, node_modules linked).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_PUBLISH, median, peakRssDuring, runInChild } from './measure.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    base: { type: 'string' },
    rounds: { type: 'string' },
    order: { type: 'boolean' },
    // A child's run: the tree to ingest with, and the catalog file.
    run: { type: 'string' },
    db: { type: 'string' },
  },
});

/** What one run measured. */
interface Run {
  readonly events: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly mainCpuSeconds: number;
  readonly peakMb: number;
  /** The catalog's used blocks once closed (free blocks left out). */
  readonly usedMb: number;
  readonly rewrite?: { readonly seconds: number; readonly cpuSeconds: number };
}

/** One ingest with the hearc tree `tree`, in this process: what the parent runs as a child. */
async function runOnce(tree: string, store: string, db: string): Promise<Run> {
  // The other tree's modules, typed as this tree's (the APIs used here are the same).
  const from = <T>(module: string): Promise<T> => import(`${tree}/src/${module}.ts`) as Promise<T>;
  const { openEngine } = await from<typeof import('../src/engine/index.js')>('engine/index');
  const { ingestDataStore } = await from<typeof import('../src/ingest/ingest.js')>('ingest/ingest');
  const { catalogTables } = await from<typeof import('../src/ingest/catalog.js')>('ingest/catalog');
  const { eventsOrderTable, orderEvents } =
    await from<typeof import('../src/events/index.js')>('events/index');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const engine = await openEngine(db);
  // Recorded as ordered already: no rewrite after the ingest, whose cost is measured apart.
  await engine.ensureTables(catalogTables);
  const key = 'hearc.events';
  const unordered = { table_name: key, ordered_rows: 1e15, appended_rows: 0, ordered_at: null };
  await engine.transaction((tx) => tx.insertRows(eventsOrderTable, [unordered]));
  const ingest = await peakRssDuring(() => ingestDataStore(engine, store, BENCH_PUBLISH));
  if (ingest.result.failed.length > 0) throw new Error(JSON.stringify(ingest.result.failed));
  const scalar = async (sql: string): Promise<number> => {
    for await (const batch of await engine.stream(sql)) return Number(batch[0]?.[0]);
    return Number.NaN;
  };
  const events = await scalar('SELECT count(*) FROM hearc.events');
  let rewrite: Run['rewrite'];
  if (values.order) {
    const rewritten = await peakRssDuring(async () => {
      await engine.transaction((tx) => tx.deleteRows(eventsOrderTable, 'table_name', [key]));
      return orderEvents(engine);
    });
    rewrite = { seconds: rewritten.seconds, cpuSeconds: rewritten.cpuSeconds };
  }
  const usedMb =
    (await scalar('SELECT used_blocks * block_size FROM pragma_database_size()')) / 2 ** 20;
  await engine.close();
  return {
    events,
    seconds: ingest.seconds,
    cpuSeconds: ingest.cpuSeconds,
    mainCpuSeconds: ingest.mainCpuSeconds ?? Number.NaN,
    peakMb: ingest.peakMb,
    usedMb,
    ...(rewrite ? { rewrite } : {}),
  };
}

if (values.run !== undefined) {
  const run = await runOnce(values.run, values.store!, values.db!);
  console.log(JSON.stringify(run));
  process.exit(0);
}

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'hearc-bench-event-ingest-'));
let store = values.store;
if (!store) {
  store = join(work, 'store');
  const { simulateDataStore } = await import('../src/sim/simulate.js');
  await simulateDataStore({
    outDir: store,
    observations: 175,
    seed: 3,
    eventsPerObservation: 38_000,
  });
}
const storeMb =
  readdirSync(join(store, 'data')).reduce((s, f) => s + statSync(join(store, 'data', f)).size, 0) /
  2 ** 20;
const trees = [...(values.base ? [['base', resolve(values.base)]] : []), ['this', here]] as const;
const runs = new Map<string, Run[]>(trees.map(([name]) => [name, []]));
const table: string[][] = [
  [
    'run',
    'events/s',
    'CPU s/1e6 ev',
    'main-thread CPU s/1e6 ev',
    'peak RSS MB',
    'catalog MB/1e6 ev',
    'rewrite CPU s/1e6 ev',
    'load',
  ],
];
for (let round = 0; round < Number(values.rounds ?? 3); round++) {
  for (const [name, tree] of trees) {
    const args = ['--run', tree, '--store', store, '--db', join(work, `${name}.duckdb`)];
    const run = runInChild<Run>(
      fileURLToPath(import.meta.url),
      [...args, ...(values.order ? ['--order'] : [])],
      `the ${name} run`,
    );
    runs.get(name)!.push(run);
    const perM = (x: number) => ((x * 1e6) / run.events).toFixed(3);
    table.push([
      `${name} ${round + 1}`,
      (run.events / run.seconds).toFixed(0),
      perM(run.cpuSeconds),
      perM(run.mainCpuSeconds),
      run.peakMb.toFixed(0),
      perM(run.usedMb),
      run.rewrite ? perM(run.rewrite.cpuSeconds) : '',
      loadavg()[0]!.toFixed(1),
    ]);
  }
}
const medianOf = (name: string, of: (r: Run) => number): number =>
  median((runs.get(name) ?? []).map(of));
type Measure = readonly [string, (r: Run) => number];
const figure = (x: number): string => (x >= 1000 ? x.toFixed(0) : x.toPrecision(4));
const measures: Measure[] = [
  ['events/s', (r) => r.events / r.seconds],
  ['CPU s/1e6 ev', (r) => (r.cpuSeconds * 1e6) / r.events],
  ['main-thread CPU s/1e6 ev', (r) => (r.mainCpuSeconds * 1e6) / r.events],
  ['peak RSS MB', (r) => r.peakMb],
  ['catalog MB/1e6 ev', (r) => (r.usedMb * 1e6) / r.events],
];
if (values.order)
  measures.push(['rewrite CPU s/1e6 ev', (r) => (r.rewrite!.cpuSeconds * 1e6) / r.events]);
const events = runs.get('this')![0]!.events;
console.log(`store ${store}: ${events} events, ${storeMb.toFixed(0)} MB gzip`);
const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | '));
if (values.base) {
  console.log('\nmedians, base → this (ratio):');
  for (const [label, of] of measures) {
    const [base, mine] = [medianOf('base', of), medianOf('this', of)];
    console.log(`  ${label}: ${figure(base)} → ${figure(mine)} (${(mine / base).toFixed(3)}×)`);
  }
}
rmSync(work, { recursive: true, force: true });
