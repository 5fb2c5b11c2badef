/**
 * hearc.events on one PostgreSQL node against a coordinator with its 12 HEALPix
 * partitions on two shard clusters (postgres_fdw, `hearc shards add`): the same
 * simulated events in both, then full-sky aggregates and 0.1°–1° cones through the
 * ADQL compiler, timed in the same run, with the speed-up of two shards over one node.
 * On the shards each query runs twice: as the plain SQL compiled for one node (which
 * PostgreSQL 15 answers by bringing the rows to the coordinator) and as the engine's
 * dialect compiles it (engineDialect: one aggregate per shard partition, pushed down).
 * The shard clusters are made here with pg_createcluster on free ports and dropped at
 * the end; without pg_createcluster the bench says so and stops.
 *
 *   node --import tsx bench/shards.ts [--events 10000000] [--per-obs 10000] [--cones 100]
 *        [--repeat 5] [--db postgres://postgres@127.0.0.1:5432]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { compileAdql, healpixNestedIndex } from '../src/adql/index.js';
import type { RowVisibility, SqlDialect } from '../src/adql/index.js';
import { observationRightsTable } from '../src/auth/tables.js';
import { postgresDialect } from '../src/engine/dialect/postgres.js';
import { engineDialect } from '../src/engine/dialects.js';
import { addShard, type Engine, openEngine } from '../src/engine/index.js';
import { EVENT_HEALPIX_ORDER, eventsTable } from '../src/events/index.js';
import { catalogTables } from '../src/ingest/catalog.js';
import { obscoreTable, publishedSchema } from '../src/obscore/schema.js';
import { Random } from '../src/sim/random.js';
import { freePort } from '../test/helpers/net.js';
import { median } from './measure.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    'per-obs': { type: 'string' },
    cones: { type: 'string' },
    repeat: { type: 'string' },
    db: { type: 'string' },
  },
});
const eventCount = Number(values.events ?? 10_000_000);
const perObs = Number(values['per-obs'] ?? 10_000);
const coneCount = Number(values.cones ?? 100);
const repeat = Number(values.repeat ?? 5);
const server = values.db ?? 'postgres://postgres@127.0.0.1:5432';
const VERSION = '15';

const quiet = { max: 1, onnotice: () => undefined } as const;
const at = (base: string, database: string): string => {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
};
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

// ---- the shard clusters
if (spawnSync('pg_lsclusters', ['--help']).error !== undefined) {
  console.log(
    'pg_createcluster (Debian postgresql-common) is not available: no shard clusters, no bench',
  );
  process.exit(0);
}
const clusters: string[] = [];
const dropClusters = (): void => {
  for (const c of clusters.splice(0)) spawnSync('pg_dropcluster', ['--stop', VERSION, c]);
};
process.on('SIGINT', () => {
  dropClusters();
  process.exit(130);
});

async function shardCluster(name: string): Promise<string> {
  const port = await freePort();
  const cluster = `hearc_bench_${name}_${process.pid}`;
  const made = spawnSync(
    'pg_createcluster',
    [VERSION, cluster, '-p', String(port), '--start', '--', '--auth=trust'],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`pg_createcluster failed: ${made.stderr}`);
  clusters.push(cluster);
  const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, quiet);
  await admin.unsafe('CREATE DATABASE shard');
  await admin.end();
  return `postgres://postgres@127.0.0.1:${port}/shard`;
}

async function freshDatabase(name: string): Promise<string> {
  const admin = postgres(at(server, 'postgres'), quiet);
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return at(server, name);
}

// ---- the simulated events: observations pointed over the whole sky, events within ~1.5° of each
interface Pointing {
  readonly ra: number;
  readonly dec: number;
}
const observations = Math.ceil(eventCount / perObs);
const pointings: Pointing[] = [];
{
  const rng = new Random(7);
  for (let i = 0; i < observations; i++) {
    pointings.push({
      ra: rng.between(0, 360),
      dec: (Math.asin(rng.between(-1, 1)) * 180) / Math.PI,
    });
  }
}

class RollBack extends Error {}

/**
 * Loads the events of observations [0, count) (the same for every call) with the bulk
 * path, in transactions of about 1e6 events; rolled back when `keep` is false.
 */
