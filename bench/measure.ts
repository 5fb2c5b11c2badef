/** Measuring helpers shared by the benchmarks. */
import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Runs `work`, sampling this process's RSS every 20 ms: its result, peak RSS (MiB), wall
 * time (s) and the CPU time of the process (s, every thread: on a shared machine a steadier measure).
 */
export function peakRssDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakMb: number; seconds: number; cpuSeconds: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return work().then((result) => {
    clearInterval(timer);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    return {
      result,
      peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
    };
  });
}

/**
 * A benchmark script run again as `hearc serve` in a child process (so its RSS and CPU are
 * its own): `script` must serve `catalog` when given `--serve catalog --port 0`. Resolves
 * with the base URL once the server names it.
 */
export async function serveInChild(
  script: string,
  catalog: string,
): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--serve', catalog, '--port', '0'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // The server names its address once it listens (port 0: a free one).
  const base = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const found = /TAP at (http:\/\/\S+)\/tap/.exec(text);
      if (found?.[1]) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
  });
  return { base, child };
}
