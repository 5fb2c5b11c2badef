/**
 * The previews of real and simulated observations, checked in code: PNG sizes,
 * histograms that add up to the event count, and the FITS counts map read by
 * astropy.wcs (the reference pixel is the pointing, the source is the hottest spot,
 * every pixel holds the events astropy puts there) and drawn in the PNG.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { readFits, scanHdus } from '../../src/fits/index.js';
import { inferno } from '../../src/preview/colormap.js';
import { countsMapPlacement } from '../../src/preview/counts-map.js';
import { pngSize, type PreviewManifest, writePreviews } from '../../src/preview/index.js';
import type { TanGrid } from '../../src/preview/wcs.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requireAstropy, requireTestData } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { writeSyntheticEventList } from './fixtures.js';
import { decodePng } from './png-decode.js';

const CRAB: readonly [number, number] = [83.6331, 22.0145];

const ASTROPY_CHECK = `
import json, sys, warnings
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
warnings.simplefilter('error', AstropyWarning)
map_path, events_path = sys.argv[1], sys.argv[2]
src_ra, src_dec = float(sys.argv[3]), float(sys.argv[4])
with fits.open(map_path, checksum=True) as f:
    h = f[0].header
    data = f[0].data.astype(np.int64)
    w = WCS(h)
ref = w.wcs_pix2world([[h['CRPIX1'], h['CRPIX2']]], 1)[0]
x, y = w.wcs_world2pix([[src_ra, src_dec]], 0)[0]
yy, xx = np.indices(data.shape)
disk = (xx - x) ** 2 + (yy - y) ** 2 <= (0.15 / abs(h['CDELT2'])) ** 2
masked = np.where(disk, data, -1)
iy, ix = np.unravel_index(np.argmax(masked), data.shape)
peak = SkyCoord(*w.wcs_pix2world([[ix, iy]], 0)[0], unit='deg')
with fits.open(events_path) as e:
    events = e['EVENTS'].data
    px, py = w.wcs_world2pix(np.column_stack([events['RA'].astype(float), events['DEC'].astype(float)]), 0).T
col, row = np.floor(px + 0.5).astype(int), np.floor(py + 0.5).astype(int)
inside = (col >= 0) & (row >= 0) & (col < data.shape[1]) & (row < data.shape[0])
binned = np.zeros_like(data)
np.add.at(binned, (row[inside], col[inside]), 1)
print(json.dumps({
    'header': {k: h[k] for k in ['CTYPE1', 'CTYPE2', 'CUNIT1', 'CUNIT2', 'RADESYS', 'EQUINOX',
                                 'BUNIT', 'DATE-OBS', 'OBS_ID', 'NAXIS1', 'NAXIS2', 'CDELT1', 'CDELT2']},
    'celestial': bool(w.has_celestial), 'frame': w.world_axis_object_classes['celestial'][2]['frame'].name,
    'reference': ref.tolist(),
    'peak_in_disk': int(masked.max()), 'global_max': int(data.max()),
    'peak_offset': float(peak.separation(SkyCoord(src_ra, src_dec, unit='deg')).deg),
    'differing_pixels': int((binned != data).sum()), 'total': int(data.sum()),
}))
`;

interface AstropyCheck {
  header: Record<string, string | number>;
  celestial: boolean;
  frame: string;
  reference: [number, number];
  peak_in_disk: number;
  global_max: number;
  peak_offset: number;
  differing_pixels: number;
  total: number;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function gridOf(manifest: PreviewManifest): TanGrid {
  const { naxis, crval, crpix, cdelt } = manifest.countsMap;
  return {
    naxis1: naxis[0],
    naxis2: naxis[1],
    crval1: crval[0],
    crval2: crval[1],
    crpix1: crpix[0],
    crpix2: crpix[1],
    cdelt1: cdelt[0],
    cdelt2: cdelt[1],
  };
}

/** Every event is counted once in each preview; the PNGs have the sizes they should. */
function checkSums(dir: string, manifest: PreviewManifest, events: number): void {
  assert.equal(manifest.eventCount, events);
  assert.equal(sum(manifest.energy.counts) + manifest.energy.unbinned, events);
  assert.equal(manifest.energy.unbinned, 0);
  assert.equal(sum(manifest.lightCurve.counts) + manifest.lightCurve.outside, events);
  assert.equal(manifest.countsMap.total + manifest.countsMap.outside, events);
  const edges = manifest.energy.edgesTeV;
  for (let i = 1; i < edges.length; i++) {
    assert.ok(Math.abs(Math.log10(edges[i]! / edges[i - 1]!) - 0.1) < 1e-9, 'ten bins per decade');
  }
  const place = countsMapPlacement(gridOf(manifest));
  const map = pngSize(readFileSync(join(dir, 'counts.png')));
  assert.ok(map.width > place.left + place.size && map.height > place.top + place.size);
  assert.ok(place.size >= 400 && place.size <= 480, `map drawn ${place.size} px wide`);
  for (const plot of ['energy.png', 'lightcurve.png']) {
    assert.deepEqual(pngSize(readFileSync(join(dir, plot))), { width: 720, height: 480 });
  }
}

