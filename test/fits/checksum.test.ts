import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ChecksumAccumulator,
  checksumOf,
  encodeChecksum,
  FitsError,
  openBinTableStream,
  readFits,
  scanHdus,
  verifyHduChecksum,
  writeFits,
} from '../../src/fits/index.js';
import { PYTHON, requireAstropy } from '../helpers/env.js';
import { everyColumnTable, everyImage, tempDir } from './fixtures.js';
import { spawnSync } from 'node:child_process';

test('the running sum does not depend on how the bytes are split', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.nat(64), { maxLength: 6 }),
      (bytes, cuts) => {
        const whole = checksumOf(bytes);
        const sum = new ChecksumAccumulator();
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          const end = Math.min(cut, bytes.length);
          if (end < at) continue;
          sum.add(bytes.subarray(at, end));
          at = end;
        }
        sum.add(bytes.subarray(at));
        return sum.value === whole;
      },
    ),
  );
});

test('the ASCII encoding makes the HDU sum to all ones and uses only alphanumerics', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), (rest) => {
      // As in a header: the 16 characters start at byte 11 of their card (3 mod 4).
      const hdu = new Uint8Array(20 + rest.length - (rest.length % 4));
      hdu.set(new TextEncoder().encode('0'.repeat(16)), 3);
      hdu.set(rest.subarray(0, hdu.length - 20), 20);
      const text = encodeChecksum(checksumOf(hdu));
      hdu.set(new TextEncoder().encode(text), 3);
      return /^[0-9A-Za-z]{16}$/.test(text) && checksumOf(hdu) === 0xffffffff;
    }),
  );
});

test('hearc verifies the CHECKSUM and DATASUM that astropy writes', async (t) => {
  if (!requireAstropy(t)) return;
  const path = join(tempDir(t), 'astropy.fits');
  const script = `
import numpy as np
from astropy.io import fits
t = fits.BinTableHDU.from_columns([fits.Column(name='E', format='E', array=np.arange(1000, dtype='f4'))], name='EVENTS')
i = fits.ImageHDU(np.arange(12, dtype='>i2').reshape(3, 4), name='IMG')
fits.HDUList([fits.PrimaryHDU(), t, i]).writeto('${path}', checksum=True)
`;
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const file = await readFits(path, { verifyChecksums: true });
  for (const hdu of file.hdus)
    assert.deepEqual(verifyHduChecksum(hdu), { checksum: 'ok', datasum: 'ok' });
});

test('a corrupted byte is found, in the data (DATASUM) or the header (CHECKSUM)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'good.fits');
  await writeFits(path, [everyColumnTable(), ...everyImage()]);
  const good = readFileSync(path);
  const summaries = await scanHdus(path);
  const table = summaries[1]!;
  await readFits(path, { verifyChecksums: true });

  const dataBad = join(dir, 'data-bad.fits');
  const copy = Buffer.from(good);
  copy[table.dataOffset + 17] = copy[table.dataOffset + 17]! ^ 0x01;
  writeFileSync(dataBad, copy);
  const dataError = (e: unknown) =>
    e instanceof FitsError &&
    e.card === 'DATASUM' &&
    /data-bad\.fits, HDU 1 \(EVERYTHING\), card 'DATASUM': DATASUM = '\d+' but the data sum to \d+/.test(
      e.message,
    );
  await assert.rejects(readFits(dataBad, { verifyChecksums: true }), dataError);
  // Without asking, the file reads (the values are just different).
  await readFits(dataBad);
  // Streaming checks too, once the table has been read to its end.
  const stream = await openBinTableStream(dataBad, 'EVERYTHING', { verifyChecksums: true });
  await assert.rejects(
    (async () => {
      for await (const batch of stream.batches) void batch;
    })(),
    dataError,
  );

  const headerBad = join(dir, 'header-bad.fits');
  const text = Buffer.from(good);
  const at = text.indexOf('table fields', table.headerOffset, 'latin1');
  text.write('TABLE', at, 'latin1');
  writeFileSync(headerBad, text);
  await assert.rejects(
    readFits(headerBad, { verifyChecksums: true }),
    (e: unknown) =>
      e instanceof FitsError &&
      e.card === 'CHECKSUM' &&
      /HDU 1 \(EVERYTHING\), card 'CHECKSUM': CHECKSUM does not match: the HDU sums to 0x[0-9a-f]{8} instead of 0xffffffff/.test(
        e.message,
      ),
  );
});

test('checksum: false writes none and removes stale ones', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'with.fits');
  await writeFits(path, [everyColumnTable()]);
  const file = await readFits(path);
  assert.equal(file.hdu(1).header.has('CHECKSUM'), true);
  const copy = join(dir, 'without.fits');
  await writeFits(copy, [file.hdu(1)], { checksum: false });
  const again = await readFits(copy, { verifyChecksums: true });
  assert.equal(again.hdu(1).header.has('CHECKSUM'), false);
  assert.deepEqual(verifyHduChecksum(again.hdu(1)), { checksum: 'absent', datasum: 'absent' });
});
