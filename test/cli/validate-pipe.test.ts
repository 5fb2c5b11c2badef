import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { tempDir } from '../helpers/tmp.js';

const VALIDATE = fileURLToPath(new URL('./validate-process.ts', import.meta.url));

test('hearc validate whose reader has gone (`| head -1`) ends with its own exit code, no EPIPE crash', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 3, seed: 1, eventsPerObservation: 100 });
  const child = spawn(process.execPath, ['--import', 'tsx', VALIDATE, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader closes before the first line is written: every write meets a closed pipe.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
