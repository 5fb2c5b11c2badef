/**
 * The VODF draft beside GADF 0.2/0.3: which format each store and file follows (in the
 * ingest and validate reports), and VODF-draft stores (GROUPING tables instead of an
 * hdu-index, string OBS_IDs, OBSGEO-B/L/H, TIMESYS GPS with DATEREF, event types split
 * into observations) published with the values an independent astropy reading gives.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { Header } from '../../src/fits/index.js';
import { formatOf, openDataStores, validateDataStore } from '../../src/gadf/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { PYTHON, requireChecker, requireTestData } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const config = {
  authority: 'test.hearc',
  collection: 'vodf',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

function headerOf(cards: Record<string, string>): Header {
  const header = new Header([]);
  for (const [k, v] of Object.entries(cards)) header.set(k, v);
  return header;
}

test('formatOf tells GADF 0.2, GADF 0.3, the VODF draft (keywords or layout) and OGIP apart', () => {
  const gadf = 'https://github.com/open-gamma-ray-astro/gamma-astro-data-formats';
  assert.equal(
    formatOf(headerOf({ HDUCLASS: 'GADF', HDUDOC: gadf, HDUVERS: '0.2' }))?.label,
    'GADF 0.2',
  );
  assert.equal(formatOf(headerOf({ HDUCLASS: 'GADF', HDUVERS: '0.3' }))?.label, 'GADF 0.3');
  assert.equal(
    formatOf(headerOf({ HDUCLASS: 'OGIP', HDUDOC: gadf }))?.label,
    'GADF (version not stated)',
  );
  // The mock data: HDUCLASS VODF, HDUCLAS1 EVENTS; the schema: HDUCLAS1 OGIP, HDUCLAS2 EVENTS.
  const mock = {
    HDUCLASS: 'VODF',
    HDUVERS: '0.1',
    HDUDOC: 'https://vodf.readthedocs.io/en/latest/',
  };
  assert.equal(formatOf(headerOf({ ...mock, HDUCLAS1: 'EVENTS' }))?.label, 'VODF 0.1 (draft)');
  assert.equal(formatOf(headerOf({ HDUCLAS1: 'OGIP', HDUCLAS2: 'EVENTS' }))?.family, 'VODF');
  assert.equal(
    formatOf(headerOf({ HDUCLASS: 'OGIP', TELESCOP: 'GLAST' }))?.label,
    'OGIP photon list',
  );
  assert.equal(formatOf(headerOf({ TELESCOP: 'X' })), undefined);
});

test('a VODF-draft store with event types split into observations is published with astropy values, and reported as VODF', async (t) => {
  const dir = tempDir(t);
  const runs = await simulateDataStore({
    outDir: dir,
    observations: 2,
    seed: 11,
    eventsPerObservation: 500,
    eventClasses: ['A', 'B'],
    vodf: { gpsTime: true },
  });
  assert.equal(runs.length, 4);
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(
    report.stores.map((s) => s.formatVersion),
    ['VODF 0.1 (draft)'],
  );
  assert.deepEqual(
    report.added,
    runs.map((r) => String(r.obsId)),
  );
  // The IRF files are named by the GROUPING tables: no "IRFs only" warning for them.
  assert.ok(!report.warnings.some((w) => /instrument responses only/.test(w.message)));

  const rows = await engine.selectRows(obscoreTable);
  const hea = await engine.selectRows(obscoreHeaTable);
  const published = runs.map((run) => {
    const row = rows.find((r) => r.obs_id === String(run.obsId));
    assert.ok(row, `observation ${run.obsId} published`);
    const ext = hea.find((r) => r.obs_publisher_did === row.obs_publisher_did);
    assert.equal(ext?.event_type, run.eventType);
    assert.equal(Number(row.event_count), run.eventCount);
    return row;
  });

  const validation = await validateDataStore(dir);
  assert.equal(
    validation.errors,
    0,
    JSON.stringify(validation.problems.filter((p) => p.severity === 'error')),
  );
  assert.deepEqual(
    validation.formats.map((f) => [f.kind, f.format]),
    [['store', 'VODF 0.1 (draft)']],
  );

  if (!requireChecker(t, 'astropy', [PYTHON, '-c', 'import astropy'])) return;
  // Independently: GPS is TAI - 19 s; DATEREF is the epoch in that scale.
  const expected = runPythonJson<{ tmin: number; tmax: number; emin: number; emax: number }[]>(
    `
import json, sys
from astropy.io import fits
from astropy.time import Time
import astropy.units as u
from astropy.constants import h, c
out = []
for path in sys.argv[1:]:
    with fits.open(path) as f:
        ev = f['EVENTS']
        hd = ev.header
        assert hd['TIMESYS'] == 'GPS'
        ref = Time(hd['DATEREF'], scale='tai') + 19 * u.s
        e = ev.data['ENERGY'] * u.Unit(ev.columns['ENERGY'].unit)
        lam = lambda q: float((h * c / q).to_value(u.m))
        out.append(dict(
            tmin=float((ref + hd['TSTART'] * u.s).utc.mjd),
            tmax=float((ref + hd['TSTOP'] * u.s).utc.mjd),
            emin=lam(e.max()), emax=lam(e.min())))
print(json.dumps(out))
`,
    runs.map((r) => join(dir, r.fileName)),
  );
  for (const [i, row] of published.entries()) {
    const want = expected[i]!;
    assert.ok(Math.abs(Number(row.t_min) - want.tmin) < 1e-8, `t_min ${row.t_min} vs ${want.tmin}`);
    assert.ok(Math.abs(Number(row.t_max) - want.tmax) < 1e-8, `t_max ${row.t_max} vs ${want.tmax}`);
    assert.ok(
      Math.abs(Number(row.em_min) / want.emin - 1) < 1e-6,
      `em_min ${row.em_min} vs ${want.emin}`,
    );
    assert.ok(
      Math.abs(Number(row.em_max) / want.emax - 1) < 1e-6,
      `em_max ${row.em_max} vs ${want.emax}`,
    );
  }
});

test('a GADF 0.3 store and a VODF-draft store in one folder: each store and the odd file are reported by format', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({
    outDir: join(dir, 'gadf'),
    observations: 1,
    seed: 2,
    eventsPerObservation: 200,
  });
  const tree = await openDataStores(join(dir, 'gadf'));
  assert.deepEqual(
    tree.stores.map((s) => s.formatVersion),
    ['GADF 0.3'],
  );
  // A plain VODF store (MJDREFI/MJDREFF, TT) reads as the draft too.
  await simulateDataStore({
    outDir: join(dir, 'vodf'),
    observations: 1,
    seed: 2,
    eventsPerObservation: 200,
    vodf: {},
  });
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, join(dir, 'vodf'), config);
  assert.deepEqual(report.failed, []);
  assert.equal(report.stores[0]?.formatVersion, 'VODF 0.1 (draft)');
  const [row] = await engine.selectRows(obscoreTable);
  // The site came from OBSGEO-B/L/H: the row is published with its horizontal pointing unknown (no pointing).
  assert.equal(row?.ra_pnt, null);
});

test('the H.E.S.S. DR1 store is reported as GADF 0.2', async (t) => {
  const root = requireTestData(t, 'hess-dl3-dr1');
  if (!root) return;
  const tree = await openDataStores(root);
  assert.deepEqual(
    tree.stores.map((s) => s.formatVersion),
    ['GADF 0.2'],
  );
});
