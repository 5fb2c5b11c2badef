/**
 * The counts HiPS against healpy: on a simulated store (one observation made
 * proprietary), astropy reads the FITS tiles and healpy counts the events of the public
 * event lists per nested cell of order hips_order + 9; the tile pixels follow the
 * `hips` package's ordering (healpix_to_hips_tile). The properties parse, the Moc.fits
 * opens with a UNIQ column, no tile holds a proprietary event, and the server serves
 * the HiPS with the right types (and withholds it once an observation inside is closed).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RightsStore } from '../../src/auth/index.js';
import { openEngine } from '../../src/engine/index.js';
import { buildCountsHips, HipsStore } from '../../src/hips/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { loadServiceDescription } from '../../src/service/index.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const CHECK = String.raw`
import sys, json, glob, os
import numpy as np, healpy as hp
from astropy.io import fits
from astropy.table import Table
hips, store, order = sys.argv[1], sys.argv[2], int(sys.argv[3])
public = set(json.loads(sys.argv[4]))
ra, dec = [], []
for path in sorted(glob.glob(os.path.join(store, '**', '*.fits*'), recursive=True)):
    with fits.open(path) as f:
        if 'EVENTS' not in f or str(f['EVENTS'].header['OBS_ID']) not in public:
            continue
        ra.append(np.asarray(f['EVENTS'].data['RA'], float)); dec.append(np.asarray(f['EVENTS'].data['DEC'], float))
ra, dec = np.concatenate(ra), np.concatenate(dec)
width = 512
def ipix_array(shift):
    if shift == 1:
        return np.array([[0, 1], [2, 3]])
    parent = ipix_array(shift - 1)
    half = 2 ** (shift - 1)
    return np.tile(parent, (2, 2)) + np.repeat(np.repeat(half ** 2 * np.array([[0, 1], [2, 3]]), half, 0), half, 1)
offsets = np.rot90(ipix_array(9))
out = {'events': int(ra.size), 'orders': {}}
for k in range(order, -1, -1):
    cells = hp.ang2pix(2 ** (k + 9), ra, dec, nest=True, lonlat=True)
    counts = np.bincount(cells, minlength=12 * 4 ** (k + 9))
    tiles = sorted(set((cells // width ** 2).tolist()))
    files = sorted(int(os.path.basename(p)[4:-5]) for p in glob.glob(os.path.join(hips, 'Norder%d' % k, 'Dir*', 'Npix*.fits')))
    bad = 0
    for t in tiles:
        data = fits.getdata(os.path.join(hips, 'Norder%d' % k, 'Dir%d' % (t // 10000 * 10000), 'Npix%d.fits' % t))
        bad += int(np.sum(data != counts[t * width ** 2 + offsets]))
    out['orders'][k] = {'tiles': tiles, 'files': files, 'mismatched_pixels': bad}
props = {}
for line in open(os.path.join(hips, 'properties'), encoding='utf-8'):
    if line.strip() and not line.startswith('#'):
        key, value = line.split('=', 1)
        props[key.strip()] = value.strip()
out['properties'] = props
moc = Table.read(os.path.join(hips, 'Moc.fits'))
uniq = np.asarray(moc['UNIQ'], dtype=np.int64)
order_of = (np.floor(np.log2(uniq // 4) / 2)).astype(int)
out['moc'] = {'cells': int(len(moc)), 'orders': sorted(set(order_of.tolist()))}
covered = hp.ang2pix(2 ** 8, ra, dec, nest=True, lonlat=True)
inside = np.zeros(covered.size, bool)
for o in sorted(set(order_of.tolist())):
    inside |= np.isin(covered >> (2 * (8 - o)), uniq[order_of == o] - 4 * 4 ** o)
out['moc']['events_outside'] = int(np.sum(~inside))
print(json.dumps(out))
`;

interface Check {
  events: number;
  orders: Record<string, { tiles: number[]; files: number[]; mismatched_pixels: number }>;
  properties: Record<string, string>;
  moc: { cells: number; orders: number[]; events_outside: number };
}

test('the counts HiPS agrees with healpy, keeps proprietary events out, and is served', async (t) => {
  if (!requireChecker(t, 'healpy (Debian python3-healpy)', [PYTHON, '-c', 'import healpy'])) {
    return;
  }
  const dir = tempDir(t);
  const store = join(dir, 'store');
  await simulateDataStore({
    outDir: store,
    observations: 3,
    seed: 11,
    eventsPerObservation: 3000,
    targets: [
      { name: 'Crab', ra: 83.63, dec: 22.01 },
      { name: 'PKS 2155-304', ra: 329.72, dec: -30.23 },
      { name: 'Vela X', ra: 128.29, dec: -45.19 },
    ],
  });
  const engine = await openEngine(join(dir, 'catalog.duckdb'));
  t.after(() => engine.close());
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, store, {
    authority: 'test.hearc',
    collection: 'sim',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  const rights = new RightsStore(engine);
  const obsIds = (await rights.list()).map((r) => r.obsId!).sort();
  assert.equal(obsIds.length, 3);
  const secret = obsIds[1]!;
  const author = { by: 'test', via: 'cli', at: new Date() };
  await rights.set(
    [secret],
    { dataRights: 'proprietary', releaseDate: new Date('2100-01-01') },
    author,
  );
  const service = loadServiceDescription({ env: {}, overrides: { authority: 'test.hearc' } });
  const built = await buildCountsHips({ engine, service, cacheDir: dir, order: 3 });
  assert.deepEqual(
    built.hips.map((h) => h.name),
    ['service', 'sim'],
  );

  const publicIds = obsIds.filter((id) => id !== secret);
  let sim: Check | undefined;
  for (const name of ['service', 'sim']) {
    const hips = join(dir, 'hips', name);
    const check = runPythonJson<Check>(CHECK, [hips, store, '3', JSON.stringify(publicIds)]);
    if (name === 'sim') sim = check;
    assert.equal(built.hips.find((h) => h.name === name)?.events, check.events);
    for (const [order, result] of Object.entries(check.orders)) {
      assert.equal(
        result.mismatched_pixels,
        0,
        `${name} order ${order}: pixels differ from healpy`,
      );
      // Exactly the tiles holding public events: none for the proprietary run's sky.
      assert.deepEqual(result.files, result.tiles, `${name} order ${order}: tiles`);
    }
    const p = check.properties;
    assert.equal(p.creator_did, `ivo://test.hearc/hips/${name}`);
    assert.equal(p.hips_version, '1.4');
    assert.equal(p.hips_order, '3');
    assert.equal(p.hips_tile_width, '512');
    assert.equal(p.hips_frame, 'equatorial');
    assert.equal(p.dataproduct_type, 'image');
    assert.equal(p.hips_tile_format, 'png fits');
    assert.match(p.hips_release_date!, /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    assert.ok(Number(p.moc_sky_fraction) > 0 && Number(p.moc_sky_fraction) < 0.1);
    for (const key of [
      'obs_title',
      'hips_builder',
      'hips_initial_ra',
      'hips_initial_dec',
      'hips_initial_fov',
    ]) {
      assert.ok(p[key], `properties has ${key}`);
    }
    assert.ok(check.moc.cells > 0);
    assert.equal(check.moc.events_outside, 0, 'every public event is inside Moc.fits');
    const allsky = readFileSync(join(hips, 'Norder3', 'Allsky.png'));
    assert.equal(allsky.readUInt32BE(16), 27 * 64);
  }
  assert.deepEqual(
    readdirSync(join(dir, 'hips')).sort(),
    ['service', 'sim'],
    'the build leaves no staging folder',
  );

  // Served read-only by the server, from the same cache folder.
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    service: { ...service, cacheDir: dir },
  });
  t.after(() => app.close());
  const properties = await app.inject({ url: '/hips/sim/properties' });
  assert.equal(properties.statusCode, 200);
  assert.match(String(properties.headers['content-type']), /^text\/plain/);
  assert.match(properties.body, /hips_order\s+= 3/);
  const tileNpix = sim!.orders['3']!.tiles[0]!;
  const tile = await app.inject({ url: `/hips/sim/Norder3/Dir0/Npix${tileNpix}.png` });
  assert.equal(tile.statusCode, 200);
  assert.equal(tile.headers['content-type'], 'image/png');
  assert.match(String(tile.headers['cache-control']), /max-age/);
  const again = await app.inject({
    url: `/hips/sim/Norder3/Dir0/Npix${tileNpix}.png`,
    headers: { 'if-none-match': String(tile.headers.etag) },
  });
  assert.equal(again.statusCode, 304);
  const fitsTile = await app.inject({ url: `/hips/service/Norder3/Dir0/Npix${tileNpix}.fits` });
  assert.equal(fitsTile.headers['content-type'], 'application/fits', fitsTile.body);
  // A tile without events is a black picture (no error in viewers); a FITS one is absent.
  const empty = await app.inject({ url: '/hips/sim/Norder0/Dir0/Npix0.png' });
  assert.equal(empty.statusCode, 200);
  assert.equal((await app.inject({ url: '/hips/sim/Norder4/Dir0/Npix0.png' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/hips/nosuch/properties' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/hips/sim/../catalog.duckdb' })).statusCode, 404);
  const moc = await app.inject({ url: '/hips/sim/Moc.fits' });
  assert.equal(moc.headers['content-type'], 'application/fits');
  const list = await app.inject({ url: '/hips/hipslist' });
  assert.match(list.body, /hips_service_url\s+= http:\/\/localhost(:\d+)?\/hips\/sim/);

  // A public observation inside the HiPS turns proprietary: the HiPS is withheld.
  await rights.set([publicIds[0]!], { dataRights: 'secure' }, author);
  const withheld = new HipsStore({ engine, service, cacheDir: dir, autoBuild: false });
  assert.deepEqual([...(await withheld.current()).keys()], []);
});
