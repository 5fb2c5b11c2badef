/**
 * Neutrino samples as datasets: an IceCube-style release (text tables per season, with
 * an empty season, a season of one event, comment lines, a comma-separated table and a
 * borrowed effective area), a HESE-style JSON sample and a KM3NeT-style GADF store with
 * GeV IRFs, each season one ObsCore row with messenger neutrino. Published values are
 * checked against astropy/numpy reading the source tables on their own.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CatalogRow } from '../../src/engine/index.js';
import { openNeutrinoRelease } from '../../src/gadf/index.js';
import { ingestDataStore, NEUTRINO_STORE_DIR } from '../../src/ingest/ingest.js';
import { irfTable, obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import {
  writeHeseSample,
  writeIceCubeRelease,
  writeKm3netEventFile,
} from '../../src/sim/neutrino.js';
import { PYTHON } from '../helpers/env.js';
import { requireChecker } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempCatalog } from '../helpers/catalog.js';
import { mocLibrary, summariseCoverage } from '../../src/moc/index.js';
import { wavebandsOf } from '../../src/registry/index.js';
import { tempDir } from '../helpers/tmp.js';

const config = {
  authority: 'test.hearc',
  collection: 'icecube',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

async function release(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const seasons = await writeIceCubeRelease(dir, { seed: 15 });
  await writeHeseSample(join(dir, 'HESE_data.json'), {
    seed: 16,
    events: 12,
    start: 55400,
    stop: 58000,
  });
  return { dir, seasons };
}

const byObsId = (rows: readonly CatalogRow[]) =>
  new Map(rows.map((r) => [String(r.obs_id ?? ''), r]));

test('an IceCube release is read season by season, edge cases included', async (t) => {
  const { dir, seasons } = await release(t);
  const read = await openNeutrinoRelease(dir);
  assert.deepEqual(
    read.samples.map((s) => [s.name, s.events.mjd.length, s.eventClass]),
    [
      ['IC79', 40, 'track'],
      ['IC86_I', 1, 'track'],
      ['IC86_II', 0, 'track'],
      ['IC86_III', 25, 'track'],
      ['HESE_data', 12, 'starting'],
    ],
  );
  const borrowed = read.samples.find((s) => s.name === 'IC86_III');
  assert.equal(borrowed?.effectiveArea?.relativePath, 'irfs/IC86_II_effectiveArea.csv');
  assert.match(borrowed?.notes.join(' ') ?? '', /uses the effective area of IC86_II/);
  assert.deepEqual(
    read.samples.slice(0, 4).map((s) => s.uptime.length),
    seasons.map((s) => s.uptime.length),
  );
});

test('bad neutrino tables are refused with the file, line and column named', async (t) => {
  const { dir } = await release(t);
  await writeFile(
    join(dir, 'events', 'IC79_exp.csv'),
    '# MJD[days] log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]\n55350.1 3.2 0.5 12.0 nan? 1 2\n',
  );
  await assert.rejects(
    openNeutrinoRelease(dir),
    /events\/IC79_exp\.csv: line 2, field 5 \(Dec\[deg\]\): 'nan\?' is not a number/,
  );
  await writeFile(
    join(dir, 'events', 'IC79_exp.csv'),
    '# MJD[days] log10(E/GeV) RA[deg]\n55350.1 3.2 12\n',
  );
  await assert.rejects(openNeutrinoRelease(dir), /events\/IC79_exp\.csv: has no column Dec\[deg\]/);
  const engine = await tempCatalog(t);
  await assert.rejects(ingestDataStore(engine, dir, config), /IC79_exp\.csv/);
  const other = await release(t);
  await writeFile(join(other.dir, 'events', 'IC90_exp.csv'), '');
  await assert.rejects(openNeutrinoRelease(other.dir), /season IC90 has no uptime table/);
});

test('each season becomes one neutrino ObsCore row with its uptime, band, events and effective area', async (t) => {
  const { dir } = await release(t);
  const engine = await tempCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.added, ['1', '2', '3', '4', '5']);
  assert.ok(
    report.warnings.some((w) => /IC86_III uses the effective area of IC86_II/.test(w.message)),
  );

  const obscore = byObsId(await engine.selectRows(obscoreTable));
  const heaRows = await engine.selectRows(obscoreHeaTable);
  const hea = new Map(heaRows.map((r) => [String(r.obs_publisher_did), r]));
  for (const row of obscore.values()) {
    const h = hea.get(String(row.obs_publisher_did));
    assert.equal(h?.messenger_name, 'neutrino');
    assert.equal(row.facility_name, 'IceCube');
    assert.equal(row.dataproduct_type, 'event');
  }
  // All-sky seasons have no polygon; the band season (dec >= 10) is a cap about the north pole.
  assert.equal(obscore.get('1')?.s_region, null);
  assert.equal(Number(obscore.get('1')?.s_fov), 360);
  const cap = obscore.get('3')?.s_region as number[];
  assert.ok(Array.isArray(cap) && cap.length >= 6, 'the declination band is a polygon');
  // The polygon's corners lie just outside the circle of the band's edge (dec 10).
  const decs = cap.filter((_, i) => i % 2 === 1);
  assert.ok(
    decs.every((d) => d > 8 && d <= 10),
    `band polygon declinations ${decs.join(' ')}`,
  );
  assert.equal(Number(obscore.get('5')?.s_fov), 360, 'HESE is all-sky');
  // The empty season: no events, no energies, still its time span.
  assert.equal(Number(hea.get(String(obscore.get('3')?.obs_publisher_did))?.ev_xel), 0);
  assert.equal(obscore.get('3')?.em_min, null);
  assert.equal(hea.get(String(obscore.get('2')?.obs_publisher_did))?.ev_xel, 1n);
  assert.equal(hea.get(String(obscore.get('1')?.obs_publisher_did))?.event_type, 'track');
  assert.equal(hea.get(String(obscore.get('5')?.obs_publisher_did))?.event_type, 'starting');

  // #calibration: the effective area, energies in TeV (the release's 10^2..10^7 GeV).
  const aeff = (await engine.selectRows(irfTable)).filter((r) => r.obs_id === '1');
  assert.equal(aeff.length, 1);
  assert.equal(aeff[0]?.component, 'aeff');
  assert.ok(Math.abs(Number(aeff[0]?.energy_lo) - 0.1) < 1e-12);
  assert.ok(Math.abs(Number(aeff[0]?.energy_hi) - 1e4) < 1e-6);
  assert.equal(aeff[0]?.file_path, 'IC79.fits');

  // The registry's coverage names the Neutrino waveband (VODataService messenger vocabulary).
  const coverage = summariseCoverage(await mocLibrary(), [...obscore.values()], heaRows, new Map());
  assert.deepEqual(wavebandsOf(coverage.service), ['Neutrino']);
  // All-sky seasons (no polygon, a 360° field) make the coverage the whole sky.
  assert.match(coverage.service.spaceSummary, /^0\/0-11(\s|$)/);

  // The second run, a second later, rewrites nothing and finds every season unchanged.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const mtime = statSync(join(dir, NEUTRINO_STORE_DIR, 'IC79.fits')).mtimeMs;
  const again = await ingestDataStore(engine, dir, config);
  assert.deepEqual(again.unchanged, ['1', '2', '3', '4', '5']);
  assert.equal(statSync(join(dir, NEUTRINO_STORE_DIR, 'IC79.fits')).mtimeMs, mtime);
});

const CHECK = String.raw`
import json, re, sys
import numpy as np
from astropy.io import fits
from astropy.time import Time
root = sys.argv[1]
HC = 1.239841984332e-6
def table(path):
    text = open(path).read()
    rows = [re.split(r'[\s,]+', l.strip()) for l in text.splitlines() if l.strip() and not l.strip().startswith('#')]
    return np.array(rows, dtype=float).reshape(-1, len(rows[0]) if rows else 7)
out = {}
for season in ['IC79', 'IC86_I', 'IC86_II', 'IC86_III']:
    ev = table(f'{root}/events/{season}_exp.csv')
    up = table(f'{root}/uptime/{season}_exp.csv')
    start = Time(up[:, 0], format='mjd', scale='utc')
    stop = Time(up[:, 1], format='mjd', scale='utc')
    e = 10 ** ev[:, 1] if len(ev) else np.array([])
    # the FITS file hearc wrote, read back by astropy
    with fits.open(f'{root}/hearc-gadf/{season}.fits') as f:
        h = f['EVENTS'].header
        ref = Time(h['MJDREFI'] + h['MJDREFF'], format='mjd', scale=h['TIMESYS'].lower())
        times = (ref + f['EVENTS'].data['TIME'] * (1 / 86400.0)).utc.mjd if len(ev) else []
        gti_start = (ref + f['GTI'].data['START'] / 86400.0).utc.mjd
        fits_energy_gev = f['EVENTS'].data['ENERGY'].tolist()
        unit = f['EVENTS'].columns['ENERGY'].unit
    out[season] = {
        't_min': float(up[:, 0].min()), 't_max': float(up[:, 1].max()),
        'livetime': float(sum((b - a).to_value('s') for a, b in zip(start, stop))),
        'n': int(len(ev)),
        'energy_min_ev': float(e.min() * 1e9) if len(e) else None,
        'energy_max_ev': float(e.max() * 1e9) if len(e) else None,
        'em_min': float(HC / (e.max() * 1e9)) if len(e) else None,
        'em_max': float(HC / (e.min() * 1e9)) if len(e) else None,
        'time_error_days': float(np.max(np.abs(np.asarray(times) - ev[:, 0]))) if len(ev) else 0.0,
        'gti_error_days': float(np.max(np.abs(gti_start - up[:, 0]))),
        'energy_error': float(np.max(np.abs(np.asarray(fits_energy_gev) / e - 1))) if len(e) else 0.0,
        'unit': unit,
    }
print(json.dumps(out))
`;

test('published times, livetimes and energies agree with astropy reading the release', async (t) => {
  if (!requireChecker(t, 'astropy', [PYTHON, '-c', 'import astropy, numpy'])) return;
  const { dir } = await release(t);
  const engine = await tempCatalog(t);
  await ingestDataStore(engine, dir, config);
  const expected = runPythonJson<
    Record<
      string,
      {
        t_min: number;
        t_max: number;
        livetime: number;
        n: number;
        energy_min_ev: number | null;
        energy_max_ev: number | null;
        em_min: number | null;
        em_max: number | null;
        time_error_days: number;
        gti_error_days: number;
        energy_error: number;
        unit: string;
      }
    >
  >(CHECK, [dir]);
  const obscore = await engine.selectRows(obscoreTable);
  const hea = new Map(
    (await engine.selectRows(obscoreHeaTable)).map((r) => [String(r.obs_publisher_did), r]),
  );
  const seasons = ['IC79', 'IC86_I', 'IC86_II', 'IC86_III'];
  for (const [i, season] of seasons.entries()) {
    const want = expected[season]!;
    const row = obscore.find((r) => r.obs_id === String(i + 1))!;
    const h = hea.get(String(row.obs_publisher_did))!;
    const close = (got: unknown, exp: number | null, tol: number, what: string) => {
      if (exp === null) return assert.equal(got, null, `${season} ${what}`);
      assert.ok(
        Math.abs(Number(got) - exp) <= tol * Math.max(1, Math.abs(exp)),
        `${season} ${what}: ${String(got)} vs ${exp}`,
      );
    };
    close(row.t_min, want.t_min, 1e-9, 't_min');
    close(row.t_max, want.t_max, 1e-9, 't_max');
    close(row.t_exptime, want.livetime, 1e-6, 't_exptime');
    assert.equal(Number(h.ev_xel), want.n, `${season} ev_xel`);
    close(h.energy_min, want.energy_min_ev, 1e-9, 'energy_min');
    close(h.energy_max, want.energy_max_ev, 1e-9, 'energy_max');
    close(row.em_min, want.em_min, 1e-9, 'em_min');
    close(row.em_max, want.em_max, 1e-9, 'em_max');
    assert.ok(
      want.time_error_days < 1e-8,
      `${season}: event times off by ${want.time_error_days} d`,
    );
    assert.ok(want.gti_error_days < 1e-8, `${season}: GTI off by ${want.gti_error_days} d`);
    assert.ok(want.energy_error < 1e-12, `${season}: energies off by ${want.energy_error}`);
    assert.equal(want.unit, 'GeV');
  }
});

test('a KM3NeT-style GADF store: GeV IRFs read as TeV, messenger neutrino from TELESCOP or the configuration', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'data'));
  await writeKm3netEventFile(join(dir, 'data', 'run1.fits'), { seed: 4, obsId: 1, events: 50 });
  const engine = await tempCatalog(t);
  const report = await ingestDataStore(engine, dir, { ...config, collection: 'km3net' });
  assert.deepEqual(report.failed, []);
  const [irf] = await engine.selectRows(irfTable);
  assert.equal(irf?.component, 'aeff');
  assert.equal(Number(irf?.energy_lo), 0.1);
  assert.equal(Number(irf?.energy_hi), 1000);
  const [hea] = await engine.selectRows(obscoreHeaTable);
  assert.equal(hea?.messenger_name, 'neutrino');
  const [obs] = await engine.selectRows(obscoreTable);
  // Energies of the events (GeV in the file) are published in eV and metres.
  assert.ok(Number(hea?.energy_min) >= 1e12 && Number(hea?.energy_max) <= 1e15);
  assert.ok(Number(obs?.em_max) <= 1.239841984332e-6 / 1e12 + 1e-30);
  // The zenith-angle THETA (0..180 deg) is not a field of view: the sky is where the events are.
  assert.ok(Number(obs?.s_fov) <= 360);

  // The configured messenger wins over the instrument's name.
  const engine2 = await tempCatalog(t);
  await ingestDataStore(engine2, dir, { ...config, collection: 'km3net', messenger: 'neutrino' });
  const [hea2] = await engine2.selectRows(obscoreHeaTable);
  assert.equal(hea2?.messenger_name, 'neutrino');
});
