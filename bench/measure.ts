/** Measuring helpers shared by the benchmarks. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** How the benchmarks publish a simulated store they ingest. */
export const BENCH_PUBLISH = {
  authority: 'bench',
  collection: 'sim',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

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
 * A benchmark script run again in a child process with `args` (so that what it measures
 * there is its own): the JSON on the last line it prints.
 */
export function runInChild<T>(script: string, args: readonly string[], what: string): T {
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 2 ** 24,
  });
  if (child.status !== 0) throw new Error(`${what} failed (exit code ${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as T;
}

/**
 * A benchmark script run again as `hearc serve` in a child process (so its RSS and CPU are
 * its own): `script` must serve `catalog` when given `--serve catalog --port 0` (and
 * `extra`). Resolves with the base URL once the server names it.
 */
export async function serveInChild(
  script: string,
  catalog: string,
  extra: readonly string[] = [],
): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--serve', catalog, '--port', '0', ...extra],
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

/** The value at fraction `q` (0..1) of values sorted ascending, as p50/p95 are read; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
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

/** `pid` and its descendants (the processes of `hearc serve --processes N`; Linux: /proc). */
export async function processTree(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children: number[] = [];
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    children.push(...text.split(' ').filter(Boolean).map(Number));
  }
  const below = await Promise.all(children.map(processTree));
  return [pid, ...below.flat()];
}

/** The sum over `pid`'s process tree of cpuTicks, or of procStatus(key) in MiB. */
export async function treeTotal(pid: number, of: 'ticks' | 'VmRSS' | 'VmHWM'): Promise<number> {
  const values = await Promise.all(
    (await processTree(pid)).map((p) =>
      (of === 'ticks' ? cpuTicks(p) : procStatus(p, of)).catch(() => 0),
    ),
  );
  return values.reduce((a, b) => a + b, 0);
}

/** Resets the peak resident size (VmHWM) of every process of `pid`'s tree to what it holds now. */
export async function resetPeakRss(pid: number): Promise<void> {
  for (const p of await processTree(pid)) {
    await writeFile(`/proc/${p}/clear_refs`, '5').catch(() => undefined);
  }
}

/**
 * Waits until a server (all its processes) has finished its start-up work (the coverage
 * MOCs of the whole catalog, the counts HiPS, the coincidence fields of view): under 5 % of
 * a core over 2 s, at most 10 minutes. Resolves with the seconds waited.
 */
export async function waitUntilIdle(pid: number): Promise<number> {
  const t0 = performance.now();
  let before = await treeTotal(pid, 'ticks');
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = await treeTotal(pid, 'ticks');
    if (now - before < 10 || performance.now() - t0 > 600_000) break;
    before = now;
  }
  return (performance.now() - t0) / 1000;
}
