/**
 * Would compressing TAP results pay (issue 17 item 5)? In process: the bodies of a cone
 * and of a TOP 10000 `SELECT *` over a simulated ObsCore catalog (DuckDB), in BINARY2
 * VOTable and CSV, made by runQuery; then each body compressed by gzip and brotli at the
 * levels a server would use, timed by CPU. Prints, per body: bytes, the CPU to make it,
 * the CPU to compress it, the ratio, and what the compression does to a request's CPU
 * (the server's cost per request goes from "make" to "make + compress") against what it
 * saves on the wire at a given link speed.
 *
 *   node --import tsx bench/compression.ts [--rows 20000] [--repeat 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { DaliParameters } from '../src/dali/index.js';
import { sqlDialectFor } from '../src/engine/dialects.js';
import { openEngine } from '../src/engine/index.js';
import { publishedSchema } from '../src/obscore/schema.js';
import { DEFAULT_LIMITS, prepareQuery, type QueryService, runQuery } from '../src/tap/query.js';
import { servedSchema } from '../src/tap/tap-schema.js';
import { median } from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';
import { table } from './tap-load.js';

const { values } = parseArgs({
  options: { rows: { type: 'string' }, repeat: { type: 'string' } },
});
const catalogRows = Number(values.rows ?? 20_000);
const repeat = Number(values.repeat ?? 5);

const QUERIES: Readonly<Record<string, string>> = {
  'cone 3° *':
    "SELECT * FROM ivoa.obscore WHERE 1=CONTAINS(POINT('ICRS',s_ra,s_dec),CIRCLE('ICRS',83.63,22.01,3))",
  'TOP 10000 *': 'SELECT TOP 10000 * FROM ivoa.obscore',
};
const FORMATS = ['votable', 'csv'] as const;
const CODECS: Readonly<Record<string, (body: Buffer) => Buffer>> = {
  'gzip 1': (body) => gzipSync(body, { level: 1 }),
  'gzip 6': (body) => gzipSync(body, { level: 6 }),
  'br 1': (body) =>
    brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 1,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  'br 4': (body) =>
    brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 4,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
};

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function body(service: QueryService, adql: string, format: string): Promise<Buffer> {
  const params = new DaliParameters([
    ['LANG', 'ADQL'],
    ['QUERY', adql],
    ['RESPONSEFORMAT', format],
  ]);
  const result = await runQuery(service, prepareQuery(service, params));
  const chunks: Buffer[] = [];
  for await (const chunk of result.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hearc-bench-compression-'));
  try {
    const location = join(dir, 'bench.duckdb');
    await fillCatalog(await openEngine(location), await templateRows(dir), catalogRows);
    const engine = await openEngine(location);
    const service: QueryService = {
      engine,
      schema: servedSchema(publishedSchema),
      dialect: sqlDialectFor(engine.dialect),
      limits: DEFAULT_LIMITS,
    };
    const rows: string[][] = [];
    try {
      for (const [name, adql] of Object.entries(QUERIES)) {
        for (const format of FORMATS) {
          await body(service, adql, format); // warm-up
          const make: number[] = [];
          let made: Buffer = Buffer.alloc(0);
          for (let i = 0; i < repeat; i++) {
            const t0 = process.cpuUsage();
            made = await body(service, adql, format);
            make.push(cpuMs(t0));
          }
          const makeMs = median(make);
          for (const [codec, compress] of Object.entries(CODECS)) {
            compress(made); // warm-up
            const spent: number[] = [];
            let packed: Buffer = Buffer.alloc(0);
            for (let i = 0; i < repeat; i++) {
              const t0 = process.cpuUsage();
              packed = compress(made);
              spent.push(cpuMs(t0));
            }
            const packMs = median(spent);
            // Seconds on a link of L MB/s: bytes / L; the break-even link speed is the one at
            // which the bytes saved take as long to send as the compression takes.
            const savedMb = (made.length - packed.length) / 1e6;
            rows.push([
              name,
              format,
              codec,
              (made.length / 1e6).toFixed(2),
              makeMs.toFixed(0),
              (packed.length / 1e6).toFixed(2),
              (made.length / packed.length).toFixed(2),
              packMs.toFixed(0),
              `${((makeMs + packMs) / makeMs).toFixed(2)}×`,
              (made.length / 1e6 / (packMs / 1000)).toFixed(0),
              (savedMb / (packMs / 1000)).toFixed(0),
            ]);
            console.error(`${name} ${format} ${codec}: ${packMs.toFixed(0)} ms`);
          }
        }
      }
    } finally {
      await engine.close();
    }
    console.log(
      `\nTAP result bodies (${catalogRows} ObsCore rows, DuckDB, in process), compressed; CPU ms are medians of ${repeat}\n`,
    );
    console.log(
      table(
        [
          'query',
          'format',
          'codec',
          'MB',
          'make ms',
          'packed MB',
          'ratio',
          'pack ms',
          'CPU per request',
          'pack MB/s',
          'pays below MB/s',
        ],
        rows,
      ),
    );
    console.log(
      '\nCPU per request: (make + pack) / make, what compression costs the server per answer.\n' +
        'pays below MB/s: the link speed under which the bytes saved take longer to send than the\n' +
        'compression takes (loopback and a LAN are far above it; a remote user often below).',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await run();
