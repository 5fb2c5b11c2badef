/**
 * ivoa.obscore at 1e6–1e7 rows on PostgreSQL: which physical layout pays for the
 * queries clients send (cones on s_ra/s_dec, INTERSECTS on s_region, time windows,
 * obs_id lookups). The same rows, copied into variants of the table; every query is
 * compiled by the ADQL compiler once and run on each variant (only the table name
 * differs), the answers must agree, and the p50 of each is set against the table as
 * hearc creates it, in the same run.
 *
 *   node --import tsx bench/obscore-scale.ts [--rows 1000000] [--runs 15]
 *        [--db postgres://postgres@127.0.0.1:5432]
 *
 * What 1e6 rows showed in two runs (2 cores under other load; see the commit log):
 * a GiST index on spoint(s_ra, s_dec) alone pays little and not reliably (0.7–1.8× on
 * cones: the stock b-trees on s_dec and s_ra already narrow a cone, and the rows are
 * scattered over the heap); ordering the heap by position (CLUSTER) pays 3.6–5.6× on
 * cones; partitions by t_min pay 9–10× on time windows, because PostgreSQL takes
 * `t_min >= a AND t_max <= b` as independent conditions, estimates a fifth of the table
 * and scans it all (the last column shows it), and make obs_id lookups 2–3× slower.
 * None is adopted: see the README (ObsCore at scale). Since the compiler adds the range
 * tests a window implies (TableDef.intervals), the time window takes 16 ms on the stock
 * table against 432 ms with the bounds hidden from the compiler (26×, one run at 1e6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { compileAdql } from '../src/adql/index.js';
import { postgresDialect } from '../src/engine/dialect/postgres.js';
import { openEngine } from '../src/engine/index.js';
import { publishedSchema } from '../src/obscore/schema.js';
import { Random } from '../src/sim/random.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';
import { median } from './measure.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    runs: { type: 'string' },
    db: { type: 'string' },
  },
});
const rowCount = Number(values.rows ?? 1_000_000);
const runs = Number(values.runs ?? 15);
const server = new URL(values.db ?? 'postgres://postgres@127.0.0.1:5432');
const database = 'hearc_bench_obscore_scale';
const quiet = { max: 1, onnotice: () => undefined } as const;
const at = (name: string): string => Object.assign(new URL(server), { pathname: `/${name}` }).href;
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

// ---- the catalog, as hearc makes it
const work = mkdtempSync(join(tmpdir(), 'hearc-bench-obscore-scale-'));
const admin = postgres(at('postgres'), quiet);
await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
await admin.unsafe(`CREATE DATABASE ${database}`);
const loadStart = process.hrtime.bigint();
// Up to 1e5 rows through hearc's insert path; past that, copies turned about the pole.
const base = Math.min(rowCount, 100_000);
await fillCatalog(await openEngine(at(database)), await templateRows(work), base);
rmSync(work, { recursive: true, force: true });
const sql = postgres(at(database), { ...quiet, max: 1 });
const copies = Math.ceil(rowCount / base);
if (copies > 1) {
  const columns = (
    await sql<{ name: string }[]>`
      SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = 'ivoa' AND table_name = 'obscore' ORDER BY ordinal_position`
  ).map((c) => c.name);
  for (let k = 1; k < copies; k++) {
    const turn = (360 / copies) * k;
    const changed: Record<string, string> = {
      obs_id: `(obs_id::bigint + ${k * base})::text`,
      obs_publisher_did: `'ivo://bench.hearc/bench?' || (obs_id::bigint + ${k * base})`,
      s_ra: `mod((s_ra + ${turn})::numeric, 360)::double precision`,
      s_region: `s_region + strans(radians(${turn}), 0, 0, 'ZXZ')`,
    };
    await sql.unsafe(
      `INSERT INTO ivoa.obscore (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${columns
        .map((c) => changed[c] ?? `"${c}"`)
        .join(', ')} FROM ivoa.obscore WHERE obs_id::bigint < ${1_000_000 + base}`,
    );
  }
}
const load = seconds(loadStart);

/** The layouts compared: how each is made from the stock table (rows copied, then indexed). */
const POINT_GIST = (t: string) =>
  `CREATE INDEX ON ${t} USING gist (spoint(radians(s_ra), radians(s_dec)))`;
