/**
 * Runs reduced in parallel on worker threads, handed back in run order so that the
 * stack is the same, byte for byte, as one made run after run. At most `threads` runs
 * are in flight or waiting to be stacked, so memory stays flat in the number of runs.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { PublishedDataset } from '../datalink/index.js';
import { DaliError } from '../dali/index.js';
import { startModuleWorker } from '../service/index.js';
import { type GeometryCache, makeRunMaps, type MapGeometry, type RunMaps } from './maker.js';
import { openRun } from './runs.js';
import type { SkyGridSpec } from './wcs.js';

type IrfMaps = { readonly edisp: boolean; readonly psf: boolean };

/** What a worker is sent: one run and the geometry to reduce it on. */
export interface RunTask {
  readonly grid: SkyGridSpec;
  readonly energy: Float64Array;
  readonly energyTrue: Float64Array;
  readonly offsetMax: number;
  readonly dataset: PublishedDataset;
  readonly irfMaps: IrfMaps;
}

/** What a worker answers: the run's maps, or why it failed (a DaliError's status kept). */
export type RunReply =
  | { readonly maps: RunMaps }
  | { readonly error: { readonly message: string; readonly status?: number } };

/** The buffers of a run's maps, each once (the IRF maps share their exposure). */
export function transferablesOf(maps: RunMaps): ArrayBuffer[] {
  const arrays = [maps.counts, maps.exposure, maps.background, maps.mask];
  for (const irf of [maps.edisp, maps.psf]) if (irf) arrays.push(irf.data, irf.exposure);
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/** Threads a job reduces runs on by default: two, or one on a single-core machine. */
export const DEFAULT_RUN_THREADS = Math.min(2, availableParallelism());

const startWorker = (): Worker => startModuleWorker(import.meta.url, 'run-worker');

/** One worker, one run at a time. */
class RunWorker {
  private readonly worker = startWorker();
  private waiting?: { resolve: (maps: RunMaps) => void; reject: (error: Error) => void };
  private stopped?: Error;

  constructor() {
    this.worker.on('message', (reply: RunReply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if ('maps' in reply) waiting?.resolve(reply.maps);
      else {
        const { message, status } = reply.error;
        waiting?.reject(status !== undefined ? new DaliError(status, message) : new Error(message));
      }
    });
    this.worker.on('error', (error) => {
      this.waiting?.reject(error);
      this.waiting = undefined;
    });
    this.worker.on('exit', (code) => {
      this.stopped = new Error(`a run-reducing worker thread stopped (exit code ${code})`);
      this.waiting?.reject(this.stopped);
      this.waiting = undefined;
    });
  }

  reduce(task: RunTask): Promise<RunMaps> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(task);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * The maps of each run of `datasets`, in their order: on `threads` worker threads when
 * there are at least two runs per thread, else on this thread, one after another.
 */
export async function* reducedRuns(
  datasets: readonly PublishedDataset[],
  geometry: MapGeometry,
  cache: GeometryCache,
  options: { readonly offsetMax: number; readonly irfMaps: IrfMaps; readonly threads: number },
): AsyncGenerator<RunMaps> {
  const { offsetMax, irfMaps } = options;
  const threads = Math.max(1, Math.floor(options.threads));
  if (threads === 1 || datasets.length < 2 * threads) {
    for (const dataset of datasets) {
      yield await makeRunMaps(geometry, cache, await openRun(dataset, irfMaps), offsetMax);
    }
    return;
  }
  const workers = Array.from({ length: threads }, () => new RunWorker());
  const idle = [...workers];
  // Each run's promise until it is stacked: none is kept after, or memory grows with the runs.
  const results = new Map<number, Promise<RunMaps>>();
  let started = 0;
  let taken = 0;
  let closed = false;
  // A run starts when a worker is free and fewer than `threads` runs are unstacked.
  const fill = (): void => {
    while (!closed && idle.length > 0 && started < datasets.length && started < taken + threads) {
      const worker = idle.pop()!;
      const task: RunTask = {
        grid: geometry.grid.spec,
        energy: geometry.energy,
        energyTrue: geometry.energyTrue,
        offsetMax,
        dataset: datasets[started]!,
        irfMaps,
      };
      const result = worker.reduce(task).finally(() => {
        idle.push(worker);
        fill();
      });
      // Awaited in turn below; until then a failure must not count as unhandled.
      result.catch(() => undefined);
      results.set(started, result);
      started += 1;
    }
  };
  try {
    fill();
    while (taken < datasets.length) {
      const result = results.get(taken)!;
      results.delete(taken);
      const maps = await result;
      taken += 1;
      fill();
      yield maps;
    }
  } finally {
    closed = true;
    await Promise.all(workers.map((w) => w.close()));
  }
}
