import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage, readFits, writeFits } from '../../src/fits/index.js';
import { PYTHON, requireAstropy } from '../helpers/env.js';
import { runPython } from './astropy.js';
import { tempDir } from './fixtures.js';

test('BSCALE/BZERO and BLANK give doubles, NaN for blank pixels; unscaled images keep their type', async (t) => {
  const path = join(tempDir(t), 'images.fits');
  await writeFits(path, [
    buildImage({
      name: 'S16',
      bitpix: 16,
      shape: [4],
      bscale: 0.5,
      bzero: -3,
      data: [-3, -2.5, 100, 0],
    }),
    buildImage({
      name: 'BLANK16',
      bitpix: 16,
      shape: [3],
      blank: -32768,
      data: [1, Number.NaN, 3],
    }),
    buildImage({
      name: 'F32',
      bitpix: -32,
      shape: [2],
      bscale: 2,
      data: Float32Array.from([1, 3]),
    }),
    buildImage({ name: 'PLAIN', bitpix: 16, shape: [2, 1], data: Int16Array.from([7, -7]) }),
  ]);
  const file = await readFits(path);
  const scaled = file.image('S16').read();
  assert.ok(scaled instanceof Float64Array);
  assert.deepEqual(Array.from(scaled), [-3, -2.5, 100, 0]);
  const blank = file.image('BLANK16').read();
  assert.ok(blank instanceof Float64Array);
  assert.deepEqual(Array.from(blank), [1, Number.NaN, 3]);
  assert.deepEqual(Array.from(file.image('F32').read() as Float32Array), [1, 3]);
  const plain = file.image('PLAIN');
  assert.ok(plain.read() instanceof Int16Array);
  assert.deepEqual(plain.shape, [2, 1]);
  assert.equal(plain.bitpix, 16);
});

test('ASCII tables and other extensions are kept with their header and raw data', async (t) => {
  if (!requireAstropy(t)) return;
  const path = join(tempDir(t), 'ascii.fits');
  const script = `
import sys, json
import numpy as np
from astropy.io import fits
cols = [fits.Column(name='N', format='I5', array=np.array([1, 22, 333])), fits.Column(name='S', format='A4', array=np.array(['ab', 'cd', 'ef']))]
fits.HDUList([fits.PrimaryHDU(), fits.TableHDU.from_columns(cols, name='ASCII')]).writeto(sys.argv[1])
print(json.dumps(fits.getheader(sys.argv[1], 1)['NAXIS1']))
`;
  const width = runPython<number>(script, [path]);
  const file = await readFits(path);
  const hdu = file.hdu('ascii');
  assert.equal(hdu.kind, 'other');
  assert.equal(hdu.kind === 'other' && hdu.xtension, 'TABLE');
  assert.equal(hdu.data.length, width * 3);
  assert.match(new TextDecoder().decode(hdu.data), /333/);
  // Written back unchanged, astropy still reads the same table (padding with spaces for TABLE).
  const copy = join(tempDir(t), 'copy.fits');
  await writeFits(copy, [hdu]);
  const check = spawnSync(
    PYTHON,
    [
      '-c',
      `from astropy.io import fits; d = fits.getdata('${copy}', 1); print(list(d['N']), list(d['S']))`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stdout.trim(), "[1, 22, 333] ['ab', 'cd', 'ef']");
  await readFits(copy, { verifyChecksums: true });
});
