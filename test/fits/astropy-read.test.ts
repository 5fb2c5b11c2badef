import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFits } from '../../src/fits/index.js';
import { requireAstropy, requireTestData } from '../helpers/env.js';
import { assertSameAsAstropy, dumpWithAstropy } from './astropy.js';

function fitsFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.fits(\.gz)?$/.test(name))
    .map((name) => join(dir, name));
}

test('every HDU of the real DL3 files reads as astropy reads it', async (t) => {
  const root = requireTestData(t);
  if (!root || !requireAstropy(t)) return;
  const paths = [
    ...fitsFilesUnder(join(root, 'hess-dl3-dr1')),
    ...fitsFilesUnder(join(root, 'hess-dl3-dr1', 'data')),
    ...fitsFilesUnder(join(root, 'magic-rad-max', 'data')),
  ];
  const dumped = dumpWithAstropy(paths);
  for (const path of paths) {
    assertSameAsAstropy(await readFits(path, { verifyChecksums: true }), dumped[path]!);
  }
});
