/**
 * The coincidence search on the H.E.S.S. DR1 runs: synthetic alerts placed on a published
 * run find it with the probability healpy computes, and nothing far away or outside the
 * window; an all-sky map finds every run in the window; proprietary runs are counted, not
 * shown; the CLI answers the same.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { gaussianSigma } from '../../src/alerts/index.js';
import { gaussianOrder } from '../../src/alerts/localisation.js';
import { main } from '../../src/cli/main.js';
import { type CatalogRow, type Engine, openEngine } from '../../src/engine/index.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { simulateSkymap } from '../../src/sim/skymap.js';
import { readVotable } from '../../src/votable/index.js';
import { coincidence, serveCatalog } from './fixtures.js';
import { requireChecker, requireTestData } from '../helpers/env.js';
import { captureIo } from '../helpers/io.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { createJob, post, uwsValue, waitForEnd } from '../uws/fixtures.js';

const require = createRequire(import.meta.url);
const GCN = join(dirname(require.resolve('@nasa-gcn/schema/package.json')), 'gcn', 'notices');

/** healpy: probability of a localisation whose cell centres lie inside a convex polygon. */
const HEALPY_PROB = String.raw`
import json, sys
import numpy as np, healpy as hp
from astropy.table import Table
spec = json.loads(sys.argv[1])
poly = np.array(spec['polygon']).reshape(-1, 2)
vecs = hp.ang2vec(poly[:, 0], poly[:, 1], lonlat=True)
out = {}
if spec['kind'] == 'skymap':
    t = Table.read(spec['path'])
    uniq = np.asarray(t['UNIQ'], dtype=np.int64)
    order = (np.log2(uniq // 4) // 2).astype(int)
    ipix = uniq - 4 * 4 ** order.astype(np.int64)
    prob = np.asarray(t['PROBDENSITY']) * np.array([hp.nside2pixarea(2 ** int(o)) for o in order])
    prob = prob / prob.sum()
    inside = 0.0
    for o in np.unique(order):
        sel = order == o
        cells = set(hp.query_polygon(2 ** int(o), vecs, inclusive=False, nest=True).tolist())
        inside += sum(p for i, p in zip(ipix[sel], prob[sel]) if int(i) in cells)
    out['prob'] = float(inside)
else:
    nside = 2 ** spec['order']
    sigma = np.radians(spec['sigma'])
    centre = hp.ang2vec(spec['ra'], spec['dec'], lonlat=True)
    cells = hp.query_disc(nside, centre, 5 * sigma, inclusive=False, nest=True)
    theta = np.array([np.arccos(np.clip(np.dot(hp.pix2vec(nside, int(c), nest=True), centre), -1, 1)) for c in cells])
    w = np.exp(-theta ** 2 / (2 * sigma ** 2))
    w = w / w.sum()
    fov = set(hp.query_polygon(nside, vecs, inclusive=False, nest=True).tolist())
    out['prob'] = float(sum(p for c, p in zip(cells, w) if int(c) in fov))
print(json.dumps(out))
`;

const isoOf = (mjd: number): string => new Date((mjd - 40587) * 86_400_000).toISOString();
const separation = (a: CatalogRow, b: CatalogRow): number => {
  const r = Math.PI / 180;
  const [ra1, d1, ra2, d2] = [a.s_ra, a.s_dec, b.s_ra, b.s_dec].map((v) => Number(v) * r) as [
    number,
    number,
    number,
    number,
  ];
  const c = Math.sin(d1) * Math.sin(d2) + Math.cos(d1) * Math.cos(d2) * Math.cos(ra1 - ra2);
  return Math.acos(Math.min(1, c)) / r;
};

async function setUp(
  t: import('node:test').TestContext,
): Promise<
  { db: string; dir: string; engine: Engine; address: string; runs: CatalogRow[] } | undefined
> {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store) return undefined;
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const io = captureIo();
  assert.equal(
    await main(['ingest', store, '--db', db, '--collection', 'hess-dl3-dr1'], io),
    0,
    io.err(),
  );
  return { db, dir, engine: undefined as unknown as Engine, address: '', runs: [] };
}

async function serve(t: import('node:test').TestContext, db: string) {
  const engine = await openEngine(db);
  await engine.ensureTables(catalogTables);
  const address = await serveCatalog(t, engine);
  const runs = [...(await engine.selectRows(obscoreTable))].sort(
    (a, b) => Number(a.t_min) - Number(b.t_min),
  );
  return { engine, address, runs };
}

