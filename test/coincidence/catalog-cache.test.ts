/**
 * The coincidence search keeps the observations' fields of view between requests and
 * builds them again when the catalog changes: a withdrawn observation is gone from the
 * next answer, an ingested one is in it; a rights change applies at once (counted, not
 * shown), and the cached answer is the first one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AccessControl,
  ALERT_PUBLISHERS,
  ApiTokenStore,
  AuditTrail,
  RightsStore,
} from '../../src/auth/index.js';
import { alertMapTable, parseAlert, storeAlert } from '../../src/alerts/index.js';
import {
  CoincidenceCatalog,
  coincidenceQuery,
  everyoneReads,
  prepareCoincidence,
  runCoincidence,
  watchNewAlerts,
} from '../../src/coincidence/index.js';
import { DaliParameters } from '../../src/dali/index.js';
import { type CatalogRow, type Engine, openEngine } from '../../src/engine/index.js';
import { requirePostgres } from '../adql/engines.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { withdrawObservations } from '../../src/ingest/withdraw.js';
import { buildServer } from '../../src/http/server.js';
import { servedCatalog } from '../../src/ingest/catalog.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import type { TableDef } from '../../src/schema/types.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { testService } from '../helpers/service.js';
import { ingestCollection, twoCollectionCatalog } from '../registry/fixtures.js';
import { coincidence, serveCatalog } from './fixtures.js';

test('a withdrawn or ingested observation leaves or joins the next coincidence answer; rights apply at once', async (t) => {
  const { engine, dir } = await twoCollectionCatalog(t);
  const address = await serveCatalog(t, engine);
  const runs = await engine.selectRows(obscoreTable, {
    column: 'obs_collection',
    values: ['north'],
  });
  const dids = runs.map((r) => String(r.obs_publisher_did)).sort();
  const didOf = (obsId: string): string =>
    String(runs.find((r) => String(r.obs_id) === obsId)?.obs_publisher_did);
  const lo = Math.min(...runs.map((r) => Number(r.t_min)));
  const hi = Math.max(...runs.map((r) => Number(r.t_max)));
  // A disc over the north collection's target (RA 359.8, Dec 30) during every run.
  const query = `POS=CIRCLE 359.8 30 3&TIME=${lo - 1} ${hi + 1}`;
  const found = async (): Promise<string[]> =>
    (await coincidence(address, query)).rows.map((r) => String(r.obs_publisher_did)).sort();
  const all = await found();
  assert.deepEqual(all, dids);
  const first = await coincidence(address, query);
  const again = await coincidence(address, query);
  assert.equal(again.text, first.text, 'the cached answer is the first one');

  const gone = String(runs[0]?.obs_id);
  await withdrawObservations(engine, { collection: 'north', obsIds: [gone], by: 'ada' });
  assert.deepEqual(
    await found(),
    all.filter((did) => did !== didOf(gone)),
  );

  await ingestCollection(engine, dir, 'north');
  assert.deepEqual(await found(), all);

  const secret = String(runs[1]?.obs_id);
  await new RightsStore(engine).set(
    [secret],
    { dataRights: 'proprietary', releaseDate: new Date('2999-01-01T00:00:00Z') },
    { by: 'ada', via: 'operator', at: new Date() },
    'north',
  );
  const outside = await coincidence(address, query);
  assert.deepEqual(
    outside.rows.map((r) => String(r.obs_publisher_did)).sort(),
    all.filter((did) => did !== didOf(secret)),
  );
  assert.equal(outside.hidden, 1);
  assert.ok(!outside.text.includes(didOf(secret)), 'the proprietary observation is not named');
});

test('the rights of a long answer are kept until a rights change, which applies at once; audit writes keep them and the fields of view', async (t) => {
  for (const engineName of ['duckdb', 'postgres'] as const) {
    if (engineName === 'postgres' && !requirePostgres(t)) continue;
    const { engine } = await twoCollectionCatalog(
      t,
      engineName === 'postgres' ? () => freshPostgresCatalog('coinc_rights') : undefined,
    );
    t.after(() => engine.close());
    const runs = await engine.selectRows(obscoreTable);
    const dids = runs.map((r) => String(r.obs_publisher_did));
    // Past 2000 datasets the gate reads the rights of the whole catalog.
    const made = Array.from({ length: 2500 }, (_, i) => `ivo://test.hearc/none?${i}`);
    const gate = new AccessControl({ engine });
    const anonymous = { headers: {} };
    const readable = async (): Promise<string[]> =>
      [...(await gate.readableAmong(anonymous, [...made, ...dids]))].sort();
    assert.deepEqual(await readable(), [...dids].sort(), engineName);
    const catalog = new CoincidenceCatalog(engine);
    const fields = await catalog.fieldsOfView();

    const commits = engine.commits;
    await new AuditTrail(engine).record({ at: new Date(), kind: 'granted', via: 'api-token' });
    assert.equal(engine.commits, commits + 1);
    assert.equal(await catalog.fieldsOfView(), fields, 'an audit write keeps the fields of view');
    assert.deepEqual(await readable(), [...dids].sort());

    const secret = runs[0]!;
    await new RightsStore(engine).set(
      [String(secret.obs_id)],
      { dataRights: 'proprietary', releaseDate: new Date('2999-01-01T00:00:00Z') },
      { by: 'ada', via: 'operator', at: new Date() },
      String(secret.obs_collection),
    );
    assert.deepEqual(
      await readable(),
      dids.filter((did) => did !== String(secret.obs_publisher_did)).sort(),
      `${engineName}: the rights change applies to the next answer`,
    );
  }
});

test('the indexes of the last few alert skymaps are kept, ad-hoc maps are not', async (t) => {
  const { engine } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  const catalog = new CoincidenceCatalog(engine, { keptSkymaps: 2 });
  const map = {
    uniq: Float64Array.of(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    prob: new Float64Array(12).fill(1 / 12),
  };
  const a = await catalog.skyIndexOf(map, 'A\n1');
  assert.equal(await catalog.skyIndexOf(map, 'A\n1'), a);
  assert.notEqual(await catalog.skyIndexOf(map, 'A\n2'), a);
  await catalog.skyIndexOf(map, 'B\n1');
  assert.notEqual(await catalog.skyIndexOf(map, 'A\n1'), a, 'the oldest is dropped');
  assert.notEqual(await catalog.skyIndexOf(map), await catalog.skyIndexOf(map));
  // A kept index is not read again: the map is asked for only when its index is not kept.
  let reads = 0;
  const stored = async (): Promise<typeof map> => {
    reads++;
    return map;
  };
  const kept = await catalog.skyIndexOf(stored, 'C\n1');
  assert.equal(await catalog.skyIndexOf(stored, 'C\n1'), kept);
  assert.equal(reads, 1);
  assert.equal(await catalog.fieldsOfView(), await catalog.fieldsOfView());
});

test('a withdrawal through another engine on the catalog file (hearc serve runs the admin commands so) is in the next answer', async (t) => {
  const { engine, db } = await twoCollectionCatalog(t);
  const admin = await openEngine(db);
  t.after(async () => {
    await admin.close();
    await engine.close();
  });
  const catalog = new CoincidenceCatalog(engine);
  await withdrawnElsewhere(catalog, admin, async (before, gone) => {
    assert.deepEqual(
      await didsOf(catalog),
      before.filter((did) => did !== gone),
    );
  });
});

test('a withdrawal by another process reaches the answers after a recheck in the background (PostgreSQL)', async (t) => {
  if (!requirePostgres(t)) return;
  const { engine } = await twoCollectionCatalog(t, () => freshPostgresCatalog('coinc_cache'));
  // The same database under another name: its commits are not counted as this engine's.
  const other = await openEngine(engine.location.replace('127.0.0.1', 'localhost'));
  const catalog = new CoincidenceCatalog(engine, { recheckMs: 0 });
  t.after(async () => {
    // A recheck begun by the last answer ends before the engine closes.
    await catalog.settled();
    await other.close();
    await engine.close();
  });
  await withdrawnElsewhere(catalog, other, async (before, gone) => {
    // Answers go on from the kept fields of view while the state is read again.
    let after = await didsOf(catalog);
    assert.deepEqual(after, before, 'the kept fields of view answer first');
    for (let tries = 0; tries < 400 && after.length === before.length; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      after = await didsOf(catalog);
    }
    assert.deepEqual(
      after,
      before.filter((did) => did !== gone),
    );
  });
});

const didsOf = async (catalog: CoincidenceCatalog): Promise<string[]> =>
  (await catalog.fieldsOfView()).observations.map((o) => o.did).sort();

/** Withdraws a south run through `other`, then checks what `catalog` answers. */
async function withdrawnElsewhere(
  catalog: CoincidenceCatalog,
  other: Engine,
  check: (before: string[], gone: string) => Promise<void>,
): Promise<void> {
  const before = await didsOf(catalog);
  assert.equal(before.length, 6);
  const [run] = await other.selectRows(obscoreTable, {
    column: 'obs_collection',
    values: ['south'],
  });
  await withdrawObservations(other, {
    collection: 'south',
    obsIds: [String(run?.obs_id)],
    by: 'ada',
  });
  await check(before, String(run?.obs_publisher_did));
}

