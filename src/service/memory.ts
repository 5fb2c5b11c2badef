/** The memory of a long-running process. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs one full garbage collection now. A server's start-up work (the coverage, the
 * HiPS, the rights) leaves hundreds of megabytes of garbage, and an idle server allocates
 * nothing that would make V8 collect it: until the first requests it stays counted in the
 * process's memory. Node exposes `gc` only when started with --expose-gc; without it, the
 * flag is set for the moment it takes to fetch the function from a new context.
 */
export function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') {
    exposed();
    return;
  }
  setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') (gc as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
