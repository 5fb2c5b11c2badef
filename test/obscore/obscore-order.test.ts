/**
 * ivoa.obscore in sky order (DuckDB), opt-in: ingest leaves the order written until
 * `hearc obscore cluster` asks for sky order, then keeps it, rewriting once the rows
 * appended since the last rewrite have doubled the table, not before; the rows and
 * every TAP answer stay the same (a proprietary observation's rights included); the
 * table keeps its primary key, so a re-ingest still replaces its rows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreOrder } from '../../src/obscore/order.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { openEngine, type Engine } from '../../src/engine/index.js';
import { serveStore } from '../datalink/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { sqlRows } from '../helpers/events.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';

const SELECTIONS = [
  'SELECT obs_publisher_did, data_rights, obs_release_date FROM ivoa.obscore ORDER BY obs_publisher_did',
  "SELECT obs_publisher_did FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 83.63, 22.01, 3)) ORDER BY 1",
  "SELECT obs_publisher_did FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 0, -5, 2)) ORDER BY 1",
  "SELECT obs_publisher_did FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 10, 89.8, 2)) ORDER BY 1",
  'SELECT obs_collection, COUNT(*) AS n, SUM(t_exptime) AS t FROM ivoa.obscore GROUP BY obs_collection ORDER BY 1',
  'SELECT o.obs_id, h.ev_xel FROM ivoa.obscore AS o JOIN ivoa.obscore_hea AS h USING (obs_publisher_did) ORDER BY o.obs_publisher_did',
];

/** Places in storage order where (dec zone, ra, t_min) goes down: 0 when the table is in sky order. */
async function descents(engine: Engine): Promise<number> {
  const [[n] = []] = await sqlRows(
    engine,
    `SELECT count(*) FILTER (WHERE z < pz OR (z = pz AND (s_ra < pr OR (s_ra = pr AND t_min < pt))))
     FROM (SELECT floor(s_dec) AS z, s_ra, t_min,
                  lag(floor(s_dec)) OVER (ORDER BY rowid) AS pz,
                  lag(s_ra) OVER (ORDER BY rowid) AS pr,
                  lag(t_min) OVER (ORDER BY rowid) AS pt FROM ivoa.obscore)`,
  );
  return Number(n);
}

/** The rows of ivoa.obscore, whatever their order: count and a sum of each row's hash. */
async function digest(engine: Engine): Promise<string> {
  const [[count, sum] = []] = await sqlRows(
    engine,
    'SELECT count(*), CAST(sum(CAST(hash(o) AS HUGEINT)) AS VARCHAR) FROM ivoa.obscore AS o',
  );
  return `${String(count)} rows, ${String(sum)}`;
}

