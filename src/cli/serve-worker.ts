/**
 * A process of `hearc serve --processes N`: node:cluster starts this file with the serve
 * arguments; it serves as one of the N until the primary tells it to stop.
 */
import cluster from 'node:cluster';
import { main } from './main.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`hearc: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  // The channel to the primary is the last thing that keeps a stopped worker alive.
  cluster.worker?.disconnect();
}
