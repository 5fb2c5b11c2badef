/** Measuring helpers shared by the benchmarks. */

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
