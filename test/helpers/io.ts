import type { CommandIo } from '../../src/cli/command.js';

/** A CommandIo that records what a command prints, with optional stdin lines. */
export function captureIo(stdinLines: readonly string[] = []): CommandIo & {
  out(): string;
  err(): string;
} {
  let out = '';
  let err = '';
  return {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    stdin: async function* () {
      yield* stdinLines;
    },
    out: () => out,
    err: () => err,
  };
}
