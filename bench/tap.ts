/**
 * TAP sync under load, DuckDB against PostgreSQL + pg_sphere: throughput and latency
 * (p50, p99) of a cone query, a time + energy query and a TOP 10000 query over a
 * 100,000-row ObsCore table at concurrency 1 and 8, then a 1,000,000-row BINARY2
 * result streamed: MB/s and the server's peak RSS. The server is the real
 * `hearc serve` in a child process (so its RSS is its own); the load comes from
 * `concurrency` request loops over keep-alive connections (node:http Agent) in this process.
 *
 *   node --import tsx bench/tap.ts [--rows 100000] [--seconds 5] [--stream-rows 1000000]
 *                                  [--postgres postgres://postgres@127.0.0.1:5432]
 *                                  [--queries 'cone *,top 10000'] [--concurrency 1,8]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { main } from '../src/cli/main.js';
import { openEngine } from '../src/engine/index.js';
import { procStatus, serveInChild, waitUntilIdle } from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';
import { load, type LoadResult, syncQuery, table } from './tap-load.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    seconds: { type: 'string' },
    'stream-rows': { type: 'string' },
    postgres: { type: 'string' },
    serve: { type: 'string' },
    port: { type: 'string' },
    queries: { type: 'string' },
    concurrency: { type: 'string' },
  },
});

// ------------------------------------------------------------------ the server

interface Server {
  readonly base: string;
  readonly child: ChildProcess;
}

async function startServer(catalog: string): Promise<Server> {
  const { base, child } = await serveInChild(fileURLToPath(import.meta.url), catalog);
  await quiet(child.pid as number);
  return { base, child };
}

/** Waits for the server's start-up work, then tells how long it took and its idle RSS. */
async function quiet(pid: number): Promise<void> {
  const waited = await waitUntilIdle(pid);
  const rss = await procStatus(pid, 'VmRSS');
  console.error(
    `server busy with its start-up work for ${waited.toFixed(0)} s; idle RSS ${rss.toFixed(0)} MB`,
  );
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

const ALL_QUERIES: Readonly<Record<string, (random: () => number) => string>> = {
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

interface StreamResult {
  readonly rows: number;
  readonly megabytes: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
}

async function streamBig(server: Server, rows: number): Promise<StreamResult> {
  const pid = server.child.pid as number;
  const idleRssMb = await procStatus(pid, 'VmRSS');
  // Resets the peak resident size (VmHWM) of the server to what it holds now.
  await writeFile(`/proc/${pid}/clear_refs`, '5');
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
    peakRssMb: await procStatus(pid, 'VmHWM'),
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
  try {
    const template = await templateRows(dir);
    await admin.unsafe(`CREATE DATABASE ${database}`);
    const catalogs: Record<string, string> = {
      duckdb: join(dir, 'bench.duckdb'),
      postgres: `${pgServer}/${database}`,
    };
    // Both at once: inserting through the engine API is the slow part of the run.
    await Promise.all(
      Object.entries(catalogs).map(async ([name, location]) => {
        const t0 = performance.now();
        await fillCatalog(await openEngine(location), template, rows);
        const took = ((performance.now() - t0) / 1000).toFixed(1);
        console.error(`${name}: ${rows} ObsCore rows in ${took} s`);
      }),
    );

    const results = new Map<string, LoadResult>();
    const peaks = new Map<string, number>();
    const streams = new Map<string, StreamResult>();
    for (const [name, location] of Object.entries(catalogs)) {
      const server = await startServer(location);
      try {
        for (const [query, make] of Object.entries(QUERIES)) {
          await load(server.base, make, 2, 1); // warm-up
          for (const concurrency of CONCURRENCY) {
            const pid = server.child.pid as number;
            // The server's peak resident size during this case only (VmHWM reset first).
            await writeFile(`/proc/${pid}/clear_refs`, '5');
            const result = await load(server.base, make, concurrency, seconds);
            peaks.set(`${name}|${query}|${concurrency}`, await procStatus(pid, 'VmHWM'));
            results.set(`${name}|${query}|${concurrency}`, result);
            console.error(`${name} ${query} c${concurrency}: ${result.perSecond.toFixed(1)} req/s`);
          }
        }
        streams.set(name, await streamBig(server, streamRows));
      } finally {
        await stopServer(server);
      }
    }

    const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
    console.log(`\nTAP sync over ${rows} ObsCore rows, ${seconds} s per case, loopback\n`);
    const loadRows: string[][] = [];
    for (const query of Object.keys(QUERIES)) {
      for (const concurrency of CONCURRENCY) {
        for (const name of Object.keys(catalogs)) {
          const r = results.get(`${name}|${query}|${concurrency}`);
          if (!r) continue;
          loadRows.push([
            query,
            `c${concurrency}`,
            name,
            String(r.requests),
            f(r.perSecond),
            f(r.p50),
            f(r.p99),
            f(peaks.get(`${name}|${query}|${concurrency}`) ?? NaN, 0),
          ]);
        }
      }
    }
    console.log(
      table(
        ['query', 'conc', 'engine', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB'],
        loadRows,
      ),
    );

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
      for (const name of Object.keys(catalogs)) {
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
          'duckdb c8/c1',
          'postgres c8/c1',
        ],
        ratioRows,
      ),
    );

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
if (values.serve !== undefined) {
  process.exitCode = await main(['serve', '--db', values.serve, '--port', values.port ?? '0']);
} else {
  await runBench();
}
