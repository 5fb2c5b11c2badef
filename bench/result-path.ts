/**
 * The result path from the engine to the bytes, in process (no HTTP): a TAP query
 * run with runQuery and its body drained, for a 1,000,000-row BINARY2 result (six
 * columns) and a TOP 10000 `SELECT *` (58 ObsCore columns) in every format, on
 * DuckDB and (when reachable) PostgreSQL. Prints MB/s, rows/s, cells/s, p50/p99 of
 * repeated runs, the CPU time this process spent (p50; steadier than wall time on a
 * shared machine, but without the database server's share) and the peak RSS of this
 * process during each case.
 *
 *   node --import tsx bench/result-path.ts [--rows 20000] [--big 1000000] [--repeat 5]
 *        [--postgres postgres://postgres@127.0.0.1:5432] [--only duckdb|postgres]
 *        [--formats votable,votable/td,csv,tsv,json,fits] [--profile DIR] [--allocations]
 *   --profile DIR writes a V8 CPU profile of the measured runs only (not the catalog fill)
 *   per engine to DIR/<engine>.cpuprofile; bench/profile-top.ts prints its top.
 *   --allocations adds the JS heap allocated per query (V8's sampling heap profiler, the
 *   objects already collected included) and the functions allocating most: the garbage a
 *   result makes, which under concurrent requests is what the collector copies. Run
 *   through tsx, the sources allocate more than the built code (`npm run build`, what
 *   `hearc serve` runs) does: the BINARY2 writers box doubles the build keeps unboxed.
 *   Read its figures as upper bounds (bench/PROFILE.md, seventh slice).
 *   node --cpu-prof --cpu-prof-dir=bench/profiles --import tsx bench/result-path.ts
 */
import { readFile, writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { sqlDialectFor } from '../src/engine/dialects.js';
import { openEngine } from '../src/engine/index.js';
import type { Engine } from '../src/engine/types.js';
import { publishedSchema } from '../src/obscore/schema.js';
import { DaliParameters } from '../src/dali/index.js';
import { DEFAULT_LIMITS, prepareQuery, type QueryService, runQuery } from '../src/tap/query.js';
import { servedSchema } from '../src/tap/tap-schema.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    big: { type: 'string' },
    repeat: { type: 'string' },
    postgres: { type: 'string' },
    only: { type: 'string' },
    formats: { type: 'string' },
    profile: { type: 'string' },
    allocations: { type: 'boolean' },
  },
});
const catalogRows = Number(values.rows ?? 20_000);
const bigRows = Number(values.big ?? 1_000_000);
const repeat = Number(values.repeat ?? 5);
const pgServer = values.postgres ?? 'postgres://postgres@127.0.0.1:5432';

interface Case {
  readonly name: string;
  readonly adql: string;
  readonly format: string;
  readonly maxrec: number;
  readonly columns: number;
  readonly runs: number;
}

const FORMATS = (values.formats ?? 'votable,votable/td,csv,tsv,json,fits').split(',');

function cases(): Case[] {
  const top = Math.min(10_000, catalogRows);
  const list: Case[] = FORMATS.map((format) => ({
    name: `TOP ${top} *`,
    adql: `SELECT TOP ${top} * FROM ivoa.obscore`,
    format,
    maxrec: top,
    columns: 58,
    runs: repeat,
  }));
  // Rows enough for `bigRows` from a self join: the 1M-row case of issue 17.
  list.push({
    name: `${bigRows} rows`,
    adql: `SELECT TOP ${bigRows} a.obs_id, a.s_ra, a.s_dec, a.t_min, a.em_min, b.t_max FROM ivoa.obscore AS a CROSS JOIN ivoa.obscore AS b`,
    format: 'votable',
    maxrec: bigRows,
    columns: 6,
    runs: Math.max(1, Math.min(3, repeat)),
  });
  return list;
}

async function rssMb(key: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

async function runOnce(service: QueryService, c: Case): Promise<number> {
  const params = new DaliParameters([
    ['LANG', 'ADQL'],
    ['QUERY', c.adql],
    ['RESPONSEFORMAT', c.format],
    ['MAXREC', String(c.maxrec)],
  ]);
  const result = await runQuery(service, prepareQuery(service, params));
  let bytes = 0;
  for await (const chunk of result.body) bytes += chunk.length;
  return bytes;
}

interface Measured {
  readonly engine: string;
  readonly c: Case;
  readonly bytes: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  /** JS heap allocated per query, MB, with --allocations. */
  readonly allocatedMb?: number;
}

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

/** Bytes allocated per query of `runs` queries, in all and by function (top 5), from a sampling heap profile. */
async function allocations(
  run: () => Promise<unknown>,
  runs: number,
): Promise<{ total: number; top: [string, number][] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (let i = 0; i < runs; i++) await run();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const byFunction = new Map<string, number>();
    let total = 0;
    const walk = (node: SamplingNode): void => {
      const name = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').slice(-2).join('/')}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize / runs);
      total += node.selfSize / runs;
      for (const child of node.children) walk(child);
    };
    walk(profile.head as unknown as SamplingNode);
    const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return { total, top };
  } finally {
    session.disconnect();
  }
}

