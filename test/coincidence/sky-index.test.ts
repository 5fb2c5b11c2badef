/**
 * The coincidence search's probability inside a field of view is the sum over the cells
 * whose centres lie inside it, as testing every cell finds it: random convex polygons and
 * discs on multi-order skymaps, including fields of view across RA 0/360 and about the poles.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ProbabilityMap, probabilityMap } from '../../src/alerts/index.js';
import {
  FieldsOfView,
  type ObservationFootprint,
  searchCoincidences,
  SkyIndex,
} from '../../src/coincidence/index.js';
import { offsetPosition } from '../../src/gadf/index.js';
import { cellCentreVector, decodeUniq, unitVector } from '../../src/moc/index.js';
import { simulateSkymapCells } from '../../src/sim/skymap.js';

/** Skymaps whose fine cells lie across RA 0/360, about the north pole and about the south pole. */
const MAPS = [
  { ra: 0, dec: 0 },
  { ra: 45, dec: 88 },
  { ra: 200, dec: -89 },
].map(({ ra, dec }) => {
  const cells = simulateSkymapCells({ ra, dec, sigma: 4, coarseOrder: 3, fineOrder: 7 });
  const map = probabilityMap(cells.uniq, cells.density);
  return { map, index: new SkyIndex(map) };
});

const WINDOW = { tEvent: 60000, before: 1, after: 1 };

/** Every cell centre tested against the field of view: the polygon's great-circle edges, or the disc. */
function bruteForce(map: ProbabilityMap, obs: ObservationFootprint): number {
  const v = new Float64Array(3);
  const inside = ((): ((x: number, y: number, z: number) => boolean) => {
    if (obs.polygon) {
      const corners: [number, number, number][] = [];
      for (let i = 0; i < obs.polygon.length; i += 2)
        corners.push(unitVector(obs.polygon[i] as number, obs.polygon[i + 1] as number));
      const mean = corners.reduce((m, c) => [m[0] + c[0], m[1] + c[1], m[2] + c[2]], [0, 0, 0]);
      const normals = corners.map((a, i) => {
        const b = corners[(i + 1) % corners.length] as [number, number, number];
        const n = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
        const side = Math.sign(n[0]! * mean[0] + n[1]! * mean[1] + n[2]! * mean[2]);
        return n.map((x) => x * side) as [number, number, number];
      });
      return (x, y, z) => normals.every((n) => n[0] * x + n[1] * y + n[2] * z >= 0);
    }
    const [cx, cy, cz] = unitVector(obs.ra!, obs.dec!);
    const cosR = Math.cos((obs.fovRadius! * Math.PI) / 180);
    return (x, y, z) => x * cx + y * cy + z * cz >= cosR;
  })();
  let sum = 0;
  for (let i = 0; i < map.uniq.length; i++) {
    const { order, ipix } = decodeUniq(map.uniq[i] as number);
    cellCentreVector(order, ipix, v);
    if (inside(v[0] as number, v[1] as number, v[2] as number)) sum += map.prob[i] as number;
  }
  return sum;
}

/** Centres anywhere, within 4° of RA 0/360, or within 6° of a pole (polygons are drawn around one, so not on it). */
const near = fc.oneof(
  fc.record({
    ra: fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
    dec: fc.double({ min: -89.9, max: 89.9, noNaN: true }),
  }),
  fc.record({
    ra: fc.oneof(
      fc.double({ min: 356, max: 360, maxExcluded: true, noNaN: true }),
      fc.double({ min: 0, max: 4, noNaN: true }),
    ),
    dec: fc.double({ min: -30, max: 30, noNaN: true }),
  }),
  fc.record({
    ra: fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
    dec: fc.oneof(
      fc.double({ min: 84, max: 89.9, noNaN: true }),
      fc.double({ min: -89.9, max: -84, noNaN: true }),
    ),
  }),
);

/** Discs may also be centred on a pole. */
const centre = fc.oneof(near, fc.record({ ra: fc.constant(0), dec: fc.constantFrom(90, -90) }));

/** A convex polygon inscribed in a circle (corners whole degrees apart plus a turn, no gap of 170° or more), or a disc. */
const fieldOfView = fc.oneof(
  fc
    .record({
      centre: near,
      radius: fc.double({ min: 0.3, max: 8, noNaN: true }),
      turn: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      angles: fc
        .uniqueArray(fc.integer({ min: 0, max: 359 }), { minLength: 3, maxLength: 12 })
        .map((a) => [...a].sort((x, y) => x - y))
        .filter((a) =>
          a.every((x, i) => ((a[(i + 1) % a.length] as number) - x + 360) % 360 < 170),
        ),
    })
    .map(({ centre: c, radius, turn, angles }) => ({
      polygon: angles.flatMap((pa) => offsetPosition(c.ra, c.dec, radius, pa + turn)),
    })),
  fc
    .record({ centre, radius: fc.double({ min: 0.3, max: 8, noNaN: true }) })
    .map(({ centre: c, radius }) => ({
      ra: c.ra,
      dec: c.dec,
      fovRadius: radius,
    })),
);

const runsOf = (fovs: readonly Omit<ObservationFootprint, 'did' | 'obsId' | 'gtis' | 'deadc'>[]) =>
  fovs.map((fov, i): ObservationFootprint => ({
    did: `ivo://test/obs?${i}`,
    obsId: String(i),
    ...fov,
    gtis: [[WINDOW.tEvent - 0.1, WINDOW.tEvent + 0.1]],
    deadc: 1,
  }));

test('the probability inside random fields of view is the sum over the cells whose centres are inside', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.array(fieldOfView, { minLength: 1, maxLength: 4 }),
      (m, fovs) => {
        const { map, index } = MAPS[m]!;
        const runs = runsOf(fovs);
        const found = new Map(
          searchCoincidences(index, runs, WINDOW).map((c) => [c.observation.did, c.prob]),
        );
        for (const run of runs) {
          const expected = bruteForce(map, run);
          const prob = found.get(run.did) ?? 0;
          assert.ok(
            Math.abs(prob - expected) <= 1e-10 * expected,
            `${JSON.stringify(run)}: ${prob}, every cell tested: ${expected}`,
          );
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('kept fields of view searched again, with each skymap in turn, answer as fields made afresh', () => {
  fc.assert(
    fc.property(fc.array(fieldOfView, { minLength: 1, maxLength: 4 }), (fovs) => {
      const runs = runsOf(fovs);
      const kept = new FieldsOfView(runs);
      for (const round of [1, 2]) {
        for (const { index } of MAPS) {
          assert.deepEqual(
            searchCoincidences(index, kept, WINDOW),
            searchCoincidences(index, runs, WINDOW),
            `round ${round}`,
          );
        }
      }
    }),
    { numRuns: 50 },
  );
});