const variants: { name: string; table: string; make: (t: string) => string[] }[] = [
  { name: 'stock (as hearc creates it)', table: 'ivoa.obscore', make: () => [] },
  {
    name: '+ GiST on spoint(s_ra, s_dec)',
    table: 'bench.point_gist',
    make: (t) => [...copyOf(t), POINT_GIST(t)],
  },
  {
    name: '+ GiST, CLUSTERed on it',
    table: 'bench.point_clustered',
    make: (t) => [...copyOf(t), POINT_GIST(t), `CLUSTER ${t} USING ${t.split('.')[1]}_spoint_idx`],
  },
  {
    name: '+ GiST, 10 partitions by t_min',
    table: 'bench.by_time',
    make: (t) => [
      `CREATE TABLE ${t} (LIKE ivoa.obscore INCLUDING DEFAULTS) PARTITION BY RANGE (t_min)`,
      ...Array.from(
        { length: 10 },
        (_, y) =>
          `CREATE TABLE ${t}_${y} PARTITION OF ${t} FOR VALUES FROM (${y === 0 ? 'MINVALUE' : 58_000 + 365 * y}) TO (${y === 9 ? 'MAXVALUE' : 58_000 + 365 * (y + 1)})`,
      ),
      `INSERT INTO ${t} SELECT * FROM ivoa.obscore`,
      ...stockIndexes.map((d) => d.replace(/ ON ivoa\.obscore /, ` ON ${t} `)),
      POINT_GIST(t),
    ],
  },
];
/** The stock table's index definitions, made non-unique (a partitioned table's unique keys must hold the partition key). */
const stockIndexes = (
  await sql<{ indexdef: string }[]>`
    SELECT indexdef FROM pg_indexes WHERE schemaname = 'ivoa' AND tablename = 'obscore'`
).map((r) =>
  r.indexdef.replace(/^CREATE (UNIQUE )?INDEX \S+/, 'CREATE INDEX').replace(/ USING btree/, ''),
);
function copyOf(t: string): string[] {
  return [
    `CREATE TABLE ${t} (LIKE ivoa.obscore INCLUDING DEFAULTS)`,
    `INSERT INTO ${t} SELECT * FROM ivoa.obscore`,
    ...stockIndexes.map((d) => d.replace(/ ON ivoa\.obscore /, ` ON ${t} `)),
  ];
}

await sql.unsafe('CREATE SCHEMA IF NOT EXISTS bench');
const built: string[] = [];
for (const v of variants) {
  const start = process.hrtime.bigint();
  for (const statement of v.make(v.table)) await sql.unsafe(statement);
  await sql.unsafe(`VACUUM ANALYZE ${v.table}`);
  built.push(`${seconds(start).toFixed(1)} s`);
}
const [size] = await sql<{ mb: number }[]>`
  SELECT pg_total_relation_size('ivoa.obscore') / 1048576.0 AS mb`;

