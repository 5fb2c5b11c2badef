/**
 * Fermi-LAT FT1 photon lists (with or without their FT2 spacecraft file) published as
 * event lists: the ObsCore and HE-extension values equal an independent astropy
 * computation (times from MET via MJDREF in TT, energies from the DSS range in MeV, the
 * DSS cone, livetime from FT2), and the event list, SODA cutouts and previews work
 * through the one reader. Edge cases: an all-sky selection, ENERGY without TUNIT, no FT2.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  allowEveryone,
  DatasetCatalog,
  previewFile,
  ProductCache,
} from '../../src/datalink/index.js';
import { openEngine } from '../../src/engine/index.js';
import { eventsTable } from '../../src/events/index.js';
import { readFits, scanHdus } from '../../src/fits/index.js';
import { validateDataStore } from '../../src/gadf/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { writeOgipPhotonFile } from '../../src/sim/ogip.js';
import { SodaService } from '../../src/soda/index.js';
import { requireAstropy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const CONFIG = {
  authority: 'test.hearc',
  collection: 'lat',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

/** What the published row must say, computed with astropy and numpy from the files alone. */
const EXPECTED = `
import json, sys, re
import numpy as np
from astropy.io import fits
from astropy.time import Time
import astropy.units as u
ft1, ft2 = sys.argv[1], sys.argv[2]
hc = 1.239841984332e-6
with fits.open(ft1) as f:
    h, ev, gti = f['EVENTS'].header, f['EVENTS'].data, f['GTI'].data
    ref = Time(h['MJDREFI'] + h['MJDREFF'], format='mjd', scale='tt')
    dss = {h[f'DSTYP{n}']: (h[f'DSVAL{n}'], h[f'DSUNI{n}']) for n in range(1, h['NDSKEYS'] + 1)}
    lo, hi = (float(x) for x in dss['ENERGY'][0].split(':'))
    e = u.Quantity([lo, hi], dss['ENERGY'][1]).to_value('eV')
    out = dict(
        obs_id=str(int(h['TSTART'])),
        t_min=(ref + h['TSTART'] * u.s).utc.mjd, t_max=(ref + h['TSTOP'] * u.s).utc.mjd,
        energy_min=e[0], energy_max=e[1], em_min=hc / e[1], em_max=hc / e[0],
        ev_xel=len(ev), gti_sum=float(np.sum(gti['STOP'] - gti['START'])),
        # ENERGY in MeV whatever TUNIT says (FT1 defines MeV).
        events_tev=[float(ev['ENERGY'].min()) * 1e-6, float(ev['ENERGY'].max()) * 1e-6])
    from astropy.coordinates import SkyCoord
    g = SkyCoord(ev['RA'], ev['DEC'], unit='deg', frame='icrs').galactic
    dl = (np.asarray(ev['L'], float) - g.l.deg + 180) % 360 - 180
    out['lb_error'] = float(max(np.max(np.abs(dl * np.cos(g.b.rad))), np.max(np.abs(ev['B'] - g.b.deg))))
    pos = dss.get('POS(RA,DEC)')
    if pos:
        ra, dec, r = (float(x) for x in re.match(r'CIRCLE\\((.*),(.*),(.*)\\)', pos[0]).groups())
        out.update(s_ra=ra, s_dec=dec, s_fov=2 * r)
        # The SODA cutout asked below: 2 deg about the centre, 1 to 10 GeV.
        sep = SkyCoord(ev['RA'], ev['DEC'], unit='deg').separation(SkyCoord(ra, dec, unit='deg')).deg
        out['cutout'] = int(np.sum((sep <= 2) & (ev['ENERGY'] >= 1000) & (ev['ENERGY'] <= 10000)))
if ft2 != '-':
    with fits.open(ft2) as f:
        sc = f['SC_DATA'].data
        live = 0.0
        for a, b, l in zip(sc['START'], sc['STOP'], sc['LIVETIME']):
            cover = sum(max(0.0, min(b, g1) - max(a, g0)) for g0, g1 in zip(gti['START'], gti['STOP']))
            live += l * cover / (b - a)
        out['livetime'] = live
print(json.dumps(out))
`;

async function ingestFolder(t: Parameters<typeof tempDir>[0], dir: string) {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, CONFIG);
  return { engine, report };
}

const close = (actual: unknown, expected: unknown, tolerance: number, what: string): void => {
  assert.ok(
    Math.abs(Number(actual) - Number(expected)) <= tolerance,
    `${what}: ${String(actual)} != ${String(expected)}`,
  );
};

