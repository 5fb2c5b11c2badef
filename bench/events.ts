/**
 * hearc.events: what querying every event costs against reading the files.
 *
 * 1. The shared real data (H.E.S.S. DR1 + MAGIC): ingest, then one cone + energy count
 *    over all events through the ADQL compiler and the catalog, against an astropy +
 *    numpy scan of the same FITS files run in the same invocation (ratio).
 * 2. A simulated archive (`hearc simulate --observations N --events-per-obs M`) and one a
 *    quarter of its size, each ingested on one thread (before) and with the events read
 *    and sorted on a thread of their own (the default, ratio): events per wall, per CPU
 *    and per main-thread CPU second, peak RSS of both (flat memory: about the same),
 *    against astropy reading the same files and the bulk append alone; the same cone + energy count against astropy + numpy, and
 *    p50/p95 latency of cones of 0.1 to 1 deg, each also run without the HEALPix cell
 *    predicates (the baseline: what the cell clustering buys).
 *
 * 3. At a scale too large to ingest four times in one run (1e8 events), the cones alone
 *    on catalogs ingested beforehand (--catalog, comma-separated: the same cones on each
 *    in turn, with ratios against the first, e.g. before and after `hearc events
 *    cluster`), the 0.2° count checked against the astropy + numpy scan of the stores
 *    they were made from (--stores, comma-separated).
 *
 *   node --import tsx bench/events.ts [--observations 100] [--events-per-obs 100000]
 *        [--cones 200] [--keep DIR] [--db postgres://host:port]  (fresh databases made there)
 *   node --import tsx bench/events.ts --catalog FILE.duckdb[,FILE.duckdb] [--stores DIR,DIR] [--cones 200]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { compileAdql, healpixNestedIndex } from '../src/adql/index.js';
import { duckDbDialect } from '../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../src/engine/dialect/postgres.js';
import { type Engine, openEngine } from '../src/engine/index.js';
import { EVENT_HEALPIX_ORDER, eventsTable } from '../src/events/index.js';
import { ingestDataStore } from '../src/ingest/ingest.js';
import { publishedSchema } from '../src/obscore/schema.js';
import type { PublishedSchema } from '../src/schema/types.js';
import { simulateDataStore } from '../src/sim/simulate.js';
import { Random } from '../src/sim/random.js';
import { peakRssDuring, quantile } from './measure.js';

const PYTHON = '/usr/bin/python3';
const { values } = parseArgs({
  options: {
    observations: { type: 'string' },
    'events-per-obs': { type: 'string' },
    cones: { type: 'string' },
    keep: { type: 'string' },
    db: { type: 'string' },
    catalog: { type: 'string' },
    stores: { type: 'string' },
  },
});
const observations = Number(values.observations ?? 100);
const eventsPerObs = Number(values['events-per-obs'] ?? 100_000);
const coneCount = Number(values.cones ?? 200);
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'hearc-bench-events-'));
const shared = process.env.HEARC_TEST_DATA;

/** One cone + energy selection, as ADQL and for the numpy scan. */
interface Cone {
  readonly ra: number;
  readonly dec: number;
  readonly radius: number;
  readonly emin: number;
}

const adqlOf = (c: Cone): string =>
  `SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${c.ra}, ${c.dec}, ${c.radius})) AND energy > ${c.emin}`;

/** The baseline: the same table as if it stored no cells (no cell predicates, the exact test on every row the box lets through). */
const withoutCells: PublishedSchema = {
  tables: publishedSchema.tables.map((t) =>
    t === eventsTable ? { ...eventsTable, healpixIndex: undefined } : t,
  ),
};

