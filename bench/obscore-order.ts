/**
 * ivoa.obscore in sky order on DuckDB (`hearc obscore cluster`, and ingest once the
 * appended rows have doubled the table) against the same rows in the order they were
 * written: one catalog filled with rows spread over the sky, ten years and four decades
 * of energy (bench/obscore-catalog.ts: up to 1e5 through hearc's insert path, more as
 * copies of those turned in right ascension and shifted in time), rewritten in t_min
 * order (as an archive ingested night after night; --baseline COLUMN for another),
 * copied, the copy rewritten in sky order; then
 * each query run through the TAP path in this process (runQuery, BINARY2 body drained)
 * on the two in turn. Prints the p50 wall and CPU time per query on each, their ratio,
 * and checks that both give the same number of rows and bytes.
 *
 *   node --import tsx bench/obscore-order.ts [--rows 1000000] [--runs 15] [--keep DIR]
 *        [--baseline t_min|obs_id|...] [--catalog FILE.duckdb]
 *   --catalog: a copy of that catalog is the baseline, in its own order unless --baseline.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { DaliParameters } from '../src/dali/index.js';
import { sqlDialectFor } from '../src/engine/dialects.js';
import { openEngine, rewriteInStorageOrder } from '../src/engine/index.js';
import { catalogTables } from '../src/ingest/catalog.js';
import { orderedObscore } from '../src/obscore/order.js';
import { obscoreTable, publishedSchema } from '../src/obscore/schema.js';
import { DEFAULT_LIMITS, prepareQuery, type QueryService, runQuery } from '../src/tap/query.js';
import { servedSchema } from '../src/tap/tap-schema.js';
import { median } from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    runs: { type: 'string' },
    keep: { type: 'string' },
    baseline: { type: 'string' },
    catalog: { type: 'string' },
  },
});
const rowCount = Number(values.rows ?? 1_000_000);
const runs = Number(values.runs ?? 15);
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'hearc-bench-obscore-order-'));

const cone = (ra: number, dec: number, r: number): string =>
  `1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${ra}, ${dec}, ${r}))`;
const QUERIES: Readonly<Record<string, string>> = {
  'cone 0.5° *': `SELECT * FROM ivoa.obscore WHERE ${cone(83.63, 22.01, 0.5)}`,
  'cone 3° *': `SELECT * FROM ivoa.obscore WHERE ${cone(83.63, 22.01, 3)}`,
  'cone 3° 5 columns': `SELECT obs_id, s_ra, s_dec, t_min, access_url FROM ivoa.obscore WHERE ${cone(266.4, -29, 3)}`,
  'cone 10° COUNT': `SELECT COUNT(*) AS n FROM ivoa.obscore WHERE ${cone(0.5, -5, 10)}`,
  'time window *': 'SELECT * FROM ivoa.obscore WHERE t_min >= 59000 AND t_max <= 59002',
  'obs_id lookup': "SELECT * FROM ivoa.obscore WHERE obs_id = '1000123'",
  'TOP 1000 *': 'SELECT TOP 1000 * FROM ivoa.obscore',
  'GROUP BY target': 'SELECT target_name, COUNT(*) AS n FROM ivoa.obscore GROUP BY target_name',
};

async function service(catalog: string): Promise<QueryService> {
  const engine = await openEngine(catalog);
  return {
    engine,
    schema: servedSchema(publishedSchema),
    dialect: sqlDialectFor(engine.dialect),
    limits: { ...DEFAULT_LIMITS, timeoutMs: 600_000 },
  };
}

/** Runs the query once: bytes of the BINARY2 body, wall and CPU ms. */
async function once(on: QueryService, adql: string) {
  const params = new DaliParameters([
    ['LANG', 'ADQL'],
    ['QUERY', adql],
    ['RESPONSEFORMAT', 'votable'],
    ['MAXREC', '10000000'],
  ]);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = await runQuery(on, prepareQuery(on, params));
  let bytes = 0;
  for await (const chunk of result.body) bytes += chunk.length;
  const used = process.cpuUsage(cpu);
  return { bytes, wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

/**
 * Copies of the first `base` rows until there are `rows`: copy k turned by k times the
 * golden angle in right ascension (its s_region too) and shifted by k days, in the
 * order written (copy after copy, as ingests would append them).
 */
async function addTurnedCopies(catalog: string, base: number, rows: number): Promise<void> {
  const instance = await DuckDBInstance.create(catalog);
  const connection = await instance.connect();
  try {
    for (let k = 1; k * base < rows; k++) {
      const take = Math.min(base, rows - k * base);
      const turn = (k * 137.50776405) % 360;
      await connection.run(
        `INSERT INTO ivoa.obscore SELECT * REPLACE (
           obs_id || '-${k}' AS obs_id, obs_publisher_did || '-${k}' AS obs_publisher_did,
           (s_ra + ${turn}) % 360 AS s_ra,
           list_transform(s_region, (x, i) -> CASE WHEN i % 2 = 1 THEN (x + ${turn}) % 360 ELSE x END) AS s_region,
           t_min + ${k} AS t_min, t_max + ${k} AS t_max)
         FROM (SELECT * FROM ivoa.obscore WHERE rowid < ${base} ORDER BY rowid LIMIT ${take})`,
      );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const written = join(work, 'written.duckdb');
const ordered = join(work, 'ordered.duckdb');
try {
  if (values.catalog !== undefined) {
    // An existing catalog (the anchor's, say) as the baseline, in its own order.
    copyFileSync(values.catalog, written);
  } else if (!existsSync(written)) {
    const fill = performance.now();
    const template = await templateRows(join(work, 'template'));
    const base = Math.min(rowCount, 100_000);
    await fillCatalog(await openEngine(written), template, base);
    if (rowCount > base) await addTurnedCopies(written, base, rowCount);
    console.log(`${rowCount} rows written in ${((performance.now() - fill) / 1000).toFixed(1)} s`);
  }
  // Both rewritten whole, so that they differ in order only (not in how their row
  // groups were filled): the baseline in time order, as an archive ingested night after
  // night is (--baseline obs_id: an order that says nothing of the sky or of time).
  const key = values.baseline ?? (values.catalog === undefined ? 't_min' : undefined);
  if (key !== undefined) {
    const baseline = await openEngine(written);
    await baseline.rewriteInOrder?.(obscoreTable, [key]);
    await baseline.close();
  }
  rmSync(ordered, { force: true });
  copyFileSync(written, ordered);
  const engine = await openEngine(ordered);
  // A catalog made by an older hearc lacks the record of the order.
  await engine.ensureTables(catalogTables);
  const rewrite = await rewriteInStorageOrder(engine, orderedObscore);
  await engine.close();
  console.log(`hearc obscore cluster: ${rewrite.rows} rows in ${rewrite.seconds.toFixed(1)} s\n`);

  const sides = { written: await service(written), ordered: await service(ordered) };
  const table: string[][] = [];
  for (const [name, adql] of Object.entries(QUERIES)) {
    const times = { written: [] as number[], ordered: [] as number[] };
    const cpu = { written: [] as number[], ordered: [] as number[] };
    const bytes = { written: 0, ordered: 0 };
    for (let i = 0; i < runs + 2; i++) {
      for (const side of ['written', 'ordered'] as const) {
        const run = await once(sides[side], adql);
        bytes[side] = run.bytes;
        // The first two runs of each warm the caches.
        if (i >= 2) {
          times[side].push(run.wall);
          cpu[side].push(run.cpu);
        }
      }
    }
    // Rows come in another order, so base64 padding may differ by a few bytes; TOP
    // picks other rows.
    if (!name.startsWith('TOP') && Math.abs(bytes.written - bytes.ordered) > 16) {
      throw new Error(`${name}: ${bytes.written} bytes written order, ${bytes.ordered} sky order`);
    }
    const p = (xs: number[]) => median(xs);
    table.push([
      name,
      String(bytes.ordered),
      `${p(times.written).toFixed(1)} / ${p(cpu.written).toFixed(1)}`,
      `${p(times.ordered).toFixed(1)} / ${p(cpu.ordered).toFixed(1)}`,
      `${(p(times.written) / p(times.ordered)).toFixed(2)}×`,
      `${(p(cpu.written) / p(cpu.ordered)).toFixed(2)}×`,
    ]);
  }
  for (const side of Object.values(sides)) await side.engine.close();
  const head = ['query', 'bytes', 'baseline: wall / CPU ms', 'sky order', 'wall', 'CPU'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const what = values.catalog ?? `${rowCount} rows`;
  console.log(`ivoa.obscore (${what}), DuckDB, p50 of ${runs} runs each, in turn`);
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row));
} finally {
  if (values.keep === undefined) rmSync(work, { recursive: true, force: true });
}
