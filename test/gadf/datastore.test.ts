import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataStore } from '../../src/gadf/datastore.js';
import { loadObservation } from '../../src/gadf/observation.js';
import { requireTestData } from '../helpers/env.js';

test('the H.E.S.S. DR1 store lists 13 observations with 6 HDUs each', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir) return;
  const store = await openDataStore(dir);
  assert.equal(store.observations.length, 13);
  assert.deepEqual(store.problems, []);
  for (const obs of store.observations) {
    assert.deepEqual(obs.hdus.map((h) => h.type).sort(), [
      'aeff',
      'bkg',
      'edisp',
      'events',
      'gti',
      'psf',
    ]);
    assert.match(obs.hdus[0]?.relativePath ?? '', /^data\/hess_dl3_dr1_obs_id_0\d+\.fits\.gz$/);
  }
  assert.equal(store.observations.find((o) => o.obsId === '23523')?.index?.TARGET_NAME, 'Crab');
});

test('the MAGIC store is found below the root despite its mislabelled hdu-index', async (t) => {
  const dir = requireTestData(t, 'magic-rad-max');
  if (!dir) return;
  const store = await openDataStore(dir);
  assert.deepEqual(
    store.observations.map((o) => o.obsId),
    ['5029747', '5029748'],
  );
  const first = store.observations[0];
  assert.ok(first);
  assert.deepEqual(first.hdus.map((h) => h.type).sort(), [
    'aeff',
    'edisp',
    'events',
    'gti',
    'rad_max',
  ]);
  const summary = await loadObservation(first);
  assert.equal(summary.eventCount, 11189);
  assert.equal(summary.timeRef.scale, 'UTC');
  // MAGIC's obs-index has float32 TSTART; the header's exact value wins.
  assert.ok(Math.abs(summary.tstart - 333778852.435) < 0.001, `tstart ${summary.tstart}`);
  const radMax = summary.irfs.find((c) => c.type === 'rad_max');
  assert.equal(radMax?.enclosure, 'point-like');
  assert.equal(radMax?.hduClass, 'rad_max_2d');
  // No ALT_PNT anywhere: computed from the site and time.
  assert.ok(summary.altPnt !== undefined && summary.altPnt > 30 && summary.altPnt < 90);
});
