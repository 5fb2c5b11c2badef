/**
 * STILTS taplint run against a served TAP endpoint, its report split into errors
 * and warnings; either fails the test unless listed in PENDING (with why).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { requireChecker } from '../helpers/env.js';

/** taplint report codes not met on purpose or not yet, with why. */
const PENDING: readonly (readonly [RegExp, string])[] = [];

export const requireTaplint = (t: TestContext): boolean =>
  requireChecker(t, 'STILTS taplint (Debian stilts)', ['sh', '-c', 'command -v stilts']);

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

/** Runs taplint on `tapUrl`; fails the test on any error or warning not PENDING. */
export async function assertTaplintClean(t: TestContext, tapUrl: string): Promise<void> {
  const report = await runTaplint(tapUrl);
  const lines = report.split('\n').filter((l) => /^[EW]-[A-Z0-9]+-[A-Z0-9]+-\d+ /.test(l));
  const errors = lines.filter((l) => l.startsWith('E-'));
  const warnings = lines.filter((l) => l.startsWith('W-'));
  const unexpected = lines.filter((l) => !PENDING.some(([pattern]) => pattern.test(l)));
  t.diagnostic(
    `taplint: ${errors.length} errors, ${warnings.length} warnings (${lines.length - unexpected.length} pending)`,
  );
  for (const line of lines) t.diagnostic(line);
  assert.deepEqual(unexpected, [], `taplint errors and warnings:\n${unexpected.join('\n')}`);
}
