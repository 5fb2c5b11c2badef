/**
 * A worker thread that computes the space MOCs of fields of view (observationSpaceMoc):
 * the WebAssembly memory moc-wasm grows for 1e5 of them (hundreds of MB) is never given
 * back while its instance lives, and goes away with the thread.
 */
import { parentPort } from 'node:worker_threads';
import type { CatalogRow } from '../engine/types.js';
import { observationSpaceMoc } from './coverage.js';
import { mocLibrary } from './library.js';

parentPort?.on('message', (rows: readonly CatalogRow[]) => {
  mocLibrary().then(
    (library) => {
      const mocs: [string, string][] = [];
      for (const row of rows) {
        const ascii = observationSpaceMoc(library, row);
        if (ascii !== undefined) mocs.push([String(row.obs_publisher_did), ascii]);
      }
      parentPort?.postMessage({ mocs });
    },
    (error: unknown) => parentPort?.postMessage({ error: String(error) }),
  );
});
