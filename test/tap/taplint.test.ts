/**
 * STILTS taplint (Debian stilts) against a server over the real H.E.S.S. DR1 store:
 * the compliance bar of the TAP issue. Every error fails the test, except those listed
 * in PENDING with the reason (none now).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { requireChecker, requireTestData } from '../helpers/env.js';

/** taplint report codes not yet met, with why. */
const PENDING: readonly (readonly [RegExp, string])[] = [];

function runTaplint(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'stilts',
      ['taplint', `tapurl=${url}`, 'report=EW', 'maxrepeat=3'],
      { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error && !stdout ? reject(new Error(stderr)) : resolve(stdout)),
    );
  });
}

test('taplint reports no errors on the H.E.S.S. DR1 service', { timeout: 900_000 }, async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (
    !dir ||
    !requireChecker(t, 'STILTS taplint (Debian stilts)', ['sh', '-c', 'command -v stilts'])
  )
    return;
  const served = await serveStore(t, dir, HESS_COLLECTION);
  const report = await runTaplint(`${served.address}/tap`);
  const lines = report.split('\n').filter((l) => /^[EW]-[A-Z0-9]+-[A-Z0-9]+-\d+ /.test(l));
  const errors = lines.filter((l) => l.startsWith('E-'));
  const unexpected = errors.filter((l) => !PENDING.some(([pattern]) => pattern.test(l)));
  const warnings = lines.filter((l) => l.startsWith('W-'));
  t.diagnostic(
    `taplint: ${errors.length} errors (${errors.length - unexpected.length} pending), ${warnings.length} warnings`,
  );
  for (const w of warnings) t.diagnostic(w);
  assert.deepEqual(unexpected, [], `taplint errors:\n${unexpected.join('\n')}`);
});
