/**
 * Coverage MOCs served over HTTP, checked with outside tools: astropy reads the FITS
 * MOC 2.0 files (MOCORDER, MOCTOOL, UNIQ) and healpy recomputes the fields of view
 * from s_region: every cell whose centre is inside a field of view is in the MOC, and
 * every MOC cell touches one. On a simulated store spanning both hemispheres and RA=0
 * and on the H.E.S.S. DR1 store.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { CatalogRow } from '../../src/engine/index.js';
import {
  coverageCacheTable,
  CoverageCatalog,
  type MocLibrary,
  mocLibrary,
  observationCoverageTable,
  TIME_MOC_MAX_DEPTH,
  timeRangesFromAscii,
} from '../../src/moc/index.js';

type TimeMoc = import('@fxpineau/moc-wasm').TMOC;
import { HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { fetchLinks } from '../datalink/links-document.js';
import { PYTHON, requireAstropy, requireChecker, requireTestData } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { twoCollectionCatalog } from '../registry/fixtures.js';
import { observations, type ObservationRow, serveAcrossRaZero } from './fixtures.js';

const requireHealpy = (t: TestContext): boolean =>
  requireChecker(t, 'healpy (Debian python3-healpy)', [PYTHON, '-c', 'import healpy']);

/** Polygon vertices of an s_region as TAP JSON gives it (an array, or STC-S text). */
function vertices(region: unknown): number[] {
  if (Array.isArray(region)) return region.map(Number);
  return (String(region).match(/-?\d+(\.\d+)?(e-?\d+)?/gi) ?? []).map(Number);
}

async function download(address: string, path: string, file: string): Promise<Buffer> {
  const response = await fetch(`${address}${path}`);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  writeFileSync(file, bytes);
  return bytes;
}

interface HealpyCheck {
  mocorder: number;
  mocvers: string;
  moctool: string;
  ordering: string;
  columns: string[];
  cells: number;
  missing: number;
  extra: number;
  pointings_outside: number;
}

/**
 * astropy reads the MOC file; healpy computes the depth-10 cells of the polygons: the
 * cells with their centre inside (all must be in the MOC) and the cells they touch
 * (the MOC must hold no other).
 */
function healpyCheck(
  file: string,
  polygons: readonly number[][],
  pointings: readonly number[][],
): Promise<HealpyCheck> {
  return runPythonJsonAsync<HealpyCheck>(
    `
import json, sys
import numpy as np, healpy as hp
from astropy.io import fits
path, polygons, pointings = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
with fits.open(path) as hdul:
    h = hdul[1].header
    uniq = np.asarray(hdul[1].data['UNIQ'], dtype=np.int64)
    columns = list(hdul[1].columns.names)
depth = int(h['MOCORDER'])
order = (np.floor(np.log2(uniq // 4) / 2)).astype(np.int64)
index = uniq - 4 * 4 ** order
cells = set()
for o, i in zip(order, index):
    shift = 2 * (depth - int(o))
    cells.update(range(int(i) << shift, (int(i) + 1) << shift))
nside = 2 ** depth
inside, touched = set(), set()
for p in polygons:
    vec = hp.ang2vec(np.array(p[0::2]), np.array(p[1::2]), lonlat=True)
    inside.update(hp.query_polygon(nside, vec, inclusive=False, nest=True).tolist())
    touched.update(hp.query_polygon(nside, vec, inclusive=True, fact=16, nest=True).tolist())
outside = [p for p in pointings if hp.ang2pix(nside, p[0], p[1], lonlat=True, nest=True) not in cells]
print(json.dumps(dict(mocorder=depth, mocvers=h['MOCVERS'], moctool=h['MOCTOOL'],
    ordering=h['ORDERING'], columns=columns, cells=len(cells),
    missing=len(inside - cells), extra=len(cells - touched), pointings_outside=len(outside))))
`,
    [file, JSON.stringify(polygons), JSON.stringify(pointings)],
  );
}

function assertMatches(check: HealpyCheck, what: string): void {
  assert.equal(check.mocvers, '2.0', what);
  assert.equal(check.ordering, 'NUNIQ', what);
  assert.equal(check.mocorder, 10, what);
  assert.match(check.moctool, /^hearc /, what);
  assert.deepEqual(check.columns, ['UNIQ'], what);
  assert.ok(check.cells > 0, `${what}: empty MOC`);
  assert.equal(check.missing, 0, `${what}: cells inside a field of view missing from the MOC`);
  assert.equal(check.extra, 0, `${what}: MOC cells outside every field of view`);
  assert.equal(check.pointings_outside, 0, `${what}: a pointing outside the MOC`);
}

/** A time MOC read by CDS's library (which takes the ASCII form without the 't' prefix). */
function tmoc(library: MocLibrary, ascii: string): TimeMoc {
  return library.TMOC.fromAscii(ascii.replace(/^t/, ''));
}

/** The time MOC served for a collection is the union of its observations' t_intervals. */
async function checkTimeMoc(address: string, path: string, rows: readonly ObservationRow[]) {
  const library = await mocLibrary();
  const served = await (await fetch(`${address}${path}`)).text();
  let expected = library.TMOC.newEmpty(TIME_MOC_MAX_DEPTH);
  for (const row of rows) {
    const one = tmoc(library, row.t_intervals);
    const union = expected.or(one);
    one.free();
    expected.free();
    expected = union;
  }
  const ours = tmoc(library, served);
  // The FITS form holds the same ranges (RANGE packaging, read back by CDS's library).
  const fits = new Uint8Array(
    await (await fetch(`${address}${path.replace(/\.txt$/, '.fits')}`)).arrayBuffer(),
  );
  const fromFits = library.TMOC.fromFits(fits);
  try {
    assert.equal(ours.getDepth(), TIME_MOC_MAX_DEPTH);
    assert.equal(ours.nRanges(), expected.nRanges());
    assert.equal(ours.coveragePercentage(), expected.coveragePercentage());
    assert.equal(ours.xor(expected).nRanges(), 0, `${path}: differs from the union of t_intervals`);
    assert.equal(fromFits.nRanges(), timeRangesFromAscii(served).length);
    assert.equal(fromFits.xor(ours).nRanges(), 0, `${path}: FITS and ASCII differ`);
  } finally {
    for (const moc of [ours, expected, fromFits]) moc.free();
  }
}

