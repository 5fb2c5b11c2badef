/**
 * Rights and tokens from the command line: ingest with a proprietary period and an
 * owning group, `hearc rights show|set` (an override kept over re-ingest, every change
 * recorded with who and when), `hearc token create|revoke` (the secret never stored).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiTokenStore, apiTokenTable, rightsChangeTable } from '../../src/auth/index.js';
import { main } from '../../src/cli/main.js';
import { openEngine } from '../../src/engine/index.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { simulatedStore } from '../datalink/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';

const rowsOf = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));

test('ingest --proprietary-months --group, rights show/set, and the change history', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const db = join(tempDir(t), 'catalog.duckdb');
  const ingest = (...extra: string[]) =>
    main(['ingest', dir, '--db', db, '--collection', 'sim', ...extra], captureIo());
  assert.equal(await ingest('--proprietary-months', '12', '--group', 'alpha'), 0);

  let io = captureIo();
  assert.equal(await main(['rights', 'show', '--db', db], io), 0);
  const shown = rowsOf(io.out());
  assert.equal(shown.length, runs.length);
  for (const [, collection, rights, release, group, overridden] of shown) {
    assert.equal(collection, 'sim');
    assert.equal(rights, 'proprietary');
    assert.equal(group, 'alpha');
    assert.equal(overridden, 'no');
    // Released 12 months after the (simulated) observation ended.
    assert.ok(new Date(release!).getTime() > Date.parse('2000-01-01'), release);
  }

  const obsId = String(runs[0]!.obsId);
  io = captureIo();
  const set = ['rights', 'set', obsId, '--db', db, '--release-date', '2031-02-03T00:00:00Z'];
  assert.equal(await main([...set, '--group', 'beta', '--by', 'operator-1'], io), 0, io.err());
  assert.deepEqual(rowsOf(io.out())[0]!.slice(2), [
    'proprietary',
    '2031-02-03T00:00:00.000Z',
    'beta',
    'yes',
  ]);

  // Re-ingest with other settings: the override stays, the others follow the configuration.
  assert.equal(await ingest('--proprietary-months', '1', '--group', 'gamma'), 0);
  io = captureIo();
  assert.equal(await main(['rights', 'show', '--db', db], io), 0);
  const after = new Map(rowsOf(io.out()).map((row) => [row[0], row]));
  assert.deepEqual(after.get(obsId)!.slice(2, 5), [
    'proprietary',
    '2031-02-03T00:00:00.000Z',
    'beta',
  ]);
  assert.equal(after.get(String(runs[1]!.obsId))![4], 'gamma');

  io = captureIo();
  assert.equal(await main(['rights', 'set', '999999', '--db', db, '--group', 'x'], io), 1);
  assert.match(io.err(), /observation 999999 is not in the catalog/);
  assert.equal(await main(['rights', 'set', obsId, '--db', db], captureIo()), 2);

  const engine = await openEngine(db);
  t.after(() => engine.close());
  const history = await engine.selectRows(rightsChangeTable);
  const byOperator = history.filter((row) => row.changed_by === 'operator-1');
  assert.equal(byOperator.length, 1);
  assert.equal(byOperator[0]!.via, 'hearc rights set');
  assert.ok(byOperator[0]!.changed_at instanceof Date);
  assert.ok(history.some((row) => row.changed_by === 'ingest' && row.owner_group === 'gamma'));
});

test('a future release date or an owning group never leaves data public', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const db = join(tempDir(t), 'catalog.duckdb');
  const ingest = (io: ReturnType<typeof captureIo>, ...extra: string[]) =>
    main(['ingest', dir, '--db', db, '--collection', 'sim', ...extra], io);
  const show = async (): Promise<{ rows: string[][]; err: string }> => {
    const io = captureIo();
    assert.equal(await main(['rights', 'show', '--db', db], io), 0, io.err());
    return { rows: rowsOf(io.out()), err: io.err() };
  };

  // Stated public rights with either are refused, and nothing is written.
  for (const extra of [
    ['--release-date', '2999-01-01'],
    ['--group', 'g'],
  ]) {
    const io = captureIo();
    assert.equal(await ingest(io, '--rights', 'public', ...extra), 2, extra.join(' '));
    assert.match(io.err(), /public data are open to everyone, so .* would protect nothing/);
  }
  assert.deepEqual((await show()).rows, []);

  let io = captureIo();
  assert.equal(await ingest(io, '--release-date', '2999-01-01', '--group', 'g'), 0, io.err());
  assert.match(
    io.out(),
    /note: data_rights set to proprietary because of a release date in the future \(2999-01-01.*\) and an owning group \(g\)/,
  );
  for (const row of (await show()).rows)
    assert.deepEqual(row.slice(2, 5), ['proprietary', '2999-01-01T00:00:00.000Z', 'g']);

  // rights set: the same rule on each observation.
  const obsId = String(runs[0]!.obsId);
  const set = (...extra: string[]) => {
    const setIo = captureIo();
    return main(['rights', 'set', obsId, '--db', db, ...extra], setIo).then((code) => ({
      code,
      io: setIo,
    }));
  };
  let result = await set('--rights', 'public');
  assert.equal(result.code, 1);
  assert.match(
    result.io.err(),
    new RegExp(
      `observation ${obsId}: public data are open to everyone, so a release date in the future .* and an owning group \\(g\\) would protect nothing`,
    ),
  );
  result = await set('--rights', 'public', '--release-date', 'none', '--group', 'none');
  assert.equal(result.code, 0, result.io.err());
  assert.deepEqual(rowsOf(result.io.out())[0]!.slice(2, 5), ['public', '-', '-']);
  result = await set('--group', 'h');
  assert.equal(result.code, 0, result.io.err());
  assert.deepEqual(rowsOf(result.io.out())[0]!.slice(2, 5), ['proprietary', '-', 'h']);
  assert.match(
    result.io.err(),
    /note: observation .*: data_rights set to proprietary because of an owning group \(h\)/,
  );

  // A catalog written before the rule (or by another tool): show flags the contradiction.
  const other = join(tempDir(t), 'older.duckdb');
  const engine = await openEngine(other);
  await engine.ensureTables(catalogTables);
  await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: 'sim',
    accessMode: 'datalink',
    dataRights: 'public',
    ownerGroup: 'g',
    releaseDate: new Date('2999-01-01T00:00:00Z'),
  });
  await engine.close();
  io = captureIo();
  assert.equal(await main(['rights', 'show', '--db', other], io), 0);
  assert.equal(rowsOf(io.out()).length, runs.length);
  const warnings = io.err().trim().split('\n');
  assert.equal(warnings.length, runs.length, io.err());
  assert.match(
    warnings[0]!,
    /^warning: observation \S+ is public \(open to everyone\) but has a release date in the future .* and an owning group \(g\), which protects nothing/,
  );
});

test('token create prints the token once and stores only its digest; revoke stops it', async (t) => {
  const db = join(tempDir(t), 'catalog.duckdb');
  let io = captureIo();
  assert.equal(
    await main(['token', 'create', '--user', 'ada', '--groups', 'alpha,beta', '--db', db], io),
    0,
  );
  const token = io.out().trim();
  assert.match(token, /^hearc_[A-Za-z0-9]{12}_/);
  const id = token.split('_')[1]!;
  assert.equal(
    await main(
      ['token', 'create', '--user', 'x', '--groups', 'bad group', '--db', db],
      captureIo(),
    ),
    2,
  );

  let engine = await openEngine(db);
  const stored = await engine.selectRows(apiTokenTable);
  assert.equal(stored.length, 1);
  // The secret is base64url: it may hold '_' itself, so it is what follows the id.
  const secret = token.slice(`hearc_${id}_`.length);
  assert.ok(!JSON.stringify(stored).includes(secret), 'the secret is not stored');
  const check = await new ApiTokenStore(engine).check(token);
  assert.ok(check.ok && check.info.user === 'ada' && check.info.groups.join() === 'alpha,beta');
  await engine.close();

  io = captureIo();
  assert.equal(await main(['token', 'revoke', id, '--db', db], io), 0);
  assert.equal(await main(['token', 'revoke', 'nosuchtoken0', '--db', db], captureIo()), 1);
  io = captureIo();
  assert.equal(await main(['token', 'list', '--db', db], io), 0);
  assert.match(io.out(), new RegExp(`${id}\\tada\\talpha,beta\\t\\S+\\t20`));

  engine = await openEngine(db);
  t.after(() => engine.close());
  const revoked = await new ApiTokenStore(engine).check(token);
  assert.ok(!revoked.ok && /revoked/.test(revoked.reason));
  const forged = await new ApiTokenStore(engine).check(`${token.slice(0, -1)}A`);
  assert.ok(!forged.ok);
});
