/**
 * The portal as a user sees it, in Debian's chromium over the real H.E.S.S. DR1 data:
 * every page is checked for what it shows, and fails on any console error, failed
 * request or request to another host (the portal works offline).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  CRAB_RUNS,
  GW_ALERT,
  NEUTRINO_ALERT,
  PROPRIETARY_RUN,
  launchChromium,
  requirePortalPrerequisites,
  screenshot,
  servePortal,
  type WatchedPage,
  watchedPage,
} from './fixtures.js';

/** No console error, no failed request, nothing fetched from another host (but the errors expected). */
function assertClean({ errors, foreign }: WatchedPage, expected: string[] = []): void {
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(errors, expected, 'console errors and failed requests');
}

/** What a page's Aladin sky view says of itself (data-* attributes and its small API). */
interface SkyState {
  readonly ready: boolean;
  readonly fallback: string | undefined;
  readonly footprints: number;
  readonly selected: string[];
  /** Pixels of the canvas that are not the background. */
  readonly painted: number;
}

/** Waits for the Aladin view to start (failing if the SVG stood in), then reads it. */
async function skyState(page: Page): Promise<SkyState> {
  await page.locator('.aladin-sky[data-ready="true"], .sky-fallback').first().waitFor();
  // Tiles arrive after the view starts: give them a moment to be drawn.
  await page.waitForTimeout(1500);
  return page.evaluate(() => {
    type Holder = {
      dataset: Record<string, string | undefined>;
      hearcSky?: { selected(): string[] };
      querySelectorAll(selector: string): ArrayLike<{
        width: number;
        height: number;
        getContext(kind: string): unknown;
      }>;
    };
    const doc = (globalThis as unknown as { document: { querySelector(s: string): Holder } })
      .document;
    const holder = doc.querySelector('.aladin-sky, .sky-fallback');
    let painted = 0;
    // The HiPS canvas is WebGL: copy it into a 2D canvas to read its pixels.
    for (const canvas of Array.from(holder.querySelectorAll('canvas'))) {
      const copy = (
        globalThis as unknown as {
          OffscreenCanvas: new (
            w: number,
            h: number,
          ) => {
            getContext(k: '2d'): {
              drawImage(c: unknown, x: number, y: number): void;
              getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
            };
          };
        }
      ).OffscreenCanvas;
      if (canvas.width === 0 || canvas.height === 0) continue;
      const ctx = new copy(canvas.width, canvas.height).getContext('2d');
      ctx.drawImage(canvas, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
        if (a > 0 && Math.abs(r - 12) + Math.abs(g - 19) + Math.abs(b - 48) > 30) painted++;
      }
    }
    return {
      ready: holder.dataset.ready === 'true',
      fallback: holder.dataset.fallback,
      footprints: Number(holder.dataset.footprints ?? 0),
      selected: holder.hearcSky?.selected() ?? [],
      painted,
    };
  });
}

/** Clicks the edge of a footprint on the Aladin canvas. */
async function clickFootprint(page: Page, id: string): Promise<void> {
  const at = await page.evaluate((key) => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } })
      .document;
    const holder = doc.querySelector('.aladin-sky') as {
      hearcSky: { edgeOf(id: string): [number, number] | undefined };
      getBoundingClientRect(): { left: number; top: number };
    };
    const xy = holder.hearcSky.edgeOf(key);
    const box = holder.getBoundingClientRect();
    return xy && ([box.left + xy[0], box.top + xy[1]] as const);
  }, id);
  assert.ok(at, `footprint ${id} is on the canvas`);
  await page.mouse.click(at[0], at[1]);
}

/** What the test reads of an <img> (the test runs in Node, without the DOM's types). */
interface Image {
  readonly alt: string;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
}
/** Every preview image has its source and is done loading (or failing); runs in the page. */
function PREVIEWS_LOADED(): boolean {
  type Img = { getAttribute(name: string): string | null; complete: boolean };
  const { document } = globalThis as unknown as {
    document: { querySelectorAll(selector: string): ArrayLike<Img> };
  };
  return Array.from(document.querySelectorAll('.previews img')).every(
    (i) => i.getAttribute('src') !== null && i.complete,
  );
}