async function loadEvents(engine: Engine, count = observations, keep = true): Promise<number> {
  const start = process.hrtime.bigint();
  const rng = new Random(13);
  const perTransaction = Math.max(1, Math.floor(1_000_000 / perObs));
  for (let first = 0; first < count; first += perTransaction) {
    await engine
      .transaction(async (tx) => {
        for (let o = first; o < Math.min(count, first + perTransaction); o++) {
          const n = Math.min(perObs, eventCount - o * perObs);
          const { ra: ra0, dec: dec0 } = pointings[o]!;
          const ra = new Float64Array(n);
          const dec = new Float64Array(n);
          const energy = new Float64Array(n);
          const time = new Float64Array(n);
          const cells = new BigInt64Array(n);
          const cosDec = Math.max(0.05, Math.cos((dec0 * Math.PI) / 180));
          for (let i = 0; i < n; i++) {
            const d = Math.max(-90, Math.min(90, dec0 + 0.7 * rng.gaussian()));
            const a = (((ra0 + (0.7 * rng.gaussian()) / cosDec) % 360) + 360) % 360;
            ra[i] = a;
            dec[i] = d;
            energy[i] = rng.powerLaw(2.5, 0.1, 100);
            time[i] = 55000 + o * 0.05 + i * 1e-6;
            cells[i] = BigInt(healpixNestedIndex(EVENT_HEALPIX_ORDER, a, d));
          }
          await tx.appendColumns(eventsTable, {
            rowCount: n,
            columns: {
              obs_publisher_did: { repeat: `ivo://bench/shards?${o}` },
              obs_id: { repeat: String(o) },
              event_id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
              ra,
              dec,
              energy,
              event_time: time,
              healpix_index: cells,
            },
          });
        }
        if (!keep) throw new RollBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RollBack)) throw error;
      });
  }
  return seconds(start);
}

// ---- queries
interface Timed {
  readonly rows: string;
  readonly seconds: number;
}
async function run(
  engine: Engine,
  adql: string,
  dialect: SqlDialect,
  visibility?: RowVisibility,
): Promise<Timed> {
  const start = process.hrtime.bigint();
  const { sql } = compileAdql(adql, publishedSchema, dialect, visibility ? { visibility } : {});
  const rows: string[] = [];
  // Sums of doubles differ in the last digits with the order of the shards.
  const cell = (v: unknown): string =>
    typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(9) : String(v);
  for await (const batch of await engine.stream(sql)) {
    for (const r of batch) rows.push(r.map(cell).join());
  }
  return { rows: rows.sort().join(';'), seconds: seconds(start) };
}
const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const QUERIES: readonly [string, string][] = [
  ['full sky: COUNT(*)', 'SELECT COUNT(*) AS n FROM hearc.events'],
  [
    'full sky: COUNT, AVG(energy) WHERE energy > 1',
    'SELECT COUNT(*) AS n, AVG(energy) AS e FROM hearc.events WHERE energy > 1',
  ],
  [
    'full sky: COUNT GROUP BY obs_id',
    'SELECT obs_id, COUNT(*) AS n FROM hearc.events GROUP BY obs_id',
  ],
  [
    'full sky: TOP 10 by energy',
    'SELECT TOP 10 obs_id, event_id, energy, ra, dec FROM hearc.events ORDER BY energy DESC',
  ],
];
/**
 * Every observation is published (an ObsCore row), one in a hundred proprietary to group
 * 'g': the aggregates run as compiled for everyone's rows (the rights filter judged to
 * hide nothing is left out) and for an outsider, who may not see those.
 */
const outsider: RowVisibility = {
  filters: () => true,
  rights: { observations: obscoreTable, owners: observationRightsTable },
  now: new Date(),
  groups: [],
};
const AGGREGATES: readonly [string, string, RowVisibility | undefined][] = [
  ...QUERIES.map(([name, adql]): [string, string, undefined] => [name, adql, undefined]),
  ...QUERIES.map(([name, adql]): [string, string, RowVisibility] => [
    `${name}, as an outsider`,
    adql,
    outsider,
  ]),
];
async function publishObservations(url: string): Promise<void> {
  const sql = postgres(url, quiet);
  try {
    const did = `'ivo://bench/shards?' || o`;
    await sql.unsafe(
      `INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id,
         obs_publisher_did, data_rights, obs_mode, obs_release_date)
       SELECT 'event', 2, 'bench', o::text, ${did},
         CASE WHEN o % 100 = 7 THEN 'proprietary' ELSE 'public' END, 'wobble',
         CASE WHEN o % 100 = 7 THEN TIMESTAMP '2099-01-01' END
       FROM generate_series(0, ${observations - 1}) AS o`,
    );
    await sql.unsafe(
      `INSERT INTO hearc_internal.observation_rights (obs_publisher_did, data_rights,
         obs_release_date, owner_group, overridden, changed_by, changed_at)
       SELECT ${did}, 'proprietary', TIMESTAMP '2099-01-01', 'g', false, 'bench', now()
       FROM generate_series(7, ${observations - 1}, 100) AS o`,
    );
  } finally {
    await sql.end();
  }
}
const cones = ((): string[] => {
  const rng = new Random(11);
  return Array.from({ length: coneCount }, () => {
    const p = pointings[Math.floor(rng.between(0, pointings.length))]!;
    const dec = Math.max(-89, Math.min(89, p.dec + rng.between(-0.5, 0.5)));
    return (
      `SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), ` +
      `CIRCLE('ICRS', ${p.ra.toFixed(4)}, ${dec.toFixed(4)}, ${rng.between(0.1, 1).toFixed(3)})) AND energy > 0.3`
    );
  });
})();