/** Stores a GCN notice of a neutrino `id` on the first run, just after it started. */
/** A GCN notice of an IceCube track a minute into the catalog's first run, on its pointing. */
async function noticeOnRun(
  engine: Engine,
  id: string,
): Promise<{ notice: string; run: CatalogRow }> {
  const [run] = await engine.selectRows(obscoreTable);
  const trigger = new Date((Number(run!.t_min) - 40587) * 86_400_000 + 60_000);
  const notice = JSON.stringify({
    $schema:
      'https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/icecube/lvk_nu_track_search.schema.json',
    mission: 'IceCube',
    trigger_time: trigger.toISOString(),
    id: [id],
    ra: Number(run!.s_ra),
    dec: Number(run!.s_dec),
    ra_dec_error: 1.2,
    containment_probability: 0.9,
    alert_type: 'initial',
    record_number: 1,
  });
  return { notice, run: run! };
}

async function storeNoticeOnRun(engine: Engine, id: string): Promise<void> {
  const { notice } = await noticeOnRun(engine, id);
  await storeAlert(engine, parseAlert(Buffer.from(notice), 'notice.json'));
}

/** Whether the alert's first request would read its map (its index not kept). */
async function readsMap(engine: Engine, catalog: CoincidenceCatalog, id: string): Promise<boolean> {
  const query = await coincidenceQuery(engine, new DaliParameters([['ALERT', id]]));
  let reads = 0;
  const load = query.map;
  await runCoincidence(
    catalog,
    { ...query, map: async () => (reads++, typeof load === 'function' ? load() : load) },
    everyoneReads,
  );
  return reads > 0;
}

