/**
 * `hearc alerts ingest`: GCN notices (the schema's own IceCube and KM3NeT examples), a
 * VOEvent whose position, error and time land in hearc.alerts exactly, a multi-order
 * skymap with its credible regions, revisions kept, and bad documents refused by name.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { alertsTable } from '../../src/alerts/index.js';
import { main } from '../../src/cli/main.js';
import { openEngine } from '../../src/engine/index.js';
import { simulateSkymap } from '../../src/sim/skymap.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';
import { VOEVENT } from './fixtures.js';

const require = createRequire(import.meta.url);
const GCN = join(dirname(require.resolve('@nasa-gcn/schema/package.json')), 'gcn', 'notices');

async function alertRows(db: string): Promise<Record<string, unknown>[]> {
  const engine = await openEngine(db);
  try {
    return (await engine.selectRows(alertsTable)).map((r) => ({ ...r }));
  } finally {
    await engine.close();
  }
}

test('the IceCube and KM3NeT examples of @nasa-gcn/schema ingest without error', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const files = [
    join(GCN, 'icecube', 'single_neutrino_alerts.gold_bronze_track_alerts.example.json'),
    join(GCN, 'icecube', 'lvk_nu_track_search.example.json'),
    join(GCN, 'km3net', 'alert.example.json'),
    join(GCN, 'km3net', 'alert.multiplet.example.json'),
  ];
  const io = captureIo();
  assert.equal(await main(['alerts', 'ingest', ...files, '--db', db], io), 0, io.err());
  const rows = await alertRows(db);
  assert.equal(rows.length, 4);
  const icecube = rows.find((r) => r.alert_id === 'IceCube-230416A');
  assert.ok(icecube, JSON.stringify(rows.map((r) => r.alert_id)));
  assert.equal(icecube.messenger, 'neutrino');
  assert.equal(icecube.ra, 345.82);
  assert.equal(icecube.dec, 9.01);
  assert.equal(icecube.err90, 0.5);
  assert.equal(icecube.revision, 1);
  // 2023-04-16 is MJD 60050.
  assert.ok(
    Math.abs((icecube.t_event as number) - (60050 + (5 * 3600 + 22 * 60 + 26.150574) / 86400)) <
      1e-9,
  );
  // A Gaussian whose 90 % circle has radius 0.5°: the 90 % region is about π·0.5² deg².
  assert.ok(
    Math.abs((icecube.area90 as number) / (Math.PI * 0.25) - 1) < 0.1,
    String(icecube.area90),
  );
  assert.match(String(icecube.moc90), /^\d+\/\d/);
  const km3 = rows.find((r) => r.alert_id === 'KM3-240901A');
  assert.equal(km3?.err50, 0.49);
  assert.equal(km3?.err90, 0.9);
  assert.equal(km3?.format, 'gcn-json');

  // The same files again: nothing changes.
  const again = captureIo();
  assert.equal(await main(['alerts', 'ingest', ...files, '--db', db], again), 0, again.err());
  assert.match(again.out(), /unchanged KM3-240901A revision 1/);
  assert.equal((await alertRows(db)).length, 4);

  // An update (record_number 2) is a new revision; the first one stays.
  const update = JSON.parse(readFileSync(files[2] as string, 'utf8')) as Record<string, unknown>;
  update.record_number = 2;
  update.alert_type = 'update';
  update.ra = 10.9;
  const updated = join(dir, 'km3-update.json');
  writeFileSync(updated, JSON.stringify(update));
  assert.equal(await main(['alerts', 'ingest', updated, '--db', db], captureIo()), 0);
  const history = (await alertRows(db)).filter((r) => r.alert_id === 'KM3-240901A');
  assert.deepEqual(history.map((r) => [r.revision, r.ra]).sort(), [
    [1, 10.82],
    [2, 10.9],
  ]);
});

test("a VOEvent's position, error and time land in hearc.alerts exactly", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const file = join(dir, 'nu.xml');
  writeFileSync(file, VOEVENT);
  const io = captureIo();
  assert.equal(await main(['alerts', 'ingest', file, '--db', db], io), 0, io.err());
  const [row] = await alertRows(db);
  assert.ok(row);
  assert.equal(row.alert_id, 'NU-240310A');
  assert.equal(row.revision, 1);
  assert.equal(row.ra, 83.6331);
  assert.equal(row.dec, 22.0145);
  assert.equal(row.err90, 0.75);
  assert.equal(row.err50, 0.35);
  // 2024-03-10 is MJD 60379.
  assert.equal(row.t_event, 60379 + (21 * 3600 + 4 * 60 + 32.25) / 86400);
  assert.equal(row.t_event_iso, '2024-03-10T21:04:32.25');
  assert.equal(row.source, 'ivo://hearc.test/alerts#NU-240310A-1');
  assert.equal(row.author, 'ivo://hearc.test/neutrino-telescope');
  assert.equal(row.messenger, 'neutrino');
  assert.equal(row.document, VOEVENT);
});

test('a multi-order skymap keeps its probability map and credible regions', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const file = join(dir, 'S240310ab.multiorder.fits');
  await simulateSkymap({
    path: file,
    object: 'S240310ab',
    dateObs: '2024-03-10T21:04:32.250',
    ra: 120,
    dec: -30,
    sigma: 3,
  });
  const io = captureIo();
  assert.equal(await main(['alerts', 'ingest', file, '--db', db], io), 0, io.err());
  const [row] = await alertRows(db);
  assert.equal(row?.alert_id, 'S240310ab');
  assert.equal(row?.messenger, 'gravitational-wave');
  assert.ok(Math.abs((row?.ra as number) - 120) < 0.2 && Math.abs((row?.dec as number) + 30) < 0.2);
  // 2-D Gaussian: the r-containment is 1 - exp(-r²/2σ²); area90 = 2π·ln(10)·σ².
  const expected = 2 * Math.PI * Math.log(10) * 9;
  assert.ok(
    Math.abs((row?.area90 as number) / expected - 1) < 0.05,
    `${row?.area90} vs ${expected}`,
  );
  assert.ok((row?.area50 as number) < (row?.area90 as number));
});

test('bad alert documents are refused with the problem named, the others stored', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const bad = JSON.parse(readFileSync(join(GCN, 'km3net', 'alert.example.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  bad.ra = 'ten';
  const cases: Record<string, string> = {
    'schema.json': JSON.stringify(bad),
    'noschema.json': '{"ra": 1}',
    'doctype.xml': `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${VOEVENT}`,
    'notime.xml': VOEVENT.replace(/<Time unit="s">.*<\/Time>/, ''),
    'text.txt': 'hello',
  };
  const files = Object.entries(cases).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  const good = join(dir, 'good.xml');
  writeFileSync(good, VOEVENT);
  const io = captureIo();
  assert.equal(await main(['alerts', 'ingest', ...files, good, '--db', db], io), 1);
  const err = io.err();
  assert.match(
    err,
    /schema\.json: does not follow .*km3net\/alert\.schema\.json: \/ra must be number/,
  );
  assert.match(err, /noschema\.json: a GCN notice names its schema in "\$schema"/);
  assert.match(err, /doctype\.xml: .*DOCTYPE .* not accepted/);
  assert.match(err, /notime\.xml: no Time\/TimeInstant\/ISOTime/);
  assert.match(err, /text\.txt: not an alert document/);
  assert.equal((await alertRows(db)).length, 1);
});
