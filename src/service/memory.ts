/** The memory of a long-running process. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collector = (options?: { type?: 'major' | 'minor' }) => void;

/** V8's `gc` once fetched; null when V8 gave none (not asked again). */
let collector: Collector | null | undefined;

/**
 * V8's `gc`. Node exposes it only when started with --expose-gc; without it, the flag is
 * set for the moment it takes to fetch the function from a new context. Null if V8
 * gives none.
 */
function v8Collector(): Collector | null {
  if (collector !== undefined) return collector;
  const exposed = (globalThis as { gc?: Collector }).gc;
  if (typeof exposed === 'function') return (collector = exposed);
  setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = runInNewContext('gc');
    collector = typeof gc === 'function' ? (gc as Collector) : null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collector;
}

/**
 * Runs one garbage collection now: of the whole heap, or of the young generation only
 * (about 0.1 ms when little is alive there).
 *
 * A server's start-up work (the coverage, the HiPS, the rights) leaves hundreds of
 * megabytes of garbage, and an idle server allocates nothing that would make V8 collect
 * it: until the first requests it stays counted in the process's memory. The young
 * generation is collected to free native memory held by young JS objects that V8 does
 * not count (DuckDB's result chunks, see engine/duckdb-chunk-memory.ts).
 */
export function collectGarbage(generation: 'whole' | 'young' = 'whole'): void {
  v8Collector()?.(generation === 'young' ? { type: 'minor' } : undefined);
}
