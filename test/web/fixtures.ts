/**
 * The portal in a real browser: the pages built by Vite into a temporary folder, a
 * server over the real H.E.S.S. DR1 store (one PKS 2155-304 run proprietary to group
 * `alpha`, an API token for it), and Debian's chromium driven by playwright-core with
 * every console error and every request to another host recorded, so a test can fail
 * on them.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { readFile } from 'node:fs/promises';
import { parseAlert, storeAlert } from '../../src/alerts/index.js';
import { ApiTokenStore, RightsStore } from '../../src/auth/index.js';
import { simulateSkymap } from '../../src/sim/skymap.js';
import { type OidcProvider, startOidcProvider } from './oidc-provider.js';
import { type Engine, openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables, servedCatalog } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { loadServiceDescription } from '../../src/service/index.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { onCi, requireTestData } from '../helpers/env.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/tmp.js';

export const CHROMIUM = '/usr/bin/chromium';
export const COLLECTION = 'hess-dr1';
export const CRAB_RUNS = ['23523', '23526', '23559', '23592'];
/** The run made proprietary (group alpha): only a signed-in member sees it. */
export const PROPRIETARY_RUN = '33787';
/** A neutrino alert (GCN notice, two revisions) on the Crab during run 23523. */
export const NEUTRINO_ALERT = 'IceCube-041204A';
/** A gravitational-wave skymap on PKS 2155-304 before its flare runs (33787 proprietary). */
export const GW_ALERT = 'S060729ab';
/** The portal's client at the test's OIDC provider, and the audience hearc accepts. */
export const OIDC_CLIENT = 'hearc-portal';

const icecubeNotice = (revision: number, ra: number, dec: number, error: number) =>
  JSON.stringify({
    $schema:
      'https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/icecube/lvk_nu_track_search.schema.json',
    mission: 'IceCube',
    trigger_time: '2004-12-04T22:20:00Z',
    alert_datetime: '2004-12-04T22:25:00Z',
    id: [NEUTRINO_ALERT],
    ra,
    dec,
    ra_dec_error: error,
    containment_probability: 0.9,
    alert_type: revision === 1 ? 'initial' : 'update',
    record_number: revision,
  });

/** The test alerts: a neutrino notice and its update, a gravitational-wave skymap. */
async function storeTestAlerts(engine: Engine, dir: string): Promise<void> {
  await storeAlert(
    engine,
    parseAlert(Buffer.from(icecubeNotice(1, 84.1, 22.4, 1.5)), 'notice-1.json'),
  );
  await storeAlert(
    engine,
    parseAlert(Buffer.from(icecubeNotice(2, 83.7, 22.0, 0.8)), 'notice-2.json'),
  );
  const skymap = join(dir, 'skymap.fits');
  await simulateSkymap({
    path: skymap,
    object: GW_ALERT,
    dateObs: '2006-07-29T19:40:00',
    ra: 329.9,
    dec: -30.0,
    sigma: 1.2,
  });
  await storeAlert(engine, parseAlert(await readFile(skymap), 'skymap.fits'));
}

type After = Pick<TestContext, 'after'>;

const SERVICE_TOML = `title = "H.E.S.S. DR1 test archive"
short_name = "HESS DR1"
description = "The first public test data release of H.E.S.S., served by hearc for the portal tests."
publisher = "hearc tests"

[[collections]]
name = "${COLLECTION}"
title = "H.E.S.S. DL3 DR1"
description = "Thirteen runs of the H.E.S.S. first public test data release."
`;

/** Builds the portal (src/web) with Vite into a fresh folder; returns the folder. */
export async function buildPortal(t: After): Promise<string> {
  const outDir = join(tempDir(t, 'hearc-web-'), 'web');
  await build({
    root: fileURLToPath(new URL('../../src/web', import.meta.url)),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

export interface PortalServer {
  /** http://127.0.0.1:<port> */
  readonly address: string;
  /** An API token of user ada, group alpha. */
  readonly token: string;
  readonly webRoot: string;
  /** The OIDC provider the portal offers for sign-in (user ada, group alpha). */
  readonly oidc: OidcProvider;
}

export async function servePortal(t: After, storeDir: string): Promise<PortalServer> {
  const webRoot = await buildPortal(t);
  const dir = tempDir(t);
  const engine = await openEngine(join(dir, 'catalog.duckdb'));
  await engine.ensureTables(catalogTables);
  const address = `http://127.0.0.1:${await freePort()}`;
  const report = await ingestDataStore(engine, storeDir, {
    authority: 'test.hearc',
    collection: COLLECTION,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  if (report.failed.length > 0) throw new Error(`ingest failed: ${JSON.stringify(report.failed)}`);
  await new RightsStore(engine).set(
    [PROPRIETARY_RUN],
    {
      dataRights: 'proprietary',
      releaseDate: new Date('2999-01-01T00:00:00Z'),
      ownerGroup: 'alpha',
    },
    { by: 'test', via: 'test', at: new Date() },
  );
  const { token } = await new ApiTokenStore(engine).create('ada', ['alpha']);
  await storeTestAlerts(engine, dir);
  const oidc = await startOidcProvider(t, {
    clientId: OIDC_CLIENT,
    audience: OIDC_CLIENT,
    user: 'ada',
    groups: ['alpha'],
  });
  const config = join(dir, 'hearc.toml');
  writeFileSync(config, SERVICE_TOML);
  const service = loadServiceDescription({ file: config, env: {} });
  const app = await buildServer({
    engine,
    schema: servedSchema(servedCatalog),
    service,
    productCacheDir: join(dir, 'products'),
    // Proprietary rows are hidden from those who may not read them (as a user would notice).
    auth: {
      hideMetadata: true,
      issuers: [
        {
          issuer: oidc.issuer,
          audience: OIDC_CLIENT,
          jwksUrl: oidc.jwksUrl,
          clientId: OIDC_CLIENT,
        },
      ],
    },
    webRoot,
  });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });
  return { address, token, webRoot, oidc };
}

/** Skips (fails under CI) without Debian's chromium. */
export function requireChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `chromium is not installed at ${CHROMIUM} (CI installs Debian's chromium with .ci/run)`;
  if (onCi) throw new Error(why);
  t.skip(why);
  return false;
}

/** The H.E.S.S. DR1 store, or undefined (skipped) without test data or chromium. */
export function requirePortalPrerequisites(t: TestContext): string | undefined {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (store === undefined || !requireChromium(t)) return undefined;
  return store;
}

/** Debian's chromium on a fresh profile (user data dir), closed when the test ends. */
export async function launchChromium(t: After): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'hearc-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      // WebGL 2 for Aladin Lite on the CPU (SwiftShader), as on a machine without a GPU.
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // The browser first: it writes into its profile until it has stopped.
  t.after(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  });
  return browser;
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors, uncaught page errors and failed requests, as text. */
  readonly errors: string[];
  /** URLs of requests to any host other than the server's. */
  readonly foreign: string[];
}

/** A fresh page (own context) that records console errors and requests leaving the server. */
export async function watchedPage(
  browser: BrowserContext,
  address: string,
  viewport = { width: 1280, height: 900 },
): Promise<WatchedPage> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  const foreign: string[] = [];
  const origin = new URL(address).origin;
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) {
      foreign.push(url);
    }
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // A request cut off because the test moved on to another page is not a failure.
    if (reason !== 'net::ERR_ABORTED') errors.push(`request failed: ${request.url()} ${reason}`);
  });
  return { page, errors, foreign };
}

/** A PNG screenshot of the page, kept in $HEARC_SCREENSHOTS when set (to look at them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.HEARC_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
