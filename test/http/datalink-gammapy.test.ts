/**
 * Acceptance on real data: H.E.S.S. DR1 ingested and served; for the four Crab runs
 * pyvo reads the DataLink documents that ObsCore's access_url points at, every `#this`
 * and `#calibration` link is downloaded, and gammapy 1.0 builds a data store from those
 * files alone. It must see the same events and the same IRF values as gammapy reading
 * the original store. STILTS datalinklint checks the document itself.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { didOf, HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { requireChecker, requireGammapy, requireTestData } from '../helpers/env.js';
import { tapRows } from '../helpers/tap.js';
import { datalinklintProblems } from '../helpers/stilts.js';
import { tempDir } from '../helpers/tmp.js';

const CRAB_RUNS = ['23523', '23526', '23559', '23592'];

const FROM_DATALINK = `
import json, os, sys, urllib.request
import numpy as np
import astropy.units as u
from astropy.io import fits
from pyvo.dal.adhoc import DatalinkResults
from gammapy.data import DataStore, HDUIndexTable

original, out = sys.argv[1], sys.argv[2]
links = json.loads(sys.argv[3])  # obs_id -> access_url from ivoa.obscore

RESPONSE_TYPES = {'EFF_AREA': 'aeff', 'EDISP': 'edisp', 'RPSF': 'psf', 'PSF': 'psf',
                  'BKG': 'bkg', 'RAD_MAX': 'rad_max'}

def hdu_kind(header):
    clas1 = header.get('HDUCLAS1', '').strip().upper()
    if clas1 in ('EVENTS', 'GTI', 'POINTING'):
        return clas1.lower(), clas1.lower()
    return RESPONSE_TYPES[header['HDUCLAS2'].strip().upper()], header['HDUCLAS4'].strip().lower()

report = {'links': {}, 'size_mismatches': [], 'hdus': {}, 'pyvo_calibration': 0}
rows, events_paths = [], []
for obs_id, url in links.items():
    result = DatalinkResults.from_result_url(url)
    assert result.status[0] == 'OK', result.status
    report['pyvo_calibration'] += len(
        # include_narrower would fetch the vocabulary from the network.
        [r.access_url for r in result.bysemantics('#calibration', include_narrower=False)])
    folder = os.path.join(out, obs_id)
    os.makedirs(folder)
    # pyvo's records drop the mask of a null long (0); the table keeps it.
    table = result.to_table()
    # Previews have their own tests (test/http/preview.test.ts).
    report['links'][obs_id] = sorted(
        f"{row['semantics']} {row['content_qualifier']}" for row in table
        if '/previews/' not in str(row['access_url']))
    for row in table:
        if row['semantics'] not in ('#this', '#calibration'):
            continue
        link = str(row['access_url'])
        name = link.rsplit('/', 1)[1]
        path = os.path.join(folder, name)
        urllib.request.urlretrieve(link, path)
        length = row['content_length']
        if not np.ma.is_masked(length) and int(length) != os.path.getsize(path):
            report['size_mismatches'].append(f'{link}: {length} != {os.path.getsize(path)}')
        with fits.open(path) as f:
            report['hdus'][f'{obs_id}/{name}'] = [h.name for h in f]
            for hdu in f[1:]:
                hdu_type, hdu_class = hdu_kind(hdu.header)
                rows.append(dict(OBS_ID=int(obs_id), HDU_TYPE=hdu_type, HDU_CLASS=hdu_class,
                                 FILE_DIR=obs_id, FILE_NAME=name, HDU_NAME=hdu.name))
        if row['semantics'] == '#this':
            events_paths.append(path)

hdu_table = HDUIndexTable(rows=rows)
hdu_table.meta['BASE_DIR'] = out
ours = DataStore(hdu_table=hdu_table,
                 obs_table=DataStore.from_events_files(events_paths).obs_table)
theirs = DataStore.from_dir(original)

energy = [0.3, 1, 3, 10, 30] * u.TeV
offset = [0.1, 0.5, 1.0, 1.5, 2.0] * u.deg
def values(obs):
    e, o = energy[:, None], offset[None, :]
    return {
        'events': len(obs.events.table),
        'energy_sum': float(np.sum(obs.events.table['ENERGY'].astype(float))),
        'time_sum': float(np.sum(obs.events.table['TIME'])),
        'gti_s': float(obs.gti.time_sum.to_value('s')),
        'aeff': obs.aeff.evaluate(energy_true=e, offset=o).to_value('m2').tolist(),
        'edisp': obs.edisp.evaluate(energy_true=1 * u.TeV, offset=0.5 * u.deg,
                                    migra=np.array([0.6, 0.9, 1.0, 1.1, 1.5])).value.tolist(),
        'psf': obs.psf.evaluate(energy_true=1 * u.TeV, offset=0.5 * u.deg,
                                rad=[0.02, 0.05, 0.1, 0.2] * u.deg).to_value('sr-1').tolist(),
        'bkg': obs.bkg.evaluate(energy=e, fov_lon=o, fov_lat=0.3 * u.deg)
                      .to_value('s-1 MeV-1 sr-1').tolist(),
    }

report['ours'] = {k: values(ours.obs(int(k))) for k in links}
report['theirs'] = {k: values(theirs.obs(int(k))) for k in links}
print(json.dumps(report))
`;

interface IrfValues {
  events: number;
  energy_sum: number;
  time_sum: number;
  gti_s: number;
  aeff: number[][];
  edisp: number[];
  psf: number[];
  bkg: number[][];
}

interface Report {
  links: Record<string, string[]>;
  size_mismatches: string[];
  pyvo_calibration: number;
  hdus: Record<string, string[]>;
  ours: Record<string, IrfValues>;
  theirs: Record<string, IrfValues>;
}

test('gammapy builds the same observations from the DataLink links as from the original store', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store || !requireGammapy(t)) return;
  const { address } = await serveStore(t, store, HESS_COLLECTION);
  const dids = CRAB_RUNS.map((id) => `'${didOf(HESS_COLLECTION, id)}'`).join(', ');
  const rows = await tapRows(
    address,
    `SELECT obs_id, access_url FROM ivoa.obscore WHERE obs_publisher_did IN (${dids})`,
  );
  const accessUrls = Object.fromEntries(rows.map((r) => [String(r.obs_id), String(r.access_url)]));
  assert.deepEqual(Object.keys(accessUrls).sort(), CRAB_RUNS);
  for (const url of Object.values(accessUrls)) assert.ok(url.startsWith(`${address}/datalink?ID=`));

  const out = tempDir(t);
  // gammapy and pyvo do blocking I/O against this process's server: run them asynchronously.
  const report = await runPythonJsonAsync<Report>(FROM_DATALINK, [
    store,
    out,
    JSON.stringify(accessUrls),
  ]);

  for (const obsId of CRAB_RUNS) {
    assert.deepEqual(report.links[obsId], [
      '#calibration aeff',
      '#calibration bkgrate',
      '#calibration edisp',
      '#calibration psf',
      '#coverage ',
      '#package hea-event-bundle',
      '#proc ',
      '#proc ',
      '#proc ',
      '#proc hea-event-bundle',
      '#provenance ',
      '#this hea-event-list',
    ]);
    assert.deepEqual(report.hdus[`${obsId}/events.fits`], ['PRIMARY', 'EVENTS', 'GTI']);
    assert.deepEqual(report.hdus[`${obsId}/aeff.fits`], ['PRIMARY', 'AEFF']);
    // The files are byte copies: every value is the same, not merely close.
    assert.deepEqual(report.ours[obsId], report.theirs[obsId], obsId);
    assert.ok(report.ours[obsId]!.events > 1000);
  }
  assert.deepEqual(report.size_mismatches, []);
  assert.equal(report.pyvo_calibration, 4 * CRAB_RUNS.length);
});

test('STILTS datalinklint finds no error in a links document', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store || !requireChecker(t, 'STILTS (Debian stilts)', ['stilts', '-version'])) return;
  const { address } = await serveStore(t, store, HESS_COLLECTION);
  const ids = [
    ...CRAB_RUNS.slice(0, 2).map((id) => didOf(HESS_COLLECTION, id)),
    'ivo://nowhere/x?1',
  ];
  const response = await fetch(
    `${address}/datalink?${ids.map((id) => `ID=${encodeURIComponent(id)}`).join('&')}`,
  );
  const path = join(tempDir(t), 'links.xml');
  writeFileSync(path, await response.text());
  const problems = datalinklintProblems(path);
  assert.deepEqual(problems, []);
});
