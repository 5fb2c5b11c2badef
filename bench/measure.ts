/** Measuring helpers shared by the benchmarks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/**
 * CPU seconds of this process's main thread alone (Linux: /proc), undefined elsewhere:
 * with work moved to other threads, what bounds the wall time on free cores.
 */
export function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work`, sampling this process's RSS every 20 ms: its result, peak RSS (MiB), wall
 * time (s), the CPU time of the process (s, every thread: on a shared machine a steadier
 * measure) and of its main thread (s, where /proc tells).
 */
export function peakRssDuring<T>(work: () => Promise<T>): Promise<{
  result: T;
  peakMb: number;
  seconds: number;
  cpuSeconds: number;
  mainCpuSeconds: number | undefined;
}> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const main = mainThreadCpuSeconds();
  return work().then((result) => {
    clearInterval(timer);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    return {
      result,
      peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      mainCpuSeconds:
        main === undefined ? undefined : (mainThreadCpuSeconds() ?? Number.NaN) - main,
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

/** The middle value (the upper one of the two middles for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}

/** A process's resident size now (VmRSS) or at its peak (VmHWM), MiB (Linux: /proc). */
export async function procStatus(pid: number, key: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** CPU time (ticks of 1/100 s) process `pid` has used (Linux: /proc). */
export async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Waits until a server has finished its start-up work (the coverage MOCs of the whole
 * catalog, the counts HiPS, the coincidence fields of view): under 5 % of a core over
 * 2 s, at most 10 minutes. Resolves with the seconds waited.
 */
export async function waitUntilIdle(pid: number): Promise<number> {
  const t0 = performance.now();
  let before = await cpuTicks(pid);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = await cpuTicks(pid);
    if (now - before < 10 || performance.now() - t0 > 600_000) break;
    before = now;
  }
  return (performance.now() - t0) / 1000;
}
