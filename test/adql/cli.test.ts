/** `hearc adql check` and `hearc adql translate`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

test('check: exit 0 for valid ADQL, 1 with a positioned error otherwise', async () => {
  const ok = captureIo(['SELECT TOP 5 anything, you_like', 'FROM my.stuff WHERE x > 1']);
  assert.equal(await main(['adql', 'check'], ok), 0);
  assert.equal(ok.err(), '');
  const bad = captureIo(['SELECT a', 'FROM t WHERE']);
  assert.equal(await main(['adql', 'check'], bad), 1);
  assert.match(bad.err(), /expected a value, found the end of the query \(line 2, column 13\)/);
});

test('check --schema obscore resolves names against the published tables', async () => {
  const ok = captureIo([
    'SELECT TOP 3 obs_id, s_ra FROM ivoa.obscore WHERE 1 = CONTAINS(POINT(s_ra, s_dec), CIRCLE(83.6, 22, 1))',
  ]);
  assert.equal(await main(['adql', 'check', '--schema', 'obscore'], ok), 0);
  const bad = captureIo(['SELECT s_ra2 FROM ivoa.obscore']);
  assert.equal(await main(['adql', 'check', '--schema', 'obscore'], bad), 1);
  assert.match(bad.err(), /unknown column 's_ra2' in ivoa\.obscore; did you mean 's_ra'\?/);
});

test('check --jsonl answers one line per input line, for thousands of queries', async () => {
  const lines = [
    JSON.stringify({ adql: 'SELECT * FROM t' }),
    JSON.stringify({ adql: 'SELECT FROM t' }),
    'not json',
    '',
    JSON.stringify({ query: 'SELECT 1' }),
    ...Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ adql: `SELECT TOP ${i} a, b + ${i} FROM s.t WHERE c = 'x${i}'` }),
    ),
  ];
  const io = captureIo(lines);
  assert.equal(await main(['adql', 'check', '--jsonl'], io), 1);
  const out = io
    .out()
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { valid: boolean; error?: string });
  assert.equal(out.length, lines.length - 1);
  assert.deepEqual(out[0], { valid: true });
  assert.equal(out[1]?.valid, false);
  assert.match(out[1]?.error ?? '', /missing select list/);
  assert.match(out[2]?.error ?? '', /input line 3 is not a JSON object with a string "adql"/);
  assert.match(out[3]?.error ?? '', /input line 5/);
  assert.ok(out.slice(4).every((r) => r.valid));
  const allGood = captureIo([JSON.stringify({ adql: 'SELECT a FROM t' })]);
  assert.equal(await main(['adql', 'check', '--jsonl'], allGood), 0);
});

test('translate prints the SQL for the chosen dialect', async () => {
  const query = [
    'SELECT TOP 10 obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT(s_ra, s_dec), CIRCLE(10, 20, 1))',
  ];
  const duck = captureIo(query);
  assert.equal(
    await main(['adql', 'translate', '--dialect', 'duckdb', '--max-rows', '5'], duck),
    0,
  );
  assert.match(
    duck.out(),
    /^SELECT "t1"\."obs_id" AS "obs_id" FROM "ivoa"\."obscore" AS "t1" WHERE .*hearc_in_circle.* LIMIT 5\n$/,
  );
  const pg = captureIo(query);
  assert.equal(await main(['adql', 'translate', '--dialect', 'postgres'], pg), 0);
  assert.match(pg.out(), /<@ scircle\(/);
  const bad = captureIo(['SELECT nope FROM ivoa.obscore']);
  assert.equal(await main(['adql', 'translate', '--dialect', 'duckdb'], bad), 1);
  assert.match(bad.err(), /unknown column 'nope'/);
});

test('usage errors exit 2 and show the usage', async () => {
  for (const args of [
    ['adql'],
    ['adql', 'frob'],
    ['adql', 'translate'],
    ['adql', 'translate', '--dialect', 'oracle'],
    ['adql', 'check', 'extra'],
  ]) {
    const io = captureIo();
    assert.equal(await main(args, io), 2, args.join(' '));
    assert.match(io.err(), /usage: hearc adql check/);
  }
  const help = captureIo();
  assert.equal(await main(['adql', '--help'], help), 0);
  assert.match(help.out(), /--jsonl/);
});