test('an FT1 photon file with its FT2 file: ObsCore values equal astropy, #this, SODA and previews work', async (t) => {
  const dir = tempDir(t);
  const ft1 = join(dir, 'L2400_PH00.fits');
  const ft2 = join(dir, 'L2400_SC00.fits');
  await writeOgipPhotonFile(ft1, { seed: 3, events: 3000, spacecraftPath: ft2 });
  const { engine, report } = await ingestFolder(t, dir);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.added, ['700000000']);
  assert.deepEqual(report.warnings, []);
  assert.deepEqual(report.validation, []);

  const [row] = await engine.selectRows(obscoreTable);
  const [hea] = await engine.selectRows(obscoreHeaTable);
  assert.ok(row && hea);
  assert.equal(row.dataproduct_type, 'event');
  assert.equal(row.dataproduct_subtype, 'hea-event-list');
  assert.equal(row.facility_name, 'Fermi');
  assert.equal(row.instrument_name, 'LAT');
  assert.equal(row.obs_mode, 'SURVEY');
  assert.equal(row.ra_pnt, null);
  assert.equal(hea.tracking_mode, 'none');
  assert.equal(hea.scan_mode, 'on-the-fly-cross-scan');
  assert.equal(hea.pointing_mode, null);
  assert.equal(hea.event_type, 'P8R3_SOURCE');
  assert.equal(hea.messenger, 'photon');
  assert.equal((row.s_region as number[]).length, 32);

  if (requireAstropy(t)) {
    const want = runPythonJson<Record<string, number | string>>(EXPECTED, [ft1, ft2]);
    assert.equal(row.obs_id, want.obs_id);
    assert.ok(Number(want.lb_error) < 1e-3, `the fixture's L/B are off by ${want.lb_error} deg`);
    close(row.t_min, want.t_min, 1e-9, 't_min');
    close(row.t_max, want.t_max, 1e-9, 't_max');
    close(row.em_min, want.em_min, 1e-9 * Number(want.em_min), 'em_min');
    close(row.em_max, want.em_max, 1e-9 * Number(want.em_max), 'em_max');
    close(hea.energy_min, want.energy_min, 1e-3, 'energy_min');
    close(hea.energy_max, want.energy_max, 1e-3, 'energy_max');
    close(hea.ev_xel, want.ev_xel, 0, 'ev_xel');
    close(row.s_ra, want.s_ra, 1e-9, 's_ra');
    close(row.s_dec, want.s_dec, 1e-9, 's_dec');
    close(row.s_fov, want.s_fov, 1e-4, 's_fov');
    close(row.t_exptime, want.livetime, 1e-6, 't_exptime (FT2 livetime)');
    assert.ok(Number(row.t_exptime) < Number(want.gti_sum) * 0.93);

    // SODA: 2 deg about the centre, 1 to 10 GeV, through the one reader.
    const catalog = new DatasetCatalog(engine);
    const soda = new SodaService({ catalog, workDir: tempDir(t) });
    const cutout = await soda.cutout(
      [
        ['ID', String(row.obs_publisher_did)],
        ['CIRCLE', `${String(row.s_ra)} ${String(row.s_dec)} 2`],
        ['ENERGY', '0.001 0.01'],
      ],
      allowEveryone,
      { headers: {} },
    );
    t.after(() => cutout.dispose());
    const kept = (await readFits(cutout.path)).bintable('EVENTS');
    assert.equal(kept.rowCount, want.cutout);
  }

  // #this: EVENTS and GTI alone (the FT2 file is part of the package, not the event list).
  const catalog = new DatasetCatalog(engine);
  const products = new ProductCache(join(tempDir(t), 'cache'));
  const dataset = (await catalog.datasets([String(row.obs_publisher_did)])).get(
    String(row.obs_publisher_did),
  );
  assert.ok(dataset);
  assert.deepEqual([...dataset.files].sort(), ['L2400_PH00.fits', 'L2400_SC00.fits']);
  const events = await products.eventList(dataset);
  assert.deepEqual(
    (await scanHdus(events)).map((h) => h.name),
    ['', 'EVENTS', 'GTI'],
  );
  const counts = await previewFile({ catalog, products }, 'lat', '700000000', 'counts.png');
  const png = await counts?.path();
  assert.ok(png);
  assert.deepEqual(readFileSync(png).subarray(1, 4).toString(), 'PNG');

  // hearc.events: energies in TeV.
  const stored = await engine.selectRows(eventsTable);
  assert.equal(stored.length, 3000);
  assert.ok(stored.every((e) => Number(e.energy) >= 1e-4 - 1e-9 && Number(e.energy) <= 0.3));
});

test('an all-sky FT1 file without FT2, ENERGY without TUNIT: MeV by the OGIP default, no polygon, livetime the GTIs', async (t) => {
  const dir = tempDir(t);
  const ft1 = join(dir, 'allsky_PH00.fits');
  await writeOgipPhotonFile(ft1, {
    seed: 4,
    events: 800,
    selection: 'all-sky',
    energyWithoutUnit: true,
    tstart: 710_000_000,
  });
  const { engine, report } = await ingestFolder(t, dir);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.added, ['710000000']);
  const notes = report.observations[0]?.notes ?? [];
  assert.ok(
    notes.some((n) => /no FT2 spacecraft file/.test(n)),
    JSON.stringify(notes),
  );
  const [row] = await engine.selectRows(obscoreTable);
  assert.ok(row);
  assert.equal(row.s_region, null);
  const validation = await validateDataStore(dir);
  assert.equal(validation.errors, 0, JSON.stringify(validation.problems));
  assert.ok(
    validation.problems.some((p) =>
      /ENERGY has no unit .*MeV \(OGIP photon lists\)/.test(p.message),
    ),
  );
  if (!requireAstropy(t)) return;
  const want = runPythonJson<Record<string, number | number[]>>(EXPECTED, [ft1, '-']);
  close(row.t_exptime, want.gti_sum, 1e-6, 't_exptime (GTI sum)');
  close(row.t_min, want.t_min, 1e-9, 't_min');
  const stored = await engine.selectRows(eventsTable);
  const energies = stored.map((e) => Number(e.energy));
  const [lo, hi] = want.events_tev as [number, number];
  close(Math.min(...energies), lo, 1e-9 * lo, 'smallest event energy (TeV)');
  close(Math.max(...energies), hi, 1e-9 * hi, 'largest event energy (TeV)');
});