const texts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));

test('the portal in chromium', async (t) => {
  const store = requirePortalPrerequisites(t);
  if (store === undefined) return;
  const { address, token, oidc } = await servePortal(t, store);
  const browser = await launchChromium(t);

  await t.test('landing page: title, collections, TAP URL, coverage, links', async () => {
    const watched = await watchedPage(browser, address);
    const { page } = watched;
    const tileRequest = page.waitForRequest(
      (r) => /\/hips\/service\/Norder\d+\/(Dir\d+\/Npix\d+|Allsky)\.png$/.test(r.url()),
      { timeout: 120_000 },
    );
    await page.goto(`${address}/`);
    await page.locator('h1').waitFor();
    assert.equal(await page.locator('h1').textContent(), 'H.E.S.S. DR1 test archive');
    assert.match(
      (await page.locator('.lead').textContent()) ?? '',
      /first public test data release/,
    );
    await page.locator('#collections-title ~ .table-wrap tbody tr').first().waitFor();
    const [row] = await page
      .locator('#collections-title ~ .table-wrap tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.ok(row);
    assert.match(row[0] ?? '', /^H\.E\.S\.S\. DL3 DR1/);
    assert.equal(row[1], 'H.E.S.S. Phase I');
    assert.equal(row[2], '12', 'the proprietary run is hidden from anonymous users');
    assert.match(row[3] ?? '', /^2004-\d\d-\d\d – 2008-\d\d-\d\d$/);
    assert.match(row[4] ?? '', /TeV$/);
    assert.equal(await page.locator('#tap-url').inputValue(), `${address}/tap`);
    assert.equal(await page.getByRole('button', { name: 'Copy' }).count(), 1);
    const sky = await skyState(page);
    assert.equal(sky.fallback, undefined, 'Aladin Lite runs (WebGL 2 on SwiftShader)');
    assert.equal(sky.footprints, 12);
    assert.ok(sky.painted > 1000, `the sky is drawn (${sky.painted} pixels)`);
    // hearc's own HiPS (built by the server on its first start: allow for that).
    await tileRequest;
    assert.deepEqual((await texts(page, '.actions a')).sort(), [
      'ADQL console',
      'Multi-messenger alerts',
      'Search by position, time and energy',
    ]);
    const capabilities = await page.locator('#endpoint-capabilities').getAttribute('href');
    assert.equal(capabilities, `${address}/tap/capabilities`);
    await screenshot(page, 'landing');
    assertClean(watched);
    await page.close();
  });

  /** The obs_id column of the results table, every page. */
  async function listedRuns(page: Page): Promise<string[]> {
    await page.locator('#results-count').waitFor();
    return (await texts(page, '.results-table tbody tr td:first-child')).sort();
  }

  await t.test(
    'cone search (sexagesimal, then Galactic) lists the Crab runs and no others',
    async () => {
      for (const query of [
        'pos=05%2034%2031.9%20%2B22%2000%2052&radius=3',
        'pos=184.557,-5.784&frame=galactic&radius=3',
      ]) {
        const watched = await watchedPage(browser, address);
        const { page } = watched;
        await page.goto(`${address}/search?${query}`);
        assert.deepEqual(await listedRuns(page), CRAB_RUNS);
        assert.equal(await page.locator('#results-count').textContent(), '4 observations');
        assert.match(
          (await page.locator('.resolved').textContent()) ?? '',
          /RA 83\.63\d\d°, Dec 22\.01\d\d°/,
        );
        assertClean(watched);
        await page.close();
      }
    },
  );

  await t.test(
    'name search for the Crab: resolved offline, the Crab runs on the sky and in the table',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      // Typed on the landing page, as a user would.
      await page.goto(`${address}/`);
      await page.getByLabel('Object name or position').fill('crab');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForURL(/\/search\?target=crab$/);
      assert.deepEqual(await listedRuns(page), CRAB_RUNS);
      assert.match(
        (await page.locator('.resolved').textContent()) ?? '',
        /^Crab at RA 83\.6333°, Dec 22\.0144° .* position from the target position \(ra_obj, dec_obj\) published with 4 observations whose target_name is 'Crab' \(hess-dr1\)/,
      );
      // The sky view (Aladin Lite over hearc's counts HiPS): the four fields of view.
      const sky = await skyState(page);
      assert.equal(sky.fallback, undefined, 'Aladin Lite runs');
      assert.equal(sky.footprints, 4);
      assert.ok(sky.painted > 1000, `the sky is drawn (${sky.painted} pixels)`);
      // Selection, map to table and table to map.
      await clickFootprint(page, 'hess-dr1/23559');
      assert.deepEqual(await texts(page, '.results-table tr.selected td:first-child'), ['23559']);
      await page.locator('.results-table tr[data-id="hess-dr1/23592"] td:nth-child(2)').click();
      assert.deepEqual((await skyState(page)).selected, ['hess-dr1/23592']);
      // Sorting is kept in the URL.
      await page.getByRole('button', { name: 'Zenith' }).click();
      assert.match(page.url(), /sort=zenith/);
      assert.deepEqual(await texts(page, '.results-table tbody tr td:first-child'), [
        '23559',
        '23526',
        '23592',
        '23523',
      ]);
      await screenshot(page, 'search-crab');
      assertClean(watched);
      await page.close();
    },
  );

  await t.test('time (ISO date, MJD) and energy (TeV) filters narrow the Crab runs', async () => {
    const watched = await watchedPage(browser, address);
    const { page } = watched;
    await page.goto(`${address}/search?target=Crab&tmin=2004-12-05&tmax=53346`);
    assert.deepEqual(await listedRuns(page), ['23559']);
    await page.goto(`${address}/search?target=Crab&emin=100`);
    assert.deepEqual(await listedRuns(page), ['23523', '23559']);
    await page.goto(`${address}/search?target=Crab&tmin=yesterday`);
    await page.locator('.results .alert').waitFor();
    assert.match(
      (await page.locator('.results .alert').textContent()) ?? '',
      /'yesterday' is neither an MJD nor an ISO date/,
    );
    assertClean(watched);
    await page.close();
  });

  await t.test(
    'a map dataset of the search selection: an async job, its FITS file and preview',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      await page.goto(`${address}/search?target=Crab&tmin=2004-12-05&tmax=53346`);
      assert.deepEqual(await listedRuns(page), ['23559']);
      await page.getByText('Make a map dataset of this selection').click();
      // The centre comes from the resolved name; a small map keeps the job short.
      assert.match(
        await page.getByLabel('Centre (ra dec, deg)').inputValue(),
        /^83\.63\d+ 22\.01\d+$/,
      );
      await page.getByLabel('Width (deg)').fill('2');
      await page.getByLabel('Pixel (deg)').fill('0.05');
      await page.getByRole('button', { name: 'Make a map dataset', exact: true }).click();
      await page.getByText('Map dataset ready.').waitFor({ timeout: 120_000 });
      const [fits] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download mapdataset.fits' }).click(),
      ]);
      assert.equal(
        readFileSync(await fits.path())
          .subarray(0, 9)
          .toString(),
        'SIMPLE  =',
      );
      await page.waitForFunction(() => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } })
          .document;
        const img = doc.querySelector('.map-job-preview') as Image | null;
        return img !== null && img.naturalWidth > 0;
      });
      assertClean(watched);
      await page.close();
    },
  );

  await t.test('at phone width no page is wider than the screen', async () => {
    const watched = await watchedPage(browser, address, { width: 390, height: 844 });
    const { page } = watched;
    for (const [path, ready] of [
      ['/', '.aladin-sky[data-ready="true"]'],
      ['/search?target=Crab', '#results-count'],
      ['/obs/hess-dr1/23523', '.previews img'],
      ['/adql', '.examples li'],
      ['/login', '#token'],
      ['/alerts', '#alerts-count'],
      [`/alerts/${NEUTRINO_ALERT}`, '.results-table'],
    ] as const) {
      await page.goto(`${address}${path}`);
      await page.locator(ready).first().waitFor();
      const [scrollWidth, innerWidth] = await page.evaluate(() => {
        const g = globalThis as unknown as {
          innerWidth: number;
          document: { documentElement: { scrollWidth: number } };
        };
        return [g.document.documentElement.scrollWidth, g.innerWidth];
      });
      assert.ok(
        scrollWidth <= innerWidth,
        `${path}: ${scrollWidth} px wide on a ${innerWidth} px screen`,
      );
    }
    assertClean(watched);
    await page.close();
  });

  await t.test(
    'a name nobody knows is refused with a clear message; a shipped source resolves',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      await page.goto(`${address}/search?target=Nowhere%20X-1`);
      assert.match(
        (await page.locator('.results .alert').textContent()) ?? '',
        /'Nowhere X-1' is neither a published target nor in the list of well-known sources/,
      );
      await page.goto(`${address}/search?target=Mrk%20421`);
      await page.locator('#results-count').waitFor();
      assert.match((await page.locator('.resolved').textContent()) ?? '', /Mrk 421 .* SIMBAD/);
      assert.equal(await page.locator('#results-count').textContent(), '0 observations');
      assertClean(watched);
      await page.close();
    },
  );

  await t.test(
    'observation page: metadata, previews that load, DataLink buttons, cutout, Python',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      // From the search results, as a user gets there.
      await page.goto(`${address}/search?target=Crab`);
      await page.getByRole('link', { name: '23523' }).click();
      await page.waitForURL(`${address}/obs/hess-dr1/23523`);
      // The URL changes at once; the page follows when its metadata arrive.
      await page.locator('h1', { hasText: 'Observation 23523' }).waitFor();
      await page.locator('.previews img').first().waitFor();
      const metadata = Object.fromEntries(
        await page
          .locator('dl.meta dt')
          .evaluateAll((dts) =>
            dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
          ),
      );
      assert.equal(metadata.Target, 'Crab (Crab Nebula in the file)');
      assert.equal(metadata.Events, '7,613');
      assert.match(metadata['Start (UTC)'] ?? '', /^2004-12-04T22:07:06Z/);
      // Every preview is a real image, none broken.
      const images = page.locator('.previews img');
      assert.equal(await images.count(), 3);
      await page.waitForFunction(PREVIEWS_LOADED);
      const sizes = await images.evaluateAll((imgs) =>
        (imgs as unknown as Image[]).map((i) => [i.alt, i.naturalWidth, i.naturalHeight]),
      );
      for (const [alt, width, height] of sizes) {
        assert.ok((width as number) > 100 && (height as number) > 100, `preview ${alt} loaded`);
      }
      assert.deepEqual(await texts(page, '.links button[data-semantics="#calibration"]'), [
        'Effective area14 kB',
        'Background205 kB',
        'Energy dispersion371 kB',
        'Point spread function118 kB',
      ]);
      // The event list button downloads the event list.
      const [events] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Event list' }).click(),
      ]);
      assert.equal(events.url(), `${address}/products/hess-dr1/23523/events.fits`);
      // The cutout form builds the SODA URL and downloads a FITS file.
      await page.getByLabel('Radius').fill('0.5');
      const sodaUrl = (await page.locator('.soda-url').textContent()) ?? '';
      assert.match(
        sodaUrl,
        new RegExp(
          `^${address}/soda\\?ID=ivo%3A%2F%2Ftest\\.hearc%2Fhess-dr1%3F23523&CIRCLE=83\\.6333\\+21\\.5144\\+0\\.5&TIME=`,
        ),
      );
      const [cutout] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download cutout' }).click(),
      ]);
      const file = await cutout.path();
      assert.equal(readFileSync(file).subarray(0, 9).toString(), 'SIMPLE  =');
      const snippets = await texts(page, 'pre.snippet');
      assert.match(snippets[0] ?? '', new RegExp(`TAPService\\("${address}/tap"\\)`));
      assert.match(
        snippets[1] ?? '',
        new RegExp(`download_file\\("${address}/products/hess-dr1/23523/events.fits"`),
      );
      await screenshot(page, 'observation');
      assertClean(watched);
      await page.close();
    },
  );

  await t.test(
    'ADQL console: an example runs, a syntax error is shown at its place, results download',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      await page.goto(`${address}/adql`);
      await page.getByRole('button', { name: /^Livetime and events per target/ }).click();
      assert.match(await page.getByLabel('ADQL query').inputValue(), /GROUP BY target_name/);
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.locator('#result-count').waitFor();
      assert.equal(await page.locator('#result-count').textContent(), '5 rows');
      assert.deepEqual((await texts(page, '.adql-output tbody td:first-child')).sort(), [
        'Crab',
        'MSH 15-52',
        'PKS 2155-304 (flare)',
        'PKS 2155-304 (steady)',
        'RX J1713.7-3946',
      ]);
      assert.match(page.url(), /\/adql\?query=SELECT\+target_name/);
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'CSV' }).click(),
      ]);
      const text = readFileSync(await csv.path(), 'utf8');
      assert.equal(text.split(/\r?\n/)[0], 'target_name,n_obs,livetime_hours,events');
      assert.deepEqual(await texts(page, '.downloads button'), [
        'VOTable',
        'VOTable (TABLEDATA)',
        'CSV',
        'TSV',
        'FITS',
        'JSON',
      ]);

      // A syntax error: the message names line and column, the editor marks the token.
      await page.getByLabel('ADQL query').fill('SELECT obs_id\nFROM ivoa.obscore WHER x');
      await page.getByLabel('ADQL query').press('Control+Enter');
      await page.locator('.adql-output .alert').waitFor();
      assert.match(
        (await page.locator('.adql-output .alert').textContent()) ?? '',
        /^Line 2, column 24: unexpected 'x'/,
      );
      assert.deepEqual(await texts(page, '.editor .tok-err'), ['x']);
      assert.equal(
        await page
          .getByLabel('ADQL query')
          .evaluate((e) => (e as unknown as { selectionStart: number }).selectionStart),
        37,
      );
      await screenshot(page, 'adql-error');
      // The 400 of the refused query is the one console message the browser writes.
      assertClean(watched, [
        'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
      ]);
      await page.close();
    },
  );

  await t.test('ADQL console: an async job runs to completion from the job list', async () => {
    const watched = await watchedPage(browser, address);
    const { page } = watched;
    await page.goto(
      `${address}/adql?query=${encodeURIComponent('SELECT COUNT(*) AS n FROM ivoa.obscore')}`,
    );
    await page.locator('#result-count').waitFor();
    await page.getByRole('button', { name: 'Run as async job' }).click();
    const row = page.locator('.jobs tbody tr').first();
    await row.locator('.badge.phase-completed').waitFor();
    assert.match(
      (await row.locator('.query-cell').textContent()) ?? '',
      /SELECT COUNT\(\*\) AS n FROM ivoa\.obscore/,
    );
    const [result] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'Result' }).click(),
    ]);
    assert.match(readFileSync(await result.path(), 'utf8'), /<VOTABLE[\s\S]*<FIELD [^>]*name="n"/);
    await screenshot(page, 'adql-async');
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.locator('.jobs p.muted').waitFor();
    assertClean(watched);
    await page.close();
  });

  await t.test('signing in with an API token reveals the proprietary run', async () => {
    const watched = await watchedPage(browser, address);
    const { page } = watched;
    const pks = 'search?pos=329.717,-30.226&radius=3';
    await page.goto(`${address}/${pks}`);
    assert.deepEqual(await listedRuns(page), ['33788', '33789', '47802']);
    // A wrong token is refused with the service's reason.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('API token').fill('hearc_AAAAAAAAAAAA_wrong');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('form .alert').waitFor();
    assert.match(
      (await page.locator('form .alert').textContent()) ?? '',
      /^The token was refused: /,
    );
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${address}/search`);
    assert.equal(await page.locator('#nav-login').textContent(), 'Signed in');
    await page.goto(`${address}/${pks}`);
    assert.deepEqual(await listedRuns(page), [PROPRIETARY_RUN, '33788', '33789', '47802']);
    assert.equal(
      await page
        .locator(`.results-table tr[data-id="hess-dr1/${PROPRIETARY_RUN}"] .badge`)
        .textContent(),
      'proprietary',
    );
    // Its page, previews included, loads with the token.
    await page.getByRole('link', { name: PROPRIETARY_RUN }).click();
    await page.locator('.previews img').first().waitFor();
    await page.waitForFunction(PREVIEWS_LOADED);
    const widths = await page
      .locator('.previews img')
      .evaluateAll((imgs) => (imgs as unknown as Image[]).map((i) => i.naturalWidth));
    assert.ok(widths.length === 3 && widths.every((w) => w > 100), 'previews loaded');
    assert.match((await page.locator('.lead').textContent()) ?? '', /proprietary$/);
    await screenshot(page, 'proprietary-observation');
    // Signing out hides it again.
    await page.goto(`${address}/login`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${address}/obs/hess-dr1/${PROPRIETARY_RUN}`);
    await page.locator('.alert').waitFor();
    assert.match(
      (await page.locator('.alert').textContent()) ?? '',
      /There is no observation 33787/,
    );
    // The refused token's 401 is the one console message the browser writes.
    assertClean(watched, [
      'console: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    await page.close();
  });
  /** The obs_id column of the coincident observations' table. */
  async function coincidentRuns(page: Page): Promise<string[]> {
    await page.locator('#coincident-count').waitFor();
    return (await texts(page, '.results-table tbody tr td:first-child')).sort();
  }

  await t.test(
    'alerts: listed from the landing page; a neutrino alert with its revisions, error circle and the runs during it',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      await page.goto(`${address}/`);
      await page.getByRole('link', { name: 'Multi-messenger alerts' }).click();
      await page.waitForURL(`${address}/alerts`);
      assert.equal(await page.locator('#alerts-count').textContent(), '2 alerts');
      const rows = await page
        .locator('table.data tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      // Newest first: the 2006 skymap, then the 2004 notice (its latest revision, of 2).
      assert.deepEqual(
        rows.map((r) => [r[0], r[1], r[4]]),
        [
          [GW_ALERT, 'Gravitational wave', '1'],
          [NEUTRINO_ALERT, 'Neutrino', '2'],
        ],
      );
      assert.match(rows[1]![3] ?? '', /^83\.700°, 22\.000° ± 0\.80° \(90 %\)$/);
      await screenshot(page, 'alerts');

      await page.getByRole('link', { name: NEUTRINO_ALERT }).click();
      await page.waitForURL(`${address}/alerts/${NEUTRINO_ALERT}`);
      // The URL changes before the page does (client-side navigation): wait for its heading.
      await page.locator('h1', { hasText: `Alert ${NEUTRINO_ALERT}` }).waitFor();
      assert.equal(await page.locator('h1').textContent(), `Alert ${NEUTRINO_ALERT}`);
      assert.match((await page.locator('.lead').textContent()) ?? '', /revision 2 of 2$/);
      const meta = Object.fromEntries(
        await page
          .locator('dl.meta dt')
          .evaluateAll((dts) =>
            dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
          ),
      );
      assert.equal(meta.Messenger, 'Neutrino');
      assert.match(meta['Event time (UTC)'] ?? '', /^2004-12-04T22:20:00Z · MJD 53343\.930556$/);
      assert.match(meta['Position (ICRS)'] ?? '', /^RA 83\.7000°, Dec 22\.0000°/);
      assert.equal(meta['Error circles'], '0.800° (90 %)');
      assert.match(meta.Source ?? '', /lvk_nu_track_search\.schema\.json$/);
      assert.equal(await page.locator('#history-title ~ .table-wrap tbody tr').count(), 2);
      // The runs of that night, with their probability, offset and livetime; DataLink beside.
      assert.deepEqual(await coincidentRuns(page), ['23523', '23526']);
      const first = await page
        .locator('.results-table tbody tr')
        .first()
        .evaluate((tr) => [...tr.children].map((td) => td.textContent));
      assert.equal(first[0], '23523');
      assert.match(first[2] ?? '', /^\d+\.\d %$/);
      assert.equal(first[3], 'during');
      assert.match(first[4] ?? '', /^\d+\.\d min$/);
      assert.equal(
        await page
          .locator('.results-table tbody tr')
          .first()
          .getByRole('link', { name: 'DataLink' })
          .getAttribute('href'),
        `${address}/datalink?ID=${encodeURIComponent('ivo://test.hearc/hess-dr1?23523')}`,
      );
      assert.equal(await page.locator('.hidden-runs').count(), 0);
      // The footprints on the sky, the selection linked both ways.
      const sky = await skyState(page);
      assert.equal(sky.fallback, undefined, 'Aladin Lite runs');
      assert.equal(sky.footprints, 2);
      assert.ok(sky.painted > 1000, `the sky is drawn (${sky.painted} pixels)`);
      const did = (run: string) => `ivo://test.hearc/hess-dr1?${run}`;
      await clickFootprint(page, did('23526'));
      assert.deepEqual(await texts(page, '.results-table tr.selected td:first-child'), ['23526']);
      await page.locator(`.results-table tr[data-id="${did('23523')}"] td:nth-child(2)`).click();
      assert.deepEqual((await skyState(page)).selected, [did('23523')]);
      await screenshot(page, 'alert-neutrino');
      // A wider window, kept in the URL, finds the runs of the next nights too.
      await page.getByLabel('Days after').fill('5');
      await page.getByRole('button', { name: 'Search again' }).click();
      await page.waitForURL(/after=5/);
      // The URL changes at once; the table follows when /coincidence answers.
      await page.locator('#coincident-count', { hasText: 'and 5 d after' }).waitFor();
      assert.deepEqual(await coincidentRuns(page), CRAB_RUNS);
      // The first revision, from the history.
      await page.locator('#history-title ~ .table-wrap').getByRole('link', { name: '1' }).click();
      await page.waitForURL(/revision=1/);
      await page.locator('.lead', { hasText: 'revision 1 of 2' }).waitFor();
      assert.match(
        (await page.locator('.lead').textContent()) ?? '',
        /revision 1 of 2 \(not the latest\)$/,
      );
      assert.equal(
        await page.locator('dl.meta dt:has-text("Error circles") + dd').textContent(),
        '1.500° (90 %)',
      );
      assertClean(watched);
      await page.close();
    },
  );

  await t.test(
    'a gravitational-wave skymap: its credible regions on the sky, the proprietary run counted but not named',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      const mocs = ['50', '90'].map((level) =>
        page.waitForResponse((r) => r.url().endsWith(`/alerts/${GW_ALERT}/moc${level}.fits`)),
      );
      await page.goto(`${address}/alerts/${GW_ALERT}`);
      assert.deepEqual(await coincidentRuns(page), ['33788', '33789']);
      assert.match(
        (await page.locator('.hidden-runs').textContent()) ?? '',
        /^1 more observation looked there but is not shown: its data are not open to you\. Sign in to see those of your groups\.$/,
      );
      assert.equal(await page.getByText(PROPRIETARY_RUN).count(), 0);
      for (const response of await Promise.all(mocs)) {
        assert.equal(response.status(), 200);
        assert.equal(response.headers()['content-type'], 'application/fits');
      }
      const meta = await page.locator('dl.meta dt:has-text("Credible regions") + dd').textContent();
      assert.match(meta ?? '', /^\d+\.?\d* deg² \(50 %\), \d+\.?\d* deg² \(90 %\)$/);
      const sky = await skyState(page);
      assert.equal(sky.fallback, undefined, 'Aladin Lite runs');
      assert.equal(sky.footprints, 2);
      assert.ok(sky.painted > 1000, `the sky is drawn (${sky.painted} pixels)`);
      await screenshot(page, 'alert-gw');
      assertClean(watched);
      await page.close();
    },
  );

  await t.test(
    'OIDC sign-in (authorization code with PKCE at the issuer) reveals the proprietary run; a wrong verifier is refused',
    async () => {
      const watched = await watchedPage(browser, address);
      const { page } = watched;
      const issuerOrigin = new URL(oidc.issuer).origin;
      const login = await page.goto(
        `${address}/login?next=${encodeURIComponent(`alerts/${GW_ALERT}`)}`,
      );
      // The CSP lets the page reach the issuer (and no other host) for the token and the form.
      const csp = (await login?.allHeaders())?.['content-security-policy'] ?? '';
      assert.match(csp, new RegExp(`connect-src 'self' data: blob: ${issuerOrigin};`));
      assert.match(csp, new RegExp(`form-action 'self' ${issuerOrigin};`));
      const signIn = page.getByRole('button', {
        name: `Sign in with ${new URL(oidc.issuer).host}`,
      });
      await screenshot(page, 'login-oidc');

      // A verifier that does not match the challenge: the issuer refuses, the portal says so.
      await page.route(`${oidc.issuer}/token`, async (route) => {
        const body = new URLSearchParams(route.request().postData() ?? '');
        body.set('code_verifier', 'not-the-verifier-of-this-code-but-43-chars-long');
        await route.continue({ postData: body.toString() });
      });
      await signIn.click();
      await page.locator('.alert').waitFor();
      assert.equal(
        await page.locator('.alert').textContent(),
        'The sign-in provider did not give a token: invalid_grant (the PKCE code verifier does not match the challenge).',
      );
      assert.equal(page.url(), `${address}/login`, 'the code left the URL');
      assert.equal(await page.locator('#nav-login').textContent(), 'Sign in');
      assert.deepEqual(oidc.tokenAnswers, ['invalid_grant']);
      await page.unroute(`${oidc.issuer}/token`);

      // The real flow: to the issuer and back, the token exchanged, the proprietary run named.
      await page.goto(`${address}/login?next=${encodeURIComponent(`alerts/${GW_ALERT}`)}`);
      await signIn.click();
      await page.waitForURL(`${address}/alerts/${GW_ALERT}`);
      assert.deepEqual(oidc.tokenAnswers, ['invalid_grant', 'ok']);
      assert.equal(await page.locator('#nav-login').textContent(), 'Signed in');
      assert.deepEqual(await coincidentRuns(page), [PROPRIETARY_RUN, '33788', '33789']);
      assert.equal(await page.locator('.hidden-runs').count(), 0);
      await page.goto(`${address}/search?pos=329.717,-30.226&radius=3`);
      assert.deepEqual(await listedRuns(page), [PROPRIETARY_RUN, '33788', '33789', '47802']);
      await page.goto(`${address}/login`);
      assert.match(
        (await page.locator('.card p').first().textContent()) ?? '',
        /^This tab is signed in as ada\./,
      );
      await page.getByRole('button', { name: 'Sign out' }).click();
      // Only the issuer was reached besides this server, and only for discovery, sign-in and token.
      assert.ok(watched.foreign.length > 0);
      for (const url of watched.foreign) {
        assert.match(
          url,
          new RegExp(`^${issuerOrigin}/(\\.well-known/openid-configuration|authorize\\?|token$)`),
        );
      }
      assert.deepEqual(watched.errors, [
        'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
      ]);
      await page.close();
    },
  );
});