interface Figures {
  readonly aggregates: Timed[];
  readonly cones: Timed[];
}
async function measure(engine: Engine, dialect: SqlDialect): Promise<Figures> {
  const aggregates: Timed[] = [];
  for (const [, adql, visibility] of AGGREGATES) {
    await run(engine, adql, dialect, visibility); // warm the caches
    const runs: Timed[] = [];
    for (let i = 0; i < repeat; i++) runs.push(await run(engine, adql, dialect, visibility));
    aggregates.push({ rows: runs[0]!.rows, seconds: median(runs.map((r) => r.seconds)) });
  }
  for (const adql of cones.slice(0, 10)) await run(engine, adql, dialect);
  const coneRuns: Timed[] = [];
  for (const adql of cones) coneRuns.push(await run(engine, adql, dialect));
  return { aggregates, cones: coneRuns };
}

/** Where the work of a query is done, from the coordinator's plan (EXPLAIN VERBOSE). */
async function planSummary(
  url: string,
  adql: string,
  dialect: SqlDialect,
  setting = '',
): Promise<string> {
  const sql = postgres(url, quiet);
  try {
    if (setting) await sql.unsafe(setting);
    const { sql: text } = compileAdql(adql, publishedSchema, dialect);
    const plan = (await sql.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (VERBOSE) ${text}`)).map(
      (r) => r['QUERY PLAN'],
    );
    const count = (re: RegExp): number => plan.filter((l) => re.test(l)).length;
    const remote = plan.filter((l) => /Remote SQL/.test(l));
    const pushed = remote.filter((l) => /\b(count|avg|sum)\(/i.test(l)).length;
    return (
      `${count(/Async Foreign Scan/)} async + ${count(/-> {2}Foreign Scan/)} plain foreign scans, ` +
      `${pushed} of ${remote.length} with the aggregate pushed down, ` +
      `${count(/Partial .*Aggregate/)} partial aggregates on the coordinator; ` +
      (/CONTAINS/.test(adql)
        ? `cone test (pg_sphere) on the shard: ${remote.some((l) => /scircle/.test(l)) ? 'yes' : 'no'}; `
        : '') +
      `remote SQL: ${
        remote[0]
          ?.trim()
          .replace(/^Remote SQL: /, '')
          .slice(0, 90) ?? 'none'
      }`
    );
  } finally {
    await sql.end();
  }
}

const table: string[][] = [];
const row = (...cells: string[]): void => void table.push(cells);
try {
  const shardA = await shardCluster('a');
  const shardB = await shardCluster('b');
  const oneUrl = await freshDatabase('hearc_bench_shards_one');
  const coordinatorUrl = await freshDatabase('hearc_bench_shards_coordinator');

  const one = await openEngine(oneUrl);
  await one.ensureTables(catalogTables);
  const loadOne = await loadEvents(one);
  const coordinatorLoad = await openEngine(coordinatorUrl);
  await coordinatorLoad.ensureTables(catalogTables);
  const loadCoordinator = await loadEvents(coordinatorLoad);
  await coordinatorLoad.close();
  const moveStart = process.hrtime.bigint();
  const moved =
    (await addShard(coordinatorUrl, shardA, eventsTable, [0, 1, 2, 3, 4, 5])).movedRows +
    (await addShard(coordinatorUrl, shardB, eventsTable, [6, 7, 8, 9, 10, 11])).movedRows;
  const move = seconds(moveStart);
  for (const url of [oneUrl, coordinatorUrl]) await publishObservations(url);
  for (const url of [oneUrl, shardA, shardB, coordinatorUrl]) {
    const sql = postgres(url, quiet);
    await sql.unsafe('VACUUM ANALYZE');
    await sql.end();
  }
  const sharded = await openEngine(coordinatorUrl);
  // Reads where the partitions are, for the dialect that aggregates on the shards.
  await sharded.ensureTables(catalogTables);
  const perPartition = engineDialect(sharded);

  row(
    `events: ${eventCount.toExponential(1)} in ${observations} observations`,
    'one node',
    '2 shards, plain SQL',
    '2 shards, hearc SQL',
    'speed-up (hearc SQL / one node; / plain SQL)',
  );
  row(
    'load (COPY; then hearc shards add)',
    `${(eventCount / loadOne).toFixed(0)} events/s`,
    `${(eventCount / loadCoordinator).toFixed(0)} events/s; ${moved} moved at ${(moved / move).toFixed(0)} events/s`,
    '',
    '',
  );
  // Plain SQL: the compiler's query as on one node, which PostgreSQL 15 runs by bringing
  // the rows to the coordinator; hearc SQL: the engine's dialect, one aggregate per shard partition.
  const figuresOne = await measure(one, postgresDialect);
  const figuresPlain = await measure(sharded, postgresDialect);
  const figuresSharded = await measure(sharded, perPartition);
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  AGGREGATES.forEach(([name], i) => {
    const [a, p, b] = [figuresOne, figuresPlain, figuresSharded].map((f) => f.aggregates[i]!) as [
      Timed,
      Timed,
      Timed,
    ];
    if (a.rows !== b.rows || a.rows !== p.rows) throw new Error(`${name}: the answers differ`);
    row(
      `${name} (median of ${repeat})`,
      `${(a.seconds * 1e3).toFixed(0)} ms`,
      `${(p.seconds * 1e3).toFixed(0)} ms`,
      `${(b.seconds * 1e3).toFixed(0)} ms`,
      `${ratio(a.seconds, b.seconds)}; ${ratio(p.seconds, b.seconds)}`,
    );
  });
  const sortedMs = (f: Figures): number[] =>
    f.cones.map((c) => c.seconds * 1e3).sort((a, b) => a - b);
  const [conesOne, conesPlain, conesSharded] = [figuresOne, figuresPlain, figuresSharded].map(
    sortedMs,
  ) as [number[], number[], number[]];
  figuresOne.cones.forEach((c, i) => {
    if (c.rows !== figuresSharded.cones[i]!.rows || c.rows !== figuresPlain.cones[i]!.rows) {
      throw new Error(`cone ${i}: the answers differ`);
    }
  });
  for (const q of [0.5, 0.95]) {
    const [a, p, b] = [conesOne, conesPlain, conesSharded].map((c) => quantile(c, q)) as [
      number,
      number,
      number,
    ];
    row(
      `${coneCount} cones 0.1°–1°, E > 0.3 TeV: p${q * 100}`,
      `${a.toFixed(1)} ms`,
      `${p.toFixed(1)} ms`,
      `${b.toFixed(1)} ms`,
      `${ratio(a, b)}; ${ratio(p, b)}`,
    );
  }
  // Ingest after sharding, through the coordinator; last, as rolled-back rows stay until a vacuum.
  const sample = Math.min(observations, Math.ceil(1_000_000 / perObs));
  const sampleEvents = Math.min(eventCount, sample * perObs);
  row(
    `ingest ${sampleEvents.toExponential(1)} more events (rolled back)`,
    `${(sampleEvents / (await loadEvents(one, sample, false))).toFixed(0)} events/s`,
    '',
    `${(sampleEvents / (await loadEvents(sharded, sample, false))).toFixed(0)} events/s`,
    '',
  );
  await one.close();
  await sharded.close();

  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
  for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | '));

  const check = postgres(coordinatorUrl, quiet);
  const servers = await check.unsafe<{ srvname: string; srvoptions: string[] }[]>(
    `SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname LIKE 'hearc_shard_%'`,
  );
  await check.end();
  for (const s of servers) {
    console.log(
      `${s.srvname}: async_capable=${s.srvoptions.find((o) => o.startsWith('async_capable='))?.split('=')[1] ?? 'false'}`,
    );
  }
  for (const [name, adql] of [...QUERIES, ['a cone', cones[0]!] as [string, string]]) {
    console.log(`\n${name}:`);
    console.log(`  hearc SQL: ${await planSummary(coordinatorUrl, adql, perPartition)}`);
    console.log(`  plain SQL: ${await planSummary(coordinatorUrl, adql, postgresDialect)}`);
    const partitionwise = 'SET enable_partitionwise_aggregate = on';
    console.log(
      `  plain SQL with ${partitionwise}: ${await planSummary(coordinatorUrl, adql, postgresDialect, partitionwise)}`,
    );
  }
  for (const name of ['hearc_bench_shards_one', 'hearc_bench_shards_coordinator']) {
    const admin = postgres(at(server, 'postgres'), quiet);
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
} finally {
  dropClusters();
}
