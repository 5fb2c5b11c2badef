/**
 * The cost of making access_url when answering (issue 10): a 1,000,000-row BINARY2
 * result holding access_url, with the URL made from the answering service's public URL
 * (SQL `'<base>' || stored path`) against the stored path alone (what a stored absolute
 * URL cost before: one string column read as it is), in the same run, same catalog.
 *
 *   node --import tsx bench/service-urls.ts [--rows 2000] [--big 1000000] [--repeat 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DaliParameters } from '../src/dali/index.js';
import { sqlDialectFor } from '../src/engine/dialects.js';
import { openEngine } from '../src/engine/index.js';
import { publishedSchema } from '../src/obscore/schema.js';
import { DEFAULT_LIMITS, prepareQuery, type QueryService, runQuery } from '../src/tap/query.js';
import { servedSchema } from '../src/tap/tap-schema.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';

const { values } = parseArgs({
  options: { rows: { type: 'string' }, big: { type: 'string' }, repeat: { type: 'string' } },
});
const catalogRows = Number(values.rows ?? 2_000);
const bigRows = Number(values.big ?? 1_000_000);
const repeat = Number(values.repeat ?? 5);
const PUBLIC_URL = 'https://vo.example.org/hearc';

const dir = await mkdtemp(join(tmpdir(), 'hearc-bench-urls-'));
try {
  const path = join(dir, 'catalog.duckdb');
  await fillCatalog(await openEngine(path), await templateRows(dir), catalogRows);
  const engine = await openEngine(path);
  const service = (serviceUrl: string | undefined): QueryService => ({
    engine,
    schema: servedSchema(publishedSchema),
    dialect: sqlDialectFor(engine.dialect),
    limits: { ...DEFAULT_LIMITS, hardMaxrec: bigRows },
    ...(serviceUrl !== undefined ? { serviceUrl } : {}),
  });
  const adql = `SELECT TOP ${bigRows} a.obs_id, a.access_url, b.t_max FROM ivoa.obscore AS a CROSS JOIN ivoa.obscore AS b`;
  const params = new DaliParameters([
    ['LANG', 'ADQL'],
    ['QUERY', adql],
    ['MAXREC', String(bigRows)],
  ]);
  const run = async (serviceUrl: string | undefined): Promise<{ s: number; bytes: number }> => {
    const svc = service(serviceUrl);
    const start = performance.now();
    const result = await runQuery(svc, prepareQuery(svc, params));
    let bytes = 0;
    for await (const chunk of result.body) bytes += chunk.length;
    return { s: (performance.now() - start) / 1000, bytes };
  };
  await run(PUBLIC_URL); // warm up
  // Alternated, so that machine noise hits both alike; the best of each.
  let stored = { s: Infinity, bytes: 0 };
  let made = { s: Infinity, bytes: 0 };
  for (let i = 0; i < repeat; i++) {
    const a = await run(undefined);
    if (a.s < stored.s) stored = a;
    const b = await run(PUBLIC_URL);
    if (b.s < made.s) made = b;
  }
  const mbs = (r: { s: number; bytes: number }): string => (r.bytes / 1e6 / r.s).toFixed(1);
  console.log(`${bigRows} rows, BINARY2, best of ${repeat}:`);
  console.log(`  stored path as it is      ${stored.s.toFixed(3)} s  ${mbs(stored)} MB/s`);
  console.log(`  URL made when answering   ${made.s.toFixed(3)} s  ${mbs(made)} MB/s`);
  console.log(`  time ratio made/stored    ${(made.s / stored.s).toFixed(2)}`);
  await engine.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
