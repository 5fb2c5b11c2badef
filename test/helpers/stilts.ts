/** STILTS datalinklint on a links document: its errors, warnings and failures. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * The E/W/F lines of datalinklint's report on the document at `path`, without the
 * terms newer than the vocabulary copy inside STILTS 3.4 (Debian 12): '#package'
 * entered datalink/core in 2021 (VEP-010), and that copy lacks '#coverage' (the MOC of
 * each dataset) and '#provenance' (the link to /provenance) as well.
 */
export function datalinklintProblems(path: string): string[] {
  const lint = spawnSync('stilts', ['datalinklint', 'report=EWF', path], { encoding: 'utf8' });
  assert.equal(lint.status, 0, lint.stderr);
  return lint.stdout
    .split('\n')
    .filter(
      (line) =>
        /^[EWF]-/.test(line) && !/Unknown predicate '(package|coverage|provenance)'/.test(line),
    );
}
