import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metToMjdUtc, mjdUtcToBarycentricJdTcb } from '../../src/gadf/time.js';
import {
  jdToTick,
  normalizeRanges,
  timeMocAscii,
  timeMocFromJdIntervals,
  timeMocJson,
  timeRangesFromAscii,
} from '../../src/moc/time-moc.js';
import { requireAstropy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';

test('JD converts to depth-61 ticks of microseconds since JD 0', () => {
  assert.equal(jdToTick(2400000.5), 2400000n * 86_400_000_000n + 43_200_000_000n);
  assert.equal(jdToTick(2460001.25) - jdToTick(2460000.25), 86_400_000_000n);
});

test('overlapping and touching ranges merge', () => {
  assert.deepEqual(
    normalizeRanges([
      [5n, 8n],
      [1n, 3n],
      [3n, 4n],
      [7n, 10n],
    ]),
    [
      [1n, 4n],
      [5n, 10n],
    ],
  );
});

/** Sums the cells of a MOC ASCII string back into a duration in ticks, checking the form. */
function coveredTicks(moc: string): bigint {
  assert.match(moc, /^t\d+\//);
  let covered = 0n;
  let depth = 61;
  for (const token of moc.slice(1).split(' ')) {
    const [d, rest] = token.includes('/') ? token.split('/') : [String(depth), token];
    depth = Number(d);
    if (!rest) continue;
    const [a, b] = rest.split('-');
    covered += (BigInt(b ?? a ?? '0') - BigInt(a ?? '0') + 1n) << BigInt(61 - depth);
  }
  return covered;
}

test('a time MOC covers exactly the intervals, in canonical form with the resolution stated', () => {
  const moc = timeMocFromJdIntervals([
    [2460000.5, 2460001],
    [2460001.5, 2460001.75],
  ]);
  assert.equal(coveredTicks(moc), 75n * 864_000_000n);
  // Day boundaries align with large cells, so no depth-61 cell: the '61/' terminator says the resolution.
  assert.match(moc, / 61\/$/);
  assert.equal(timeMocFromJdIntervals([]), 't61/');
});

test('a time MOC read back gives the ranges it was written from, at any alignment', () => {
  const ranges = normalizeRanges([
    [0n, 1n],
    [5n, 2n ** 40n + 3n],
    [jdToTick(2460000.5) + 7n, jdToTick(2460003.25)],
    [2n ** 61n - 2n ** 20n, 2n ** 61n],
  ]);
  assert.deepEqual(timeRangesFromAscii(timeMocAscii(ranges)), ranges);
  assert.deepEqual(timeRangesFromAscii(`\n ${timeMocAscii(ranges).replace(/ /g, '\t ')} `), ranges);
  // Cells beyond 2^53 are written exactly in JSON.
  assert.match(
    timeMocJson(ranges),
    new RegExp(`"61": \\[0, 5, \\d+, ${jdToTick(2460000.5) + 7n}\\]`),
  );
  // A depth-less cell in the ASCII form continues the depth before it.
  assert.deepEqual(timeRangesFromAscii('t60/1 3-4 61/'), [
    [2n, 4n],
    [6n, 10n],
  ]);
});

test('a malformed time MOC is refused with the token named', () => {
  for (const [bad, token] of [
    ['t61/1 2x', '2x'],
    ['t61/1 -3', '-3'],
    ['t61/5-', '61/5-'],
    ['t/4', '/4'],
  ] as const) {
    assert.throws(() => timeRangesFromAscii(bad), {
      message: new RegExp(`not a time MOC: '${token}'`),
    });
  }
  assert.throws(() => timeRangesFromAscii('t62/1'), /without a depth of at most 61/);
  assert.throws(() => timeRangesFromAscii('12'), /without a depth of at most 61/);
});

test('barycentric TCB JD agrees with astropy to within a few seconds', (t) => {
  if (!requireAstropy(t)) return;
  const cases = [
    [53343.92, 83.633, 22.0145],
    [56000.1, 329.717, -30.2256],
    [60500.7, 228.53, -59.16],
  ] as const;
  const expected = runPythonJson<number[]>(`
import json
from astropy.time import Time
from astropy.coordinates import SkyCoord, EarthLocation
import astropy.units as u
site = EarthLocation.from_geocentric(0, 0, 0, unit=u.m)
cases = ${JSON.stringify(cases)}
out = []
for mjd, ra, dec in cases:
    t = Time(mjd, format='mjd', scale='utc', location=site)
    ltt = t.light_travel_time(SkyCoord(ra, dec, unit='deg'), kind='barycentric', ephemeris='builtin')
    out.append((t.tcb + ltt).jd)
print(json.dumps(out))
`);
  cases.forEach(([mjd, ra, dec], i) => {
    const ours = mjdUtcToBarycentricJdTcb(mjd, ra, dec);
    const diffSeconds = Math.abs(ours - (expected[i] as number)) * 86400;
    assert.ok(diffSeconds < 5, `case ${i}: ${diffSeconds.toFixed(3)} s from astropy`);
  });
});

test('MET in UTC counts leap seconds, as astropy does (MAGIC: MJDREF 52706, three leap seconds by 2013)', (t) => {
  if (!requireAstropy(t)) return;
  const met = 333778852.435217;
  const expected = runPythonJson<number>(`
import json
from astropy.time import Time, TimeDelta
t = Time(52706, format='mjd', scale='utc') + TimeDelta(${met}, format='sec')
print(json.dumps(t.utc.mjd))
`);
  const ours = metToMjdUtc(met, { mjdRefInt: 52706, mjdRefFrac: 0, scale: 'UTC' });
  assert.ok(
    Math.abs(ours - expected) * 86400 < 1e-3,
    `${((ours - expected) * 86400).toFixed(4)} s from astropy`,
  );
});
