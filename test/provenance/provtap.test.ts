/**
 * ProvTAP: the provenance tables answer ADQL on both engines, including a join from
 * ivoa.obscore to the activity that generated each dataset, and TAP_SCHEMA lists them.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Engine } from '../../src/engine/types.js';
import { requirePostgres } from '../adql/engines.js';
import { HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { tapRows } from '../helpers/tap.js';

async function checkProvTap(t: TestContext, catalog?: () => Promise<Engine>): Promise<void> {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir) return;
  const { address } = await serveStore(t, dir, HESS_COLLECTION, catalog);

  const tables = await tapRows(
    address,
    "SELECT table_name FROM tap_schema.tables WHERE schema_name = 'provenance' ORDER BY table_name",
  );
  assert.deepEqual(
    tables.map((r) => r.table_name),
    [
      'activity',
      'activitydescription',
      'agent',
      'entity',
      'parameter',
      'used',
      'wasassociatedwith',
      'wasattributedto',
      'wasderivedfrom',
      'wasgeneratedby',
    ].map((n) => `provenance.${n}`),
  );

  // From each dataset to the activity that generated it, and what kind of activity it is.
  const generated = await tapRows(
    address,
    `SELECT o.obs_id, a.id AS activity, a.start_time, d.name AS kind
     FROM ivoa.obscore AS o
     JOIN provenance.wasgeneratedby AS g ON g.entity_id = o.obs_publisher_did
     JOIN provenance.activity AS a ON a.id = g.activity_id
     JOIN provenance.activitydescription AS d ON d.id = a.activitydescription_id
     ORDER BY o.obs_id`,
  );
  const datasets = await tapRows(address, 'SELECT COUNT(*) AS n FROM ivoa.obscore');
  assert.equal(generated.length, Number(datasets[0]!.n));
  const first = generated.find((r) => r.obs_id === '23523');
  assert.equal(first?.activity, '/activity/ingest/hess-dr1/23523');
  assert.equal(first?.kind, 'hearc ingest');
  assert.match(String(first?.start_time), /^\d{4}-\d{2}-\d{2}T/);

  // What the files' headers say, per observation, and who is responsible.
  const creators = await tapRows(
    address,
    `SELECT p.value, COUNT(*) AS n FROM provenance.parameter AS p
     WHERE p.name = 'CREATOR' GROUP BY p.value`,
  );
  assert.ok(creators.length > 0 && creators.every((r) => Number(r.n) > 0));
  const agents = await tapRows(
    address,
    `SELECT DISTINCT ag.name, w.role FROM provenance.wasassociatedwith AS w
     JOIN provenance.agent AS ag ON ag.id = w.agent_id WHERE w.role = 'instrument'`,
  );
  assert.deepEqual(
    agents.map((r) => r.name),
    ['HESS H.E.S.S. Phase I'],
  );
  const derived = await tapRows(
    address,
    `SELECT COUNT(*) AS n FROM provenance.wasderivedfrom AS d
     JOIN provenance.entity AS e ON e.id = d.used_entity_id WHERE e.type = 'file'`,
  );
  assert.ok(Number(derived[0]!.n) >= generated.length);
}

test('ProvTAP on DuckDB', { timeout: 600_000 }, async (t) => {
  await checkProvTap(t);
});

test('ProvTAP on PostgreSQL', { timeout: 600_000 }, async (t) => {
  if (!requirePostgres(t)) return;
  await checkProvTap(t, () => freshPostgresCatalog('hearc_provtap'));
});
