import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mjdToTick, normalizeRanges, timeMocFromMjdIntervals } from '../../src/moc/time-moc.js';

test('MJD converts to depth-61 ticks of microseconds since JD 0', () => {
  // MJD 0 = JD 2400000.5
  assert.equal(mjdToTick(0), 2400000n * 86_400_000_000n + 43_200_000_000n);
  assert.equal(mjdToTick(1) - mjdToTick(0), 86_400_000_000n);
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

test('a time MOC covers exactly the intervals, in the largest aligned cells', () => {
  const moc = timeMocFromMjdIntervals([
    [60000, 60000.5],
    [60001, 60001.25],
  ]);
  assert.match(moc, /^t\d+\//);
  // Sum the cells back up: the covered duration must be 0.75 days exactly.
  let covered = 0n;
  const tokens = moc.slice(1).split(' ');
  let depth = 61;
  for (const token of tokens) {
    const [d, rest] = token.includes('/') ? token.split('/') : [String(depth), token];
    depth = Number(d);
    if (!rest) continue;
    const [a, b] = rest.split('-');
    const count = BigInt(b ?? a ?? '0') - BigInt(a ?? '0') + 1n;
    covered += count << BigInt(61 - depth);
  }
  assert.equal(covered, 75n * 864_000_000n);
});
