/**
 * hearc.events rewritten in global HEALPix cell order (DuckDB): the same rows before and
 * after, the same answers through TAP (proprietary events still hidden), queries running
 * meanwhile undisturbed; ingest rewrites it when the appended events have doubled the
 * table, not before; a rewrite that fails leaves the table as it was; `hearc events
 * cluster` works on a stopped catalog, and killed part-way leaves it as it was.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { openEngine } from '../../src/engine/index.js';
import {
  eventsOrder,
  eventsOrderDue,
  eventsOrderTable,
  orderEvents,
} from '../../src/events/index.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { serveStore } from '../datalink/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { descents, eventsDigest, sqlRows } from '../helpers/events.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';

const HEARC = fileURLToPath(new URL('../uws/serve-process.ts', import.meta.url));

const PUBLIC = {
  authority: 'test.hearc',
  collection: 'sim',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

const CRAB = [83.6331, 22.0145] as const;
const SELECTIONS = [
  'SELECT COUNT(*) AS n FROM hearc.events',
  `SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${CRAB[0]}, ${CRAB[1]}, 0.3))`,
  `SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${CRAB[0]}, ${CRAB[1]}, 1.5)) AND energy > 1`,
  'SELECT COUNT(*) AS n FROM hearc.events WHERE energy BETWEEN 0.5 AND 3',
  'SELECT COUNT(*) AS n, MIN(event_time) AS t0 FROM hearc.events WHERE event_time < (SELECT MIN(event_time) + 0.5 FROM hearc.events)',
  'SELECT COUNT(*) AS n FROM hearc.events WHERE alt IS NULL',
  "SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 10, 89.8, 1))",
  "SELECT COUNT(*) AS n FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 0, -5, 1.5))",
];

test('hearc.events in cell order: same rows and answers, rewritten when the table doubles', async (t) => {
  const dir = tempDir(t);
  const stores = {
    // Optional columns (ALT, AZ, MULTIP, GAMMANESS) in the first, NULL in the others.
    first: join(dir, 'first'),
    second: join(dir, 'second'),
    third: join(dir, 'third'),
  };
  await simulateDataStore({
    outDir: stores.first,
    observations: 4,
    seed: 21,
    eventsPerObservation: 20_000,
    variant: { optionalColumns: true },
  });
  // A field about the north pole, times stored minus a TIMEZERO; the third across RA 0/360.
  await simulateDataStore({
    outDir: stores.second,
    observations: 2,
    seed: 22,
    eventsPerObservation: 20_000,
    targets: [{ name: 'pole', ra: 10, dec: 89.8 }],
    variant: { timeZero: 1000 },
  });
  await simulateDataStore({
    outDir: stores.third,
    observations: 3,
    seed: 23,
    eventsPerObservation: 20_000,
    targets: [{ name: 'wrap', ra: 0.1, dec: -5 }],
  });
  const tiny = join(dir, 'tiny');
  await simulateDataStore({ outDir: tiny, observations: 1, seed: 24, eventsPerObservation: 300 });

  // A catalog served by TAP; its first ingest (one observation, default buffer) is one run already.
  const served = await serveStore(t, tiny, 'tiny');
  const { engine, address } = served;
  assert.equal(served.config.collection, 'tiny');
  assert.equal(await descents(engine), 0);
  const [[tinyRows] = []] = await sqlRows(engine, 'SELECT count(*) FROM hearc.events');
  assert.deepEqual(await eventsOrder(engine), { orderedRows: 0, appendedRows: tinyRows });

  // Buffers of 10,000 events: each ingest appends many runs in cell order.
  const bufferRows = 10_000;
  const ingest = async (store: string, collection: string) => {
    const report = await ingestDataStore(
      engine,
      store,
      { ...served.config, collection },
      { eventBufferRows: bufferRows },
    );
    assert.equal(report.failed.length, 0, JSON.stringify(report.failed));
    return report;
  };
  const first = await ingest(stores.first, 'first');
  const firstRows = Number((await sqlRows(engine, 'SELECT count(*) FROM hearc.events'))[0]![0]);
  assert.ok(firstRows > 50_000, `${firstRows} events`);
  assert.deepEqual(
    first.eventsOrdered && 'rows' in first.eventsOrdered && first.eventsOrdered.rows,
    firstRows,
    'appended > ordered (0): rewritten',
  );
  assert.equal(await descents(engine), 0, 'in global (cell, time) order');
  const afterFirst = await eventsOrder(engine);
  assert.equal(afterFirst.orderedRows, firstRows);
  assert.equal(afterFirst.appendedRows, 0);
  assert.ok(afterFirst.orderedAt instanceof Date);

  const second = await ingest(stores.second, 'second');
  assert.equal(second.eventsOrdered, undefined, 'appended < ordered: not rewritten');
  const pending = await eventsOrder(engine);
  assert.ok(pending.appendedRows > bufferRows && pending.appendedRows < firstRows);
  assert.equal(eventsOrderDue(pending, bufferRows), false);
  assert.ok((await descents(engine)) > 0, 'the new runs are out of global order');

  // One observation proprietary: its events vanish for an anonymous client, before and after.
  const [hidden] = await tapRows(
    address,
    "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'first'",
  );
  const io = captureIo();
  const rightsArgs = ['rights', 'set', String(hidden?.obs_id), '--collection', 'first'];
  const rightsSet = [...rightsArgs, '--rights', 'proprietary', '--release-date', '2999-01-01'];
  assert.equal(await main([...rightsSet, '--db', engine.location], io), 0, io.err());
  const [[hiddenEvents] = []] = await sqlRows(
    engine,
    `SELECT count(*) FROM hearc.events e JOIN ivoa.obscore o USING (obs_publisher_did) WHERE o.obs_collection = 'first' AND o.obs_id = '${String(hidden?.obs_id)}'`,
  );
  assert.ok(Number(hiddenEvents) > 0);

  const answers = async () => {
    const out: unknown[] = [];
    for (const adql of SELECTIONS) out.push(await tapRows(address, adql));
    return out;
  };
  const before = { digest: await eventsDigest(engine), answers: await answers() };
  const [[stored] = []] = await sqlRows(engine, 'SELECT count(*) FROM hearc.events');
  assert.equal(
    Number((before.answers[0] as { n: number }[])[0]?.n),
    Number(stored) - Number(hiddenEvents),
    'the proprietary events are hidden',
  );

  // A query that started before the rewrite reads the table it started on, whole.
  const reading = await engine.stream('SELECT obs_publisher_did, event_id FROM hearc.events', {
    batchSize: 1000,
  });
  const iterator = reading[Symbol.asyncIterator]();
  let seen = (await iterator.next()).value?.length ?? 0;
  // The third ingest makes appended ≥ ordered: rewritten after it.
  const third = await ingest(stores.third, 'third');
  assert.ok(third.eventsOrdered && 'rows' in third.eventsOrdered);
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    seen += next.value.length;
  }
  assert.equal(seen, Number(stored), 'the query saw the table it began on, whole');
  assert.equal(await descents(engine), 0);

  // Rewritten again (the command, on the same catalog): same rows, same answers.
  const afterThird = { digest: await eventsDigest(engine), answers: await answers() };
  for (const answer of afterThird.answers) {
    assert.ok(Number((answer as { n: number }[])[0]?.n) > 0, 'each selection finds events');
  }
  const cluster = captureIo();
  assert.equal(
    await main(['events', 'cluster', '--db', engine.location], cluster),
    0,
    cluster.err(),
  );
  assert.match(cluster.out(), /hearc\.events rewritten in cell order: \d+ events/);
  assert.equal(await eventsDigest(engine), afterThird.digest);
  assert.deepEqual(await answers(), afterThird.answers);
  assert.notEqual(afterThird.digest, before.digest, 'the third store added events');

  // Its events withdrawn, the rest is what it was before the third ingest, hash for hash.
  const withdraw = captureIo();
  assert.equal(
    await main(['withdraw', '--db', engine.location, '--collection', 'third'], withdraw),
    0,
    withdraw.err(),
  );
  assert.equal(await eventsDigest(engine), before.digest);
  assert.deepEqual(await answers(), before.answers);

  // A rewrite that fails (here: its record cannot be written) leaves the table as it was.
  await ingest(stores.third, 'third');
  const unordered = { digest: await eventsDigest(engine), descents: await descents(engine) };
  assert.ok(unordered.descents > 0, 'appended < ordered: not rewritten');
  await engine.dropTables([eventsOrderTable]);
  await assert.rejects(orderEvents(engine), /events_order/);
  assert.equal(await eventsDigest(engine), unordered.digest);
  assert.equal(await descents(engine), unordered.descents);
  assert.deepEqual(
    await sqlRows(
      engine,
      "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'hearc' AND table_name LIKE 'events%'",
    ),
    [['events']],
    'no copy left behind',
  );
  await engine.ensureTables(catalogTables);
});

test('hearc events cluster on a stopped catalog; status says what is in order', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'store');
  await simulateDataStore({ outDir: store, observations: 3, seed: 9, eventsPerObservation: 5000 });
  const db = join(dir, 'catalog.duckdb');
  const io = captureIo();
  assert.equal(await main(['ingest', store, '--db', db], io), 0, io.err());
  assert.doesNotMatch(io.out(), /rewritten in cell order/, 'one buffer: in order already');

  const status = captureIo();
  assert.equal(await main(['events', 'status', '--db', db], status), 0, status.err());
  assert.match(
    status.out(),
    /in cell order: 0 events at the last rewrite\nappended since: \d+ events\nthe next ingest rewrites it: no/,
  );

  const engine = await openEngine(db);
  const digest = await eventsDigest(engine);
  await engine.close();
  const cluster = captureIo();
  assert.equal(await main(['events', 'cluster', '--db', db], cluster), 0, cluster.err());
  assert.match(cluster.out(), /rewritten in cell order: \d+ events in [\d.]+ s/);
  const again = await openEngine(db);
  t.after(() => again.close());
  assert.equal(await eventsDigest(again), digest);
  assert.equal(await descents(again), 0);
  const order = await eventsOrder(again);
  assert.equal(order.appendedRows, 0);
  assert.equal(`${order.orderedRows} rows`, digest.split(',')[0]);

  const usage = captureIo();
  assert.equal(await main(['events', 'sort', '--db', db], usage), 2);
});

test('hearc events cluster killed part-way leaves the catalog whole: as it was, or rewritten', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const engine = await openEngine(db);
  await engine.ensureTables(catalogTables);
  // Two ingests of one buffer each: two runs, fewer events than a rewrite is due for.
  for (const seed of [12, 13]) {
    const store = join(dir, `store${seed}`);
    await simulateDataStore({ outDir: store, observations: 3, seed, eventsPerObservation: 40_000 });
    const config = { ...PUBLIC, collection: `sim${seed}` };
    assert.equal((await ingestDataStore(engine, store, config)).eventsOrdered, undefined);
  }
  const before = {
    digest: await eventsDigest(engine),
    descents: await descents(engine),
    order: await eventsOrder(engine),
  };
  assert.ok(before.descents > 0);
  await engine.close();

  // How long the command takes to open the catalog and to rewrite it (on a copy), then
  // the command killed halfway through the rewrite (counted from its opening the file).
  const copy = join(dir, 'copy.duckdb');
  copyFileSync(db, copy);
  const started = performance.now();
  const trial = await openEngine(copy);
  await trial.ensureTables(catalogTables);
  const ready = (performance.now() - started) / 1000;
  const { seconds } = await orderEvents(trial);
  await trial.close();
  t.diagnostic(
    `the command opens the catalog in ${ready.toFixed(2)} s, rewrites it in ${seconds.toFixed(2)} s`,
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', HEARC, 'events', 'cluster', '--db', db],
    { stdio: 'ignore' },
  );
  t.after(() => child.kill('SIGKILL'));
  const fdLink = (fd: string): string | undefined => {
    try {
      return readlinkSync(`/proc/${child.pid}/fd/${fd}`, { encoding: 'utf8' });
    } catch {
      return undefined; // closed meanwhile
    }
  };
  const opened = (): boolean =>
    readdirSync(`/proc/${child.pid}/fd`).some((fd) => fdLink(fd) === db);
  while (child.exitCode === null && !opened()) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await new Promise((resolve) => setTimeout(resolve, (ready + seconds / 2) * 1000));
  // On a busy machine the timing can miss: the rewrite may be done (or not yet begun)
  // when the kill lands. Whatever the moment, the catalog is one of the two whole states.
  const finished = child.exitCode !== null;
  if (!finished) child.kill('SIGKILL');
  if (child.exitCode === null) await once(child, 'exit');
  t.diagnostic(finished ? 'the rewrite finished before the kill' : 'killed while running');

  const after = await openEngine(db);
  t.after(() => after.close());
  assert.equal(await eventsDigest(after), before.digest);
  const rewritten = (await descents(after)) === 0;
  if (finished) assert.equal(child.exitCode, 0, 'the rewrite that finished succeeded');
  if (!rewritten) {
    assert.equal(await descents(after), before.descents);
    assert.deepEqual(await eventsOrder(after), before.order);
  } else {
    assert.equal((await eventsOrder(after)).appendedRows, 0);
  }
  assert.deepEqual(
    await sqlRows(
      after,
      "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'hearc' AND table_name LIKE 'events%'",
    ),
    [['events']],
  );
  // And it can be rewritten after all.
  assert.ok((await orderEvents(after)).rows > 0);
  assert.equal(await eventsDigest(after), before.digest);
  assert.equal(await descents(after), 0);
});
