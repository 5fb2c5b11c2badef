/**
 * hearc on both engines against GAVO DaCHS (the anchor in ../shared/anchors/dachs), in
 * one run over the same 100,013 ObsCore rows: the anchor's four sync queries at
 * concurrency 1 and 8 (req/s, p50, p99 and each server's peak RSS during the case),
 * then the async round trip (median). The servers of one case run back to back, in the
 * reverse order every second round, so a change of load hits them alike.
 *
 * The hearc catalogs are the ones the anchor's load_hearc.mjs fills (the rows DaCHS
 * serves); hearc runs as `hearc serve` in child processes. Without a running DaCHS the
 * bench still compares the two engines and says so.
 *
 *   node --import tsx bench/side-by-side.ts --duckdb /tmp/bench/cat.duckdb \
 *        --postgres postgres://postgres@127.0.0.1:5432/sbs [--dachs http://127.0.0.1:8080/tap]
 *        [--seconds 10] [--rounds 2] [--async 10] [--postgres-processes N]
 *
 * `--postgres-processes N` serves the PostgreSQL catalog with `hearc serve --processes N`;
 * a server's RSS is summed over its processes.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import { median, resetPeakRss, serveInChild, treeTotal, waitUntilIdle } from './measure.js';
import { load, type LoadResult, table } from './tap-load.js';

const { values } = parseArgs({
  options: {
    duckdb: { type: 'string' },
    postgres: { type: 'string' },
    dachs: { type: 'string', default: 'http://127.0.0.1:8080/tap' },
    'dachs-pid-file': { type: 'string', default: '/var/gavo/state/web.pid' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    async: { type: 'string', default: '10' },
    /** `hearc serve --processes N` for the PostgreSQL catalog (1: one process, as by default). */
    'postgres-processes': { type: 'string', default: '1' },
    serve: { type: 'string' },
    port: { type: 'string' },
    processes: { type: 'string' },
  },
});

/** The anchor's queries (bench.sh), word for word. */
const QUERIES: Readonly<Record<string, string>> = {
  'cone 3° *':
    "SELECT * FROM ivoa.obscore WHERE 1=CONTAINS(POINT('ICRS',s_ra,s_dec),CIRCLE('ICRS',83.63,22.01,3))",
  'time+energy *':
    'SELECT * FROM ivoa.obscore WHERE t_min >= 55000 AND t_max <= 55100 AND em_min <= 1.2398e-19 AND em_max >= 1.2398e-18',
  'TOP 10000 *': 'SELECT TOP 10000 * FROM ivoa.obscore',
  'GROUP BY target': 'SELECT target_name, COUNT(*) AS n FROM ivoa.obscore GROUP BY target_name',
};
const CONCURRENCY = [1, 8];

interface Target {
  readonly name: string;
  /** The URL under which /tap answers. */
  readonly base: string;
  readonly pid: number;
  readonly stop?: () => Promise<void>;
}

