/**
 * Nested cell centres at every order: a cell's centre lies within its parent's reach of
 * the parent's centre, deep orders included (their in-face indices pass 2^31 and 2^32).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellCentreVector, cellRadius, HEALPIX_MAX_ORDER } from '../../src/moc/index.js';
import { Random } from '../../src/sim/random.js';

test('each cell centre lies within its parent cell, at every order', () => {
  const random = new Random(7);
  const child = new Float64Array(3);
  const parent = new Float64Array(3);
  for (let order = 1; order <= HEALPIX_MAX_ORDER; order++) {
    const cells = 12 * 4 ** order;
    for (let k = 0; k < 200; k++) {
      // Low indices of each face too: every bit pattern of the in-face index.
      const ipix =
        k < 24 ? Math.floor(k / 2) * 4 ** order + (k % 2) : Math.floor(random.uniform() * cells);
      cellCentreVector(order, ipix, child);
      cellCentreVector(order - 1, Math.floor(ipix / 4), parent);
      const dot = child[0]! * parent[0]! + child[1]! * parent[1]! + child[2]! * parent[2]!;
      const angle = Math.acos(Math.min(1, dot));
      assert.ok(
        angle <= cellRadius(order - 1),
        `order ${order} cell ${ipix}: ${angle} rad from its parent's centre`,
      );
    }
  }
});
