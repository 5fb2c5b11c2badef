/**
 * Rights filters left out while they hide nothing (src/auth/open-rights.ts): a query
 * compiled without them carries the commit counts they were judged at, and the engine
 * runs it only on a snapshot no later commit changed. Whatever happens between
 * compiling and running (a run made proprietary, an ObsCore row withdrawn, a clock set
 * back), a caller sees exactly what the filtered query shows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import postgres from 'postgres';
import { test, type TestContext } from 'node:test';
import { AccessControl, ANONYMOUS, type Identity, RightsStore } from '../../src/auth/index.js';
import { DaliParameters } from '../../src/dali/params.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { catalogTables, servedCatalog } from '../../src/ingest/catalog.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import {
  DEFAULT_LIMITS,
  type PreparedQuery,
  prepareQuery,
  type QueryService,
  runQuery,
} from '../../src/tap/query.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { didOf, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { requirePostgres } from '../adql/engines.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';
import { AFTER, BEFORE, ingestPublic, RELEASE } from './fixtures.js';

const ALPHA: Identity = { groups: ['alpha'], via: 'api-token', user: 'ada' };
const COUNT = 'SELECT COUNT(*) AS n FROM hearc.events';
const PER_RUN =
  'SELECT obs_publisher_did, COUNT(*) AS n FROM hearc.events GROUP BY obs_publisher_did';

interface Catalog {
  readonly engine: Engine;
  readonly access: AccessControl;
  readonly closedObsId: string;
  readonly closedDid: string;
  readonly openDid: string;
  /** Events per run, as ingested. */
  readonly events: ReadonlyMap<string, number>;
  setNow(date: Date): void;
  prepare(identity: Identity, adql: string): PreparedQuery;
  run(identity: Identity, prepared: PreparedQuery): Promise<Map<string, number>>;
  /** Prepares and runs; `open` tells whether the query may run without its filters. */
  ask(identity: Identity, adql?: string): Promise<{ rows: Map<string, number>; open: boolean }>;
}

type EngineName = 'duckdb' | 'postgres';

/** Both engines; PostgreSQL only where it runs (skipped with a message otherwise, failed on CI). */
function engines(t: TestContext): EngineName[] {
  return ['duckdb', ...(requirePostgres(t) ? (['postgres'] as const) : [])];
}

async function publicCatalog(
  t: TestContext,
  engineName: EngineName,
  leaveOutOpenFilters?: boolean,
): Promise<Catalog> {
  const { dir, runs } = await simulatedStore(t);
  const engine =
    engineName === 'postgres'
      ? await freshPostgresCatalog('open_rights')
      : await openEngine(join(tempDir(t), 'catalog.duckdb'));
  const dialect = engineName === 'postgres' ? postgresDialect : duckDbDialect;
  await engine.ensureTables(catalogTables);
  await ingestPublic(engine, dir);
  let now = BEFORE;
  const access = new AccessControl({
    engine,
    clock: () => now,
    ...(leaveOutOpenFilters === undefined ? {} : { leaveOutOpenFilters }),
  });
  t.after(async () => {
    await access.openRights?.close();
    await engine.close();
  });
  const serviceOf = (identity: Identity): QueryService => ({
    engine,
    schema: servedSchema(servedCatalog),
    dialect: access.dialectFor(dialect, identity),
    limits: DEFAULT_LIMITS,
  });
  const prepare = (identity: Identity, adql: string): PreparedQuery =>
    prepareQuery(
      serviceOf(identity),
      new DaliParameters([
        ['LANG', 'ADQL'],
        ['QUERY', adql],
        ['RESPONSEFORMAT', 'csv'],
      ]),
    );
  const run = async (identity: Identity, prepared: PreparedQuery): Promise<Map<string, number>> => {
    const result = await runQuery(serviceOf(identity), prepared);
    let text = '';
    for await (const chunk of result.body) text += chunk.toString();
    const rows = text.trim().split(/\r?\n/).slice(1);
    return new Map(
      rows.map((line) => {
        const cells = line.split(',');
        return cells.length === 1 ? ['all', Number(cells[0])] : [cells[0]!, Number(cells[1])];
      }),
    );
  };
  const [closed, open] = runs as [(typeof runs)[0], (typeof runs)[0]];
  const catalog: Catalog = {
    engine,
    access,
    closedObsId: String(closed.obsId),
    closedDid: didOf(SIM_COLLECTION, closed.obsId),
    openDid: didOf(SIM_COLLECTION, open.obsId),
    events: new Map(),
    setNow: (date) => {
      now = date;
    },
    prepare,
    run,
    ask: async (identity, adql = PER_RUN) => {
      const prepared = prepare(identity, adql);
      return { rows: await run(identity, prepared), open: prepared.whenUnchanged !== undefined };
    },
  };
  const first = await catalog.ask(ANONYMOUS);
  (catalog.events as Map<string, number>).set(
    catalog.closedDid,
    first.rows.get(catalog.closedDid)!,
  );
  (catalog.events as Map<string, number>).set(catalog.openDid, first.rows.get(catalog.openDid)!);
  await access.openRights?.settled();
  return catalog;
}

