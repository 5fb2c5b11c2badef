/**
 * TAP over a PostgreSQL + pg_sphere catalog (what `hearc serve --db postgres://…`
 * runs): a representative subset of the sync, async, upload and FITS tests, and
 * taplint, on the real H.E.S.S. DR1 store in a fresh database dropped afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldDescription } from '../../src/votable/index.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { requirePostgres } from '../adql/engines.js';
import { HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { PYTHON, requireChecker, requireTestData } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { assertTaplintClean, requireTaplint } from './taplint-report.js';
import {
  assertAllTypesRoundTrip,
  assertNoUploadTablesLeft,
  syncUpload,
  votableText,
} from './upload-cases.js';

async function sync(base: string, params: Record<string, string>): Promise<Response> {
  return fetch(`${base}/tap/sync`, { method: 'POST', body: new URLSearchParams(params) });
}

const CONE =
  "SELECT obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 83.633, 22.014, 2)) ORDER BY obs_id";

test('TAP on PostgreSQL + pg_sphere', { timeout: 900_000 }, async (suite) => {
  const dir = requireTestData(suite, 'hess-dl3-dr1');
  if (!dir || !requirePostgres(suite)) return;
  const served = await serveStore(suite, dir, HESS_COLLECTION, () =>
    freshPostgresCatalog('hearc_tap'),
  );
  const csv = async (params: Record<string, string>): Promise<string[]> => {
    const response = await sync(served.address, { LANG: 'ADQL', RESPONSEFORMAT: 'csv', ...params });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return text.trimEnd().split('\r\n');
  };

  await suite.test('a cone search finds the Crab runs', async () => {
    assert.deepEqual(await csv({ QUERY: CONE }), ['obs_id', '23523', '23526', '23559', '23592']);
  });

  await suite.test('MAXREC truncates with OVERFLOW', async () => {
    const response = await sync(served.address, {
      LANG: 'ADQL',
      QUERY: 'SELECT obs_id FROM ivoa.obscore',
      MAXREC: '2',
    });
    assert.match(await response.text(), /<INFO name="QUERY_STATUS" value="OVERFLOW"/);
  });

  await suite.test('s_region is STC-S and works in geometry functions', async () => {
    const rows = await csv({
      QUERY:
        "SELECT TOP 1 s_region FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, CIRCLE('ICRS', 83.633, 22.014, 1))",
    });
    assert.match(rows[1] ?? '', /^"?POLYGON ICRS /);
  });

  await suite.test('ADQL errors and database errors are VOTable errors', async () => {
    const response = await sync(served.address, {
      LANG: 'ADQL',
      QUERY: 'SELECT nope FROM ivoa.obscore',
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /QUERY_STATUS" value="ERROR"/);
  });

  await suite.test('an uploaded table joins the catalog; its table is dropped', async () => {
    const fields: FieldDescription[] = [{ name: 'run', datatype: 'char', arraysize: '*' }];
    const response = await syncUpload(
      served.address,
      {
        LANG: 'ADQL',
        RESPONSEFORMAT: 'csv',
        UPLOAD: 'runs,param:runs',
        QUERY:
          'SELECT o.obs_id FROM TAP_UPLOAD.runs AS u JOIN ivoa.obscore AS o ON o.obs_id = u.run ORDER BY o.obs_id',
      },
      { runs: await votableText(fields, [['23523'], ['23592'], ['1']]) },
    );
    assert.equal(await response.text(), 'obs_id\r\n23523\r\n23592\r\n');
    await assertNoUploadTablesLeft(served.engine);
  });

  await suite.test('every storable upload type comes back as it was sent', () =>
    assertAllTypesRoundTrip(served.address),
  );

  await suite.test('FITS results', async () => {
    const response = await sync(served.address, {
      LANG: 'ADQL',
      RESPONSEFORMAT: 'fits',
      QUERY: CONE,
    });
    assert.equal(response.headers.get('content-type'), 'application/fits');
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(bytes.length % 2880, 0);
    assert.match(bytes.subarray(0, 80).toString('latin1'), /^SIMPLE {2}=\s+T/);
  });

  await suite.test('pyvo runs an async job', async (t) => {
    if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
    const ids = await runPythonJsonAsync<string[]>(
      `import sys, json, pyvo
r = pyvo.dal.TAPService(sys.argv[1] + '/tap').run_async(sys.argv[2])
print(json.dumps([str(x) for x in r['obs_id']]))`,
      [served.address, CONE],
    );
    assert.deepEqual(ids, ['23523', '23526', '23559', '23592']);
  });

  await suite.test('taplint reports no errors', async (t) => {
    if (!requireTaplint(t)) return;
    await assertTaplintClean(t, `${served.address}/tap`);
  });
});
