/**
 * The bytes of TAP results stay the same while the result path changes: a few ObsCore
 * queries in every format, on the simulated store and on the real H.E.S.S. DR1 store,
 * on DuckDB and on PostgreSQL, hashed and compared with recorded hashes
 * (test/tap/fixtures/result-snapshots.json). FITS cards that carry the time of writing
 * (DATE, CHECKSUM, DATASUM) are blanked before hashing.
 *
 * HEARC_UPDATE_SNAPSHOTS=1 records the hashes anew (do it only for an intended change).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sqlDialectFor } from '../../src/engine/dialects.js';
import { openEngine } from '../../src/engine/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { DEFAULT_LIMITS, prepareQuery, runQuery, type QueryService } from '../../src/tap/query.js';
import { DaliParameters } from '../../src/dali/index.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { requirePostgres } from '../adql/engines.js';
import { requireTestData } from '../helpers/env.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

const SNAPSHOTS = join(
  fileURLToPath(new URL('.', import.meta.url)),
  'fixtures',
  'result-snapshots.json',
);
const UPDATE = process.env.HEARC_UPDATE_SNAPSHOTS === '1';

const FORMATS = ['votable', 'votable/td', 'fits', 'csv', 'tsv', 'json'] as const;

const QUERIES: Readonly<Record<string, { readonly adql: string; readonly maxrec?: string }>> = {
  'select *': { adql: 'SELECT * FROM ivoa.obscore ORDER BY obs_publisher_did' },
  cone: {
    adql:
      'SELECT obs_id, s_ra, s_dec, t_min, t_max, em_min, em_max, s_region, access_url FROM ivoa.obscore ' +
      "WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 83.633, 22.014, 5)) ORDER BY obs_id",
  },
  'hea join': {
    adql:
      'SELECT o.obs_id, h.* FROM ivoa.obscore AS o JOIN ivoa.obscore_hea AS h ' +
      'ON o.obs_publisher_did = h.obs_publisher_did ORDER BY o.obs_id',
  },
  'group by': {
    adql:
      'SELECT target_name, COUNT(*) AS n, AVG(t_exptime) AS mean_exptime, MIN(obs_release_date) AS first_release, ' +
      'MAX(calib_level) AS max_level FROM ivoa.obscore GROUP BY target_name ORDER BY target_name',
  },
  overflow: {
    adql: 'SELECT obs_id, ra_pnt, dec_pnt FROM ivoa.obscore ORDER BY obs_id',
    maxrec: '2',
  },
  irf: { adql: 'SELECT * FROM hearc.irf ORDER BY obs_publisher_did, component, hdu_name' },
};

type Snapshots = Record<string, string>;

function readSnapshots(): Snapshots {
  try {
    return JSON.parse(readFileSync(SNAPSHOTS, 'utf8')) as Snapshots;
  } catch {
    return {};
  }
}

/** FITS header cards that say when the file was written, blanked to their keyword. */
function withoutTimeCards(body: Buffer): Buffer {
  if (body.subarray(0, 6).toString('latin1') !== 'SIMPLE') return body;
  const copy = Buffer.from(body);
  for (let at = 0; at + 80 <= copy.length; at += 80) {
    const keyword = copy.toString('latin1', at, at + 8).trimEnd();
    if (keyword === 'DATE' || keyword === 'CHECKSUM' || keyword === 'DATASUM') {
      copy.fill(0x20, at + 8, at + 80);
    }
  }
  return copy;
}

async function resultHash(service: QueryService, adql: string, format: string, maxrec?: string) {
  const params = new DaliParameters([
    ['LANG', 'ADQL'],
    ['QUERY', adql],
    ['RESPONSEFORMAT', format],
    ...(maxrec !== undefined ? ([['MAXREC', maxrec]] as const) : []),
  ]);
  const prepared = prepareQuery(service, params);
  const result = await runQuery(service, prepared);
  const chunks: Buffer[] = [];
  for await (const chunk of result.body) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  assert.ok(body.length > 0);
  return createHash('sha256').update(withoutTimeCards(body)).digest('hex');
}

async function checkStore(
  t: TestContext,
  engineName: 'duckdb' | 'postgres',
  storeName: string,
  storeDir: string,
  snapshots: Snapshots,
): Promise<void> {
  const engine =
    engineName === 'duckdb'
      ? await openEngine(join(tempDir(t), 'catalog.duckdb'))
      : await freshPostgresCatalog('hearc_snap', 2);
  t.after(() => engine.close());
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, storeDir, {
    authority: 'snapshot.hearc',
    collection: storeName,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  const service: QueryService = {
    engine,
    schema: servedSchema(publishedSchema),
    dialect: sqlDialectFor(engine.dialect),
    limits: DEFAULT_LIMITS,
    serviceUrl: 'http://snapshot.invalid/hearc',
  };
  const mismatches: string[] = [];
  for (const [queryName, { adql, maxrec }] of Object.entries(QUERIES)) {
    for (const format of FORMATS) {
      const key = `${engineName} | ${storeName} | ${queryName} | ${format}`;
      const hash = await resultHash(service, adql, format, maxrec);
      if (UPDATE) snapshots[key] = hash;
      else if (snapshots[key] !== hash) mismatches.push(`${key}: ${hash} != ${snapshots[key]}`);
    }
  }
  assert.deepEqual(mismatches, [], 'result bytes changed');
}

test('result bytes match the recorded snapshots', { timeout: 600_000 }, async (suite) => {
  const snapshots = readSnapshots();
  const simulated = join(tempDir(suite), 'store');
  await simulateDataStore({
    outDir: simulated,
    observations: 5,
    seed: 17,
    eventsPerObservation: 200,
  });
  const hess = requireTestData(suite, 'hess-dl3-dr1');
  const stores: [string, string][] = [['sim', simulated]];
  if (hess) stores.push(['hess-dr1', hess]);
  for (const engineName of ['duckdb', 'postgres'] as const) {
    await suite.test(engineName, async (t) => {
      if (engineName === 'postgres' && !requirePostgres(t)) return;
      for (const [storeName, dir] of stores) {
        await t.test(storeName, (st) => checkStore(st, engineName, storeName, dir, snapshots));
      }
    });
  }
  if (UPDATE) writeFileSync(SNAPSHOTS, `${JSON.stringify(snapshots, null, 2)}\n`);
});
