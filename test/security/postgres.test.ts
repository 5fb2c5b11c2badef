/**
 * hearc.irf rows filtered by access rights on a PostgreSQL catalog: the same routes as
 * the DuckDB matrix (plain, join, subquery, aggregate, derived table, CTE) for members,
 * outsiders and anonymous callers, before and after the release date.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshPostgres } from '../uws/fixtures.js';
import { AFTER, BEFORE, irfQueryRoutes, securedStore, tap } from './fixtures.js';

test('hearc.irf rows are filtered on PostgreSQL too', { timeout: 300_000 }, async (t) => {
  const database = await freshPostgres(t);
  if (!database) return;
  const store = await securedStore(t, { catalog: database.url });
  // Registered last: runs once the server and the engine are closed.
  t.after(() => database.drop());
  const { address, closedDid, openDid, callers } = store;
  const entitled = new Set(['right group (API token)', 'right group (OIDC)']);
  const queries = irfQueryRoutes(store.closedObsId);

  for (const [phase, now] of [
    ['before release', BEFORE],
    ['after release', AFTER],
  ] as const) {
    store.setNow(now);
    for (const caller of ['anonymous', 'wrong group (API token)', ...entitled]) {
      const granted = phase === 'after release' || entitled.has(caller);
      for (const [route, query] of Object.entries(queries)) {
        const result = await tap(address, callers[caller]!, query);
        const cell = `${phase}, ${caller}, ${route}`;
        assert.equal(result.status, 200, `${cell}: ${result.text}`);
        if (route.endsWith('aggregate')) {
          const count = Number(result.text.trim().split(/\r?\n/)[1]);
          assert.ok(granted ? count > 0 : count === 0, `${cell}: ${count}`);
          continue;
        }
        assert.equal(result.text.includes(closedDid), granted, `${cell}: ${result.text}`);
        assert.ok(result.text.includes(openDid), `${cell}: public rows stay`);
      }
    }
  }
});