async function startHearc(name: string, catalog: string, processes = '1'): Promise<Target> {
  const extra = processes === '1' ? [] : ['--processes', processes];
  const { base, child } = await serveInChild(fileURLToPath(import.meta.url), catalog, extra);
  const pid = child.pid as number;
  await waitUntilIdle(pid);
  return {
    name,
    base,
    pid,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function dachsTarget(tapUrl: string, pidFile: string): Promise<Target | undefined> {
  try {
    const response = await fetch(`${tapUrl}/availability`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return { name: 'DaCHS', base: tapUrl.replace(/\/tap\/?$/, ''), pid };
  } catch (error) {
    console.error(`DaCHS is not running at ${tapUrl} (${String(error)}): hearc only`);
    return undefined;
  }
}

const ASYNC_TIMEOUT_MS = 60_000;

/** POST /async with PHASE=RUN, poll the phase every 50 ms, fetch the result: seconds. */
async function asyncRoundTrip(base: string, query: string): Promise<number> {
  const t0 = performance.now();
  const deadline = t0 + ASYNC_TIMEOUT_MS;
  const created = await fetch(`${base}/tap/async`, {
    method: 'POST',
    body: new URLSearchParams({ REQUEST: 'doQuery', LANG: 'ADQL', QUERY: query, PHASE: 'RUN' }),
    redirect: 'manual',
  });
  const job = created.headers.get('location');
  if (!job) throw new Error(`no job created: HTTP ${created.status}`);
  const jobUrl = new URL(job, `${base}/tap/async`).toString();
  for (;;) {
    const phase = (await (await fetch(`${jobUrl}/phase`)).text()).trim();
    if (phase === 'COMPLETED') break;
    if (phase === 'ERROR' || phase === 'ABORTED') throw new Error(`job ${jobUrl}: ${phase}`);
    if (performance.now() > deadline) {
      throw new Error(`job ${jobUrl} still ${phase} after ${ASYNC_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const result = await fetch(`${jobUrl}/results/result`);
  await result.arrayBuffer();
  if (!result.ok) throw new Error(`result of ${jobUrl}: HTTP ${result.status}`);
  return (performance.now() - t0) / 1000;
}

const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const loadAverage = async (): Promise<string> =>
  (await readFile('/proc/loadavg', 'utf8')).split(' ')[0] ?? '?';

async function runBench(): Promise<void> {
  if (values.duckdb === undefined && values.postgres === undefined) {
    throw new Error('give --duckdb FILE and/or --postgres URL (catalogs filled by load_hearc.mjs)');
  }
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const targets: Target[] = [];
  const dachs = await dachsTarget(values.dachs ?? '', values['dachs-pid-file'] ?? '');
  if (dachs) targets.push(dachs);
  try {
    if (values.duckdb !== undefined) targets.push(await startHearc('hearc DuckDB', values.duckdb));
    if (values.postgres !== undefined) {
      const processes = values['postgres-processes'] ?? '1';
      const name = processes === '1' ? 'hearc PostgreSQL' : `hearc PostgreSQL ×${processes}`;
      targets.push(await startHearc(name, values.postgres, processes));
    }
    const idle = new Map<string, number>();
    // RSS summed over a server's processes (DaCHS: its one server process).
    for (const t of targets) idle.set(t.name, await treeTotal(t.pid, 'VmRSS'));
    // Best of the rounds per target and case (a noisy machine only ever slows one down).
    const best = new Map<string, LoadResult & { peakMb: number; load: string }>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const [query, sql] of Object.entries(QUERIES)) {
        for (const concurrency of CONCURRENCY) {
          for (const t of order) {
            await load(t.base, () => sql, 2, 1); // warm-up
            await resetPeakRss(t.pid); // the peak RSS (VmHWM) of each of its processes
            const loadBefore = await loadAverage();
            const result = await load(t.base, () => sql, concurrency, seconds);
            const peakMb = await treeTotal(t.pid, 'VmHWM');
            const key = `${t.name}|${query}|${concurrency}`;
            const previous = best.get(key);
            if (!previous || result.perSecond > previous.perSecond) {
              best.set(key, { ...result, peakMb, load: loadBefore });
            }
            console.error(
              `round ${round + 1} ${query} c${concurrency} ${t.name}: ${f(result.perSecond)} req/s (load ${loadBefore})`,
            );
          }
        }
      }
    }

    console.log(
      `\nTAP sync, the anchor's queries over the same 100,013 ObsCore rows, ${seconds} s per case, best of ${rounds} rounds, loopback\n`,
    );
    const rows: string[][] = [];
    for (const query of Object.keys(QUERIES)) {
      for (const concurrency of CONCURRENCY) {
        for (const t of targets) {
          const r = best.get(`${t.name}|${query}|${concurrency}`);
          if (!r) continue;
          rows.push([
            query,
            `c${concurrency}`,
            t.name,
            f(r.perSecond),
            f(r.p50),
            f(r.p99),
            f(r.peakMb, 0),
            r.load,
          ]);
        }
      }
    }
    console.log(
      table(['query', 'conc', 'server', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'load'], rows),
    );
    if (dachs) {
      console.log('\nhearc / DaCHS: req/s (higher is better) and peak RSS (lower is better)\n');
      const ratioRows: string[][] = [];
      for (const query of Object.keys(QUERIES)) {
        for (const concurrency of CONCURRENCY) {
          const d = best.get(`DaCHS|${query}|${concurrency}`);
          const row = [query, `c${concurrency}`];
          for (const t of targets.filter((x) => x !== dachs)) {
            const h = best.get(`${t.name}|${query}|${concurrency}`);
            row.push(
              d && h ? `${f(h.perSecond / d.perSecond, 2)}×` : '-',
              d && h ? `${f(h.peakMb / d.peakMb, 2)}×` : '-',
            );
          }
          ratioRows.push(row);
        }
      }
      const header = ['query', 'conc'];
      for (const t of targets.filter((x) => x !== dachs)) {
        header.push(`${t.name} req/s`, `${t.name} RSS`);
      }
      console.log(table(header, ratioRows));
    }
    const asyncMedian = new Map<string, string>();
    for (const t of targets) {
      const times: number[] = [];
      try {
        for (let i = 0; i < Number(values.async); i++) {
          times.push(await asyncRoundTrip(t.base, QUERIES['cone 3° *'] ?? ''));
        }
        asyncMedian.set(t.name, f(median(times), 3));
      } catch (error) {
        console.error(`${t.name}: async round trip failed: ${String(error)}`);
        asyncMedian.set(t.name, 'failed');
      }
    }
    console.log('\nasync round trip (cone query, median) and idle RSS after start-up\n');
    console.log(
      table(
        ['server', 'async s', 'idle RSS MB'],
        targets.map((t) => [t.name, asyncMedian.get(t.name) ?? '-', f(idle.get(t.name) ?? NaN, 0)]),
      ),
    );
  } finally {
    for (const t of targets) await t.stop?.();
  }
}

// Child mode: the server under test; otherwise the bench.
if (values.serve !== undefined) {
  const processes = values.processes === undefined ? [] : ['--processes', values.processes];
  process.exitCode = await main([
    'serve',
    '--db',
    values.serve,
    '--port',
    values.port ?? '0',
    ...processes,
  ]);
} else {
  await runBench();
}