/** The count, and the seconds it took from compiling the ADQL to the last row. */
async function countOf(
  engine: Engine,
  cone: Cone,
  schema: PublishedSchema = publishedSchema,
): Promise<{ n: number; seconds: number; cpuSeconds: number }> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const dialect = engine.dialect === 'duckdb' ? duckDbDialect : postgresDialect;
  const { sql } = compileAdql(adqlOf(cone), schema, dialect);
  let n = -1;
  for await (const batch of await engine.stream(sql)) n = Number(batch[0]?.[0]);
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // CPU time of every thread of this process (DuckDB's too): steadier than wall time on a shared machine.
  return { n, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const NUMPY_SCAN = `
import json, sys, glob, os, time
import numpy as np
from astropy.io import fits
cone = json.loads(sys.argv[1])
start = time.perf_counter()
n = 0
files = []
for root in sys.argv[2:]:
    files += sorted(glob.glob(os.path.join(root, 'data', '*.fits*')))
r0, d0, rad = np.radians(cone['ra']), np.radians(cone['dec']), np.radians(cone['radius'])
for path in files:
    with fits.open(path) as f:
        if 'EVENTS' not in f:
            continue
        ev = f['EVENTS'].data
        ra = np.radians(ev['RA'].astype(float))
        dec = np.radians(ev['DEC'].astype(float))
        hav = np.sin((dec - d0) / 2) ** 2 + np.cos(dec) * np.cos(d0) * np.sin((ra - r0) / 2) ** 2
        n += int(((2 * np.arcsin(np.sqrt(hav)) < rad) & (ev['ENERGY'] > cone['emin'])).sum())
print(json.dumps(dict(n=n, seconds=time.perf_counter() - start)))
`;

function numpyScan(cone: Cone, roots: readonly string[]): { n: number; seconds: number } {
  const run = spawnSync(PYTHON, ['-c', NUMPY_SCAN, JSON.stringify(cone), ...roots], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`astropy scan failed: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout) as { n: number; seconds: number };
}

const ASTROPY_READ = `
import json, sys, glob, os, time
import numpy as np
from astropy.io import fits
start = time.perf_counter()
n = 0
for root in sys.argv[1:]:
    for path in sorted(glob.glob(os.path.join(root, 'data', '*.fits*'))):
        with fits.open(path) as f:
            if 'EVENTS' not in f:
                continue
            ev = f['EVENTS'].data
            columns = [np.array(ev[c], dtype=float) for c in ('RA', 'DEC', 'ENERGY', 'TIME')]
            n += len(columns[0])
print(json.dumps(dict(n=n, seconds=time.perf_counter() - start)))
`;

/** astropy reading the event columns of every file: what touching the events costs without a catalog. */
function astropyRead(roots: readonly string[]): { n: number; seconds: number } {
  const run = spawnSync(PYTHON, ['-c', ASTROPY_READ, ...roots], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`astropy read failed: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout) as { n: number; seconds: number };
}

/** A fresh catalog: a DuckDB file, or a new database on the --db PostgreSQL server. */
async function openCatalog(name: string): Promise<Engine> {
  if (values.db) {
    const server = new URL(values.db);
    const database = `hearc_bench_events_${name.replace(/\W/g, '_')}`;
    server.pathname = '/postgres';
    const admin = postgres(server.toString(), { max: 1, onnotice: () => undefined });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${database}`);
    await admin.end();
    server.pathname = `/${database}`;
    return openEngine(server.toString());
  }
  const file = join(work, `${name}.duckdb`);
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
  return openEngine(file);
}

async function ingestAll(
  engine: Engine,
  stores: readonly [string, string][],
  options: { readonly eventThread?: boolean } = {},
) {
  return peakRssDuring(async () => {
    for (const [dir, collection] of stores) {
      const config = {
        authority: 'bench',
        collection,
        accessMode: 'datalink',
        dataRights: 'public',
      } as const;
      const report = await ingestDataStore(engine, dir, config, options);
      if (report.failed.length > 0) throw new Error(JSON.stringify(report.failed));
    }
  });
}

async function eventCount(engine: Engine): Promise<number> {
  let n = 0;
  for await (const b of await engine.stream('SELECT count(*) FROM hearc.events'))
    n = Number(b[0]?.[0]);
  return n;
}

class RollBack extends Error {}

const table: string[][] = [];
const row = (...cells: string[]): void => void table.push(cells);

/** The catalog the cones run on, and the store folders the astropy + numpy scan reads. */
async function ingested(): Promise<{ engine: Engine; roots: string[] }> {
  // ---- 1. the shared real data
  if (shared && existsSync(join(shared, 'hess-dl3-dr1'))) {
    const roots = [join(shared, 'hess-dl3-dr1'), join(shared, 'magic-rad-max')];
    const engine = await openCatalog('shared');
    const ingest = await ingestAll(engine, [
      [roots[0]!, 'hess'],
      [roots[1]!, 'magic'],
    ]);
    const events = await eventCount(engine);
    const cone = { ra: 83.633, dec: 22.0145, radius: 0.2, emin: 1 };
    await countOf(engine, cone); // warm
    const ours = await countOf(engine, cone);
    const scan = numpyScan(cone, roots);
    if (ours.n !== scan.n) throw new Error(`counts differ: hearc ${ours.n}, numpy ${scan.n}`);
    row('shared data: events', String(events), '', '');
    row(
      'shared data: ingest',
      `${(events / ingest.seconds).toFixed(0)} events/s`,
      `peak RSS ${ingest.peakMb.toFixed(0)} MB`,
      '',
    );
    row(
      'shared data: cone 0.2° + E > 1 TeV count',
      `${(ours.seconds * 1e3).toFixed(1)} ms`,
      `astropy+numpy ${(scan.seconds * 1e3).toFixed(0)} ms`,
      `${(scan.seconds / ours.seconds).toFixed(0)}×`,
    );
    await engine.close();
  } else {
    console.log('HEARC_TEST_DATA is not set: the shared-data rows are left out');
  }

  // ---- 2. a simulated archive, and one a quarter of its size (memory should not grow with it)
  async function simulated(n: number): Promise<string> {
    const store = join(work, `sim-${n}x${eventsPerObs}`);
    if (!existsSync(join(store, 'hdu-index.fits.gz'))) {
      const sim = await peakRssDuring(() =>
        simulateDataStore({
          outDir: store,
          observations: n,
          seed: 3,
          eventsPerObservation: eventsPerObs,
        }),
      );
      console.log(`simulated ${n} observations in ${sim.seconds.toFixed(0)} s`);
    }
    return store;
  }
  const quarter = Math.max(1, Math.round(observations / 4));
  const smallStore = await simulated(quarter);
  const store = await simulated(observations);
  // Each archive on one thread (before) and with the events read and sorted on a thread of
  // their own (the default on two cores), the large one last so that its catalog stays.
  const runs: { label: string; events: number; run: Awaited<ReturnType<typeof ingestAll>> }[] = [];
  async function ingestInto(name: string, dir: string, eventThread: boolean, keep = false) {
    const catalog = await openCatalog(name);
    const run = await ingestAll(catalog, [[dir, 'sim']], { eventThread });
    const events = await eventCount(catalog);
    runs.push({
      label: `${events} events, ${eventThread ? 'writer thread' : 'one thread'}`,
      events,
      run,
    });
    if (keep) return { catalog, events, run };
    await catalog.close();
    return { events, run };
  }
  const smallOld = await ingestInto('sim-quarter-one-thread', smallStore, false);
  const { run: smallIngest, events: smallEvents } = await ingestInto(
    'sim-quarter',
    smallStore,
    true,
  );
  const old = await ingestInto('sim-one-thread', store, false);
  const { catalog, run: ingest, events } = await ingestInto('sim', store, true, true);
  const engine = catalog!;
  const read = astropyRead([store]);
  if (read.n !== events) throw new Error(`event counts differ: hearc ${events}, astropy ${read.n}`);
  row(`simulated: events (${engine.dialect})`, String(events), `${observations} observations`, '');
  const perSecond = (n: number, seconds: number | undefined) =>
    seconds === undefined ? 'n/a' : (n / seconds).toFixed(0);
  for (const { label, events: n, run } of runs) {
    row(
      `simulated: ingest of ${label} (FITS decoding, cells, clustering, append)`,
      `${perSecond(n, run.seconds)} events/s`,
      `${perSecond(n, run.cpuSeconds)} per CPU s, ${perSecond(n, run.mainCpuSeconds)} per main-thread CPU s`,
      `peak RSS ${run.peakMb.toFixed(0)} MB`,
    );
  }
  for (const [before, after] of [
    [smallOld, { run: smallIngest, events: smallEvents }],
    [old, { run: ingest, events }],
  ] as const) {
    const main =
      before.run.mainCpuSeconds && after.run.mainCpuSeconds
        ? `${(before.run.mainCpuSeconds / after.run.mainCpuSeconds).toFixed(2)}× per main-thread CPU s`
        : '';
    row(
      `simulated: ingest of ${after.events} events, writer thread / one thread`,
      `${(before.run.seconds / after.run.seconds).toFixed(2)}× wall`,
      `${(before.run.cpuSeconds / after.run.cpuSeconds).toFixed(2)}× per CPU s`,
      `${main}, load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    );
  }
  row(
    'simulated: peak RSS, large / quarter archive',
    `${(ingest.peakMb / smallIngest.peakMb).toFixed(2)}×`,
    `for ${(events / smallEvents).toFixed(1)}× the events`,
    '',
  );
  row(
    'simulated: astropy reading RA, DEC, ENERGY, TIME of the same files',
    `${(events / read.seconds).toFixed(0)} events/s`,
    `ingest / astropy read`,
    `${(read.seconds / ingest.seconds).toFixed(2)}×`,
  );
  // The bulk path alone: events already in memory, appended in one transaction.
  {
    const count = 2_000_000;
    const rng = new Random(5);
    const ra = Float64Array.from({ length: count }, () => rng.between(0, 360));
    const dec = Float64Array.from({ length: count }, () => rng.between(-60, 60));
    const batch = (first: number, n: number) => ({
      rowCount: n,
      columns: {
        obs_publisher_did: { repeat: 'ivo://bench/append?1' },
        obs_id: { repeat: '1' },
        event_id: BigInt64Array.from({ length: n }, (_, i) => BigInt(first + i)),
        ra: ra.subarray(first, first + n),
        dec: dec.subarray(first, first + n),
        energy: ra.subarray(first, first + n),
        event_time: dec.subarray(first, first + n),
        healpix_index: BigInt64Array.from({ length: n }, (_, i) =>
          BigInt(healpixNestedIndex(EVENT_HEALPIX_ORDER, ra[first + i]!, dec[first + i]!)),
        ),
      },
    });
    const batches = Array.from({ length: count / 65536 + 1 }, (_, i) =>
      batch(i * 65536, Math.min(65536, count - i * 65536)),
    ).filter((b) => b.rowCount > 0);
    const append = await peakRssDuring(() =>
      engine
        .transaction(async (tx) => {
          for (const b of batches) await tx.appendColumns(eventsTable, b);
          throw new RollBack();
        })
        .catch((e: unknown) => {
          if (!(e instanceof RollBack)) throw e;
        }),
    );
    row(
      'bulk append alone (2e6 events in memory, rolled back)',
      `${(count / append.seconds).toFixed(0)} events/s`,
      `${(count / append.cpuSeconds).toFixed(0)} events per CPU s`,
      `ingest / append alone ${(events / ingest.seconds / (count / append.seconds)).toFixed(2)}×`,
    );
  }
  return { engine, roots: [store] };
}

