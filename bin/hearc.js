#!/usr/bin/env node
// Runs the compiled CLI (npm run build); `npm start` and `npm ci` build it first.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`hearc: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