test('a simulated store across RA=0 in both hemispheres: MOCs match healpy and the GTIs', async (t) => {
  if (!requireAstropy(t) || !requireHealpy(t)) return;
  const address = await serveAcrossRaZero(t, 12, 5);
  const rows = await observations(address);
  assert.equal(rows.length, 12);
  const ras = rows.map((r) => r.s_ra);
  assert.ok(
    ras.some((ra) => ra > 359) && ras.some((ra) => ra < 1),
    'pointings on both sides of RA=0',
  );
  const polygons = rows.map((r) => vertices(r.s_region));
  const pointings = rows.map((r) => [r.s_ra, r.s_dec]);
  const files = tempDir(t);

  await download(address, '/moc/sim.fits', join(files, 'sim.fits'));
  assertMatches(await healpyCheck(join(files, 'sim.fits'), polygons, pointings), 'collection');
  await download(address, '/moc/service.fits', join(files, 'service.fits'));
  assertMatches(await healpyCheck(join(files, 'service.fits'), polygons, pointings), 'service');
  const first = rows[0]!;
  await download(address, `/moc/sim/${first.obs_id}.fits`, join(files, 'one.fits'));
  assertMatches(
    await healpyCheck(join(files, 'one.fits'), [polygons[0]!], [pointings[0]!]),
    `observation ${first.obs_id}`,
  );

  // ASCII and JSON say the same as the FITS file.
  const library = await mocLibrary();
  const fromFits = library.MOC.fromFits(
    await download(address, '/moc/sim.fits', join(files, 'again.fits')),
  );
  const fromAscii = library.MOC.fromAscii(await (await fetch(`${address}/moc/sim.txt`)).text());
  const fromJson = library.MOC.fromJson(await (await fetch(`${address}/moc/sim.json`)).text());
  try {
    assert.equal(String(fromAscii.toAscii()), String(fromFits.toAscii()));
    assert.equal(String(fromJson.toAscii()), String(fromFits.toAscii()));
  } finally {
    for (const moc of [fromFits, fromAscii, fromJson]) moc.free();
  }

  await checkTimeMoc(address, '/moc/sim.time.txt', rows);
  await checkTimeMoc(address, `/moc/sim/${first.obs_id}.time.txt`, [first]);

  // DataLink links every observation to its MOC.
  const links = await fetchLinks(address, `ivo://test.hearc/sim?${first.obs_id}`);
  const coverage = links.filter((l) => l.semantics === '#coverage');
  assert.equal(coverage.length, 1);
  assert.equal(coverage[0]!.access_url, `${address}/moc/sim/${first.obs_id}.fits`);
  assert.equal(coverage[0]!.content_type, 'application/fits');

  // Unknown names are 404s that say what is missing.
  const unknown = await fetch(`${address}/moc/nosuch.fits`);
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /no collection 'nosuch'/);
  const noObs = await fetch(`${address}/moc/sim/999.fits`);
  assert.equal(noObs.status, 404);
  assert.match(await noObs.text(), /no observation '999' is published in collection 'sim'/);
  const badName = await fetch(`${address}/moc/sim.png`);
  assert.equal(badName.status, 404);
  assert.match(await badName.text(), /not a MOC file name/);
});

test('H.E.S.S. DR1: the collection MOC holds every field of view and every GTI', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store || !requireAstropy(t) || !requireHealpy(t)) return;
  const { address } = await serveStore(t, store, HESS_COLLECTION);
  const rows = await observations(address);
  assert.ok(rows.length > 0);
  const files = tempDir(t);
  await download(address, `/moc/${HESS_COLLECTION}.fits`, join(files, 'hess.fits'));
  assertMatches(
    await healpyCheck(
      join(files, 'hess.fits'),
      rows.map((r) => vertices(r.s_region)),
      rows.map((r) => [r.s_ra, r.s_dec]),
    ),
    HESS_COLLECTION,
  );
  await checkTimeMoc(address, `/moc/${HESS_COLLECTION}.time.txt`, rows);
});

test('space MOCs computed at start (on a worker thread) for rows stored without them are those ingest stores', async (t) => {
  const { engine } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  const ingested = await engine.selectRows(observationCoverageTable);
  const before = await new CoverageCatalog(engine).current();
  await engine.transaction(async (tx) => {
    const dids = ingested.map((row) => String(row.obs_publisher_did));
    await tx.deleteRows(observationCoverageTable, 'obs_publisher_did', dids);
  });
  // As written by older code: without the coverage kept, which would be loaded instead.
  await engine.dropTables([coverageCacheTable]);
  const after = await new CoverageCatalog(engine).current();
  const byDid = (rows: readonly CatalogRow[]) =>
    new Map(rows.map((row) => [String(row.obs_publisher_did), String(row.space_moc)]));
  assert.ok(ingested.length >= 6);
  assert.deepEqual(byDid(await engine.selectRows(observationCoverageTable)), byDid(ingested));
  assert.equal(after.service.space.ascii, before.service.space.ascii);
  assert.equal(after.service.spaceSummary, before.service.spaceSummary);
  for (const [name, coverage] of before.collections) {
    assert.equal(after.collections.get(name)?.space.ascii, coverage.space.ascii, name);
  }
});
