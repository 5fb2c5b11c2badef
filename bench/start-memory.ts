/**
 * What `hearc serve` costs to start on a catalog, for builds of hearc side by side: each
 * build serves its own copy of CATALOG, started STARTS times in a row on it (the first
 * start builds what a start keeps in the catalog and its cache folder; the next ones find
 * it), the builds taking turns. Per start: wall seconds until the server is idle (its
 * start-up work done: under 5 % of a core over 2 s), the server's CPU seconds by then, its
 * resident size once idle (VmRSS), again after a garbage collection (an idle server
 * collects none: what it holds, not what it has yet to free; the server is started with
 * --expose-gc and a preload that collects on SIGUSR2) and at its peak since it started
 * (VmHWM); then the ratios of each build's later starts to the first build's. With
 * --coverage-alone, a start is the catalog's coverage alone (CoverageCatalog.current() in
 * a process of its own, as `hearc serve` starts it for the registry records).
 *
 *   node --import tsx bench/start-memory.ts --catalog CATALOG.duckdb \
 *     --build base=/path/to/other/checkout --build branch=. [--starts 3] [--rounds 1] \
 *     [--coverage-alone]
 *
 * A build is a checkout with its dist/ built (bin/hearc.js runs dist/src). CATALOG may be
 * a postgres:// URL (started on itself, see catalogFor). Linux only (/proc).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openEngine } from '../src/engine/index.js';
import { coverageCacheTable } from '../src/moc/index.js';
import { cpuTicks, median, procStatus, waitUntilIdle } from './measure.js';

const { values } = parseArgs({
  options: {
    catalog: { type: 'string' },
    build: { type: 'string', multiple: true },
    starts: { type: 'string' },
    rounds: { type: 'string' },
    'coverage-alone': { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
const builds = (values.build ?? []).map((spec) => {
  const [name, dir] = spec.split('=');
  return { name: name ?? spec, dir: resolve(dir ?? spec) };
});
if (values.help === true || values.catalog === undefined || builds.length === 0) {
  console.log(
    'usage: node --import tsx bench/start-memory.ts --catalog CATALOG.duckdb\n' +
      '         --build NAME=CHECKOUT [--build NAME=CHECKOUT]... [--starts 3] [--rounds 1]\n' +
      '         [--coverage-alone]',
  );
  process.exit(values.help === true ? 0 : 64);
}
const starts = Number(values.starts ?? 3);
const rounds = Number(values.rounds ?? 1);

interface StartCost {
  readonly wall: number;
  readonly cpu: number;
  readonly idleMb: number;
  readonly afterGcMb: number;
  readonly peakMb: number;
}

/** Preloaded into the servers: a garbage collection on SIGUSR2. */
const GC_ON_SIGNAL = `process.on('SIGUSR2', () => globalThis.gc());`;

