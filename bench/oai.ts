/**
 * OAI-PMH ListRecords harvested whole (issue 12: "1e4 records streamed, memory flat"):
 * a catalog of one observation per collection, its space MOCs stored as ingest stores
 * them, served by `hearc serve` in a child process (its RSS is its own); the harvester
 * follows resumption tokens page by page (metadataPrefix=ivo_vor) and checks each page
 * is well-formed (xmllint) with the `<record>`s it announces. Printed per catalog size:
 * records, pages, bytes, time to first byte, total time, the server's RSS before, at its
 * peak during the harvest (VmHWM reset first) and after; then the ratios of the large
 * catalog to the small one (the baseline, same run): memory flat = peak not growing
 * with the records.
 *
 *   node --import tsx bench/oai.ts [--collections 1000,10000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import { openEngine } from '../src/engine/index.js';
import { mocLibrary, observationCoverageTable, observationSpaceMoc } from '../src/moc/index.js';
import { obscoreTable } from '../src/obscore/schema.js';
import { procStatus, serveInChild, waitUntilIdle } from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';
import { table } from './tap-load.js';

const { values } = parseArgs({
  options: {
    collections: { type: 'string' },
    serve: { type: 'string' },
    port: { type: 'string' },
  },
});

interface Harvest {
  readonly collections: number;
  readonly records: number;
  readonly pages: number;
  readonly bytes: number;
  readonly firstByteS: number;
  readonly totalS: number;
  readonly slowestPageS: number;
  readonly rssBeforeMb: number;
  readonly rssPeakMb: number;
  readonly rssAfterMb: number;
}

/** A catalog of `collections` observations, one per collection, with stored space MOCs. */
async function makeCatalog(dir: string, collections: number): Promise<string> {
  const path = join(dir, `oai-${collections}.duckdb`);
  let n = 0;
  await fillCatalog(await openEngine(path), await templateRows(dir), collections, (row) => ({
    ...row,
    obs_collection: `c${String(n++).padStart(6, '0')}`,
  }));
  const engine = await openEngine(path);
  try {
    const library = await mocLibrary();
    const rows = await engine.selectRows(obscoreTable);
    const mocs = rows.flatMap((row) => {
      const ascii = observationSpaceMoc(library, row);
      return ascii === undefined
        ? []
        : [{ obs_publisher_did: String(row.obs_publisher_did), space_moc: ascii }];
    });
    await engine.ensureTables([observationCoverageTable]);
    await engine.transaction((tx) => tx.insertRows(observationCoverageTable, mocs));
  } finally {
    await engine.close();
  }
  return path;
}

/** One OAI-PMH page: its text and when its first byte came (ms from `t0`). */
async function page(url: string, t0: number): Promise<{ xml: string; firstByteMs: number }> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let xml = '';
  let firstByteMs = NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - t0;
    xml += decoder.decode(value, { stream: true });
  }
  return { xml: xml + decoder.decode(), firstByteMs };
}

/** Throws unless `xml` is well-formed (xmllint). */
function wellFormed(xml: string, where: string): void {
  const result = spawnSync('xmllint', ['--noout', '--nonet', '-'], {
    input: xml,
    encoding: 'utf8',
  });
  if (result.error) throw new Error(`xmllint could not run: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`${where} is not well-formed XML: ${result.stderr.slice(0, 500)}`);
}

async function harvest(dir: string, collections: number): Promise<Harvest> {
  const catalog = await makeCatalog(dir, collections);
  const { base, child } = await serveInChild(fileURLToPath(import.meta.url), catalog);
  const pid = child.pid as number;
  try {
    // The coverage is computed on the first request: ask once and let the server settle.
    await page(`${base}/oai?verb=Identify`, performance.now());
    const waited = await waitUntilIdle(pid);
    console.error(`${collections} collections: server settled after ${waited.toFixed(0)} s`);
    const rssBeforeMb = await procStatus(pid, 'VmRSS');
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    const t0 = performance.now();
    let url = `${base}/oai?verb=ListRecords&metadataPrefix=ivo_vor`;
    let records = 0;
    let pages = 0;
    let bytes = 0;
    let firstByteS = NaN;
    let slowestPageS = 0;
    let announced: number | undefined;
    for (;;) {
      const pageStart = performance.now();
      const { xml, firstByteMs } = await page(url, t0);
      slowestPageS = Math.max(slowestPageS, (performance.now() - pageStart) / 1000);
      if (pages === 0) firstByteS = firstByteMs / 1000;
      pages++;
      bytes += Buffer.byteLength(xml);
      wellFormed(xml, `page ${pages}`);
      const error = /<error code="(\w+)">([^<]*)/.exec(xml);
      if (error) throw new Error(`page ${pages}: OAI error ${error[1]}: ${error[2]}`);
      records += (xml.match(/<record>/g) ?? []).length;
      const size = /completeListSize="(\d+)"/.exec(xml);
      if (size) announced = Number(size[1]);
      const token = /<resumptionToken[^>]*>([^<]*)<\/resumptionToken>/.exec(xml)?.[1];
      if (!token) break;
      url = `${base}/oai?verb=ListRecords&resumptionToken=${encodeURIComponent(token)}`;
    }
    const totalS = (performance.now() - t0) / 1000;
    if (announced !== undefined && announced !== records) {
      throw new Error(`harvested ${records} records, the registry announced ${announced}`);
    }
    return {
      collections,
      records,
      pages,
      bytes,
      firstByteS,
      totalS,
      slowestPageS,
      rssBeforeMb,
      rssPeakMb: await procStatus(pid, 'VmHWM'),
      rssAfterMb: await procStatus(pid, 'VmRSS'),
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

async function bench(): Promise<void> {
  const sizes = (values.collections ?? '1000,10000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--collections wants positive integers, got '${values.collections}'`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'hearc-bench-oai-'));
  try {
    const runs: Harvest[] = [];
    for (const n of sizes) runs.push(await harvest(dir, n));
    console.log(
      table(
        [
          'collections',
          'records',
          'pages',
          'MB',
          'first byte s',
          'total s',
          'slowest page s',
          'RSS before MiB',
          'peak MiB',
          'after MiB',
        ],
        runs.map((r) => [
          String(r.collections),
          String(r.records),
          String(r.pages),
          (r.bytes / 1e6).toFixed(1),
          r.firstByteS.toFixed(3),
          r.totalS.toFixed(2),
          r.slowestPageS.toFixed(3),
          r.rssBeforeMb.toFixed(0),
          r.rssPeakMb.toFixed(0),
          r.rssAfterMb.toFixed(0),
        ]),
      ),
    );
    const [baseline, last] = [runs[0]!, runs[runs.length - 1]!];
    if (runs.length > 1) {
      const ratio = (a: number, b: number): string => (a / b).toFixed(2);
      console.log(
        `${last.collections}/${baseline.collections}: records ${ratio(last.records, baseline.records)}x, ` +
          `total time ${ratio(last.totalS, baseline.totalS)}x, first byte ${ratio(last.firstByteS, baseline.firstByteS)}x, ` +
          `peak RSS ${ratio(last.rssPeakMb, baseline.rssPeakMb)}x, ` +
          `peak over before ${ratio(last.rssPeakMb - last.rssBeforeMb, Math.max(1, baseline.rssPeakMb - baseline.rssBeforeMb))}x`,
      );
    }
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Child mode: the server under test; otherwise the bench.
if (values.serve !== undefined) {
  process.exitCode = await main(['serve', '--db', values.serve, '--port', values.port ?? '0']);
} else {
  await bench();
}
