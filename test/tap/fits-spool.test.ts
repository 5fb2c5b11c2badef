/** The FITS result's row spool lives in the folder the service gives it, and goes when the result ends. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { writeFitsResult } from '../../src/tap/fits-format.js';
import { tempDir } from '../helpers/tmp.js';

test('FITS results spool their rows in the given private folder and remove it', async (t) => {
  const dir = tempDir(t);
  const seen: string[][] = [];
  async function* rows() {
    yield [[1], [2]];
    seen.push(readdirSync(dir));
    yield [[3]];
  }
  const chunks: Buffer[] = [];
  for await (const chunk of writeFitsResult([{ name: 'n', datatype: 'int' }], rows(), {
    tmpDir: dir,
  })) {
    chunks.push(chunk);
  }
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.length, 1, 'one spool folder while the rows are read');
  assert.match(seen[0]?.[0] ?? '', /^hearc-fits-/);
  assert.deepEqual(readdirSync(dir), [], 'the spool is removed at the end');
  const fits = Buffer.concat(chunks);
  assert.equal(fits.length % 2880, 0);
  assert.match(fits.subarray(2880, 2960).toString('latin1'), /^XTENSION= 'BINTABLE'/);
});
