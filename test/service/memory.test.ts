/**
 * A server collects its start-up garbage once that work is done, in a process started
 * without --expose-gc (as `hearc serve` is), and leaves `gc` unexposed afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from '../../src/service/index.js';

test('collectGarbage frees what nothing holds, without --expose-gc, and exposes nothing', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  let garbage: object | undefined = { bytes: new Array(1000).fill(1) };
  const weak = new WeakRef(garbage);
  garbage = undefined;
  // A WeakRef holds its target until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  assert.equal(weak.deref(), undefined);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
});
