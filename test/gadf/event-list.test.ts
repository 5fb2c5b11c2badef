/**
 * The one event-list reader on simulated GADF variants that readers get wrong: ENERGY
 * in GeV said only by TUNIT (no EUNIT), TIMEZERO ≠ 0 on TIME, GTI and TSTART/TSTOP,
 * TIMESYS in lower case. What ingest publishes, what a SODA cut keeps and what the
 * energy preview bins must agree with an independent astropy computation.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { EventList } from '../../src/gadf/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { binEvents } from '../../src/preview/binning.js';
import { readEventListInfo } from '../../src/preview/index.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { cutoutSources, writeCutout } from '../../src/soda/index.js';
import { requireAstropy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const TIME_ZERO = 86400 * 3 + 0.25;
const CUT = { energy: { lo: 0.5, hi: 5 } };

const ASTROPY = `
import json, sys
import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.time import Time
hc = 1.239841984332e-6
out = {}
for path in sys.argv[1:]:
    with fits.open(path) as f:
        ev = f['EVENTS']
        h = ev.header
        col = ev.columns['ENERGY']
        e = (ev.data['ENERGY'].astype(float) * u.Unit(col.unit)).to_value(u.TeV)
        ref = Time(h['MJDREFI'], h['MJDREFF'], format='mjd', scale=h['TIMESYS'].lower())
        zero = h.get('TIMEZERO', 0.0)
        mjd = lambda t: (ref + (np.asarray(t, dtype=float) + zero) * u.s).utc.mjd
        t_min, t_max = float(mjd(h['TSTART'])), float(mjd(h['TSTOP']))
        gti = f['GTI'].data
        g0, g1 = mjd(gti['START']), mjd(gti['STOP'])
        # A time window over the middle half of the run.
        lo = t_min + (t_max - t_min) * 0.25
        hi = t_min + (t_max - t_min) * 0.75
        t = mjd(ev.data['TIME'])
        keep = (e >= ${CUT.energy.lo}) & (e <= ${CUT.energy.hi}) & (t >= lo) & (t <= hi)
        out[str(h['OBS_ID'])] = dict(path=path, count=len(e), emin=float(e.min()), emax=float(e.max()),
            em_min=hc / (float(e.max()) * 1e12), em_max=hc / (float(e.min()) * 1e12),
            t_min=t_min, t_max=t_max, gti_mjd=[[float(a), float(b)] for a, b in zip(g0, g1)],
            window=[lo, hi], kept=int(keep.sum()))
print(json.dumps(out))
`;

interface Expected {
  path: string;
  count: number;
  emin: number;
  emax: number;
  em_min: number;
  em_max: number;
  t_min: number;
  t_max: number;
  gti_mjd: [number, number][];
  window: [number, number];
  kept: number;
}

const near = (actual: unknown, expected: number, relative: number, what: string) =>
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: ${String(actual)} vs astropy ${expected}`,
  );

test('GeV by TUNIT only, TIMEZERO, lower-case TIMESYS: ingest, SODA and preview agree with astropy', async (t) => {
  if (!requireAstropy(t)) return;
  const dir = tempDir(t);
  const runs = await simulateDataStore({
    outDir: dir,
    observations: 2,
    seed: 11,
    eventsPerObservation: 3000,
    variant: { energyInGeV: true, timeZero: TIME_ZERO, lowerCaseTimesys: true },
  });
  const expected = runPythonJson<Record<string, Expected>>(
    ASTROPY,
    runs.map((r) => join(dir, r.fileName)),
  );

  // The reader: where each unit came from, and the time model.
  const list = await EventList.openFile(join(dir, runs[0]!.fileName));
  assert.deepEqual(list.unit('energy'), { unit: 'GeV', source: 'TUNIT', factor: 1e-3 });
  assert.equal(list.time.zero, TIME_ZERO);
  assert.equal(list.time.reference.scale, 'TT');
  const want0 = expected[String(runs[0]!.obsId)]!;
  const gtis = await list.intervals();
  gtis.forEach(([a, b], i) => {
    assert.ok(Math.abs(list.mjd(a) - want0.gti_mjd[i]![0]) * 86400 < 1e-4, `GTI ${i} start`);
    assert.ok(Math.abs(list.mjd(b) - want0.gti_mjd[i]![1]) * 86400 < 1e-4, `GTI ${i} stop`);
  });

  // Ingest publishes TeV-correct energy ranges and UTC times with TIMEZERO applied.
  const engine = await openEngine(join(dir, 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: 'variants',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  const hea = new Map(
    (await engine.selectRows(obscoreHeaTable)).map((r) => [r.obs_publisher_did, r]),
  );
  const rows = await engine.selectRows(obscoreTable);
  assert.equal(rows.length, 2);
  for (const row of rows) {
    const want = expected[String(row.obs_id)]!;
    near(row.em_min, want.em_min, 1e-6, 'em_min');
    near(row.em_max, want.em_max, 1e-6, 'em_max');
    const ext = hea.get(row.obs_publisher_did)!;
    near(ext.energy_min, want.emin * 1e12, 1e-6, 'energy_min');
    near(ext.energy_max, want.emax * 1e12, 1e-6, 'energy_max');
    assert.ok(Math.abs((row.t_min as number) - want.t_min) * 86400 < 1e-4, 't_min');
    assert.ok(Math.abs((row.t_max as number) - want.t_max) * 86400 < 1e-4, 't_max');
  }

  // A SODA cut in TeV and MJD (UTC) keeps what astropy keeps.
  for (const run of runs) {
    const want = expected[String(run.obsId)]!;
    const sources = await cutoutSources({
      did: `ivo://test.hearc/variants?${run.obsId}`,
      collection: 'variants',
      obsId: String(run.obsId),
      dataStore: dir,
      files: [run.fileName],
      irfs: [],
    });
    const summary = await writeCutout(
      sources,
      { regions: [], energy: CUT.energy, time: { lo: want.window[0], hi: want.window[1] } },
      { software: 'test', date: new Date(0), did: 'x', parameters: [] },
      join(tempDir(t), 'cut.fits'),
    );
    assert.equal(summary.eventsRead, want.count);
    assert.equal(summary.eventsKept, want.kept);
  }

  // The energy preview bins every event, its axis spanning astropy's range in TeV.
  const data = await binEvents(await readEventListInfo(join(dir, runs[0]!.fileName)));
  const edges = data.energy.edges;
  assert.equal(data.energy.unbinned, 0);
  assert.equal(
    data.energy.counts.reduce((a, b) => a + b, 0),
    want0.count,
  );
  assert.ok(edges[0]! <= want0.emin && edges[edges.length - 1]! >= want0.emax, 'energy axis');
  assert.ok(edges[0]! > want0.emin / 10, 'energy axis in TeV, not GeV');
  assert.equal(data.lightCurve.outside, 0);
});
