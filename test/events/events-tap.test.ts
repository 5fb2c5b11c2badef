/**
 * hearc.events through TAP on the real H.E.S.S. DR1 and MAGIC stores, on DuckDB and on
 * PostgreSQL: counts of events in cones, energy ranges and time windows equal an
 * astropy + numpy selection on the original FITS files.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import postgres from 'postgres';
import { requirePostgres } from '../adql/engines.js';
import { serveStore } from '../datalink/fixtures.js';
import { type Engine, keepsOrderByRewrite } from '../../src/engine/index.js';
import { orderEvents } from '../../src/events/index.js';
import { requireAstropy, requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { runPythonJson } from '../helpers/python.js';
import { tapRows } from '../helpers/tap.js';
import { descents, eventsDigest } from '../helpers/events.js';

/** A selection of events: any of a cone (deg), an energy range (TeV), a time window (MJD UTC). */
interface Selection {
  readonly name: string;
  readonly cone?: readonly [number, number, number];
  readonly energy?: readonly [number, number];
  readonly time?: readonly [number, number];
  /** Write the cone as DISTANCE(...) < r instead of CONTAINS. */
  readonly distance?: boolean;
}

const CRAB = [83.633, 22.0145] as const;
const PKS = [329.71694, -30.2255] as const;

const SELECTIONS: readonly Selection[] = [
  { name: 'all events' },
  { name: 'Crab, 0.1 deg', cone: [...CRAB, 0.1] },
  { name: 'Crab, 0.5 deg', cone: [...CRAB, 0.5] },
  { name: 'Crab, 1 deg, DISTANCE', cone: [...CRAB, 1], distance: true },
  { name: 'PKS 2155-304, 0.3 deg', cone: [...PKS, 0.3] },
  { name: 'off the field of view', cone: [120, -60, 1] },
  { name: 'above 10 TeV', energy: [10, 1e9] },
  { name: '1 to 3 TeV', energy: [1, 3] },
  { name: 'Crab above 1 TeV within 0.2 deg', cone: [...CRAB, 0.2], energy: [1, 1e9] },
  { name: '2004 to 2006', time: [53005, 54000] },
  { name: 'part of one night', time: [54705.8, 54705.82] },
  {
    name: 'Crab in 2004, 1 to 10 TeV',
    cone: [...CRAB, 0.3],
    energy: [1, 10],
    time: [53005, 53371],
  },
];

/** Counts per selection, per data store, from the original files with astropy and numpy. */
const ASTROPY_COUNTS = `
import json, sys, glob, os
import numpy as np
from astropy.io import fits
from astropy.time import Time
import astropy.units as u
selections = json.loads(sys.argv[1])
counts = [0] * len(selections)
files = []
for root in sys.argv[2:]:
    files += sorted(glob.glob(os.path.join(root, 'data', '*.fits*')))
for path in files:
    with fits.open(path) as f:
        if 'EVENTS' not in f:
            continue
        ev = f['EVENTS']
        h = ev.header
        ra = np.radians(ev.data['RA'].astype(float))
        dec = np.radians(ev.data['DEC'].astype(float))
        energy = ev.data['ENERGY'].astype(float)
        ref = Time(h['MJDREFI'] + h['MJDREFF'], format='mjd', scale=h['TIMESYS'].strip().lower())
        t = (ref + (ev.data['TIME'].astype(float) + h.get('TIMEZERO', 0.0)) * u.s).utc.mjd
        for i, s in enumerate(selections):
            keep = np.ones(len(energy), bool)
            if 'cone' in s:
                r0, d0, rad = np.radians(s['cone'][0]), np.radians(s['cone'][1]), np.radians(s['cone'][2])
                hav = np.sin((dec - d0) / 2) ** 2 + np.cos(dec) * np.cos(d0) * np.sin((ra - r0) / 2) ** 2
                keep &= 2 * np.arcsin(np.sqrt(hav)) < rad
            if 'energy' in s:
                keep &= (energy >= s['energy'][0]) & (energy <= s['energy'][1])
            if 'time' in s:
                keep &= (t >= s['time'][0]) & (t <= s['time'][1])
            counts[i] += int(keep.sum())
print(json.dumps(counts))
`;

