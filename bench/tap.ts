/**
 * TAP sync under load, DuckDB against PostgreSQL + pg_sphere: throughput and latency
 * (p50, p99) of cone queries, a time + energy query, a TOP 10000 query and a GROUP BY
 * over a 100,000-row ObsCore table at concurrency 1 and 8, then a 1,000,000-row BINARY2
 * result streamed: MB/s and the server's peak RSS. The server is the real
 * `hearc serve` in a child process (so its RSS is its own; with --processes, the sum
 * over its processes); the load comes from `concurrency` request loops over keep-alive
 * connections (node:http Agent) in this process.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { main } from '../src/cli/main.js';
import { openEngine } from '../src/engine/index.js';
import {
  cpuTicks,
  processTree,
  procStatus,
  resetPeakRss,
  serveInChild,
  treeTotal,
  waitUntilIdle,
} from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';
import { load, type LoadResult, syncQuery, table } from './tap-load.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    seconds: { type: 'string' },
    'stream-rows': { type: 'string' },
    postgres: { type: 'string' },
    'postgres-catalog': { type: 'string' },
    serve: { type: 'string' },
    port: { type: 'string' },
    queries: { type: 'string' },
    concurrency: { type: 'string' },
    engines: { type: 'string' },
    processes: { type: 'string' },
    mixed: { type: 'string' },
    help: { type: 'boolean' },
  },
});

const USAGE = `usage: node --import tsx bench/tap.ts [options]

  --rows N             ObsCore rows of the catalogs (default 100000)
  --seconds S          load time per case (default 5)
  --stream-rows N      rows of the streamed BINARY2 result (default 1000000; 0: none)
  --postgres URL       PostgreSQL server (default postgres://postgres@127.0.0.1:5432);
                       the bench makes and drops a database of its own there
  --postgres-catalog URL
                       serve this PostgreSQL catalog as it is (bench/obscore-catalog.ts
                       fills one) instead of making one of --rows rows; kept afterwards
  --engines LIST       duckdb,postgres (default both)
  --processes LIST     hearc serve --processes of the PostgreSQL server, one run each in
                       turn, e.g. 1,2 (default 1); ratios against the first
  --queries LIST       of: cone *, cone, time+energy, top 10000, GROUP BY target (default all)
  --concurrency LIST   request loops at once (default 1,8)
  --mixed yes|no       then one cone loop beside two TOP 10000 loops: does a heavy
                       query hold up light ones? (default yes)
`;

// ------------------------------------------------------------------ the server

interface Server {
  readonly base: string;
  readonly child: ChildProcess;
}

async function startServer(catalog: string, processes: number): Promise<Server> {
  const script = fileURLToPath(import.meta.url);
  const { base, child } = await serveInChild(script, catalog, ['--processes', String(processes)]);
  await quiet(child.pid as number);
  return { base, child };
}

/** Waits for the server's start-up work, then tells how long it took, its CPU and idle RSS. */
async function quiet(pid: number): Promise<void> {
  const waited = await waitUntilIdle(pid);
  const rss = await treeTotal(pid, 'VmRSS');
  const cpu = (await treeTotal(pid, 'ticks')) / 100;
  const each = await Promise.all(
    (await processTree(pid)).map(async (p) => {
      const [mb, ticks] = [await procStatus(p, 'VmRSS'), await cpuTicks(p)];
      return `${p}: ${mb.toFixed(0)} MB, ${(ticks / 100).toFixed(1)} CPU s`;
    }),
  );
  console.error(
    `server busy with its start-up work for ${waited.toFixed(0)} s (${cpu.toFixed(1)} CPU s); idle RSS ${rss.toFixed(0)} MB (${each.join('; ')})`,
  );
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

type QueryMaker = (random: () => number) => string;

const ALL_QUERIES: Readonly<Record<string, QueryMaker>> = {
  // The side-by-side benchmark's row-heavy cone (issue 17): every column, a 3 degree radius.
  'cone *': (random) =>
    `SELECT * FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${(random() * 360).toFixed(3)}, ${(random() * 120 - 60).toFixed(3)}, 3))`,
  cone: (random) =>
    `SELECT obs_id, s_ra, s_dec, t_min, em_min FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${(random() * 360).toFixed(3)}, ${(random() * 120 - 60).toFixed(3)}, 3))`,
  'time+energy': (random) => {
    const t = 58_000 + random() * 3600;
    return `SELECT obs_id, t_min, t_max, em_min, em_max FROM ivoa.obscore WHERE t_min BETWEEN ${t.toFixed(3)} AND ${(t + 30).toFixed(3)} AND em_max > 1e-18 AND em_min < 1e-17`;
  },
  'top 10000': () => 'SELECT TOP 10000 * FROM ivoa.obscore',
  'GROUP BY target': () =>
    'SELECT target_name, COUNT(*) AS n FROM ivoa.obscore GROUP BY target_name',
};
const QUERIES: Readonly<Record<string, (random: () => number) => string>> =
  values.queries === undefined
    ? ALL_QUERIES
    : Object.fromEntries(
        values.queries.split(',').map((name) => {
          const make = ALL_QUERIES[name];
          if (!make)
            throw new Error(`unknown query ${name}: ${Object.keys(ALL_QUERIES).join(', ')}`);
          return [name, make];
        }),
      );
const CONCURRENCY = (values.concurrency ?? '1,8').split(',').map(Number);
const ENGINES = (values.engines ?? 'duckdb,postgres').split(',');
const PROCESSES = (values.processes ?? '1').split(',').map(Number);
const MIXED = values.mixed !== 'no';

/** The servers of the run: DuckDB as one process, PostgreSQL once per --processes count. */
function serversOf(
  catalogs: Record<string, string>,
): { name: string; location: string; processes: number }[] {
  return Object.entries(catalogs).flatMap(([engine, location]) =>
    engine === 'postgres'
      ? PROCESSES.map((n) => ({
          name: n === 1 ? engine : `${engine} x${n}`,
          location,
          processes: n,
        }))
      : [{ name: engine, location, processes: 1 }],
  );
}

interface StreamResult {
  readonly rows: number;
  readonly megabytes: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
}

async function streamBig(server: Server, rows: number): Promise<StreamResult> {
  const pid = server.child.pid as number;
  const idleRssMb = await treeTotal(pid, 'VmRSS');
  await resetPeakRss(pid);
  const t0 = performance.now();
  const bytes = await syncQuery(server.base, {
    QUERY: `SELECT TOP ${rows} a.obs_id, a.s_ra, a.s_dec, a.t_min, a.em_min, b.t_max FROM ivoa.obscore AS a CROSS JOIN ivoa.obscore AS b`,
    MAXREC: String(rows),
    RESPONSEFORMAT: 'votable',
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    rows,
    megabytes: bytes / 2 ** 20,
    seconds,
    peakRssMb: await treeTotal(pid, 'VmHWM'),
    idleRssMb,
  };
}

// ------------------------------------------------------------------ the run

async function runBench(): Promise<void> {
  const rows = Number(values.rows ?? 100_000);
  const seconds = Number(values.seconds ?? 5);
  const streamRows = Number(values['stream-rows'] ?? 1_000_000);
  const pgServer = values.postgres ?? 'postgres://postgres@127.0.0.1:5432';
  const dir = await mkdtemp(join(tmpdir(), 'hearc-bench-tap-'));
  const database = `hearc_bench_tap_${process.pid}`;
  const admin = postgres(`${pgServer}/postgres`, { max: 1, onnotice: () => undefined });
  const given = values['postgres-catalog'];
  try {
    const template = await templateRows(dir);
    if (given === undefined) await admin.unsafe(`CREATE DATABASE ${database}`);
    const catalogs: Record<string, string> = Object.fromEntries(
      Object.entries({
        duckdb: join(dir, 'bench.duckdb'),
        postgres: given ?? `${pgServer}/${database}`,
      }).filter(([name]) => ENGINES.includes(name)),
    );
    // Both at once: inserting through the engine API is the slow part of the run.
    await Promise.all(
      Object.entries(catalogs).map(async ([name, location]) => {
        if (location === given) return;
        const t0 = performance.now();
        await fillCatalog(await openEngine(location), template, rows);
        const took = ((performance.now() - t0) / 1000).toFixed(1);
        console.error(`${name}: ${rows} ObsCore rows in ${took} s`);
      }),
    );

    const results = new Map<string, LoadResult>();
    const peaks = new Map<string, number>();
    const cpuPerRequest = new Map<string, number>();
    const streams = new Map<string, StreamResult>();
    const mixed = new Map<string, { light: LoadResult; heavy: LoadResult }>();
    const servers = serversOf(catalogs);
    for (const { name, location, processes } of servers) {
      const server = await startServer(location, processes);
      try {
        for (const [query, make] of Object.entries(QUERIES)) {
          await load(server.base, make, 2, 1); // warm-up
          for (const concurrency of CONCURRENCY) {
            const pid = server.child.pid as number;
            // The server's peak resident size during this case only (VmHWM reset first),
            // summed over its processes; its CPU time likewise.
            await resetPeakRss(pid);
            const ticks = await treeTotal(pid, 'ticks');
            const result = await load(server.base, make, concurrency, seconds);
            const cpu = ((await treeTotal(pid, 'ticks')) - ticks) / 100;
            const key = `${name}|${query}|${concurrency}`;
            peaks.set(key, await treeTotal(pid, 'VmHWM'));
            cpuPerRequest.set(key, (cpu * 1000) / Math.max(1, result.requests));
            results.set(key, result);
            console.error(`${name} ${query} c${concurrency}: ${result.perSecond.toFixed(1)} req/s`);
          }
        }
        if (MIXED) {
          // Whether a heavy query holds up light ones: a short cone beside TOP 10000 loops.
          const [light, heavy] = await Promise.all([
            load(server.base, ALL_QUERIES.cone as QueryMaker, 1, seconds),
            load(server.base, ALL_QUERIES['top 10000'] as QueryMaker, 2, seconds),
          ]);
          mixed.set(name, { light, heavy });
          console.error(`${name} cone beside TOP 10000: p50 ${light.p50.toFixed(0)} ms`);
        }
        if (streamRows > 0) streams.set(name, await streamBig(server, streamRows));
      } finally {
        await stopServer(server);
      }
    }

    const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
    console.log(`\nTAP sync over ${rows} ObsCore rows, ${seconds} s per case, loopback\n`);
    const loadRows: string[][] = [];
    for (const query of Object.keys(QUERIES)) {
      for (const concurrency of CONCURRENCY) {
        for (const { name } of servers) {
          const key = `${name}|${query}|${concurrency}`;
          const r = results.get(key);
          if (!r) continue;
          loadRows.push([
            query,
            `c${concurrency}`,
            name,
            String(r.requests),
            f(r.perSecond),
            f(r.p50),
            f(r.p99),
            f(cpuPerRequest.get(key) ?? NaN, 0),
            f(peaks.get(key) ?? NaN, 0),
          ]);
        }
      }
    }
    console.log(
      table(
        [
          'query',
          'conc',
          'server',
          'requests',
          'req/s',
          'p50 ms',
          'p99 ms',
          'CPU ms/req',
          'peak RSS MB',
        ],
        loadRows,
      ),
    );
    if (PROCESSES.length > 1 && catalogs.postgres !== undefined) {
      const [first, ...more] = servers.filter((s) => s.location === catalogs.postgres);
      console.log(`\nratios: PostgreSQL with more processes / ${first?.name} (req/s)\n`);
      const processRows = Object.keys(QUERIES).map((query) => [
        query,
        ...more.flatMap(({ name }) =>
          CONCURRENCY.map((c) => {
            const a = results.get(`${first?.name}|${query}|${c}`);
            const b = results.get(`${name}|${query}|${c}`);
            return a && b ? f(b.perSecond / a.perSecond, 2) : '-';
          }),
        ),
      ]);
      const header = more.flatMap(({ name }) => CONCURRENCY.map((c) => `${name} c${c}`));
      console.log(table(['query', ...header], processRows));
    }

    console.log('\nratios: PostgreSQL/DuckDB (req/s, p50) and c8/c1 (req/s)\n');
    const ratioRows: string[][] = [];
    for (const query of Object.keys(QUERIES)) {
      const get = (name: string, c: number) => results.get(`${name}|${query}|${c}`);
      const row = [query];
      for (const c of [1, 8]) {
        const d = get('duckdb', c);
        const p = get('postgres', c);
        row.push(
          d && p ? f(p.perSecond / d.perSecond, 2) : '-',
          d && p ? f(p.p50 / d.p50, 2) : '-',
        );
      }
      for (const { name } of servers) {
        const c1 = get(name, 1);
        const c8 = get(name, 8);
        row.push(c1 && c8 ? f(c8.perSecond / c1.perSecond, 2) : '-');
      }
      ratioRows.push(row);
    }
    console.log(
      table(
        [
          'query',
          'pg/duck req/s c1',
          'pg/duck p50 c1',
          'pg/duck req/s c8',
          'pg/duck p50 c8',
          ...servers.map(({ name }) => `${name} c8/c1`),
        ],
        ratioRows,
      ),
    );

    if (mixed.size > 0) {
      console.log('\none cone loop (5 columns) beside two TOP 10000 * loops, at once\n');
      const mixedRows = [...mixed].map(([name, { light, heavy }]) => [
        name,
        f(light.perSecond),
        f(light.p50),
        f(light.p99),
        f(heavy.perSecond, 2),
      ]);
      console.log(
        table(['server', 'cone req/s', 'cone p50 ms', 'cone p99 ms', 'TOP 10000 req/s'], mixedRows),
      );
    }
    console.log(`\nstreaming a ${streamRows}-row BINARY2 result (6 columns)\n`);
    const streamRowsOut = [...streams].map(([name, s]) => [
      name,
      f(s.megabytes),
      f(s.seconds, 2),
      f(s.megabytes / s.seconds),
      f(s.rows / s.seconds / 1000, 0),
      f(s.idleRssMb, 0),
      f(s.peakRssMb, 0),
    ]);
    console.log(
      table(['engine', 'MB', 's', 'MB/s', 'krows/s', 'RSS idle MB', 'RSS peak MB'], streamRowsOut),
    );
    const d = streams.get('duckdb');
    const p = streams.get('postgres');
    if (d && p) {
      console.log(
        `\nPostgreSQL/DuckDB: MB/s ${f(p.megabytes / p.seconds / (d.megabytes / d.seconds), 2)}, peak RSS ${f(p.peakRssMb / d.peakRssMb, 2)}`,
      );
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

// Child mode: the server under test; otherwise the bench.
if (values.help === true) {
  console.log(USAGE);
} else if (values.serve !== undefined) {
  process.exitCode = await main([
    ...['serve', '--db', values.serve, '--port', values.port ?? '0'],
    ...(values.processes !== undefined ? ['--processes', values.processes] : []),
  ]);
} else {
  await runBench();
}
