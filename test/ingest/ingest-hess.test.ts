/**
 * Ingest of the real H.E.S.S. DR1 store, checked against an independent computation
 * with astropy (pointing, times in MJD UTC, livetime, energy range, event counts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import type { PublishConfig } from '../../src/obscore/config.js';
import { irfTable, obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { requireAstropy, requireTestData } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const config: PublishConfig = {
  authority: 'test.hearc',
  collection: 'hess-dr1',
  accessMode: 'datalink',
  dataRights: 'public',
};

const ASTROPY_SUMMARY = `
import json, sys, glob, os
import numpy as np
from astropy.io import fits
from astropy.time import Time
hc = 1.239841984332e-6
out = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], 'data', '*.fits.gz'))):
    with fits.open(path) as f:
        h = f['EVENTS'].header
        e = f['EVENTS'].data['ENERGY'].astype(float)
        ref = h['MJDREFI'] + h['MJDREFF']
        scale = h['TIMESYS'].strip().lower()
        tmin = Time(ref + h['TSTART'] / 86400, format='mjd', scale=scale).utc.mjd
        tmax = Time(ref + h['TSTOP'] / 86400, format='mjd', scale=scale).utc.mjd
        out[str(h['OBS_ID'])] = dict(ra=h['RA_PNT'], dec=h['DEC_PNT'], t_min=tmin, t_max=tmax,
            livetime=h['LIVETIME'], count=len(e), emin_tev=float(e.min()), emax_tev=float(e.max()),
            em_min=hc / (float(e.max()) * 1e12), em_max=hc / (float(e.min()) * 1e12),
            ngti=len(f['GTI'].data))
print(json.dumps(out))
`;

interface AstropySummary {
  ra: number;
  dec: number;
  t_min: number;
  t_max: number;
  livetime: number;
  count: number;
  emin_tev: number;
  emax_tev: number;
  em_min: number;
  em_max: number;
  ngti: number;
}

function close(actual: unknown, expected: number, relative: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what} is not a number: ${String(actual)}`);
  const a = actual as number;
  assert.ok(
    Math.abs(a - expected) <= relative * Math.abs(expected),
    `${what}: ${a} differs from astropy's ${expected}`,
  );
}

test('ingest of H.E.S.S. DR1 matches astropy, and re-ingest changes nothing', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir || !requireAstropy(t)) return;
  const expected = runPythonJson<Record<string, AstropySummary>>(ASTROPY_SUMMARY, [dir]);
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());

  const report = await ingestDataStore(engine, dir, config);
  assert.equal(report.added.length, 13);
  assert.deepEqual(report.failed, []);

  const rows = await engine.selectRows(obscoreTable);
  assert.equal(rows.length, 13);
  const hea = new Map(
    (await engine.selectRows(obscoreHeaTable)).map((r) => [r.obs_publisher_did, r]),
  );
  for (const row of rows) {
    const obsId = String(row.obs_id);
    const want = expected[obsId];
    assert.ok(want, `astropy has no observation ${obsId}`);
    assert.equal(row.obs_publisher_did, `ivo://test.hearc/hess-dr1?${obsId}`);
    assert.equal(row.dataproduct_type, 'event');
    assert.equal(row.dataproduct_subtype, 'hea-event-list');
    assert.equal(Number(row.calib_level), 2);
    // Stored as identity, relative to the service: the server makes the URL when answering.
    assert.equal(
      row.access_url,
      `/datalink?ID=${encodeURIComponent(String(row.obs_publisher_did))}`,
    );
    close(row.s_ra, want.ra, 1e-12, 's_ra');
    close(row.s_dec, want.dec, 1e-12, 's_dec');
    // 1e-10 days is under 10 microseconds.
    assert.ok(
      Math.abs((row.t_min as number) - want.t_min) < 1e-9,
      `t_min ${String(row.t_min)} vs ${want.t_min}`,
    );
    assert.ok(
      Math.abs((row.t_max as number) - want.t_max) < 1e-9,
      `t_max ${String(row.t_max)} vs ${want.t_max}`,
    );
    close(row.t_exptime, want.livetime, 1e-12, 't_exptime');
    close(row.em_min, want.em_min, 1e-9, 'em_min');
    close(row.em_max, want.em_max, 1e-9, 'em_max');
    assert.equal(Number(row.event_count), want.count);
    const ext = hea.get(row.obs_publisher_did);
    assert.ok(ext, 'obscore_hea row missing');
    assert.equal(Number(ext.ev_xel), want.count);
    close(ext.energy_min, want.emin_tev * 1e12, 1e-6, 'energy_min');
    close(ext.energy_max, want.emax_tev * 1e12, 1e-6, 'energy_max');
    assert.equal(ext.analysis_mode, 'full-enclosure');
    assert.equal(ext.messenger, 'photon');
    assert.match(String(ext.t_intervals), /^t\d+\//);
    // 68% PSF containment at ~1 TeV: a tenth of a degree or so for H.E.S.S.
    const resolution = row.s_resolution as number;
    assert.ok(resolution > 180 && resolution < 720, `s_resolution ${resolution} arcsec`);
    close(ext.s_ref_energy, 1e12, 0.2, 's_ref_energy');
    // Field of view: the full-enclosure IRFs cover offsets up to 2.5 deg.
    close(row.s_fov, 5, 1e-9, 's_fov');
    const region = row.s_region as number[];
    assert.equal(region.length % 2, 0);
    assert.ok(region.length >= 6, 's_region is a polygon');
  }
  const irfs = await engine.selectRows(irfTable);
  assert.equal(irfs.length, 13 * 4);
  assert.deepEqual([...new Set(irfs.map((r) => r.component))].sort(), [
    'aeff',
    'bkgrate',
    'edisp',
    'psf',
  ]);

  const again = await ingestDataStore(engine, dir, config);
  assert.deepEqual([again.added.length, again.updated.length, again.unchanged.length], [0, 0, 13]);
  assert.equal((await engine.selectRows(obscoreTable)).length, 13);
});
