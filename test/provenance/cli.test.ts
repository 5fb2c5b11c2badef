/**
 * `hearc provenance`: the graph of a dataset as a text tree, PROV-N and a file, and
 * clear errors for an unknown identifier or bad options.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/command.js';
import { provenanceCommand } from '../../src/cli/provenance.js';
import { openEngine } from '../../src/engine/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { didOf, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';

test('hearc provenance prints the graph of a dataset', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const db = join(tempDir(t), 'catalog.duckdb');
  const engine = await openEngine(db);
  await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: SIM_COLLECTION,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  await engine.close();
  const obsId = String(runs[0]!.obsId);
  const did = didOf(SIM_COLLECTION, obsId);
  const base = ['--db', db, '--base-url', 'https://vo.example.org/hearc'];

  const tree = captureIo();
  assert.equal(await provenanceCommand.run([did, ...base, '--depth', 'ALL'], tree), 0);
  const lines = tree.out().split('\n');
  assert.equal(lines[0], `entity ${did} "Event list of observation ${obsId}"`);
  assert.ok(
    lines.some((l) =>
      l.includes(
        `wasGeneratedBy activity https://vo.example.org/hearc/activity/ingest/${SIM_COLLECTION}/${obsId}`,
      ),
    ),
    tree.out(),
  );
  assert.ok(
    lines.some((l) => /parameter TELESCOP = /.test(l)),
    tree.out(),
  );

  const provn = captureIo();
  assert.equal(await provenanceCommand.run([did, ...base, '--format', 'prov-n'], provn), 0);
  assert.match(provn.out(), /^document\n {2}prefix voprov </);
  assert.match(provn.out(), /prefix hearc <https:\/\/vo\.example\.org\/hearc\/>/);
  assert.match(provn.out(), /\nendDocument\n$/);

  const file = join(tempDir(t), 'graph.svg');
  const quiet = captureIo();
  assert.equal(
    await provenanceCommand.run([did, ...base, '--format', 'svg', '--output', file], quiet),
    0,
  );
  assert.equal(quiet.out(), '');
  assert.match(readFileSync(file, 'utf8'), /<svg /);

  const unknown = captureIo();
  assert.equal(await provenanceCommand.run(['ivo://test.hearc/sim?0', ...base], unknown), 1);
  assert.match(unknown.err(), /ivo:\/\/test\.hearc\/sim\?0 has no provenance record/);
  await assert.rejects(
    provenanceCommand.run([did, ...base, '--depth', 'deep'], captureIo()),
    (e: unknown) =>
      e instanceof UsageError && /DEPTH must be a positive whole number or ALL/.test(e.message),
  );
  await assert.rejects(
    provenanceCommand.run([did, ...base, '--format', 'pdf'], captureIo()),
    (e: unknown) => e instanceof UsageError && /--format must be/.test(e.message),
  );
});
