/** Runs a Python snippet with the system interpreter (astropy, gammapy) and parses its JSON output. */
import { execFile, spawnSync } from 'node:child_process';
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

/**
 * Like runPythonJson, without blocking the event loop: the script talks to a server
 * that runs in this process.
 */
export function runPythonJsonAsync<T>(
  script: string,
  args: readonly string[] = [],
  timeoutMs = 300_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['-c', script, ...args],
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`python failed (${error.message}): ${stderr.slice(-4000)}`));
        else resolve(JSON.parse(stdout) as T);
      },
    );
  });
}
