/**
 * The product cache on its own: an event list gathered from several files (GTI kept
 * apart from EVENTS, an EVENTS HDU of another observation left out), a missing
 * source, and the {links} parameters and overflow report.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { PublishedDataset } from '../../src/datalink/catalog.js';
import { ProductCache, ProductSourceError } from '../../src/datalink/products.js';
import { linksParameters } from '../../src/datalink/service.js';
import { linksDocument } from '../../src/datalink/votable.js';
import { copyHdus, scanHdus } from '../../src/fits/index.js';
import { tempDir } from '../helpers/tmp.js';
import { simulatedStore } from './fixtures.js';

/** The bytes of one HDU of a (gzipped) FITS file, as stored. */
async function hduBytes(path: string, name: string): Promise<Buffer> {
  const raw = readFileSync(path);
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const hdu = (await scanHdus(path)).find((h) => h.name === name);
  assert.ok(hdu, `${path} has no HDU ${name}`);
  return bytes.subarray(hdu.headerOffset, hdu.headerOffset + hdu.hduByteLength);
}

test('an event list gathered from several files keeps only this observation, events first', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const [mine, other] = runs.map((r) => join(dir, r.fileName)) as [string, string];
  await copyHdus(mine, join(dir, 'gti.fits'), ['GTI']);
  await copyHdus(mine, join(dir, 'events.fits'), ['EVENTS']);
  await copyHdus(other, join(dir, 'other-events.fits'), ['EVENTS']);
  const dataset: PublishedDataset = {
    did: 'ivo://test/sim?1',
    collection: 'sim',
    obsId: String(runs[0]!.obsId),
    dataStore: dir,
    files: ['gti.fits', 'other-events.fits', 'events.fits'],
    fingerprint: 'f1',
    irfs: [],
  };
  const cache = new ProductCache(join(tempDir(t), 'cache'));
  const built = await cache.eventList(dataset);
  const bytes = readFileSync(built);
  assert.deepEqual(
    (await scanHdus(built)).map((h) => h.name),
    ['', 'EVENTS', 'GTI'],
  );
  assert.deepEqual(
    bytes.subarray(2880),
    Buffer.concat([await hduBytes(mine, 'EVENTS'), await hduBytes(mine, 'GTI')]),
  );
  assert.equal(await cache.builtSize(dataset, 'events.fits'), bytes.length);

  // A new ingest (another fingerprint) builds anew and drops the older version.
  const reingested = { ...dataset, fingerprint: 'f2' };
  assert.equal(await cache.builtSize(reingested, 'events.fits'), undefined);
  const rebuilt = await cache.eventList(reingested);
  // The same HDUs; the primary header's CHECKSUM comment carries the time it was written.
  assert.deepEqual(readFileSync(rebuilt).subarray(2880), bytes.subarray(2880));
  assert.equal(await cache.builtSize(dataset, 'events.fits'), undefined);

  rmSync(join(dir, 'events.fits'));
  await assert.rejects(cache.eventList({ ...dataset, fingerprint: 'f3' }), ProductSourceError);
  await assert.rejects(
    cache.eventList({ ...dataset, fingerprint: 'f4', files: ['gti.fits'] }),
    /no EVENTS HDU/,
  );
  await assert.rejects(
    cache.eventList({ ...dataset, fingerprint: 'f5', files: ['../outside.fits'] }),
    ProductSourceError,
  );
});

test('{links} parameters: IDs in order without repeats, formats, limits', async () => {
  const parse = (pairs: [string, string][], max?: number) => linksParameters(pairs, max);
  assert.deepEqual(
    parse([
      ['ID', 'a'],
      ['id', 'b'],
      ['Id', 'a'],
      ['ID', ''],
    ]),
    {
      ok: true,
      ids: ['a', 'b'],
      overflow: false,
    },
  );
  assert.deepEqual(
    parse(
      [
        ['ID', 'a'],
        ['ID', 'b'],
        ['ID', 'c'],
      ],
      2,
    ),
    {
      ok: true,
      ids: ['a', 'b'],
      overflow: true,
    },
  );
  for (const format of [
    'votable',
    'application/x-votable+xml',
    'application/x-votable+xml; content=datalink',
    '',
  ]) {
    assert.equal(
      parse([
        ['ID', 'a'],
        ['RESPONSEFORMAT', format],
      ]).ok,
      true,
      format,
    );
  }
  const refused = parse([
    ['ID', 'a'],
    ['RESPONSEFORMAT', 'text/csv'],
  ]);
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.message, /^UsageFault: /);
  const none = parse([['MAXREC', '3']]);
  assert.match(none.ok ? '' : none.message, /^UsageFault: .*ID/);

  const overflowing = await linksDocument([], { overflow: true });
  assert.match(overflowing, /<\/TABLE>\s*<INFO name="QUERY_STATUS" value="OVERFLOW"/);
  assert.match(
    overflowing,
    /<INFO name="standardID" value="ivo:\/\/ivoa.net\/std\/DataLink#links-1.1"/,
  );
});
