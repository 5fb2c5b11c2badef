/**
 * The compile-time HEALPix of src/adql/healpix.ts: the same cells and centres as
 * astropy-healpix (values pinned in healpix.test.ts), cone cell ranges that never miss a
 * point of the cone, interior cells that hold only points of the cone, and the cell
 * prefilter in the SQL only where a table stores cells.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileAdql } from '../../src/adql/index.js';
import {
  CELL_RADIUS_BOUND,
  coneCellRanges,
  coneInteriorCellRanges,
  healpixNestedCenter,
  healpixNestedIndex,
} from '../../src/adql/healpix.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import { publishedSchema } from '../../src/obscore/schema.js';

/** [order, ra, dec, nested index, centre ra, centre dec], from astropy-healpix 0.6. */
const pinned: readonly (readonly [number, number, number, number, number, number])[] = [
  [10, 22.86435217072281, -90.0, 8388608, 45.0, -89.95431463934247],
  [10, 284.55231058851047, 41.8103148958, 3827353, 284.5458984375, 41.810314895778596],
  [10, 67.94798384292774, -41.8103148958, 8759961, 67.9833984375, -41.810314895778596],
  [8, 31.013996928326307, 40.985673430455364, 39222, 31.113281250000004, 41.01449966573052],
  [3, 181.10369854690632, 41.8103148958, 170, 185.62499999999997, 41.810314895778596],
  [16, 86.86482318756771, -83.50148956616447, 34427247345, 86.86909210815564, -83.50205884374897],
  [13, 173.5855254224517, -41.8103148958, 626615658, 173.5894775390625, -41.810314895778596],
  [0, 313.89206166373543, 80.87863072099191, 3, 315.0, 41.810314895778596],
  [13, 329.89587335789565, 62.06263682279902, 256601285, 329.89161849710985, 62.06154622427917],
];

const rad = Math.PI / 180;
const separation = (ra1: number, dec1: number, ra2: number, dec2: number): number =>
  2 *
  Math.asin(
    Math.sqrt(
      Math.sin(((dec2 - dec1) * rad) / 2) ** 2 +
        Math.cos(dec1 * rad) * Math.cos(dec2 * rad) * Math.sin(((ra2 - ra1) * rad) / 2) ** 2,
    ),
  );

/** The point `distance` degrees from (ra, dec) in the direction `angle` (deg, from north). */
function pointAt(ra: number, dec: number, distance: number, angle: number): [number, number] {
  const r = distance * rad;
  const [d0, a0, pa] = [dec * rad, ra * rad, angle * rad];
  const pdec = Math.asin(Math.sin(d0) * Math.cos(r) + Math.cos(d0) * Math.sin(r) * Math.cos(pa));
  const pra =
    a0 +
    Math.atan2(
      Math.sin(pa) * Math.sin(r) * Math.cos(d0),
      Math.cos(r) - Math.sin(d0) * Math.sin(pdec),
    );
  return [pra / rad, pdec / rad];
}

test('cells and centres match astropy-healpix', () => {
  for (const [order, ra, dec, index, cra, cdec] of pinned) {
    assert.equal(healpixNestedIndex(order, ra, dec), index, `${order} ${ra} ${dec}`);
    const [a, d] = healpixNestedCenter(order, index);
    assert.ok(Math.abs(a - cra) < 1e-9 && Math.abs(d - cdec) < 1e-9, `${a} ${d}`);
  }
  assert.throws(() => healpixNestedIndex(30, 0, 0), /order must be an integer from 0 to 24/);
});

test('no point of a cell lies farther from its centre than the bound the cones use', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 14 }),
      fc.double({ min: 0, max: 360, noNaN: true, maxExcluded: true }),
      fc.double({ min: -1, max: 1, noNaN: true }),
      (order, ra, z) => {
        const dec = Math.asin(z) / rad;
        const [cra, cdec] = healpixNestedCenter(order, healpixNestedIndex(order, ra, dec));
        return separation(ra, dec, cra, cdec) * 2 ** order < CELL_RADIUS_BOUND;
      },
    ),
    { numRuns: 20_000 },
  );
});

