/** The CommandIo of the `hearc` process: its stdout, stderr and stdin. */
import { createInterface } from 'node:readline';
import type { CommandIo } from './command.js';

/** Set when the reader of our stdout went away (`hearc validate DIR | head -1`): the rest is dropped. */
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
});

export const processIo: CommandIo = {
  stdout: (text) => {
    if (!stdoutClosed) process.stdout.write(text);
  },
  stderr: (text) => process.stderr.write(text),
  stdin: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
};
