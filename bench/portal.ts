/**
 * The portal's search in Debian's chromium over a large archive: the time from asking for
 * `/search?pos=…&radius=…` until the results table and the sky view with the fields of view
 * are on screen, over N observations (default 1e5; the target is under 1 s) and,
 * as the baseline in the same run, over 1e3. The server is the real `hearc serve` on a
 * DuckDB catalog in a child process; every search is a fresh page (no browser cache).
 *
 *   node --import tsx bench/portal.ts [--observations 100000] [--repeat 5] [--radius 5]
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { main } from '../src/cli/main.js';
import { openEngine } from '../src/engine/index.js';
import { median, serveInChild } from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';

const { values } = parseArgs({
  options: {
    observations: { type: 'string' },
    repeat: { type: 'string' },
    radius: { type: 'string' },
    serve: { type: 'string' },
    port: { type: 'string' },
  },
});
const OBSERVATIONS = Number(values.observations ?? 100_000);
const BASELINE = 1000;
const REPEAT = Number(values.repeat ?? 5);
const RADIUS = Number(values.radius ?? 5);
const CHROMIUM = '/usr/bin/chromium';
const WEB_ROOT = fileURLToPath(new URL('../dist/web', import.meta.url));

/** `hearc serve` on `catalog`, its base URL once it listens. */
async function serve(catalog: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const { base, child } = await serveInChild(fileURLToPath(import.meta.url), catalog);
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { base, stop };
}

interface SearchTiming {
  /** Navigation to the results count and the first table row. */
  readonly table: number;
  /** Navigation to the sky view drawing the fields of view. */
  readonly sky: number;
  readonly count: string;
}

/** One search on a fresh page: when the table and when the sky view are on screen (ms). */
async function timeSearch(browser: BrowserContext, url: string): Promise<SearchTiming> {
  const page = await browser.newPage();
  try {
    const start = performance.now();
    const navigation = page.goto(url);
    await page.locator('.results-table tbody tr').first().waitFor({ timeout: 60_000 });
    const table = performance.now() - start;
    await page
      .locator('.aladin-sky[data-ready="true"], .sky-fallback')
      .first()
      .waitFor({ timeout: 60_000 });
    const sky = performance.now() - start;
    await navigation;
    return { table, sky, count: (await page.locator('#results-count').textContent()) ?? '' };
  } finally {
    await page.close();
  }
}

async function runBench(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`needs Debian's chromium at ${CHROMIUM}`);
  if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new Error('needs the portal: npm run build');
  const dir = await mkdtemp(join(tmpdir(), 'hearc-bench-portal-'));
  const profile = join(dir, 'chromium');
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--disable-quic'],
  });
  try {
    const template = await templateRows(dir);
    const rows: string[] = [];
    const medians = new Map<number, SearchTiming>();
    for (const observations of [BASELINE, OBSERVATIONS]) {
      const catalog = join(dir, `catalog-${observations}.duckdb`);
      await fillCatalog(await openEngine(catalog), template, observations);
      const server = await serve(catalog);
      try {
        const url = `${server.base}/search?pos=83.633,22.0145&radius=${RADIUS}`;
        await timeSearch(browser, url); // warm-up: the server's first query, the browser's code cache
        const runs: SearchTiming[] = [];
        for (let i = 0; i < REPEAT; i++) runs.push(await timeSearch(browser, url));
        const result = {
          table: median(runs.map((r) => r.table)),
          sky: median(runs.map((r) => r.sky)),
          count: runs[0]!.count,
        };
        medians.set(observations, result);
        rows.push(
          `| ${observations.toLocaleString('en')} | ${result.count} | ${result.table.toFixed(0)} | ` +
            `${result.sky.toFixed(0)} |`,
        );
      } finally {
        await server.stop();
      }
    }
    console.log(
      `\nsearch page, cone of ${RADIUS}° round the Crab, median of ${REPEAT} fresh pages\n`,
    );
    console.log('| observations | results | table on screen (ms) | sky view ready (ms) |');
    console.log('|---|---|---|---|');
    for (const row of rows) console.log(row);
    const large = medians.get(OBSERVATIONS)!;
    const small = medians.get(BASELINE)!;
    console.log(
      `\nratio ${OBSERVATIONS} / ${BASELINE} observations: table ×${(large.table / small.table).toFixed(2)}, ` +
        `sky ×${(large.sky / small.sky).toFixed(2)}; target: table under 1000 ms ` +
        `(${large.table < 1000 ? 'met' : 'not met'})`,
    );
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.serve !== undefined) {
  process.exitCode = await main(['serve', '--db', values.serve, '--port', values.port ?? '0']);
} else {
  await runBench();
}
