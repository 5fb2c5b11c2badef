/** Measuring helpers shared by the benchmarks. */

/** Runs `work`, sampling this process's RSS every 20 ms: its result, peak RSS (MiB) and wall time (s). */
export function peakRssDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakMb: number; seconds: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  return work().then((result) => {
    clearInterval(timer);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { result, peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, seconds };
  });
}
