import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { validateDataStore } from '../../src/gadf/validate.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requireGammapy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

/** File content with the CHECKSUM/DATASUM cards blanked: their comments carry the time of writing. */
function withoutChecksums(path: string): string {
  const text = gunzipSync(readFileSync(path)).toString('latin1');
  return text.replace(/(CHECKSUM|DATASUM )=.{70}/g, '');
}

test('the simulator is deterministic and its store passes hearc validate', async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const runs = await simulateDataStore({
    outDir: a,
    observations: 3,
    seed: 7,
    eventsPerObservation: 2000,
  });
  await simulateDataStore({ outDir: b, observations: 3, seed: 7, eventsPerObservation: 2000 });
  assert.equal(runs.length, 3);
  for (const run of runs) {
    assert.ok(run.eventCount > 500, `observation ${run.obsId} has only ${run.eventCount} events`);
    assert.equal(withoutChecksums(join(a, run.fileName)), withoutChecksums(join(b, run.fileName)));
  }
  const report = await validateDataStore(a);
  assert.deepEqual(
    report.problems.filter((p) => p.severity === 'error'),
    [],
  );
  assert.equal(report.observations, 3);
});

const GAMMAPY_READ = `
import json, sys, warnings
warnings.simplefilter('ignore')
from gammapy.data import DataStore
import astropy.units as u
store = DataStore.from_dir(sys.argv[1])
out = []
for obs in store.get_observations():
    aeff = obs.aeff.evaluate(energy_true=1 * u.TeV, offset=0.5 * u.deg)
    psf = obs.psf.containment_radius(fraction=0.68, energy_true=1 * u.TeV, offset=0.5 * u.deg)
    out.append(dict(obs_id=int(obs.obs_id), events=len(obs.events.table), livetime=obs.observation_live_time_duration.to_value('s'),
        aeff_m2=float(aeff.to_value('m2')), psf68_deg=float(psf.to_value('deg')),
        bkg=float(obs.bkg.evaluate(energy=1 * u.TeV, offset=0.5 * u.deg).to_value('s-1 MeV-1 sr-1'))))
print(json.dumps(out))
`;

test('gammapy 1.0 reads the simulated store: events, livetime and every IRF', async (t) => {
  if (!requireGammapy(t)) return;
  const dir = tempDir(t);
  const runs = await simulateDataStore({
    outDir: dir,
    observations: 2,
    seed: 3,
    eventsPerObservation: 1500,
  });
  const read = runPythonJson<
    {
      obs_id: number;
      events: number;
      livetime: number;
      aeff_m2: number;
      psf68_deg: number;
      bkg: number;
    }[]
  >(GAMMAPY_READ, [dir]);
  assert.deepEqual(
    read.map((r) => r.obs_id),
    runs.map((r) => r.obsId),
  );
  read.forEach((r, i) => {
    assert.equal(r.events, runs[i]?.eventCount);
    assert.ok(r.livetime > 1000 && r.livetime < 1700, `livetime ${r.livetime}`);
    assert.ok(r.aeff_m2 > 1e5 && r.aeff_m2 < 3e5, `aeff ${r.aeff_m2}`);
    assert.ok(r.psf68_deg > 0.05 && r.psf68_deg < 0.3, `psf ${r.psf68_deg}`);
    assert.ok(r.bkg > 0, `bkg ${r.bkg}`);
  });
});