test('alerts placed on a published run find it with healpy’s probability, and nothing else', async (t) => {
  const base = await setUp(t);
  if (!base || !requireChecker(t, 'healpy', ['/usr/bin/python3', '-c', 'import healpy'])) return;
  const { db, dir } = base;
  // Alerts first (the CLI owns the catalog while the server is not running).
  const probe = await openEngine(db);
  const runs = [...(await probe.selectRows(obscoreTable))].sort(
    (a, b) => Number(a.t_min) - Number(b.t_min),
  );
  await probe.close();
  const run = runs.find((r) => String(r.obs_id) === '23523') ?? (runs[0] as CatalogRow);
  const mid = (Number(run.t_min) + Number(run.t_max)) / 2;
  const skymap = join(dir, 'S-on-run.multiorder.fits');
  await simulateSkymap({
    path: skymap,
    object: 'S230000on',
    dateObs: isoOf(mid),
    ra: Number(run.s_ra) + 0.8,
    dec: Number(run.s_dec) - 0.5,
    sigma: 1.5,
    coarseOrder: 4,
    fineOrder: 9,
  });
  const notice = JSON.parse(
    readFileSync(join(GCN, 'km3net', 'alert.example.json'), 'utf8'),
  ) as Record<string, unknown>;
  Object.assign(notice, {
    event_name: 'KM3-ON-RUN',
    trigger_time: isoOf(mid),
    ra: Number(run.s_ra) - 0.6,
    dec: Number(run.s_dec) + 0.4,
    ra_dec_error: 1.2,
  });
  delete notice.src_error_50;
  const noticeFile = join(dir, 'km3-on-run.json');
  writeFileSync(noticeFile, JSON.stringify(notice));
  const io = captureIo();
  assert.equal(await main(['alerts', 'ingest', skymap, noticeFile, '--db', db], io), 0, io.err());

  const { address } = await serve(t, db);
  const window = 'BEFORE=0.2&AFTER=0.2';
  const polygon = run.s_region as number[];

  const gw = await coincidence(address, `ALERT=S230000on&${window}`);
  const found = gw.rows.find((r) => r.obs_id === String(run.obs_id));
  assert.ok(found, `run ${String(run.obs_id)} not found: ${gw.text}`);
  const healpyGw = runPythonJson<{ prob: number }>(HEALPY_PROB, [
    JSON.stringify({ kind: 'skymap', path: skymap, polygon }),
  ]);
  assert.ok(
    Math.abs((found.prob as number) - healpyGw.prob) < 1e-9,
    `${found.prob} vs healpy ${healpyGw.prob}`,
  );
  assert.ok(healpyGw.prob > 0.3);
  assert.equal(found.dt, 0);
  assert.ok((found.livetime as number) > 0);
  assert.equal(gw.rows[0]?.obs_publisher_did !== undefined, true);
  assert.match(gw.text, /ivo:\/\/ivoa.net\/std\/DataLink#links-1.1/);
  // Nothing far away, nothing outside the window.
  for (const row of gw.rows) {
    const obs = runs.find((r) => String(r.obs_id) === row.obs_id) as CatalogRow;
    assert.ok(separation(obs, run) < 12, `run ${String(row.obs_id)} is far from the alert`);
    assert.ok(Number(obs.t_max) >= mid - 0.2 && Number(obs.t_min) <= mid + 0.2);
  }
  const ranked = gw.rows.map((r) => r.prob as number);
  assert.deepEqual(
    ranked,
    [...ranked].sort((a, b) => b - a),
  );

  const nu = await coincidence(address, `ALERT=KM3-ON-RUN&${window}`);
  const nuRun = nu.rows.find((r) => r.obs_id === String(run.obs_id));
  assert.ok(nuRun, nu.text);
  const sigma = gaussianSigma(1.2, 0.9);
  const healpyNu = runPythonJson<{ prob: number }>(HEALPY_PROB, [
    JSON.stringify({
      kind: 'gaussian',
      ra: Number(run.s_ra) - 0.6,
      dec: Number(run.s_dec) + 0.4,
      sigma,
      order: gaussianOrder(sigma),
      polygon,
    }),
  ]);
  assert.ok(
    Math.abs((nuRun.prob as number) - healpyNu.prob) < 1e-6,
    `${nuRun.prob} vs healpy ${healpyNu.prob}`,
  );

  // Outside the window: the same alert a week later finds nothing here.
  const late = await coincidence(
    address,
    `POS=CIRCLE ${String(run.s_ra)} ${String(run.s_dec)} 1&TIME=${mid + 7}&BEFORE=0.5&AFTER=0.5`,
  );
  assert.equal(late.rows.length, 0, late.text);
  const adhoc = await coincidence(
    address,
    `POS=CIRCLE ${String(run.s_ra)} ${String(run.s_dec)} 1&TIME=${mid}`,
  );
  assert.ok(adhoc.rows.some((r) => r.obs_id === String(run.obs_id)));
  assert.ok(
    adhoc.rows.every((r) => Math.abs((r.prob as number) - 1) < 1e-9 || (r.prob as number) < 1),
  );

  // Errors are DALI error documents naming the problem.
  const missing = await fetch(`${address}/coincidence?ALERT=nope`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /no alert 'nope' in hearc.alerts/);
  const badWindow = await fetch(`${address}/coincidence?ALERT=S230000on&BEFORE=-1`);
  assert.equal(badWindow.status, 400);
  assert.match(await badWindow.text(), /BEFORE must be a number of days/);
  const nothing = await fetch(`${address}/coincidence`);
  assert.equal(nothing.status, 400);
  assert.match(await nothing.text(), /give ALERT=/);
});

test('an all-sky map finds every run in the window; proprietary runs are counted, not shown', async (t) => {
  const base = await setUp(t);
  if (!base) return;
  const { db, dir } = base;
  const probe = await openEngine(db);
  const runs = [...(await probe.selectRows(obscoreTable))].sort(
    (a, b) => Number(a.t_min) - Number(b.t_min),
  );
  await probe.close();
  const first = runs[0] as CatalogRow;
  const tEvent = Number(first.t_min) + 1;
  const before = 3;
  const after = 30;
  const expected = runs
    .filter((r) => Number(r.t_max) > tEvent - before && Number(r.t_min) < tEvent + after)
    .map((r) => String(r.obs_id))
    .sort();
  assert.ok(expected.length >= 2, 'the window holds several runs');
  const skymap = join(dir, 'allsky.fits');
  await simulateSkymap({
    path: skymap,
    object: 'S-ALLSKY',
    dateObs: isoOf(tEvent),
    coarseOrder: 6,
  });
  const secret = expected[0] as string;
  const io = captureIo();
  assert.equal(await main(['alerts', 'ingest', skymap, '--db', db], io), 0, io.err());
  assert.equal(
    await main(
      [
        'rights',
        'set',
        secret,
        '--db',
        db,
        '--rights',
        'proprietary',
        '--release-date',
        '2999-01-01',
      ],
      io,
    ),
    0,
    io.err(),
  );
  // The operator's command line sees every run, the secret one too.
  const cli = captureIo();
  const cliArgs = ['--alert', 'S-ALLSKY', '--before', String(before), '--after', String(after)];
  assert.equal(await main(['coincidence', '--db', db, ...cliArgs], cli), 0, cli.err());
  const listed = cli
    .out()
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[1])
    .sort();
  assert.deepEqual(listed, expected);
  const unknown = captureIo();
  assert.equal(await main(['coincidence', '--db', db, '--alert', 'nope'], unknown), 1);
  assert.match(unknown.err(), /no alert 'nope' in hearc.alerts/);
  const noTime = captureIo();
  assert.equal(await main(['coincidence', '--db', db, '--pos', 'CIRCLE 10 10 1'], noTime), 1);
  assert.match(noTime.err(), /--pos needs --time/);

  const { address } = await serve(t, db);
  const all = await coincidence(address, `ALERT=S-ALLSKY&BEFORE=${before}&AFTER=${after}`);
  const shown = all.rows.map((r) => String(r.obs_id)).sort();
  assert.deepEqual(
    shown,
    expected.filter((id) => id !== secret),
  );
  assert.equal(all.hidden, 1);
  assert.ok(!all.text.includes(`>${secret}<`));
  for (const row of all.rows) assert.ok((row.prob as number) > 0 && (row.prob as number) < 0.01);

  // The same as an async UWS job: the same rows, the same secret kept.
  const jobUrl = await createJob(`${address}/coincidence/async`, {
    ALERT: 'S-ALLSKY',
    BEFORE: String(before),
    AFTER: String(after),
    PHASE: 'RUN',
  });
  assert.match(jobUrl, /\/coincidence\/async\//);
  const xml = await waitForEnd(jobUrl);
  assert.equal(uwsValue(xml, 'phase'), 'COMPLETED', xml);
  const result = await (await fetch(`${jobUrl}/results/result`)).text();
  const table = readVotable(result);
  const asyncIds = table.rows.map((r) => String(r[1])).sort();
  assert.deepEqual(asyncIds, shown);
  assert.equal(table.infos.find((i) => i.name === 'hidden_observations')?.value, '1');
  const refused = await post(`${address}/coincidence/async`, { PHASE: 'RUN' });
  const refusedXml = await waitForEnd(refused.headers.get('location') ?? '');
  assert.equal(uwsValue(refusedXml, 'phase'), 'ERROR', refusedXml);
  assert.match(refusedXml, /give ALERT=/);
});
