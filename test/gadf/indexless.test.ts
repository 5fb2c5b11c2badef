import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { openDataStore } from '../../src/gadf/datastore.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';

test('a folder of event files without indexes is indexed from the headers', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 3, seed: 4, eventsPerObservation: 500 });
  const indexed = await openDataStore(dir);
  rmSync(join(dir, 'hdu-index.fits.gz'));
  rmSync(join(dir, 'obs-index.fits.gz'));
  const scanned = await openDataStore(dir);
  assert.equal(scanned.hduIndexPath, undefined);
  assert.deepEqual(
    scanned.observations.map((o) => [
      o.obsId,
      o.hdus.map((h) => `${h.type}:${h.hduClass}:${h.hduName}`).sort(),
    ]),
    indexed.observations.map((o) => [
      o.obsId,
      o.hdus.map((h) => `${h.type}:${h.hduClass}:${h.hduName}`).sort(),
    ]),
  );

  const io = captureIo();
  assert.equal(await main(['validate', dir], io), 0, io.out());
  assert.match(io.out(), /3 observations, 0 errors/);
  assert.match(io.out(), /no hdu-index found/);
});

test('hearc validate exits 1 and names the problem when a run file is missing', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 2, seed: 4, eventsPerObservation: 500 });
  rmSync(join(dir, 'data', 'run_100001.fits.gz'));
  const io = captureIo();
  assert.equal(await main(['validate', dir], io), 1);
  assert.match(io.out(), /error: data\/run_100001\.fits\.gz, obs 100001: file does not exist/);
});
