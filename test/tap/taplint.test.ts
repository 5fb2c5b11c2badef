/**
 * STILTS taplint (Debian stilts) against a server over the real H.E.S.S. DR1 store:
 * the compliance bar of the TAP issue. Every error fails the test, except those listed
 * in PENDING (taplint-report.ts) with the reason.
 */
import { test } from 'node:test';
import { HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { requireTestData } from '../helpers/env.js';
import { assertTaplintClean, requireTaplint } from './taplint-report.js';

test('taplint reports no errors on the H.E.S.S. DR1 service', { timeout: 900_000 }, async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir || !requireTaplint(t)) return;
  const served = await serveStore(t, dir, HESS_COLLECTION);
  await assertTaplintClean(t, `${served.address}/tap`);
});
