/** The compile-time declination bands of constant polygons, checked by sampling their edges. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boxCorners, polygonDeclinationBand } from '../../src/adql/sphere.js';

const rad = Math.PI / 180;

/** Declinations along the great-circle arc between two positions (spherical interpolation). */
function arcSamples(ra1: number, dec1: number, ra2: number, dec2: number, steps = 400): number[] {
  const v = (ra: number, dec: number): number[] => [
    Math.cos(dec * rad) * Math.cos(ra * rad),
    Math.cos(dec * rad) * Math.sin(ra * rad),
    Math.sin(dec * rad),
  ];
  const a = v(ra1, dec1);
  const b = v(ra2, dec2);
  const omega = Math.acos(
    Math.min(
      1,
      Math.max(
        -1,
        a.reduce((s, x, i) => s + x * (b[i] as number), 0),
      ),
    ),
  );
  if (omega < 1e-12) return [dec1];
  return Array.from({ length: steps + 1 }, (_, k) => {
    const t = k / steps;
    const p = a.map(
      (x, i) =>
        (Math.sin((1 - t) * omega) * x + Math.sin(t * omega) * (b[i] as number)) / Math.sin(omega),
    );
    return Math.atan2(p[2] as number, Math.hypot(p[0] as number, p[1] as number)) / rad;
  });
}

test('the band contains every edge point and is tight when no pole is enclosed', () => {
  const polygon = fc
    .tuple(
      fc.double({ min: 0, max: 360, noNaN: true }),
      fc.double({ min: -80, max: 80, noNaN: true }),
      fc.double({ min: 0.5, max: 30, noNaN: true }),
      fc.integer({ min: 3, max: 7 }),
    )
    .map(([ra, dec, size, n]) =>
      Array.from({ length: n }, (_, i) => {
        const angle = (2 * Math.PI * i) / n;
        // A convex ring around (ra, dec), opened up in RA away from the equator.
        return [
          ra + (size * Math.cos(angle)) / Math.max(0.2, Math.cos(dec * rad)),
          Math.max(-89.9, Math.min(89.9, dec + size * Math.sin(angle))),
        ];
      }).flat(),
    );
  fc.assert(
    fc.property(polygon, (coords) => {
      const band = polygonDeclinationBand(coords);
      assert.ok(band);
      const [low, high] = band;
      let seenLow = 90;
      let seenHigh = -90;
      for (let i = 0; i < coords.length; i += 2) {
        const j = (i + 2) % coords.length;
        for (const d of arcSamples(
          coords[i] as number,
          coords[i + 1] as number,
          coords[j] as number,
          coords[j + 1] as number,
        )) {
          assert.ok(
            d >= low - 1e-9 && d <= high + 1e-9,
            `edge point ${d} outside [${low}, ${high}]`,
          );
          seenLow = Math.min(seenLow, d);
          seenHigh = Math.max(seenHigh, d);
        }
      }
      if (high < 90)
        assert.ok(high - seenHigh < 1e-3, `band top ${high} above every edge point (${seenHigh})`);
      if (low > -90)
        assert.ok(seenLow - low < 1e-3, `band bottom ${low} below every edge point (${seenLow})`);
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('an edge between two points at the same declination bulges poleward', () => {
  const [low, high] = polygonDeclinationBand([0, 60, 90, 60, 45, 50]) ?? [0, 0];
  assert.ok(high > 65, `high ${high}`);
  assert.equal(Math.round(low * 1e9) / 1e9, 50);
});

test('a polygon around a pole reaches it; one across RA = 0 does not', () => {
  assert.deepEqual(polygonDeclinationBand([0, 80, 120, 80, 240, 80])?.[1], 90);
  assert.deepEqual(polygonDeclinationBand([0, -85, 90, -85, 180, -85, 270, -85])?.[0], -90);
  const across = polygonDeclinationBand([359, -1, 1, -1, 1, 1, 359, 1]) ?? [0, 0];
  assert.ok(across[0] > -1.01 && across[1] < 1.01);
});

test('BOX corners lie at half the width and height from the centre along the axes', () => {
  const corners = boxCorners(10, 20, 2, 2);
  assert.equal(corners.length, 8);
  const decs = corners.filter((_, i) => i % 2 === 1);
  assert.ok(decs.every((d) => Math.abs(Math.abs(d - 20) - 1) < 0.01));
});
