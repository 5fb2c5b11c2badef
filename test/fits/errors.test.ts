import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  FitsError,
  openBinTableStream,
  parseFits,
  readFits,
  scanHdus,
  writeFits,
  type RowBatch,
} from '../../src/fits/index.js';
import { everyColumnTable, tempDir } from './fixtures.js';

/** A valid file (empty primary + one table), as bytes. */
async function validFile(t: TestContext): Promise<{ dir: string; path: string; bytes: Buffer }> {
  const dir = tempDir(t);
  const path = join(dir, 'valid.fits');
  await writeFits(path, [everyColumnTable()], { checksum: false });
  return { dir, path, bytes: readFileSync(path) };
}

/** Replaces the first card that starts with `start` by `image` (padded to 80). */
function replaceCard(bytes: Buffer, start: string, image: string): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(start, 0, 'latin1');
  assert.ok(at >= 0 && at % 80 === 0, `card ${start} not found`);
  copy.write(image.padEnd(80), at, 'latin1');
  return copy;
}

function fitsError(check: (e: FitsError) => void): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof FitsError, `expected a FitsError, got ${String(e)}`);
    check(e);
    return true;
  };
}

async function allBatches(path: string, hdu: string | number): Promise<RowBatch[]> {
  const stream = await openBinTableStream(path, hdu);
  const batches: RowBatch[] = [];
  for await (const batch of stream.batches) batches.push(batch);
  return batches;
}

test('a truncated file names the HDU and how much data is missing', async (t) => {
  const valid = await validFile(t);
  const { dataOffset } = (await scanHdus(valid.path))[1]!;
  const path = join(valid.dir, 'truncated.fits');
  writeFileSync(path, valid.bytes.subarray(0, dataOffset + 500));
  const check = fitsError((e) => {
    assert.equal(e.file, path);
    assert.equal(e.hdu, '1 (EVERYTHING)');
    assert.match(
      e.message,
      /truncated\.fits, HDU 1 \(EVERYTHING\): the file is truncated: the header says \d+ bytes of data, only 500 are present/,
    );
  });
  await assert.rejects(readFits(path), check);
  await assert.rejects(scanHdus(path), check);
  await assert.rejects(allBatches(path, 'EVERYTHING'), check);
});

test('an unsupported BITPIX is named with the card', async (t) => {
  const { bytes } = await validFile(t);
  const bad = replaceCard(bytes, 'BITPIX', 'BITPIX  =                   12');
  assert.throws(
    () => parseFits(bad, 'bad.fits'),
    fitsError((e) => {
      assert.equal(e.card, 'BITPIX');
      assert.match(
        e.message,
        /bad\.fits, HDU 0 \(primary\), card 'BITPIX': BITPIX = 12 is not one of 8, 16, 32, 64, -32, -64/,
      );
    }),
  );
});

test('a header without END, and an unreadable card, are errors', async (t) => {
  const { bytes } = await validFile(t);
  const noEnd = Buffer.from('SIMPLE  =                    T'.padEnd(2880 * 2));
  assert.throws(
    () => parseFits(noEnd, 'x.fits'),
    /x\.fits, HDU 0: header has no END card in its 72 cards/,
  );
  const badValue = replaceCard(bytes, 'NAXIS2', 'NAXIS2  =               5 rows');
  assert.throws(
    () => parseFits(badValue, 'x.fits'),
    fitsError((e) => {
      assert.equal(e.card, 'NAXIS2');
      assert.match(e.message, /HDU 1, card 'NAXIS2': cannot read the value '5 rows'/);
    }),
  );
  const binary = Buffer.from(bytes);
  binary[2880 + 85] = 0x01;
  assert.throws(
    () => parseFits(binary, 'x.fits'),
    /HDU 1, card #2: byte 0x01 at column 6 is not printable ASCII/,
  );
});

