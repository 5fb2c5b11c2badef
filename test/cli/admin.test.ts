/**
 * Operating a running service on a DuckDB catalog: while `hearc serve` owns the file,
 * `hearc ingest`, `hearc withdraw`, `hearc events`, `hearc rights`, `hearc token` and `hearc registry` reach it through the
 * server's local admin socket; new runs appear in TAP without a restart, and never a
 * lock error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { adminSocketPath } from '../../src/cli/admin.js';
import { main } from '../../src/cli/main.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { captureIo } from '../helpers/io.js';
import { freePort } from '../helpers/net.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';

const SERVE = fileURLToPath(new URL('../uws/serve-process.ts', import.meta.url));

test('ingest, rights and token work while hearc serve owns the DuckDB catalog', async (t) => {
  const dir = tempDir(t);
  const first = join(dir, 'first');
  const tonight = join(dir, 'tonight');
  await simulateDataStore({ outDir: first, observations: 2, seed: 3, eventsPerObservation: 100 });
  await simulateDataStore({ outDir: tonight, observations: 1, seed: 4, eventsPerObservation: 100 });
  const db = join(dir, 'catalog.duckdb');
  const io = captureIo();
  assert.equal(await main(['ingest', first, '--db', db, '--collection', 'first'], io), 0, io.err());

  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SERVE, 'serve', '--db', db, '--port', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HEARC_LOG: 'json' } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(() => child.kill('SIGKILL'));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hearc serve exited: ${stderr}`);
    const up = await fetch(`${address}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const socket = adminSocketPath(db);
  assert.equal(statSync(socket).mode & 0o777, 0o600, 'only the server user may use the socket');

  const count = async (): Promise<number> =>
    Number((await tapRows(address, 'SELECT COUNT(*) AS n FROM ivoa.obscore'))[0]?.n);
  assert.equal(await count(), 2);

  const ingest = captureIo();
  const code = await main(['ingest', tonight, '--db', db, '--collection', 'tonight'], ingest);
  assert.equal(code, 0, ingest.err());
  assert.match(ingest.err(), /run by the hearc serve that owns/);
  assert.match(ingest.out(), /added 1/);
  assert.doesNotMatch(ingest.err(), /lock/i);
  assert.equal(await count(), 3, 'the new run is published without a restart');

  // hearc.events rewritten in cell order by the server, while it serves them.
  const events = async (): Promise<unknown> =>
    (await tapRows(address, 'SELECT COUNT(*) AS n, SUM(energy) AS e FROM hearc.events'))[0];
  const before = await events();
  const cluster = captureIo();
  assert.equal(await main(['events', 'cluster', '--db', db], cluster), 0, cluster.err());
  assert.match(cluster.err(), /run by the hearc serve that owns/);
  assert.match(cluster.out(), /hearc\.events rewritten in cell order: \d+ events/);
  assert.deepEqual(await events(), before);

  // The registry records are read from the catalog the server holds.
  const registry = captureIo();
  const shown = await main(
    ['registry', 'show', '--db', db, '--base-url', 'https://vo.example.org/hearc'],
    registry,
  );
  assert.equal(shown, 0, registry.err());
  assert.match(registry.out(), /<identifier>ivo:\/\/[^/<]+\/tonight<\/identifier>/);
  assert.doesNotMatch(registry.err(), /lock/i);

  const [run] = await tapRows(
    address,
    "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = 'tonight'",
  );
  const rights = captureIo();
  assert.equal(
    await main(
      [
        'rights',
        'set',
        String(run?.obs_id),
        '--rights',
        'proprietary',
        '--release-date',
        '2999-01-01',
        '--collection',
        'tonight',
        '--db',
        db,
      ],
      rights,
    ),
    0,
    rights.err(),
  );
  const [changed] = await tapRows(
    address,
    "SELECT data_rights FROM ivoa.obscore WHERE obs_collection = 'tonight'",
  );
  assert.equal(changed?.data_rights, 'proprietary');

  // A command that only reads meets no lock either: the server answers it.
  const search = captureIo();
  const searched = await main(
    ['coincidence', '--db', db, '--pos', 'CIRCLE 0 0 1', '--time', '50000', '--after', '1'],
    search,
  );
  assert.equal(searched, 0, search.err());
  assert.doesNotMatch(search.err(), /lock/i);

  // Withdrawing goes through the server too, and TAP stops serving the collection at once.
  const withdraw = captureIo();
  assert.equal(
    await main(['withdraw', '--db', db, '--collection', 'tonight', '--by', 'ada'], withdraw),
    0,
    withdraw.err(),
  );
  assert.match(withdraw.err(), /run by the hearc serve that owns/);
  assert.match(withdraw.out(), /collection tonight withdrawn whole/);
  assert.equal(await count(), 2);

  const token = captureIo();
  assert.equal(await main(['token', 'create', '--user', 'ada', '--db', db], token), 0, token.err());
  assert.ok(token.out().trim().length > 20, 'the token is printed once');
  // The server stopped: commands open the catalog themselves again.
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const after = captureIo();
  assert.equal(await main(['token', 'list', '--db', db], after), 0, after.err());
  assert.match(after.out(), /ada/);
});