test('an alert prepared when stored gives the first request the same answer, from the kept index', async (t) => {
  const { engine } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  await storeNoticeOnRun(engine, 'IceCube-PREP');
  const prepared = new CoincidenceCatalog(engine);
  await prepareCoincidence(engine, prepared, 'IceCube-PREP');
  // Nothing to prepare for an alert that is not stored: no error.
  await prepareCoincidence(engine, prepared, 'nothing');
  const query = await coincidenceQuery(engine, new DaliParameters([['ALERT', 'IceCube-PREP']]));
  let reads = 0;
  const load = query.map;
  const counted = {
    ...query,
    map: async () => {
      reads++;
      return typeof load === 'function' ? load() : load;
    },
  };
  const first = await runCoincidence(prepared, counted, everyoneReads);
  assert.equal(reads, 0, 'the first request found the skymap indexed');
  const fresh = await runCoincidence(new CoincidenceCatalog(engine), query, everyoneReads);
  const dids = (r: typeof first) => r.visible.map((c) => [c.observation.did, c.prob]);
  assert.ok(first.visible.length > 0, 'the run is found');
  assert.deepEqual(dids(first), dids(fresh));
});

test('alerts stored after the server started are prepared, however they came; those before are not', async (t) => {
  for (const engineName of ['duckdb', 'postgres'] as const) {
    if (engineName === 'postgres' && !requirePostgres(t)) continue;
    const { engine } = await twoCollectionCatalog(
      t,
      engineName === 'postgres' ? () => freshPostgresCatalog('coinc_watch') : undefined,
    );
    await storeNoticeOnRun(engine, 'IceCube-OLD');
    const catalog = new CoincidenceCatalog(engine);
    const errors: unknown[] = [];
    let preparedNew: () => void = () => undefined;
    const newPrepared = new Promise<void>((resolve) => (preparedNew = resolve));
    const watch = watchNewAlerts(engine, catalog, {
      everyMs: 50,
      onError: (e) => errors.push(e),
      onPrepared: (id) => id === 'IceCube-NEW' && preparedNew(),
    });
    // The watch stops (and its look under way ends) before the engine closes.
    t.after(async () => {
      await watch.stop();
      await catalog.settled();
      await engine.close();
    });
    await watch.ready;
    await storeNoticeOnRun(engine, 'IceCube-NEW');
    // The watch's timer does not hold the process open (a server's socket does): this does.
    const open = setTimeout(() => undefined, 30_000);
    await newPrepared;
    clearTimeout(open);
    const prepared = !(await readsMap(engine, catalog, 'IceCube-NEW'));
    assert.ok(prepared, 'the new alert was prepared');
    assert.deepEqual(errors, []);
    assert.ok(
      await readsMap(engine, catalog, 'IceCube-OLD'),
      'an alert stored before was not prepared',
    );
  }
});

