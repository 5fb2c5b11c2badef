/**
 * hearc.events joined with a TAP_UPLOAD table: the upload may name a proprietary
 * observation, but its events reach only callers who may read it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { votableText } from '../tap/upload-cases.js';
import { AFTER, BEFORE, securedStore } from './fixtures.js';

test('an upload naming a proprietary observation does not reach its events', async (t) => {
  const store = await securedStore(t);
  const { address, closedDid, openDid, callers } = store;
  const upload = await votableText(
    [{ name: 'did', datatype: 'char', arraysize: '*' }],
    [[closedDid], [openDid]],
  );
  const query =
    'SELECT u.did, COUNT(*) AS n FROM TAP_UPLOAD.wanted AS u JOIN hearc.events AS e ON e.obs_publisher_did = u.did GROUP BY u.did';
  const rowsFor = async (caller: string): Promise<string[]> => {
    const form = new FormData();
    form.append('LANG', 'ADQL');
    form.append('RESPONSEFORMAT', 'csv');
    form.append('QUERY', query);
    form.append('UPLOAD', 'wanted,param:w');
    form.append('w', new Blob([upload], { type: 'application/x-votable+xml' }), 'w.vot');
    const response = await fetch(`${address}/tap/sync`, {
      method: 'POST',
      headers: callers[caller],
      body: form,
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return text.trim().split(/\r?\n/).slice(1).sort();
  };
  for (const [phase, now] of [
    ['before release', BEFORE],
    ['after release', AFTER],
  ] as const) {
    store.setNow(now);
    for (const caller of ['anonymous', 'wrong group (API token)', 'right group (API token)']) {
      const rows = await rowsFor(caller);
      const granted = phase === 'after release' || caller === 'right group (API token)';
      assert.equal(
        rows.some((r) => r.includes(closedDid)),
        granted,
        `${phase}, ${caller}: ${rows}`,
      );
      assert.ok(
        rows.some((r) => r.includes(openDid)),
        `${phase}, ${caller}: public events stay`,
      );
    }
  }
});
