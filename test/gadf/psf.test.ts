/** The 68% PSF containment behind s_resolution, checked against gammapy at the same bin. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataStore } from '../../src/gadf/datastore.js';
import { loadObservation } from '../../src/gadf/observation.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requireGammapy, requireTestData } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const GAMMAPY_CONTAINMENT = `
import sys, json, warnings
warnings.simplefilter('ignore')
import astropy.units as u
from gammapy.data import DataStore
obs = DataStore.from_dir(sys.argv[1]).obs(int(sys.argv[2]))
r = obs.psf.containment_radius(fraction=0.68, energy_true=float(sys.argv[3]) * u.TeV, offset=float(sys.argv[4]) * u.deg)
print(json.dumps(float(r.to_value('deg'))))
`;

async function compareWithGammapy(dir: string, obsIndex: number): Promise<void> {
  const store = await openDataStore(dir);
  const entry = store.observations[obsIndex];
  assert.ok(entry);
  const psf = (await loadObservation(entry)).irfs.find((c) => c.type === 'psf');
  const ours = psf?.containment68;
  assert.ok(ours, `no containment for ${psf?.hduClass}`);
  const theirs = runPythonJson<number>(GAMMAPY_CONTAINMENT, [
    dir,
    entry.obsId,
    String(ours.energy),
    String(ours.offset),
  ]);
  assert.ok(
    Math.abs(ours.radius - theirs) <= 0.03 * theirs,
    `${psf?.hduClass}: ours ${ours.radius} deg, gammapy ${theirs} deg`,
  );
}

test('psf_table (H.E.S.S.): 68% containment agrees with gammapy', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir || !requireGammapy(t)) return;
  await compareWithGammapy(dir, 5);
});

test('psf_3gauss (simulated): 68% containment agrees with gammapy', async (t) => {
  if (!requireGammapy(t)) return;
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 1, seed: 2, eventsPerObservation: 300 });
  await compareWithGammapy(dir, 0);
});
