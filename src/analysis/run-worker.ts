/**
 * A worker thread that reduces runs (see run-workers.ts): one message, one run opened
 * and made into its maps, posted back with its arrays transferred.
 */
import { parentPort } from 'node:worker_threads';
import { DaliError } from '../dali/index.js';
import { type GeometryCache, geometryCache, makeRunMaps, type MapGeometry } from './maker.js';
import { openRun } from './runs.js';
import { type RunTask, type RunReply, transferablesOf } from './run-workers.js';
import { SkyGrid } from './wcs.js';

let last: { key: string; geometry: MapGeometry; cache: GeometryCache } | undefined;

/** The geometry of a task and its cache, made once for a job's runs. */
function geometryOf(task: RunTask): { geometry: MapGeometry; cache: GeometryCache } {
  const key = JSON.stringify([task.grid, [...task.energy], [...task.energyTrue]]);
  if (last?.key !== key) {
    const geometry = {
      grid: new SkyGrid(task.grid),
      energy: task.energy,
      energyTrue: task.energyTrue,
    };
    last = { key, geometry, cache: geometryCache(geometry) };
  }
  return last;
}

const port = parentPort!;
port.on('message', (task: RunTask) => {
  void (async (): Promise<RunReply> => {
    try {
      const { geometry, cache } = geometryOf(task);
      const maps = await makeRunMaps(
        geometry,
        cache,
        await openRun(task.dataset, task.irfMaps),
        task.offsetMax,
      );
      return { maps };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return error instanceof DaliError
        ? { error: { message, status: error.status } }
        : { error: { message } };
    }
  })().then((reply) => port.postMessage(reply, 'maps' in reply ? transferablesOf(reply.maps) : []));
});