// ---- the queries: each kind with `runs` different parameter sets
const rng = new Random(17);
const sky = (): [number, number] => [
  rng.between(0, 360),
  (Math.asin(rng.between(-0.9, 0.9)) * 180) / Math.PI,
];
const mjd = (): number => 58_000 + rng.between(0, 3600);
const kinds: { name: string; adql: () => string }[] = [
  {
    name: 'cone 1° on (s_ra, s_dec): COUNT',
    adql: () => {
      const [ra, dec] = sky();
      return `SELECT COUNT(*) AS n FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${ra}, ${dec}, 1))`;
    },
  },
  {
    name: 'cone 3° on (s_ra, s_dec): rows',
    adql: () => {
      const [ra, dec] = sky();
      return `SELECT obs_id, s_ra, s_dec, t_min FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${ra}, ${dec}, 3))`;
    },
  },
  {
    name: 'INTERSECTS(s_region, 0.5° circle): rows',
    adql: () => {
      const [ra, dec] = sky();
      return `SELECT obs_id FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, CIRCLE('ICRS', ${ra}, ${dec}, 0.5))`;
    },
  },
  {
    name: 'time window of 7 days: rows',
    adql: () => {
      const t = mjd();
      return `SELECT obs_id, t_min, t_max FROM ivoa.obscore WHERE t_min >= ${t} AND t_max <= ${t + 7}`;
    },
  },
  {
    // The baseline of the one above: the same rows, the bounds hidden from the compiler
    // (t_min + 0), so no implied range tests (TableDef.intervals) are added.
    name: 'time window of 7 days, no implied ranges: rows',
    adql: () => {
      const t = mjd();
      return `SELECT obs_id, t_min, t_max FROM ivoa.obscore WHERE t_min + 0 >= ${t} AND t_max + 0 <= ${t + 7}`;
    },
  },
  {
    name: 'cone 2° and one year: rows',
    adql: () => {
      const [ra, dec] = sky();
      const t = mjd();
      return `SELECT obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${ra}, ${dec}, 2)) AND t_min BETWEEN ${t} AND ${t + 365}`;
    },
  },
  {
    name: 'obs_id lookup: the whole row',
    adql: () =>
      `SELECT * FROM ivoa.obscore WHERE obs_id = '${1_000_000 + Math.floor(rng.between(0, rowCount))}'`,
  },
];

/** The scan node of a plan and its estimated against actual rows, e.g. 'Seq Scan 201659/1965'. */
async function scanOf(statement: string): Promise<string> {
  const lines = (await sql.unsafe(`EXPLAIN ANALYZE ${statement}`)).map((r) =>
    String(r['QUERY PLAN']),
  );
  const scan = lines.find((l) => /Scan on/.test(l)) ?? lines[0] ?? '';
  const m = /(\w[\w ]*Scan)(?: using \S+)? on .*rows=(\d+) .*rows=(\d+)/.exec(scan);
  return m ? `${m[1]!.trim()} est. ${m[2]} / ${m[3]} rows` : scan.trim().slice(0, 40);
}

const table: string[][] = [
  ['query (p50 ms)', ...variants.map((v) => v.name), 'stock plan (first scan)'],
  ['made in', ...built, ''],
];
for (const kind of kinds) {
  const compiled = Array.from(
    { length: runs },
    () => compileAdql(kind.adql(), publishedSchema, postgresDialect).sql,
  );
  const timings: number[][] = variants.map(() => []);
  const answers: string[][] = variants.map(() => []);
  for (const [q, text] of compiled.entries()) {
    // Variants take turns on each query, so that the machine's load falls on all alike.
    for (const [i, v] of variants.entries()) {
      const statement = text.replaceAll('"ivoa"."obscore"', v.table);
      if (q === 0) await sql.unsafe(statement); // warm
      const start = process.hrtime.bigint();
      const rows = await sql.unsafe(statement).values();
      timings[i]!.push(seconds(start) * 1e3);
      answers[i]!.push(
        rows
          .map((r) => JSON.stringify(r))
          .sort()
          .join(),
      );
    }
  }
  answers.forEach((a, i) => {
    if (a.join('|') !== answers[0]!.join('|')) {
      throw new Error(`${kind.name}: ${variants[i]!.name} answers differently`);
    }
  });
  const base = median(timings[0]!);
  table.push([
    kind.name,
    ...timings.map((t, i) =>
      i === 0
        ? `${base.toFixed(1)}`
        : `${median(t).toFixed(1)} (${(base / median(t)).toFixed(1)}×)`,
    ),
    await scanOf(compiled[0]!),
  ]);
}
await sql.end();
await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
await admin.end();

console.log(
  `ivoa.obscore: ${rowCount} rows (${Number(size?.mb).toFixed(0)} MB with indexes), loaded in ${load.toFixed(0)} s; ${runs} parameter sets per query, (×) = speed-up over stock`,
);
const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | '));
