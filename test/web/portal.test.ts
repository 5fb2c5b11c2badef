/**
 * The portal as a user sees it, in Debian's chromium over the real H.E.S.S. DR1 data:
 * every page is checked for what it shows, and fails on any console error, failed
 * request or request to another host (the portal works offline).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  COLLECTION,
  launchChromium,
  requirePortalPrerequisites,
  screenshot,
  servePortal,
  type WatchedPage,
  watchedPage,
} from './fixtures.js';

/** No console error, no failed request, nothing fetched from another host. */
function assertClean({ errors, foreign }: WatchedPage): void {
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(errors, [], 'console errors and failed requests');
}

const texts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));

test('the portal in chromium', async (t) => {
  const store = requirePortalPrerequisites(t);
  if (store === undefined) return;
  const { address } = await servePortal(t, store);
  const browser = await launchChromium(t);

  await t.test('landing page: title, collections, TAP URL, coverage, links', async () => {
    const watched = await watchedPage(browser, address);
    const { page } = watched;
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
    assert.equal(row[2], '13');
    assert.match(row[3] ?? '', /^2004-\d\d-\d\d – 2008-\d\d-\d\d$/);
    assert.match(row[4] ?? '', /TeV$/);
    assert.equal(await page.locator('#tap-url').inputValue(), `${address}/tap`);
    assert.equal(await page.getByRole('button', { name: 'Copy' }).count(), 1);
    assert.equal(await page.locator('svg.sky .footprint').count(), 13);
    assert.deepEqual((await texts(page, '.actions a')).sort(), [
      'ADQL console',
      'Search by position, time and energy',
    ]);
    const capabilities = await page.locator('#endpoint-capabilities').getAttribute('href');
    assert.equal(capabilities, `${address}/tap/capabilities`);
    await screenshot(page, 'landing');
    assertClean(watched);
    await page.close();
  });
  void COLLECTION;
});