// ---- 3. cones, on what was ingested above or on catalogs made beforehand (--catalog A,B:
// the same cones on each in turn, so that a machine's load weighs on both alike)
const catalogs = (values.catalog ?? '').split(',').filter((s) => s !== '');
const { engines, roots } =
  catalogs.length > 0
    ? {
        engines: await Promise.all(catalogs.map((c) => openEngine(c))),
        roots: (values.stores ?? '').split(',').filter((s) => s !== ''),
      }
    : await ingested().then(({ engine, roots }) => ({ engines: [engine], roots }));
const names = catalogs.length > 0 ? catalogs : ['simulated'];
for (const [i, engine] of engines.entries()) {
  if (catalogs.length === 0) break;
  row(`catalog ${names[i]}: events (${engine.dialect})`, String(await eventCount(engine)), '', '');
}

/** Row groups of hearc.events whose cell zone map meets the cells of a cone (DuckDB): what it reads. */
async function rowGroupsMet(engine: Engine, cone: Cone): Promise<string> {
  if (engine.dialect !== 'duckdb') return '';
  const zones = new Map<number, [number, number]>();
  const storage = await engine.stream(
    `SELECT row_group_id, stats FROM pragma_storage_info('hearc.events') WHERE column_name = 'healpix_index' AND segment_type <> 'VALIDITY'`,
  );
  for await (const batch of storage) {
    for (const [group, stats] of batch) {
      const m = /Min: (\d+), Max: (\d+)/.exec(String(stats));
      if (!m) continue;
      const z = zones.get(Number(group));
      const [lo, hi] = [Number(m[1]), Number(m[2])];
      zones.set(Number(group), z ? [Math.min(z[0], lo), Math.max(z[1], hi)] : [lo, hi]);
    }
  }
  const { sql } = compileAdql(adqlOf(cone), publishedSchema, duckDbDialect);
  const cells = [
    ...[...sql.matchAll(/"healpix_index" BETWEEN (\d+) AND (\d+)/g)].map((m) => [m[1], m[2]]),
    ...[...sql.matchAll(/"healpix_index" = (\d+)/g)].map((m) => [m[1], m[1]]),
  ].map(([a, b]) => [Number(a), Number(b)] as const);
  let met = 0;
  for (const [lo, hi] of zones.values()) if (cells.some(([a, b]) => lo <= b && a <= hi)) met++;
  return `${met} of ${zones.size} row groups`;
}