test('ivoa.obscore in sky order: opt-in, then rewritten when the table doubles; same rows and answers', async (t) => {
  const dir = tempDir(t);
  const store = async (name: string, observations: number, seed: number, targets?: object) => {
    const outDir = join(dir, name);
    await simulateDataStore({
      outDir,
      observations,
      seed,
      eventsPerObservation: 50,
      ...(targets ? { targets: [targets] as never } : {}),
    });
    return outDir;
  };
  const first = await store('first', 6, 31);
  // A field about the north pole, and one across RA 0/360.
  const pole = await store('pole', 2, 32, { name: 'pole', ra: 10, dec: 89.8 });
  const wrap = await store('wrap', 4, 33, { name: 'wrap', ra: 0.1, dec: -5 });

  const served = await serveStore(t, first, 'first');
  const { engine, address } = served;
  assert.deepEqual(await obscoreOrder(engine), { orderedRows: 0, appendedRows: 6 });

  const ingest = async (path: string, collection: string, extra: object = {}) => {
    const report = await ingestDataStore(
      engine,
      path,
      { ...served.config, collection, ...extra },
      { obscoreOrderRows: 2 },
    );
    assert.equal(report.failed.length, 0, JSON.stringify(report.failed));
    return report;
  };
  // Sky order is opt-in: 8 rows appended, more than 2, but never asked for: left alone.
  const second = await ingest(pole, 'pole');
  assert.equal(second.obscoreOrdered, undefined);
  assert.equal((await obscoreOrder(engine)).appendedRows, 8);

  // One observation proprietary (its row is public metadata; its data are not).
  const io = captureIo();
  const [hidden] = await tapRows(
    address,
    "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'pole'",
  );
  const hide = ['rights', 'set', String(hidden?.obs_id), '--collection', 'pole'];
  const proprietary = ['--rights', 'proprietary', '--release-date', '2999-01-01'];
  assert.equal(await main([...hide, ...proprietary, '--db', engine.location], io), 0, io.err());

  const answers = async (): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (const adql of SELECTIONS) out.push(await tapRows(address, adql));
    return out;
  };
  const before = { rows: await digest(engine), answers: await answers() };
  const rows = before.answers[0] as { data_rights: string }[];
  assert.equal(rows.length, 8);
  assert.equal(rows.filter((row) => row.data_rights === 'proprietary').length, 1);

  // `hearc obscore cluster` on the catalog (the server holds it open in this process).
  const cluster = captureIo();
  assert.equal(
    await main(['obscore', 'cluster', '--db', engine.location], cluster),
    0,
    cluster.err(),
  );
  assert.match(cluster.out(), /^ivoa\.obscore rewritten in sky order: 8 rows in \d+\.\d s\n$/);
  assert.equal(await descents(engine), 0, 'in (dec zone, ra, t_min) order');
  assert.deepEqual({ rows: await digest(engine), answers: await answers() }, before);
  const ordered = await obscoreOrder(engine);
  assert.equal(ordered.orderedRows, 8);
  assert.equal(ordered.appendedRows, 0);
  assert.ok(ordered.orderedAt instanceof Date);

  // From then on ingest keeps it: 4 appended < 8 ordered, left as appended...
  const third = await ingest(wrap, 'wrap');
  assert.equal(third.obscoreOrdered, undefined);
  assert.equal((await obscoreOrder(engine)).appendedRows, 4);
  assert.ok((await descents(engine)) > 0, 'the wrap field sits at the end, out of order');
  const status = captureIo();
  assert.equal(await main(['obscore', 'status', '--db', engine.location], status), 0, status.err());
  assert.match(
    status.out(),
    /^in sky order: 8 rows at the last rewrite \(.+\)\nappended since: 4 rows\nthe next ingest rewrites it: no\n$/,
  );

  // ... and 8 appended (the same four replaced) ≥ 8: rewritten. The primary key survived
  // the rewrites: a changed observation is replaced, not doubled.
  const again = await ingest(wrap, 'wrap', { dataRights: 'proprietary' });
  assert.equal(again.updated.length, 4);
  assert.equal(
    again.obscoreOrdered && 'rows' in again.obscoreOrdered && again.obscoreOrdered.rows,
    12,
  );
  assert.equal(await descents(engine), 0);
  assert.equal(
    (await sqlRows(engine, 'SELECT count(*) FROM ivoa.obscore'))[0]![0],
    12,
    'replaced, not doubled',
  );
  await assert.rejects(
    sqlRows(engine, 'INSERT INTO ivoa.obscore SELECT * FROM ivoa.obscore LIMIT 1'),
    /primary key|duplicate key/i,
  );
  assert.equal(
    (
      await tapRows(
        address,
        "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE data_rights = 'proprietary'",
      )
    )[0]?.n,
    5,
  );
});

test('hearc obscore: usage errors, a catalog never ordered', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const engine = await openEngine(db);
  await engine.ensureTables(catalogTables);
  await engine.close();

  const status = captureIo();
  assert.equal(await main(['obscore', 'status', '--db', db], status), 0, status.err());
  assert.equal(
    status.out(),
    'in sky order: 0 rows at the last rewrite\nappended since: 0 rows\nthe next ingest rewrites it: no\n',
  );
  const wrong = captureIo();
  assert.notEqual(await main(['obscore', 'sort', '--db', db], wrong), 0);
  assert.match(wrong.err(), /give 'cluster' or 'status'/);
  const noDb = captureIo();
  assert.notEqual(await main(['obscore', 'cluster'], noDb), 0);
  assert.match(noDb.err(), /--db is required/);
});
