import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildImage,
  isGzip,
  readFits,
  writeFits,
  type ColumnValues,
  type FitsFile,
} from '../../src/fits/index.js';
import { requireAstropy, requireFitsverify } from '../helpers/env.js';
import { assertSameAsAstropy, dumpWithAstropy } from './astropy.js';
import {
  EXTRA_CARDS,
  everyColumn,
  everyColumnTable,
  everyImage,
  LONG_STRING,
  tempDir,
} from './fixtures.js';

async function writeEverything(dir: string): Promise<{ plain: string; gzipped: string }> {
  const plain = join(dir, 'everything.fits');
  // The .fits name on a gzip file: readers must look at the bytes, not the name.
  const gzipped = join(dir, 'everything-gz.fits');
  const primary = buildImage({
    primary: true,
    bitpix: 16,
    shape: [3, 2],
    data: Int16Array.from([1, 2, 3, 4, 5, 6]),
  });
  const hdus = [primary, everyColumnTable(), ...everyImage()];
  await writeFits(plain, hdus);
  await writeFits(gzipped, hdus, { gzip: true });
  return { plain, gzipped };
}

function sameValues(actual: ColumnValues, expected: unknown, where: string): void {
  if (Array.isArray(expected) && expected.length > 0 && ArrayBuffer.isView(expected[0])) {
    const rows = actual as ColumnValues[];
    assert.equal(rows.length, expected.length, where);
    rows.forEach((row, r) => sameValues(row, expected[r], `${where} row ${r}`));
    return;
  }
  assert.deepEqual(
    Array.from(actual as ArrayLike<unknown>),
    Array.from(expected as ArrayLike<unknown>),
    where,
  );
}

function checkContent(file: FitsFile): void {
  const table = file.bintable('everything');
  assert.equal(table.rowCount, 5);
  for (const spec of everyColumn()) {
    const column = table.readColumn(spec.name);
    const expected = spec.name === 'FLAGS3' || spec.name === 'FLAG' ? spec.values : spec.values;
    sameValues(column.values, expected, spec.name);
    assert.equal(column.descriptor.unit, spec.unit, `${spec.name} unit`);
    assert.deepEqual(column.descriptor.dim, spec.dim, `${spec.name} dim`);
  }
  assert.ok(table.readColumn('USHORT').values instanceof Uint16Array);
  assert.ok(table.readColumn('ULONG').values instanceof BigUint64Array);
  assert.ok(table.readColumn('SBYTE').values instanceof Int8Array);
  assert.equal(table.column('INT').nullValue, -999);
  assert.equal(table.column('VARE').variable?.descriptor, 'P');
  assert.equal(table.column('VARE').variable?.maxLength, 4);
  assert.equal(table.column('VARD').variable?.descriptor, 'Q');
  const header = table.header;
  assert.equal(header.getString('LONGTEXT'), LONG_STRING);
  assert.equal(header.getString('ESO DET CHIP NAME'), 'CCD #1');
  assert.equal(header.get('BIGINT'), 9007199254740993n);
  assert.deepEqual(header.get('CPLXVAL'), { re: 1.5, im: -2.25 });
  assert.equal(header.get('NOVALUE'), null);
  for (const card of EXTRA_CARDS.filter((c) => c.value !== undefined)) {
    assert.deepEqual(header.get(card.keyword), card.value, card.keyword);
  }
  const images = everyImage();
  for (const built of images) {
    const name = built.header.getString('EXTNAME')!;
    const read = file.image(name).read();
    const written = spawnlessExpected(name);
    assert.deepEqual(Array.from(read as ArrayLike<unknown>), written, name);
  }
  assert.deepEqual(Array.from(file.image(0).read() as Int16Array), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(file.image('CUBE').shape, [2, 3, 2]);
}

/** The values each image of everyImage() was built from, as the reader returns them. */
function spawnlessExpected(name: string): unknown[] {
  const ramp = (f: (i: number) => number) => Array.from({ length: 12 }, (_, i) => f(i));
  switch (name) {
    case 'B8':
      return ramp((i) => i * 20);
    case 'I16':
      return ramp((i) => i * 1000 - 6000);
    case 'J32':
      return ramp((i) => i * 100000 - 2);
    case 'K64':
      return ramp((i) => i * 3 - 9).map(BigInt);
    case 'E32':
      return Array.from(Float32Array.from(ramp((i) => i / 3)));
    case 'D64':
      return ramp((i) => i / 3 + 1e-12);
    case 'U16':
      return ramp((i) => i * 5000);
    case 'S8':
      return ramp((i) => i * 20 - 128);
    case 'U32':
      return [0, 1, 2147483648, 4294967295];
    case 'U64':
      return [1n, 18446744073709551615n];
    case 'SCALED':
      return ramp((i) => 100 + i * 0.25);
    case 'BLANKS':
      return [1, Number.NaN, 3];
    default:
      return ramp((i) => i);
  }
}

test('what hearc writes, hearc reads back the same (plain and gzip)', async (t) => {
  const { plain, gzipped } = await writeEverything(tempDir(t));
  assert.ok(isGzip(readFileSync(gzipped)));
  for (const path of [plain, gzipped])
    checkContent(await readFits(path, { verifyChecksums: true }));
});

test('what hearc writes, astropy reads the same, checksums valid', async (t) => {
  if (!requireAstropy(t)) return;
  const { plain, gzipped } = await writeEverything(tempDir(t));
  const dumped = dumpWithAstropy([plain, gzipped], { checksum: true });
  for (const path of [plain, gzipped]) {
    const file = await readFits(path);
    assertSameAsAstropy(file, dumped[path]!);
    for (const hdu of dumped[path]!) {
      assert.equal(hdu.checksum, 1, `${path} ${hdu.name}: astropy verify_checksum`);
      assert.equal(hdu.datasum, 1, `${path} ${hdu.name}: astropy verify_datasum`);
    }
  }
});

test('what hearc writes passes fitsverify', async (t) => {
  if (!requireFitsverify(t)) return;
  const { plain, gzipped } = await writeEverything(tempDir(t));
  for (const path of [plain, gzipped]) {
    const run = spawnSync('fitsverify', ['-q', '-e', path], { encoding: 'utf8' });
    assert.match(run.stdout, /verification OK/, `fitsverify ${path}: ${run.stdout}${run.stderr}`);
    const full = spawnSync('fitsverify', [path], { encoding: 'utf8' });
    assert.match(full.stdout, /\b0 error\(s\)/, full.stdout);
  }
});