const crab = { ra: 83.6331, dec: 22.0145, radius: 0.2, emin: 1 };
// Each catalog's count five times in turns: the median.
const crabSeconds = engines.map((): number[] => []);
const crabCounts = new Set<number>();
for (const engine of engines) await countOf(engine, crab);
for (let k = 0; k < 5; k++) {
  for (const [i, engine] of engines.entries()) {
    const { n, seconds } = await countOf(engine, crab);
    crabCounts.add(n);
    crabSeconds[i]!.push(seconds);
  }
}
if (crabCounts.size !== 1)
  throw new Error(`the catalogs count differently: ${[...crabCounts].join(', ')}`);
const scan = roots.length > 0 ? numpyScan(crab, roots) : undefined;
if (scan && !crabCounts.has(scan.n))
  throw new Error(`counts differ: hearc ${[...crabCounts][0]}, numpy ${scan.n}`);
for (const [i, engine] of engines.entries()) {
  const seconds = quantile(
    crabSeconds[i]!.sort((a, b) => a - b),
    0.5,
  );
  row(
    `${names[i]}: cone 0.2° + E > 1 TeV count (median of 5)`,
    `${(seconds * 1e3).toFixed(1)} ms`,
    scan ? `astropy+numpy ${(scan.seconds * 1e3).toFixed(0)} ms` : 'no --stores: no numpy scan',
    `${scan ? `${(scan.seconds / seconds).toFixed(0)}×, ` : ''}${await rowGroupsMet(engine, crab)}`,
  );
}
// Cones of 0.1 to 1 deg about the simulated targets' fields, and a full-table aggregate.
const rng = new Random(11);
const targets = [
  [83.6331, 22.0145],
  [329.7169, -30.2256],
  [228.5292, -59.1575],
  [258.25, -39.75],
  [266.4168, -29.0078],
];
// Each cone on each catalog twice, in turns: with the cell predicates, and without them (the baseline).
const latencies = engines.map((): number[] => []);
const baseline = engines.map((): number[] => []);
const cpuTimes = engines.map((): number[] => []);
for (let c = 0; c < coneCount; c++) {
  const [ra, dec] = targets[c % targets.length]!;
  const cone = {
    ra: ra! + rng.between(-1.5, 1.5),
    dec: dec! + rng.between(-1.5, 1.5),
    radius: rng.between(0.1, 1),
    emin: 0.1,
  };
  const counts = new Set<number>();
  for (const [i, engine] of engines.entries()) {
    const cells = await countOf(engine, cone);
    const plain = await countOf(engine, cone, withoutCells);
    counts.add(cells.n).add(plain.n);
    latencies[i]!.push(cells.seconds * 1e3);
    baseline[i]!.push(plain.seconds * 1e3);
    cpuTimes[i]!.push(cells.cpuSeconds * 1e3);
  }
  if (counts.size !== 1) throw new Error(`counts differ: ${[...counts].join(', ')}`);
}
for (const times of [...latencies, ...baseline, ...cpuTimes]) times.sort((a, b) => a - b);
for (const [i, name] of names.entries()) {
  const [cells, plain, cpu] = [latencies[i]!, baseline[i]!, cpuTimes[i]!];
  row(
    `${name}: ${coneCount} cones 0.1°–1°, HEALPix cells`,
    `p50 ${quantile(cells, 0.5).toFixed(1)} ms`,
    `p95 ${quantile(cells, 0.95).toFixed(1)} ms`,
    `p50 ${(quantile(plain, 0.5) / quantile(cells, 0.5)).toFixed(1)}× faster`,
  );
  row(
    `${name}: the same cones, CPU time of all threads`,
    `p50 ${quantile(cpu, 0.5).toFixed(1)} ms`,
    `p95 ${quantile(cpu, 0.95).toFixed(1)} ms`,
    `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  );
  row(
    `${name}: the same cones without the cell predicates`,
    `p50 ${quantile(plain, 0.5).toFixed(1)} ms`,
    `p95 ${quantile(plain, 0.95).toFixed(1)} ms`,
    `p95 ${(quantile(plain, 0.95) / quantile(cells, 0.95)).toFixed(1)}× faster`,
  );
}
if (engines.length > 1) {
  const ratio = (times: number[][], q: number, i: number): string =>
    `${(quantile(times[0]!, q) / quantile(times[i]!, q)).toFixed(2)}×`;
  for (let i = 1; i < engines.length; i++) {
    row(
      `${names[i]} against ${names[0]}: cones (cells)`,
      `p50 ${ratio(latencies, 0.5, i)}, p95 ${ratio(latencies, 0.95, i)} faster`,
      `CPU p50 ${ratio(cpuTimes, 0.5, i)}, p95 ${ratio(cpuTimes, 0.95, i)}`,
      `0.2° count ${(quantile(crabSeconds[0]!, 0.5) / quantile(crabSeconds[i]!, 0.5)).toFixed(2)}×`,
    );
  }
}
// pg_sphere refuses circles wider than 90°: the row then says so instead of ending the run.
for (const [i, engine] of engines.entries()) {
  const everything = await countOf(engine, { ra: 0, dec: 0, radius: 179.9, emin: 10 }).catch(
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  row(
    `${names[i]}: E > 10 TeV over the sky`,
    everything instanceof Error ? 'failed' : `${(everything.seconds * 1e3).toFixed(1)} ms`,
    everything instanceof Error ? everything.message : `${everything.n} events`,
    '',
  );
  await engine.close();
}

const widths = [0, 1, 2, 3].map((c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | '));
if (!values.keep) rmSync(work, { recursive: true, force: true });
