/** Runs a Python snippet with the system interpreter (astropy, gammapy) and parses its JSON output. */
import { spawnSync } from 'node:child_process';
import { PYTHON } from './env.js';

export function runPythonJson<T>(
  script: string,
  args: readonly string[] = [],
  timeoutMs = 120_000,
): T {
  const result = spawnSync(PYTHON, ['-c', script, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `python failed (${result.status ?? result.signal}): ${result.stderr.slice(-4000)}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}