async function measure(engineName: string, engine: Engine): Promise<Measured[]> {
  const service: QueryService = {
    engine,
    schema: servedSchema(publishedSchema),
    dialect: sqlDialectFor(engine.dialect),
    limits: { ...DEFAULT_LIMITS, timeoutMs: 600_000 },
  };
  const out: Measured[] = [];
  for (const c of cases()) {
    await runOnce(service, { ...c, adql: c.adql.replace(/TOP \d+/, 'TOP 100') }); // warm-up
    global.gc?.();
    await writeFile('/proc/self/clear_refs', '5').catch(() => undefined);
    const times: number[] = [];
    const cpu: number[] = [];
    let bytes = 0;
    for (let i = 0; i < c.runs; i++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      bytes = await runOnce(service, c);
      const used = process.cpuUsage(cpu0);
      cpu.push((used.user + used.system) / 1000);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const at = (q: number): number =>
      times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    const peakRssMb = await rssMb('VmHWM');
    let allocatedMb: number | undefined;
    if (values.allocations === true) {
      const sampled = await allocations(() => runOnce(service, c), c.runs);
      allocatedMb = sampled.total / 1e6;
      const top = sampled.top.map(([name, b]) => `${(b / 1e6).toFixed(1)} MB ${name}`);
      console.error(`  allocated per query: ${top.join('; ')}`);
    }
    out.push({
      engine: engineName,
      c,
      bytes,
      p50: at(0.5),
      p99: at(0.99),
      cpuMs: cpu[Math.floor(cpu.length / 2)]!,
      peakRssMb,
      ...(allocatedMb !== undefined ? { allocatedMb } : {}),
    });
    console.error(`${engineName} ${c.name} ${c.format}: ${at(0.5).toFixed(1)} ms`);
  }
  return out;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function postgresReachable(): Promise<boolean> {
  const admin = postgres(`${pgServer}/postgres`, {
    max: 1,
    onnotice: () => undefined,
    connect_timeout: 2,
  });
  try {
    const found = await admin`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_sphere'`;
    return found.length > 0;
  } catch {
    return false;
  } finally {
    await admin.end();
  }
}

async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hearc-bench-result-'));
  const database = `hearc_bench_result_${process.pid}`;
  const admin = postgres(`${pgServer}/postgres`, { max: 1, onnotice: () => undefined });
  const results: Measured[] = [];
  try {
    const template = await templateRows(dir);
    const catalogs: [string, string][] = [];
    if (values.only !== 'postgres') catalogs.push(['duckdb', join(dir, 'bench.duckdb')]);
    if (values.only !== 'duckdb' && (await postgresReachable())) {
      await admin.unsafe(`CREATE DATABASE ${database}`);
      catalogs.push(['postgres', `${pgServer}/${database}`]);
    }
    for (const [name, location] of catalogs) {
      await fillCatalog(await openEngine(location), template, catalogRows);
      const engine = await openEngine(location);
      try {
        const session = values.profile === undefined ? undefined : new Session();
        if (session) {
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.start');
        }
        results.push(...(await measure(name, engine)));
        if (session && values.profile !== undefined) {
          const { profile } = await session.post('Profiler.stop');
          await mkdir(values.profile, { recursive: true });
          await writeFile(join(values.profile, `${name}.cpuprofile`), JSON.stringify(profile));
          session.disconnect();
        }
      } finally {
        await engine.close();
      }
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
  console.log(
    `\nTAP result path in process (runQuery, body drained), ${catalogRows}-row ObsCore table\n`,
  );
  console.log(
    table(
      [
        'engine',
        'case',
        'format',
        'MB',
        'p50 ms',
        'p99 ms',
        'CPU ms',
        'MB/s',
        'krows/s',
        'Mcells/s',
        'peak RSS MB',
        ...(values.allocations === true ? ['allocated MB/query'] : []),
      ],
      results.map((m) => {
        const seconds = m.p50 / 1000;
        return [
          m.engine,
          m.c.name,
          m.c.format,
          f(m.bytes / 2 ** 20),
          f(m.p50),
          f(m.p99),
          f(m.cpuMs, 0),
          f(m.bytes / 2 ** 20 / seconds),
          f(m.c.maxrec / seconds / 1000, 0),
          f((m.c.maxrec * m.c.columns) / seconds / 1e6, 2),
          f(m.peakRssMb, 0),
          ...(values.allocations === true ? [f(m.allocatedMb ?? NaN)] : []),
        ];
      }),
    ),
  );
}

await run();