test('the cell ranges of a cone hold every point of the cone', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 360, noNaN: true, maxExcluded: true }),
      fc.double({ min: -90, max: 90, noNaN: true }),
      fc.double({ min: 0.01, max: 20, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 360, noNaN: true }),
      (ra, dec, radius, fraction, angle) => {
        const ranges = coneCellRanges(8, { ra, dec, radius });
        assert.ok(ranges && ranges.length <= 48);
        const [pra, pdec] = pointAt(ra, dec, radius * fraction, angle);
        const cell = healpixNestedIndex(8, pra, pdec);
        return ranges.some(([lo, hi]) => lo <= cell && cell <= hi);
      },
    ),
    { numRuns: 5_000 },
  );
  assert.equal(coneCellRanges(8, { ra: 10, dec: 95, radius: 1 }), undefined);
  assert.deepEqual(coneCellRanges(8, { ra: 10, dec: 0, radius: 180 }), [[0, 12 * 4 ** 8 - 1]]);
});

test('the interior cells of a cone hold only points of the cone, and cover much of a large one', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 360, noNaN: true, maxExcluded: true }),
      fc.double({ min: -90, max: 90, noNaN: true }),
      fc.double({ min: 0.05, max: 5, noNaN: true }),
      fc.double({ min: 0.5, max: 1.2, noNaN: true }),
      fc.double({ min: 0, max: 360, noNaN: true }),
      (ra, dec, radius, fraction, angle) => {
        const inside = coneInteriorCellRanges(8, { ra, dec, radius });
        // Up to beyond the edge.
        const [pra, pdec] = pointAt(ra, dec, radius * fraction, angle);
        const cell = healpixNestedIndex(8, pra, pdec);
        const interior = inside.some(([lo, hi]) => lo <= cell && cell <= hi);
        return !interior || separation(ra, dec, pra, pdec) <= radius * rad;
      },
    ),
    { numRuns: 5_000 },
  );
  // A 1 deg cone: cells of 0.23 deg wholly inside it cover well over a third of it.
  const cells = coneInteriorCellRanges(8, { ra: 83.6, dec: 22, radius: 1 }).reduce(
    (n, [lo, hi]) => n + hi - lo + 1,
    0,
  );
  const cellArea = (4 * Math.PI) / (12 * 4 ** 8);
  assert.ok((cells * cellArea) / (Math.PI * (1 * rad) ** 2) > 0.35, `${cells} cells`);
  assert.deepEqual(coneInteriorCellRanges(8, { ra: 10, dec: 95, radius: 1 }), []);
});

test('the compiler adds the cell test only on a table that stores cells of those columns', () => {
  const cell = /"healpix_index" (=|BETWEEN)/;
  for (const dialect of [duckDbDialect, postgresDialect]) {
    const sql = (adql: string): string => compileAdql(adql, publishedSchema, dialect).sql;
    assert.match(
      sql(
        "SELECT COUNT(*) FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.6, 22, 0.5))",
      ),
      cell,
    );
    assert.match(
      sql('SELECT COUNT(*) FROM hearc.events AS e WHERE DISTANCE(e.ra, e.dec, 83.6, 22) < 0.5'),
      cell,
    );
    // Not the pointing of ObsCore, not swapped columns, not a cone of variables.
    assert.doesNotMatch(
      sql(
        "SELECT obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 83.6, 22, 0.5))",
      ),
      cell,
    );
    assert.doesNotMatch(
      sql(
        "SELECT COUNT(*) FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', dec, ra), CIRCLE('ICRS', 83.6, 22, 0.5))",
      ),
      cell,
    );
    assert.doesNotMatch(
      sql(
        "SELECT COUNT(*) FROM hearc.events AS e JOIN ivoa.obscore AS o ON o.obs_publisher_did = e.obs_publisher_did WHERE 1 = CONTAINS(POINT('ICRS', e.ra, e.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.5))",
      ),
      cell,
    );
  }
});
