/**
 * Where tests find outside things: real data (HEARC_TEST_DATA) and checkers
 * (astropy, fitsverify, stilts, PostgreSQL, ...). Off CI a missing one skips the
 * test with a message; under CI=true it fails, so nothing is skipped silently.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const onCi = process.env.CI === 'true';

/** Root of the real DL3 data, or undefined when HEARC_TEST_DATA is unset or missing. */
export function testDataRoot(): string | undefined {
  const dir = process.env.HEARC_TEST_DATA;
  return dir && existsSync(dir) ? dir : undefined;
}

/**
 * Returns the test data path, or skips (fails on CI) when it is absent.
 * Usage: `const root = requireTestData(t); if (!root) return;`
 */
export function requireTestData(t: TestContext, ...parts: string[]): string | undefined {
  const root = testDataRoot();
  if (!root) {
    const why = 'HEARC_TEST_DATA is not set to the shared DL3 data (see ../shared/data/README.md)';
    if (onCi) throw new Error(why);
    t.skip(why);
    return undefined;
  }
  return join(root, ...parts);
}

const checked = new Map<string, boolean>();

/** True when `command args` runs and exits 0 on this machine (cached). */
export function canRun(command: string, args: readonly string[]): boolean {
  const key = [command, ...args].join(' ');
  let ok = checked.get(key);
  if (ok === undefined) {
    const r = spawnSync(command, args, { stdio: 'ignore', timeout: 60_000 });
    ok = r.status === 0;
    checked.set(key, ok);
  }
  return ok;
}

/**
 * Skips the test (fails under CI) unless the outside checker is available.
 * `probe` is a command that succeeds when it is, e.g. ['/usr/bin/python3', '-c', 'import astropy'].
 */
export function requireChecker(t: TestContext, name: string, probe: readonly string[]): boolean {
  const [command, ...args] = probe;
  if (command !== undefined && canRun(command, args)) return true;
  const why = `${name} is not available on this machine (CI installs it with .ci/run)`;
  if (onCi) throw new Error(why);
  t.skip(why);
  return false;
}

export const PYTHON = '/usr/bin/python3';
export const requireAstropy = (t: TestContext): boolean =>
  requireChecker(t, 'astropy (Debian python3-astropy)', [PYTHON, '-c', 'import astropy.io.fits']);
export const requireFitsverify = (t: TestContext): boolean =>
  requireChecker(t, 'fitsverify (Debian fitsverify)', ['sh', '-c', 'command -v fitsverify']);
export const requireGammapy = (t: TestContext): boolean =>
  requireChecker(t, 'gammapy (Debian python3-gammapy)', [PYTHON, '-c', 'import gammapy']);