/** The map pixels in the PNG have the colour of their counts (where no grid line crosses). */
async function checkPngMatchesFits(dir: string, manifest: PreviewManifest): Promise<void> {
  const grid = gridOf(manifest);
  const counts = (await readFits(join(dir, 'counts.fits'))).image(0).read();
  const png = decodePng(readFileSync(join(dir, 'counts.png')));
  const { left, top, scale } = countsMapPlacement(grid);
  let peak = 0;
  for (const c of counts) peak = Math.max(peak, Number(c));
  let same = 0;
  let compared = 0;
  for (let row = 0; row < grid.naxis2; row += 3) {
    for (let column = 0; column < grid.naxis1; column += 3) {
      const c = Number(counts[row * grid.naxis1 + column]);
      const x = left + column * scale + (scale >> 1);
      const y = top + (grid.naxis2 - 1 - row) * scale + (scale >> 1);
      compared++;
      if (png.pixel(x, y).join() === inferno(Math.sqrt(c / peak)).join()) same++;
    }
  }
  assert.ok(same > 0.95 * compared, `${same} of ${compared} sampled map pixels have their colour`);
}

async function checkWithAstropy(
  t: TestContext,
  dir: string,
  eventsPath: string,
  source: readonly [number, number],
  pointing: readonly [number, number],
): Promise<AstropyCheck | undefined> {
  if (!requireAstropy(t)) return undefined;
  const check = runPythonJson<AstropyCheck>(ASTROPY_CHECK, [
    join(dir, 'counts.fits'),
    eventsPath,
    String(source[0]),
    String(source[1]),
  ]);
  assert.equal(check.header.CTYPE1, 'RA---TAN');
  assert.equal(check.header.CTYPE2, 'DEC--TAN');
  assert.equal(check.header.CUNIT1, 'deg');
  assert.equal(check.header.RADESYS, 'ICRS');
  assert.equal(check.header.EQUINOX, 2000);
  assert.equal(check.header.BUNIT, 'count');
  assert.ok(check.celestial);
  assert.equal(check.frame, 'icrs');
  assert.ok(Math.abs(check.reference[0] - pointing[0]) < 1e-9, `CRPIX at RA ${check.reference[0]}`);
  assert.ok(
    Math.abs(check.reference[1] - pointing[1]) < 1e-9,
    `CRPIX at Dec ${check.reference[1]}`,
  );
  // The source is the hot spot: the brightest pixel near it is the brightest of the map.
  assert.equal(check.peak_in_disk, check.global_max);
  assert.ok(check.peak_offset < 0.1, `brightest pixel ${check.peak_offset}° from the source`);
  assert.equal(check.differing_pixels, 0);
  return check;
}

test('H.E.S.S. Crab run 23523: the Crab is the hot spot 0.5° from the pointing', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store) return;
  const run = join(store, 'data', 'hess_dl3_dr1_obs_id_023523.fits.gz');
  const dir = tempDir(t);
  const manifest = await writePreviews(run, join(dir, 'previews.json'));
  const events = (await scanHdus(run)).find((h) => h.name === 'EVENTS')!.header;
  checkSums(dir, manifest, events.getInteger('NAXIS2')!);
  assert.equal(manifest.obsId, '23523');
  const pointing = [events.getNumber('RA_PNT')!, events.getNumber('DEC_PNT')!] as const;
  assert.deepEqual(manifest.countsMap.crval, pointing);
  await checkPngMatchesFits(dir, manifest);
  const check = await checkWithAstropy(t, dir, run, CRAB, pointing);
  if (!check) return;
  assert.equal(check.header.OBS_ID, 23523);
  assert.equal(check.header['DATE-OBS'], '2004-12-04T22:07:06.000');
  assert.equal(check.total, manifest.countsMap.total);
});

test('a simulated run: the source is the hot spot 0.5° from the pointing', async (t) => {
  const storeDir = join(tempDir(t), 'store');
  const [run] = await simulateDataStore({
    outDir: storeDir,
    observations: 1,
    seed: 5,
    eventsPerObservation: 3000,
  });
  const path = join(storeDir, run!.fileName);
  const dir = tempDir(t);
  const manifest = await writePreviews(path, join(dir, 'previews.json'));
  checkSums(dir, manifest, run!.eventCount);
  const header = (await scanHdus(path)).find((h) => h.name === 'EVENTS')!.header;
  const source = [header.getNumber('RA_OBJ')!, header.getNumber('DEC_OBJ')!] as const;
  const pointing = [header.getNumber('RA_PNT')!, header.getNumber('DEC_PNT')!] as const;
  await checkPngMatchesFits(dir, manifest);
  await checkWithAstropy(t, dir, path, source, pointing);
});

test('a list longer than one read batch, energies in GeV, three GTIs with gaps', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'events.fits');
  const gtis = [
    [1000, 1600],
    [1900, 2500],
    [3100, 3700],
  ] as const;
  await writeSyntheticEventList(path, {
    events: 150_000,
    sourceFraction: 0.05,
    pointing: [10, -60],
    source: [10, -59.5],
    gtis,
    energyUnit: 'GeV',
  });
  const manifest = await writePreviews(path, join(dir, 'previews.json'));
  checkSums(dir, manifest, 150_000);
  // Drawn in TeV from 0.1 TeV: the first edge is 0.1 TeV, not 100.
  assert.equal(manifest.energy.edgesTeV[0], 0.1);
  // Each GTI is cut into bins of its own: no bin reaches into a gap.
  const { starts, stops, exposure, outside } = manifest.lightCurve;
  assert.equal(starts[0], 1000);
  assert.equal(stops[stops.length - 1], 3700);
  starts.forEach((start, i) => {
    const gti = gtis.find(([a, b]) => start >= a && stops[i]! <= b);
    assert.ok(gti, `bin ${start}-${stops[i]} lies in a GTI`);
    assert.ok(Math.abs(exposure[i]! - (stops[i]! - start)) < 1e-6);
  });
  assert.ok(Math.abs(sum(exposure) - 1800) < 1e-6);
  assert.equal(outside, 0);
  await checkWithAstropy(t, dir, path, [10, -59.5], [10, -60]);
});
