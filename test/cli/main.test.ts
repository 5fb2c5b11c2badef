import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

test('hearc --help lists the commands and exits 0', async () => {
  const io = captureIo();
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.out(), /usage: hearc <command>/);
});

test('an unknown command is named in the error and exits 2', async () => {
  const io = captureIo();
  assert.equal(await main(['frobnicate'], io), 2);
  assert.match(io.err(), /unknown command 'frobnicate'/);
});
