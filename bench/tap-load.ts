/**
 * The TAP load of the benchmarks (bench/tap.ts, bench/side-by-side.ts): sync queries sent
 * back to back by `concurrency` loops over keep-alive connections, their latencies, and
 * the tables they print.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { randomSource } from './obscore-catalog.js';
import { quantile } from './measure.js';

export interface LoadResult {
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

// One keep-alive agent: the load reuses its connections as wrk does; bodies are counted, not kept.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export async function syncQuery(base: string, params: Record<string, string>): Promise<number> {
  const body = new URLSearchParams({ LANG: 'ADQL', ...params }).toString();
  return new Promise<number>((resolve, reject) => {
    const request = httpRequest(
      `${base}/tap/sync`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        let bytes = 0;
        let start = '';
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (response.statusCode !== 200 && start.length < 500) start += chunk.toString();
        });
        response.on('end', () => {
          if (response.statusCode === 200) resolve(bytes);
          else reject(new Error(`HTTP ${response.statusCode}: ${start.slice(0, 500)}`));
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** `concurrency` workers send queries back to back for `seconds`. */
export async function load(
  base: string,
  query: (random: () => number) => string,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (id: number): Promise<void> => {
    const random = randomSource(id + 1);
    while (performance.now() < end) {
      const t0 = performance.now();
      await syncQuery(base, { QUERY: query(random) });
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
