/**
 * The TAN projection of counts maps against astropy.wcs (wcslib): the same pixel
 * for the same sky position, near the pole and across RA = 0 too; and the way
 * back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  centredGrid,
  pixelIndex,
  pixelToWorld,
  type TanGrid,
  worldToPixel,
} from '../../src/preview/wcs.js';
import { requireAstropy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';

const GRIDS: readonly TanGrid[] = [
  centredGrid(83.6333, 21.5144, 234, 0.03),
  centredGrid(0.2, -30, 100, 0.1),
  centredGrid(200, 86, 80, 0.25),
];

/** Sky positions around a grid's centre, within 0.7 of its half-width. */
function positionsAround(grid: TanGrid): [number, number][] {
  const positions: [number, number][] = [];
  const reach = 0.7 * grid.naxis1 * grid.cdelt2;
  for (let i = -3; i <= 3; i++) {
    for (let j = -3; j <= 3; j++) {
      positions.push(
        pixelToWorld(
          grid,
          grid.crpix1 + (i * reach) / 3 / grid.cdelt2,
          grid.crpix2 + (j * reach) / 3 / grid.cdelt2,
        ),
      );
    }
  }
  return positions;
}

test('world to pixel and back returns the position', () => {
  for (const grid of GRIDS) {
    for (const [ra, dec] of positionsAround(grid)) {
      const p = worldToPixel(grid, ra, dec)!;
      const [ra2, dec2] = pixelToWorld(grid, p[0], p[1]);
      const dRa = ((ra2 - ra + 540) % 360) - 180;
      assert.ok(
        Math.abs(dRa * Math.cos((dec * Math.PI) / 180)) < 1e-9 && Math.abs(dec2 - dec) < 1e-9,
      );
    }
    assert.deepEqual(pixelToWorld(grid, grid.crpix1, grid.crpix2), [grid.crval1, grid.crval2]);
  }
  const grid = GRIDS[0]!;
  assert.equal(worldToPixel(grid, grid.crval1 + 180, -grid.crval2), undefined);
  assert.deepEqual(pixelIndex(grid, grid.crval1, grid.crval2), [117, 117]);
  assert.equal(pixelIndex(grid, grid.crval1, grid.crval2 + 10), undefined);
});

test('pixels agree with astropy.wcs to 1e-8 pixel', (t) => {
  if (!requireAstropy(t)) return;
  const cases = GRIDS.map((grid) => ({ grid, positions: positionsAround(grid) }));
  const astropy = runPythonJson<number[][][]>(
    `
import json, sys
from astropy.wcs import WCS
out = []
for case in json.loads(sys.argv[1]):
    g = case['grid']
    w = WCS(naxis=2)
    w.wcs.ctype = ['RA---TAN', 'DEC--TAN']
    w.wcs.crval = [g['crval1'], g['crval2']]
    w.wcs.crpix = [g['crpix1'], g['crpix2']]
    w.wcs.cdelt = [g['cdelt1'], g['cdelt2']]
    w.wcs.radesys = 'ICRS'
    out.append(w.wcs_world2pix(case['positions'], 1).tolist())
print(json.dumps(out))
`,
    [JSON.stringify(cases)],
  );
  cases.forEach(({ grid, positions }, k) => {
    positions.forEach(([ra, dec], i) => {
      const ours = worldToPixel(grid, ra, dec)!;
      const theirs = astropy[k]![i]!;
      assert.ok(
        Math.abs(ours[0] - theirs[0]!) < 1e-8 && Math.abs(ours[1] - theirs[1]!) < 1e-8,
        `${ra},${dec}: ${ours} vs ${theirs}`,
      );
    });
  });
});