test('a server over a catalog without alerts builds no fields of view at start; the first alert posted is prepared', async (t) => {
  const { engine } = await twoCollectionCatalog(t);
  // Reads the server makes of the catalog: the footprints (fields of view) and alert maps.
  const reads = { footprints: 0, maps: 0 };
  const counted = new Proxy(engine, {
    get(target, name, receiver) {
      if (name !== 'selectRows') return Reflect.get(target, name, receiver) as unknown;
      return (table: TableDef, ...rest: unknown[]) => {
        const columns = table.columns.map((c) => c.name);
        const footprints = columns.includes('deadc') && columns.length < 12;
        if (table.name === obscoreTable.name && footprints && rest.length === 0) reads.footprints++;
        if (table.name === alertMapTable.name) reads.maps++;
        return (target.selectRows as (...args: unknown[]) => unknown)(table, ...rest);
      };
    },
  });
  const app = await buildServer({
    engine: counted,
    schema: servedSchema(servedCatalog),
    service: testService(),
    longRunning: true,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await sleep(1000);
  assert.equal(reads.footprints, 0, 'no fields of view built at start');

  const feed = (await new ApiTokenStore(engine).create('feed', [ALERT_PUBLISHERS])).token;
  const { notice, run } = await noticeOnRun(engine, 'IceCube-POSTED');
  const posted = await fetch(`${address}/alerts`, {
    method: 'POST',
    body: notice,
    headers: { authorization: `Bearer ${feed}`, 'content-type': 'application/json' },
  });
  assert.ok(posted.ok, await posted.text());
  for (let i = 0; i < 100 && (reads.footprints === 0 || reads.maps === 0); i++) await sleep(50);
  assert.equal(reads.footprints, 1, 'the posted alert built the fields of view');
  await sleep(200);
  const mapsBefore = reads.maps;
  const found = await coincidence(address, 'ALERT=IceCube-POSTED');
  assert.ok(
    found.rows.some((r) => r.obs_publisher_did === run.obs_publisher_did),
    'the run is found',
  );
  assert.equal(reads.maps, mapsBefore, 'the first request found the alert prepared');
});
