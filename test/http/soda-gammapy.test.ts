/**
 * Acceptance on real data: H.E.S.S. DR1 served; for each of the four Crab runs a SODA
 * cutout of 0.5 deg around the Crab, and one also cut in time, are read by gammapy 1.0
 * (EventList.read, Observation.read). They must hold exactly the events an astropy
 * selection on the original file gives (same EVENT_IDs), GTI, ONTIME and LIVETIME must
 * follow the time cut, the IRF HDUs must be the original's byte for byte, and every
 * checksum must verify. pyvo makes one cutout through the DataLink service descriptor.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { scanHdus } from '../../src/fits/index.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { didOf, HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { requireGammapy, requireTestData } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const CRAB_RUNS = ['23523', '23526', '23559', '23592'];
const CRAB_CIRCLE = '83.633 22.0145 0.5';
const IRF_HDUS = ['AEFF', 'EDISP', 'PSF', 'BKG'];

const CHECK = String.raw`
import json, sys, warnings
import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time
from gammapy.data import EventList, Observation
from pyvo.dal.adhoc import DatalinkResults

store, plan, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
CRAB = SkyCoord(83.633, 22.0145, unit='deg')
IRFS = ['AEFF', 'EDISP', 'PSF', 'BKG']

def original(obs_id):
    return f'{store}/data/hess_dl3_dr1_obs_id_{int(obs_id):06d}.fits.gz'

def checked_hdus(path):
    # astropy reports a wrong CHECKSUM or DATASUM as a warning: make it an error.
    with warnings.catch_warnings():
        warnings.simplefilter('error', UserWarning)
        with fits.open(path, checksum=True) as f:
            return [h.name for h in f]

def selection(events, window=None):
    sep = SkyCoord(events['RA'], events['DEC'], unit='deg').separation(CRAB).deg
    mask = sep <= 0.5
    if window is not None:
        mask &= (events['TIME'] >= window[0]) & (events['TIME'] <= window[1])
    return sorted(int(i) for i in events['EVENT_ID'][mask])

def ids(path):
    return sorted(int(i) for i in EventList.read(path).table['EVENT_ID'])

report = {'runs': {}}
for obs_id, files in plan.items():
    with fits.open(original(obs_id)) as orig:
        events, header = orig['EVENTS'].data, orig['EVENTS'].header
        ref = Time(header['MJDREFI'], header['MJDREFF'], format='mjd', scale=header['TIMESYS'].lower())
        entry = {'hdus': checked_hdus(files['circle']), 'time_hdus': checked_hdus(files['time'])}
        entry['expected'] = selection(events)
        entry['ids'] = ids(files['circle'])
        cut = Observation.read(files['circle'])
        whole = Observation.read(original(obs_id))
        entry['observation_events'] = len(cut.events.table)
        entry['irf_values_equal'] = {
            'aeff': bool(np.array_equal(cut.aeff.data, whole.aeff.data)),
            'edisp': bool(np.array_equal(cut.edisp.data, whole.edisp.data)),
            'psf': bool(np.array_equal(cut.psf.data, whole.psf.data)),
            'bkg': bool(np.array_equal(cut.bkg.data, whole.bkg.data)),
        }
        entry['livetime_unchanged'] = bool(
            cut.observation_live_time_duration == whole.observation_live_time_duration)
        with fits.open(files['circle']) as c:
            entry['irf_hdus_equal'] = {
                name: c[name].header.tostring() == orig[name].header.tostring()
                and all(np.array_equal(c[name].data[col], orig[name].data[col])
                        for col in orig[name].columns.names)
                for name in IRFS}

        lo, hi = files['window']
        met = [(Time(v, format='mjd', scale='utc') - ref).to_value('s') for v in (lo, hi)]
        timed = Observation.read(files['time'])
        gti = timed.gti
        deadc = header['DEADC']
        with fits.open(files['time']) as t:
            h = t['EVENTS'].header
            entry['time'] = {
                'gti_rows': len(gti.table),
                'gti_start_error_s': abs((gti.time_start[0] - Time(lo, format='mjd', scale='utc')).to_value('s')),
                'gti_stop_error_s': abs((gti.time_stop[-1] - Time(hi, format='mjd', scale='utc')).to_value('s')),
                'ontime_error_s': abs(h['ONTIME'] - (met[1] - met[0])),
                'livetime_error_s': abs(timed.observation_live_time_duration.to_value('s') - (met[1] - met[0]) * deadc),
                'tstart_error_s': abs(h['TSTART'] - met[0]),
                'tstop_error_s': abs(h['TSTOP'] - met[1]),
                'deadc': [h['DEADC'], deadc],
                'expected': selection(events, met),
                'ids': ids(files['time']),
                'history': [str(x) for x in h['HISTORY']],
            }
        report['runs'][obs_id] = entry

# A real client: pyvo follows the #proc row to the service descriptor and asks for the cutout.
first = next(iter(plan))
result = DatalinkResults.from_result_url(plan[first]['datalink'])
proc = result.get_first_proc()
data = proc.processed(circle=[83.633, 22.0145, 0.5] * u.deg).read()
with open(f'{out}/pyvo.fits', 'wb') as f:
    f.write(data)
report['pyvo'] = {'obs_id': first, 'semantics': proc.semantics, 'ids': ids(f'{out}/pyvo.fits')}
print(json.dumps(report))
`;

interface TimeReport {
  readonly gti_rows: number;
  readonly gti_start_error_s: number;
  readonly gti_stop_error_s: number;
  readonly ontime_error_s: number;
  readonly livetime_error_s: number;
  readonly tstart_error_s: number;
  readonly tstop_error_s: number;
  readonly deadc: [number, number];
  readonly expected: number[];
  readonly ids: number[];
  readonly history: string[];
}

interface RunReport {
  readonly hdus: string[];
  readonly time_hdus: string[];
  readonly expected: number[];
  readonly ids: number[];
  readonly observation_events: number;
  readonly irf_values_equal: Record<string, boolean>;
  readonly irf_hdus_equal: Record<string, boolean>;
  readonly livetime_unchanged: boolean;
  readonly time: TimeReport;
}

interface Report {
  readonly runs: Record<string, RunReport>;
  readonly pyvo: { obs_id: string; semantics: string; ids: number[] };
}

test('SODA cutouts of the four H.E.S.S. Crab runs: gammapy sees the astropy selection, GTI and livetime follow TIME, IRFs unchanged', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store || !requireGammapy(t)) return;
  const { address, engine } = await serveStore(t, store, HESS_COLLECTION);
  const out = tempDir(t);
  const plan: Record<
    string,
    { circle: string; time: string; window: [number, number]; datalink: string }
  > = {};
  for (const obsId of CRAB_RUNS) {
    const did = didOf(HESS_COLLECTION, obsId);
    const [row] = await engine.selectRows(obscoreTable, {
      column: 'obs_publisher_did',
      values: [did],
    });
    const [tMin, tMax] = [Number(row!.t_min), Number(row!.t_max)];
    const window: [number, number] = [tMin + (tMax - tMin) / 4, tMin + (3 * (tMax - tMin)) / 4];
    const files = { circle: join(out, `${obsId}.fits`), time: join(out, `${obsId}-time.fits`) };
    const queries = {
      circle: new URLSearchParams({ ID: did, CIRCLE: CRAB_CIRCLE }),
      time: new URLSearchParams({ ID: did, CIRCLE: CRAB_CIRCLE, TIME: window.join(' ') }),
    };
    for (const kind of ['circle', 'time'] as const) {
      const response = await fetch(`${address}/soda?${queries[kind]}`);
      assert.equal(response.status, 200, `${obsId} ${kind}`);
      writeFileSync(files[kind], Buffer.from(await response.arrayBuffer()));
    }
    plan[obsId] = {
      ...files,
      window,
      datalink: `${address}/datalink?${new URLSearchParams({ ID: did })}`,
    };

    // The IRF HDUs are the original's bytes.
    const sourcePath = join(store, 'data', `hess_dl3_dr1_obs_id_${obsId.padStart(6, '0')}.fits.gz`);
    const source = gunzipSync(readFileSync(sourcePath));
    const sourceHdus = await scanHdus(sourcePath);
    const cut = readFileSync(files.circle);
    const cutHdus = await scanHdus(files.circle);
    assert.deepEqual(
      cutHdus.map((h) => h.name),
      ['', 'EVENTS', 'GTI', ...IRF_HDUS],
    );
    for (const name of ['GTI', ...IRF_HDUS]) {
      const a = cutHdus.find((h) => h.name === name)!;
      const b = sourceHdus.find((h) => h.name === name)!;
      assert.ok(
        cut
          .subarray(a.headerOffset, a.headerOffset + a.hduByteLength)
          .equals(source.subarray(b.headerOffset, b.headerOffset + b.hduByteLength)),
        `${obsId} ${name} is a byte copy`,
      );
    }
  }

  // gammapy and pyvo talk to this process's server: run them asynchronously.
  const report = await runPythonJsonAsync<Report>(CHECK, [store, JSON.stringify(plan), out]);
  for (const obsId of CRAB_RUNS) {
    const run = report.runs[obsId]!;
    assert.deepEqual(run.hdus, ['PRIMARY', 'EVENTS', 'GTI', ...IRF_HDUS]);
    assert.deepEqual(run.time_hdus, run.hdus);
    assert.ok(run.expected.length > 100, `${obsId}: ${run.expected.length} events near the Crab`);
    assert.deepEqual(run.ids, run.expected, `${obsId}: the cutout holds the astropy selection`);
    assert.equal(run.observation_events, run.expected.length);
    assert.deepEqual(run.irf_values_equal, { aeff: true, edisp: true, psf: true, bkg: true });
    assert.deepEqual(run.irf_hdus_equal, { AEFF: true, EDISP: true, PSF: true, BKG: true });
    assert.equal(run.livetime_unchanged, true);

    const time = run.time;
    assert.equal(time.gti_rows, 1);
    for (const key of [
      'gti_start_error_s',
      'gti_stop_error_s',
      'ontime_error_s',
      'livetime_error_s',
      'tstart_error_s',
      'tstop_error_s',
    ] as const) {
      assert.ok(time[key] < 1e-3, `${obsId} ${key}: ${time[key]}`);
    }
    assert.equal(time.deadc[0], time.deadc[1]);
    assert.ok(time.expected.length > 20 && time.expected.length < run.expected.length);
    assert.deepEqual(time.ids, time.expected, `${obsId}: the time cut keeps the astropy selection`);
    assert.match(
      time.history.join('\n'),
      /^hearc SODA cutout made \S+ UTC from\s+ivo:\/\/test.hearc\/hess-dr1\?\d+\n/,
    );
    assert.match(time.history.join('\n'), /TIME=\d+\.\d+ \d+\.\d+/);
  }
  assert.equal(report.pyvo.semantics, '#proc');
  assert.deepEqual(report.pyvo.ids, report.runs[report.pyvo.obs_id]!.expected);
});