function adqlOf(s: Selection): string {
  const where: string[] = [];
  if (s.cone) {
    const [ra, dec, r] = s.cone;
    where.push(
      s.distance
        ? `DISTANCE(POINT('ICRS', ra, dec), POINT('ICRS', ${ra}, ${dec})) < ${r}`
        : `1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${ra}, ${dec}, ${r}))`,
    );
  }
  if (s.energy) where.push(`energy BETWEEN ${s.energy[0]} AND ${s.energy[1]}`);
  if (s.time) where.push(`event_time BETWEEN ${s.time[0]} AND ${s.time[1]}`);
  return `SELECT COUNT(*) AS n FROM hearc.events${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}

async function checkEngine(
  t: TestContext,
  stores: readonly string[],
  catalog?: () => Promise<Engine>,
): Promise<void> {
  const expected = runPythonJson<number[]>(ASTROPY_COUNTS, [JSON.stringify(SELECTIONS), ...stores]);
  const served = await serveStore(t, stores[0]!, 'hess-dr1', catalog);
  // The second store joins the same catalog under its own collection.
  const { ingestDataStore } = await import('../../src/ingest/ingest.js');
  await ingestDataStore(served.engine, stores[1]!, { ...served.config, collection: 'magic' });
  if (served.engine.dialect === 'postgres') {
    // The planner knows the tables as loaded (autovacuum may be off, and it never
    // analyzes a partitioned table's parent).
    const direct = postgres(served.engine.location, { max: 1, onnotice: () => undefined });
    const unanalyzed = await direct
      .unsafe<{ name: string }[]>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE (n.nspname, c.relname) IN (('ivoa', 'obscore'), ('hearc', 'events'), ('ivoa', 'obscore_hea'))
           AND (c.relkind = 'p' AND NOT EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = c.oid)
                OR c.relkind = 'r' AND pg_stat_get_last_analyze_time(c.oid) IS NULL)`,
      )
      .finally(() => direct.end());
    assert.deepEqual(
      unanalyzed.map((r) => r.name),
      [],
      'statistics after the ingest',
    );
  }
  const checkCounts = async (when: string) => {
    for (const [i, selection] of SELECTIONS.entries()) {
      const rows = await tapRows(served.address, adqlOf(selection));
      const what = `${selection.name}${when}: ${adqlOf(selection)}`;
      assert.equal(Number(rows[0]?.n), expected[i], what);
    }
  };
  await checkCounts('');
  if (keepsOrderByRewrite(served.engine)) {
    // Rewritten in global cell order: the same rows, the same counts.
    const digest = await eventsDigest(served.engine);
    assert.ok((await orderEvents(served.engine)).rows > 0);
    assert.equal(await descents(served.engine), 0);
    assert.equal(await eventsDigest(served.engine), digest);
    await checkCounts(', in global cell order');
  }
  assert.ok(
    expected.filter((n) => n > 0).length >= SELECTIONS.length - 1,
    'selections find events',
  );

  // Each event list is there whole, with its identifiers.
  const perObservation = await tapRows(
    served.address,
    'SELECT e.obs_id, COUNT(*) AS n, MAX(h.ev_xel) AS ev_xel FROM hearc.events AS e JOIN ivoa.obscore_hea AS h ON h.obs_publisher_did = e.obs_publisher_did GROUP BY e.obs_id',
  );
  assert.equal(perObservation.length, 15);
  for (const row of perObservation)
    assert.equal(Number(row.n), Number(row.ev_xel), String(row.obs_id));

  // Columns the files do not have are NULL; the stored cell is the one of ivo_healpix_index.
  const sample = await tapRows(
    served.address,
    'SELECT TOP 5 event_id, alt, multip, healpix_index, ivo_healpix_index(8, ra, dec) AS cell FROM hearc.events ORDER BY event_id',
  );
  for (const row of sample) {
    assert.equal(row.alt, null);
    assert.equal(row.multip, null);
    assert.equal(Number(row.healpix_index), Number(row.cell));
  }
}

test(
  'hearc.events on DuckDB equals astropy + numpy on the files',
  { timeout: 600_000 },
  async (t) => {
    const hess = requireTestData(t, 'hess-dl3-dr1');
    const magic = requireTestData(t, 'magic-rad-max');
    if (!hess || !magic || !requireAstropy(t)) return;
    await checkEngine(t, [hess, magic]);
  },
);

test(
  'hearc.events on PostgreSQL equals astropy + numpy on the files',
  { timeout: 600_000 },
  async (t) => {
    const hess = requireTestData(t, 'hess-dl3-dr1');
    const magic = requireTestData(t, 'magic-rad-max');
    if (!hess || !magic || !requireAstropy(t) || !requirePostgres(t)) return;
    await checkEngine(t, [hess, magic], () => freshPostgresCatalog('hearc_events'));
  },
);