test('a TFORM that cannot be read names the column and the card', async (t) => {
  const { bytes } = await validFile(t);
  const bad = replaceCard(bytes, 'TFORM4 ', "TFORM4  = '1Z      '");
  assert.throws(
    () => parseFits(bad, 'x.fits'),
    fitsError((e) => {
      assert.equal(e.column, 'UBYTE');
      assert.equal(e.card, 'TFORM4');
      assert.match(
        e.message,
        /HDU 1 \(EVERYTHING\), card 'TFORM4', column 'UBYTE': TFORM '1Z' is not a binary table format/,
      );
    }),
  );
});

test('asking for a missing HDU or column lists what there is', async (t) => {
  const { bytes } = await validFile(t);
  const file = parseFits(bytes, 'x.fits');
  assert.throws(
    () => file.hdu('EVENTS'),
    /x\.fits: there is no HDU named 'EVENTS' \(HDUs: 0 \(primary\), 1 \(EVERYTHING\)\)/,
  );
  assert.throws(() => file.hdu(7), /there is no HDU 7/);
  assert.throws(
    () => file.bintable(0),
    /HDU 0 \(primary\): expected a binary table, found an image/,
  );
  const table = file.bintable('everything');
  assert.throws(
    () => table.readColumn('ENERGIES'),
    fitsError((e) => {
      assert.equal(e.column, 'ENERGIES');
      assert.match(
        e.message,
        /HDU 1 \(EVERYTHING\), column 'ENERGIES': no such column \(columns: FLAG, FLAGS3, BITS/,
      );
    }),
  );
  assert.throws(() => table.readRows(4, 2), /rows 4\.\.5 are outside the table's 5 rows/);
});

test('a corrupted or truncated gzip stream is a FitsError', async (t) => {
  const { dir, bytes } = await validFile(t);
  const gz = gzipSync(bytes);
  const corrupted = Buffer.from(gz);
  for (let i = 200; i < 260; i++) corrupted[i] = corrupted[i]! ^ 0x5a;
  const truncated = gz.subarray(0, gz.length - 100);
  for (const [name, content] of [
    ['corrupted.fits.gz', corrupted],
    ['truncated.fits.gz', truncated],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const check = fitsError((e) => {
      assert.equal(e.file, path);
      assert.match(e.message, /the gzip stream is corrupted or truncated/);
    });
    await assert.rejects(readFits(path), check);
    await assert.rejects(scanHdus(path), check);
  }
});

test('a file that does not exist is a FitsError naming it', async () => {
  await assert.rejects(
    readFits('/nonexistent/x.fits'),
    /\/nonexistent\/x\.fits: cannot read the file/,
  );
  await assert.rejects(
    scanHdus('/nonexistent/x.fits'),
    /\/nonexistent\/x\.fits: cannot open the file/,
  );
});

test('writing refuses bad input with a FitsError naming the column', async (t) => {
  const { buildBinTable } = await import('../../src/fits/index.js');
  assert.throws(
    () => buildBinTable({ name: 'T', columns: [{ name: 'N', format: '1I', values: [1, 70000] }] }),
    /column 'N': value 70000 at element 1 does not fit the stored type I/,
  );
  assert.throws(
    () => buildBinTable({ name: 'T', columns: [{ name: 'S', format: '3A', values: ['abcd'] }] }),
    /column 'S': the string in row\/element 1 has 4 characters, more than 3/,
  );
  assert.throws(
    () =>
      buildBinTable({ name: 'T', columns: [{ name: 'J', format: '1J', values: [Number.NaN] }] }),
    /column 'J': element 0 is NaN but the integer column has no null value/,
  );
  assert.throws(
    () =>
      buildBinTable({
        name: 'T',
        columns: [
          { name: 'A', format: '1E', values: [1, 2] },
          { name: 'B', format: '1E', values: [1] },
        ],
      }),
    /column 'B': has 1 rows but column 'A' has 2/,
  );
  const path = join(tempDir(t), 'never.fits');
  const table = buildBinTable({ name: 'T', columns: [{ name: 'A', format: '1E', values: [1] }] });
  await assert.rejects(
    writeFits(path, [{ header: table.header, data: table.data.subarray(0, 2) }]),
    /the header describes 4 bytes of data but 2 were given/,
  );
});
