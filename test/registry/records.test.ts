/**
 * `hearc registry show` on an ingested catalog: every record is valid against the
 * VOResource, VODataService, TAPRegExt, VORegistry and RegistryInterface schemas, and
 * the coverage follows the data (every pointing inside the spatial MOC, every
 * observation inside a temporal interval, energies in J, wavebands from messengers,
 * `updated` the date of the newest ingest).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { mocLibrary } from '../../src/moc/index.js';
import { ingestStateTable, obscoreTable } from '../../src/obscore/schema.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';
import { requireSchemas, schemaErrors } from '../helpers/xsd.js';
import { twoCollectionCatalog } from './fixtures.js';

const BASE = 'https://vo.example.org/hearc';

/** The records `hearc registry show` prints, each as its own document. */
async function showRecords(db: string, ...extra: string[]): Promise<string[]> {
  const io = captureIo();
  const code = await main(
    ['registry', 'show', '--db', db, '--base-url', BASE, '--authority', 'test.hearc', ...extra],
    io,
  );
  assert.equal(code, 0, io.err());
  return io
    .out()
    .split(/(?=<ri:Resource )/)
    .filter((part) => part.startsWith('<ri:Resource '));
}

const text = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}(?: [^>]*)?>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

test('records of the service and its collections: schema-valid, with coverage from the data', async (t) => {
  if (!requireSchemas(t)) return;
  const { db, engine } = await twoCollectionCatalog(t);
  const observations = await engine.selectRows(obscoreTable);
  const ingestedAt = (await engine.selectRows(ingestStateTable)).map(
    (r) =>
      new Date(String(r.ingested_at instanceof Date ? r.ingested_at.toISOString() : r.ingested_at)),
  );
  await engine.close();

  const records = await showRecords(db);
  const types = records.map((r) => /xsi:type="([^"]+)"/.exec(r)![1]);
  assert.deepEqual(types, [
    'vg:Authority',
    'vg:Registry',
    'vs:CatalogService',
    'vs:CatalogResource',
    'vs:CatalogResource',
  ]);
  for (const record of records) {
    const errors = schemaErrors(`<?xml version="1.0" encoding="UTF-8"?>\n${record}`);
    assert.equal(errors, '', `${text(record, 'identifier')[0]}:\n${errors}`);
  }
  const [, registry, service, north, south] = records as [string, string, string, string, string];
  assert.deepEqual(text(service, 'identifier'), ['ivo://test.hearc/tap']);
  assert.deepEqual(text(north, 'identifier'), ['ivo://test.hearc/north']);
  assert.match(service, /standardID="ivo:\/\/ivoa.net\/std\/TAP" xsi:type="tr:TableAccess"/);
  assert.match(service, /<accessURL use="base">https:\/\/vo.example.org\/hearc\/tap<\/accessURL>/);
  for (const standard of ['DataLink#links-1.1', 'SODA#sync-1.0', 'VOSI#tables-1.1']) {
    assert.ok(service.includes(`standardID="ivo://ivoa.net/std/${standard}"`), standard);
  }
  assert.match(service, /<relatedResource ivo-id="ivo:\/\/test.hearc\/north">/);
  assert.match(north, /<relationshipType>IsServedBy<\/relationshipType>/);
  assert.match(north, /standardID="ivo:\/\/ivoa.net\/std\/TAP#aux"/);
  assert.match(registry, /<accessURL use="base">https:\/\/vo.example.org\/hearc\/oai<\/accessURL>/);
  assert.deepEqual(text(registry, 'managedAuthority'), ['test.hearc']);
  assert.deepEqual(text(service, 'waveband'), ['Gamma-ray']);
  // The full MOCs are a footprint away (the time and space-time ones beside them in /moc).
  assert.deepEqual(text(service, 'footprint'), ['https://vo.example.org/hearc/moc/service.fits']);
  assert.deepEqual(text(north, 'footprint'), ['https://vo.example.org/hearc/moc/north.fits']);
  assert.match(north, /<footprint ivo-id="ivo:\/\/ivoa.net\/std\/moc">/);

  // Every pointing is inside the service's spatial MOC and each collection's own.
  const library = await mocLibrary();
  for (const [record, rows] of [
    [service, observations],
    [north, observations.filter((o) => o.obs_collection === 'north')],
    [south, observations.filter((o) => o.obs_collection === 'south')],
  ] as const) {
    const moc = library.MOC.fromAscii(text(record, 'spatial')[0]!);
    const coos = Float64Array.from(rows.flatMap((o) => [Number(o.s_ra), Number(o.s_dec)]));
    assert.deepEqual(
      [...moc.filterCoos(coos)],
      rows.map(() => 1),
    );
    moc.free();
    // Every observation lies in a temporal interval (MJD; TCB vs UTC differ by minutes).
    const intervals = text(record, 'temporal').map((s) => s.split(' ').map(Number));
    for (const o of rows) {
      assert.ok(
        intervals.some(([a, b]) => a! <= Number(o.t_min) + 0.01 && Number(o.t_max) - 0.01 <= b!),
        `observation ${String(o.obs_id)} outside the temporal coverage`,
      );
    }
    // Spectral coverage in J: 0.1 to 100 TeV is 1.6e-8 to 1.6e-5 J.
    const [low, high] = text(record, 'spectral')[0]!.split(' ').map(Number);
    assert.ok(low! > 1e-9 && low! < high! && high! < 1e-4, `spectral ${low} ${high}`);
  }

  // `updated` is the date of the newest ingest, of all (service) or of the collection.
  const newest = new Date(Math.max(...ingestedAt.map((d) => d.getTime())));
  assert.equal(/updated="([^"]+)"/.exec(service)![1], `${newest.toISOString().slice(0, 19)}Z`);

  const one = await showRecords(db, '--identifier', 'IVO://test.hearc/south');
  assert.equal(one.length, 1);
  assert.deepEqual(text(one[0]!, 'identifier'), ['ivo://test.hearc/south']);
});

test('hearc registry show needs a public URL and names a missing record', async (t) => {
  const db = join(tempDir(t), 'catalog.duckdb');
  const io = captureIo();
  assert.equal(await main(['registry', 'show', '--db', db], io), 2);
  assert.match(io.err(), /public URL of the service: give --base-url/);
  const io2 = captureIo();
  assert.equal(
    await main(
      ['registry', 'show', '--db', db, '--base-url', BASE, '--identifier', 'ivo://x/y'],
      io2,
    ),
    1,
  );
  assert.match(io2.err(), /no record has the identifier ivo:\/\/x\/y/);
});