/** Starts `hearc serve` of `build` on `catalog`; resolves once it listens. */
async function serve(build: string, catalog: string, preload: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...['--expose-gc', '--require', preload],
      ...[join(build, 'bin/hearc.js'), 'serve', '--db', catalog, '--port', '0'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((listening, failed) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (/TAP at http:\/\/\S+\/tap/.test(text)) listening();
    });
    child.once('exit', (code) => failed(new Error(`server exited (${code}): ${text}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/** The coverage alone, in a child process: its costs on stdout as JSON (a StartCost). */
const COVERAGE_ALONE = String.raw`
const [build, catalog] = process.argv.slice(1);
const { openEngine } = await import(build + '/dist/src/engine/index.js');
const { CoverageCatalog } = await import(build + '/dist/src/moc/index.js');
const { readFileSync } = await import('node:fs');
const status = (key) =>
  Number(new RegExp('^' + key + ':\\s+(\\d+) kB', 'm').exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const t0 = performance.now();
const engine = await openEngine(catalog);
await new CoverageCatalog(engine).current();
const wall = (performance.now() - t0) / 1000;
const used = process.cpuUsage();
const idleMb = status('VmRSS');
globalThis.gc();
console.log(JSON.stringify({ wall, cpu: (used.user + used.system) / 1e6, idleMb, afterGcMb: status('VmRSS'), peakMb: status('VmHWM') }));
await engine.close();
`;

async function coverageAlone(build: string, catalog: string): Promise<StartCost> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', COVERAGE_ALONE, build, catalog],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const code = await new Promise((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`the coverage alone failed (exit ${String(code)})`);
  return JSON.parse(text) as StartCost;
}

async function start(build: string, catalog: string, preload: string): Promise<StartCost> {
  if (values['coverage-alone'] === true) return coverageAlone(build, catalog);
  const t0 = performance.now();
  const child = await serve(build, catalog, preload);
  const pid = child.pid ?? NaN;
  try {
    await waitUntilIdle(pid);
    const wall = (performance.now() - t0) / 1000;
    const cpu = (await cpuTicks(pid)) / 100;
    const idleMb = await procStatus(pid, 'VmRSS');
    const peakMb = await procStatus(pid, 'VmHWM');
    child.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return { wall, cpu, idleMb, afterGcMb: await procStatus(pid, 'VmRSS'), peakMb };
  } finally {
    await stop(child);
  }
}

/**
 * The catalog a build starts on: a copy of a DuckDB file, with a new cache folder beside
 * it; a PostgreSQL catalog itself, without the coverage a build kept in it before (the
 * builds share its HiPS cache folder: a first start finds the HiPS built).
 */
async function catalogFor(build: string, round: number): Promise<string> {
  const catalog = values.catalog ?? '';
  if (!catalog.startsWith('postgres://')) {
    const copy = join(work, `${build}-${round}.duckdb`);
    await copyFile(catalog, copy);
    return copy;
  }
  const engine = await openEngine(catalog);
  try {
    await engine.dropTables([coverageCacheTable]);
  } finally {
    await engine.close();
  }
  return catalog;
}

const loadAverage = async (): Promise<string> =>
  (await readFile('/proc/loadavg', 'utf8')).split(' ')[0] ?? '?';

const work = await mkdtemp(join(tmpdir(), 'hearc-start-memory-'));
const preload = join(work, 'gc-on-signal.cjs');
await writeFile(preload, GC_ON_SIGNAL);
// costs[build][start] over the rounds
const costs = builds.map(() => Array.from({ length: starts }, (): StartCost[] => []));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [b, build] of builds.entries()) {
      // A copy of its own, and a new cache folder beside it (<copy>.cache).
      const copy = await catalogFor(build.name, round);
      for (let s = 0; s < starts; s++) {
        const cost = await start(build.dir, copy, preload);
        costs[b]![s]!.push(cost);
        console.error(
          `${build.name} round ${round + 1} start ${s + 1}: ${cost.wall.toFixed(1)} s, ` +
            `${cost.cpu.toFixed(1)} CPU s, idle ${cost.idleMb.toFixed(0)} MB, ` +
            `after a GC ${cost.afterGcMb.toFixed(0)} MB, ` +
            `peak ${cost.peakMb.toFixed(0)} MB (load ${await loadAverage()})`,
        );
      }
      if (copy !== values.catalog) {
        await rm(copy, { force: true });
        await rm(`${copy}.cache`, { recursive: true, force: true });
      }
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const f = (x: number, digits = 1): string => x.toFixed(digits);
const medians = (of: readonly StartCost[]) => ({
  wall: median(of.map((c) => c.wall)),
  cpu: median(of.map((c) => c.cpu)),
  idleMb: median(of.map((c) => c.idleMb)),
  afterGcMb: median(of.map((c) => c.afterGcMb)),
  peakMb: median(of.map((c) => c.peakMb)),
});
console.log(`\n${values.catalog}: medians over ${rounds} round(s)\n`);
console.log('| build | start | wall s | CPU s | idle RSS MB | after a GC MB | VmHWM MB |');
console.log('|---|---|---|---|---|---|---|');
for (const [b, build] of builds.entries()) {
  for (let s = 0; s < starts; s++) {
    const m = medians(costs[b]![s]!);
    console.log(
      `| ${build.name} | ${s + 1} | ${f(m.wall)} | ${f(m.cpu)} | ${f(m.idleMb, 0)} | ` +
        `${f(m.afterGcMb, 0)} | ${f(m.peakMb, 0)} |`,
    );
  }
}
if (builds.length > 1 && starts > 1) {
  // The later starts (what the first left in the catalog found), against the first build's.
  const later = (b: number) => medians(costs[b]!.slice(1).flat());
  const base = later(0);
  console.log(`\nlater starts, ratio to ${builds[0]!.name}\n`);
  console.log('| build | CPU s | idle RSS | after a GC | VmHWM |');
  console.log('|---|---|---|---|---|');
  for (const [b, build] of builds.entries()) {
    const m = later(b);
    console.log(
      `| ${build.name} | ${f(m.cpu / base.cpu, 2)}× | ${f(m.idleMb / base.idleMb, 2)}× | ` +
        `${f(m.afterGcMb / base.afterGcMb, 2)}× | ${f(m.peakMb / base.peakMb, 2)}× |`,
    );
  }
}
