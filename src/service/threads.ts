/** Worker threads of our own modules, started alike from the TypeScript sources and the build. */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the module `name` (without extension) beside `besideUrl` (a caller's
 * import.meta.url) on a worker thread. Run from the TypeScript sources (tsx), the worker
 * registers tsx itself: Node 20 workers do not inherit --import hooks.
 */
export function startModuleWorker(
  besideUrl: string,
  name: string,
  options: WorkerOptions = {},
): Worker {
  const ext = besideUrl.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./${name}${ext}`, besideUrl).href;
  if (ext === '.js') return new Worker(new URL(entry), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
