/**
 * Events cones through the rights filter, and with it left out while it hides nothing
 * (src/auth/open-rights.ts), on a catalog ingested beforehand: a DuckDB file or a
 * postgres:// URL. The same cones (0.1° to 1°, E > 0.1 TeV, centred near observations)
 * alternate between a query service that keeps every filter and one that leaves open
 * ones out, in one process; the counts must agree. Prints p50/p95 of each and the ratio.
 *
 *   node --import tsx bench/open-rights.ts --db CATALOG [--cones 100]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { AccessControl, ANONYMOUS } from '../src/auth/index.js';
import { DaliParameters } from '../src/dali/params.js';
import { duckDbDialect } from '../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../src/engine/dialect/postgres.js';
import { openEngine } from '../src/engine/index.js';
import { servedCatalog } from '../src/ingest/catalog.js';
import { obscoreTable } from '../src/obscore/schema.js';
import { Random } from '../src/sim/random.js';
import { DEFAULT_LIMITS, prepareQuery, type QueryService, runQuery } from '../src/tap/query.js';
import { servedSchema } from '../src/tap/tap-schema.js';
import { quantile } from './measure.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, cones: { type: 'string' } } });
if (!values.db) throw new Error('--db CATALOG (a DuckDB file or a postgres:// URL) is required');
const coneCount = Number(values.cones ?? 100);
const engine = await openEngine(values.db);
const dialect = engine.dialect === 'postgres' ? postgresDialect : duckDbDialect;
const schema = servedSchema(servedCatalog);

function serviceOf(access: AccessControl): QueryService {
  return {
    engine,
    schema,
    dialect: access.dialectFor(dialect, ANONYMOUS),
    limits: DEFAULT_LIMITS,
  };
}
const kept = new AccessControl({ engine, leaveOutOpenFilters: false });
const leftOut = new AccessControl({ engine });

async function count(
  access: AccessControl,
  adql: string,
  unchecked = false,
): Promise<{ n: number; ms: number; open: boolean }> {
  const start = performance.now();
  const service = serviceOf(access);
  const compiled = prepareQuery(
    service,
    new DaliParameters([
      ['LANG', 'ADQL'],
      ['QUERY', adql],
      ['RESPONSEFORMAT', 'csv'],
    ]),
  );
  // The unfiltered statement run as it is, without the snapshot's check: what the check costs.
  const prepared =
    unchecked && compiled.whenUnchanged
      ? { ...compiled, sql: compiled.whenUnchanged.sql, whenUnchanged: undefined }
      : compiled;
  const result = await runQuery(service, prepared);
  let text = '';
  for await (const chunk of result.body) text += chunk.toString();
  return {
    n: Number(text.trim().split(/\r?\n/)[1]),
    ms: performance.now() - start,
    open: compiled.whenUnchanged !== undefined,
  };
}

// Cone centres near observations: where the events are.
const centres: [number, number][] = [];
for await (const batch of await engine.stream(
  `SELECT s_ra, s_dec FROM ${obscoreTable.schema}.${obscoreTable.name} WHERE s_ra IS NOT NULL`,
)) {
  for (const [ra, dec] of batch) centres.push([Number(ra), Number(dec)]);
}
if (centres.length === 0) throw new Error('the catalog has no observations');
const rng = new Random(11);
const cones = Array.from({ length: coneCount }, () => {
  const [ra, dec] = centres[Math.floor(rng.between(0, centres.length))]!;
  const radius = rng.between(0.1, 1);
  return `SELECT COUNT(*) AS n FROM hearc.events WHERE energy > 0.1 AND 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${(ra + rng.between(-1, 1)).toFixed(4)}, ${Math.max(-89, Math.min(89, dec + rng.between(-1, 1))).toFixed(4)}, ${radius.toFixed(3)}))`;
});

// The first query begins the judgement; the cones start once it is made.
const judgedAt = performance.now();
await count(leftOut, cones[0]!);
await leftOut.openRights?.settled();
const judgeMs = performance.now() - judgedAt;
for (const adql of cones.slice(0, 5)) {
  await count(kept, adql);
  await count(leftOut, adql);
}
const times = { kept: [] as number[], leftOut: [] as number[], unchecked: [] as number[] };
let open = 0;
for (const [i, adql] of cones.entries()) {
  // Alternated, and the order turned every cone, so that the machine's load weighs alike.
  const runs = [
    () => count(kept, adql),
    () => count(leftOut, adql),
    () => count(leftOut, adql, true),
  ];
  const results: Awaited<ReturnType<typeof count>>[] = [];
  for (let j = 0; j < runs.length; j++) {
    const which = (i + j) % runs.length;
    results[which] = await runs[which]!();
  }
  const [k, l, u] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
  if (k.n !== l.n || k.n !== u.n) {
    throw new Error(`counts differ on ${adql}: ${k.n} filtered, ${l.n} left out, ${u.n} unchecked`);
  }
  times.kept.push(k.ms);
  times.leftOut.push(l.ms);
  times.unchecked.push(u.ms);
  if (l.open) open++;
}
const pct = (xs: readonly number[], p: number): number =>
  quantile(
    [...xs].sort((x, y) => x - y),
    p / 100,
  );
console.log(
  `${engine.dialect} ${values.db}: ${coneCount} cones, judgement ${judgeMs.toFixed(0)} ms, filter left out in ${open} of them, load ${loadavg()[0]!.toFixed(1)}`,
);
console.log('| | p50 ms | p95 ms |');
console.log('|---|---|---|');
for (const [name, xs] of [
  ['filter kept', times.kept],
  ['left out while it hides nothing', times.leftOut],
  ['left out, snapshot not checked (not served: what the check costs)', times.unchecked],
] as const) {
  console.log(`| ${name} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 95).toFixed(1)} |`);
}
console.log(
  `| kept / left out | ${(pct(times.kept, 50) / pct(times.leftOut, 50)).toFixed(2)}× | ${(pct(times.kept, 95) / pct(times.leftOut, 95)).toFixed(2)}× |`,
);
await leftOut.openRights?.close();
await engine.close();