const makeProprietary = (c: Catalog): Promise<unknown> =>
  new RightsStore(c.engine).set(
    [c.closedObsId],
    { dataRights: 'proprietary', releaseDate: RELEASE, ownerGroup: 'alpha' },
    { by: 'test', via: 'test', at: new Date() },
  );

test('on a public catalog the filters are judged to hide nothing and left out, with the same answers', async (t) => {
  for (const engineName of engines(t)) {
    const c = await publicCatalog(t, engineName);
    assert.ok(c.events.get(c.closedDid)! > 0 && c.events.get(c.openDid)! > 0);
    const open = await c.ask(ANONYMOUS);
    assert.equal(open.open, true, 'judged once, left out after');
    assert.deepEqual(open.rows, c.events);
    const prepared = c.prepare(ANONYMOUS, COUNT);
    assert.match(prepared.sql, /hearc_rights_obs/, 'the statement given keeps the filter');
    assert.doesNotMatch(prepared.whenUnchanged?.sql ?? '', /hearc_rights_obs/);
    // One statement for every caller and every second: what DuckDB keeps prepared is used again.
    assert.equal(c.prepare(ALPHA, COUNT).whenUnchanged?.sql, prepared.whenUnchanged?.sql);
    const total = [...c.events.values()].reduce((a, b) => a + b, 0);
    assert.deepEqual((await c.ask(ALPHA, COUNT)).rows, new Map([['all', total]]));
  }
});

test('a run made proprietary after a query was compiled without filters: the query runs with them', async (t) => {
  for (const engineName of engines(t)) {
    const c = await publicCatalog(t, engineName);
    const prepared = c.prepare(ANONYMOUS, PER_RUN);
    assert.ok(prepared.whenUnchanged, 'compiled while nothing was hidden');
    await makeProprietary(c);
    const rows = await c.run(ANONYMOUS, prepared);
    assert.deepEqual(rows, new Map([[c.openDid, c.events.get(c.openDid)]]));

    // From then on: filtered, judged to hide rows, and the group still sees its run.
    for (let i = 0; i < 2; i++) {
      const anonymous = await c.ask(ANONYMOUS);
      assert.equal(anonymous.open, false);
      assert.deepEqual(anonymous.rows, new Map([[c.openDid, c.events.get(c.openDid)]]));
      await c.access.openRights?.settled();
    }
    assert.deepEqual((await c.ask(ALPHA)).rows, c.events);

    // Released: nothing hidden again, judged so, left out.
    c.setNow(AFTER);
    await c.ask(ANONYMOUS);
    await c.access.openRights?.settled();
    const released = await c.ask(ANONYMOUS);
    assert.equal(released.open, true);
    assert.deepEqual(released.rows, c.events);

    // A clock set back before the judgement: it no longer holds.
    c.setNow(BEFORE);
    const back = await c.ask(ANONYMOUS);
    assert.equal(back.open, false);
    assert.deepEqual(back.rows, new Map([[c.openDid, c.events.get(c.openDid)]]));
  }
});

test('events whose ObsCore row is gone stay hidden: the filter is kept', async (t) => {
  for (const engineName of engines(t)) {
    const c = await publicCatalog(t, engineName);
    const prepared = c.prepare(ANONYMOUS, PER_RUN);
    assert.ok(prepared.whenUnchanged);
    await c.engine.transaction((tx) =>
      tx.deleteRows(obscoreTable, 'obs_publisher_did', [c.closedDid]),
    );
    const expected = new Map([[c.openDid, c.events.get(c.openDid)]]);
    assert.deepEqual(await c.run(ANONYMOUS, prepared), expected, 'compiled before the withdrawal');
    await c.ask(ANONYMOUS);
    await c.access.openRights?.settled();
    const after = await c.ask(ANONYMOUS);
    assert.equal(after.open, false, 'judged to hide the orphaned events');
    assert.deepEqual(after.rows, expected);
  }
});

test('with leaveOutOpenFilters false every query keeps its filters', async (t) => {
  for (const engineName of engines(t)) {
    const c = await publicCatalog(t, engineName, false);
    assert.equal(c.access.openRights, undefined);
    const asked = await c.ask(ANONYMOUS);
    assert.equal(asked.open, false);
    assert.deepEqual(asked.rows, c.events);
  }
});

test('PostgreSQL: a run made proprietary by another process between compiling and running is hidden', async (t) => {
  if (!requirePostgres(t)) return;
  const c = await publicCatalog(t, 'postgres');
  // The same catalog under another name: its commits are not counted as this process's.
  const other = await openEngine(c.engine.location.replace('127.0.0.1', 'localhost'));
  t.after(() => other.close());
  const prepared = c.prepare(ANONYMOUS, PER_RUN);
  assert.ok(prepared.whenUnchanged, 'compiled while nothing was hidden');
  await new RightsStore(other).set(
    [c.closedObsId],
    { dataRights: 'proprietary', releaseDate: RELEASE, ownerGroup: 'alpha' },
    { by: 'test', via: 'test', at: new Date() },
  );
  const onlyOpen = new Map([[c.openDid, c.events.get(c.openDid)]]);
  assert.deepEqual(await c.run(ANONYMOUS, prepared), onlyOpen, 'compiled before the change');
  // The commit seen in that snapshot: judged again, and found to hide a run.
  for (let i = 0; i < 2; i++) {
    const anonymous = await c.ask(ANONYMOUS);
    assert.equal(anonymous.open, false);
    assert.deepEqual(anonymous.rows, onlyOpen);
    await c.access.openRights?.settled();
  }
  assert.deepEqual((await c.ask(ALPHA)).rows, c.events);
});

test('PostgreSQL: events with a partition this process cannot check in a snapshot keep their filter', async (t) => {
  if (!requirePostgres(t)) return;
  const c = await publicCatalog(t, 'postgres');
  assert.equal((await c.ask(ANONYMOUS)).open, true);
  // A partition without the commit log's trigger (as a shard's foreign table has none).
  const raw = postgres(c.engine.location, { max: 1, onnotice: () => undefined });
  t.after(() => raw.end());
  await raw.unsafe('DROP TRIGGER hearc_commit_log ON hearc.events_p0');
  // The next query's snapshot finds it so (and runs filtered); the judgement then does.
  assert.deepEqual((await c.ask(ANONYMOUS)).rows, c.events);
  await c.access.openRights?.settled();
  for (let i = 0; i < 2; i++) {
    const asked = await c.ask(ANONYMOUS);
    assert.equal(asked.open, false, 'judged uncheckable');
    assert.deepEqual(asked.rows, c.events);
    await c.access.openRights?.settled();
  }
});
