/**
 * Broken data stores: each problem is reported with its path and reason, the good
 * observations are still published, and nothing half-written is left behind.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { type Card, buildBinTable, readFits, writeFits } from '../../src/fits/index.js';
import { validateDataStore } from '../../src/gadf/validate.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { ingestCommand } from '../../src/cli/ingest.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';

const config = {
  authority: 'test.hearc',
  collection: 'sim',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

const STRUCTURAL =
  /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|TTYPE\d+|TFORM\d+|TUNIT\d+|TDIM\d+|EXTNAME|CHECKSUM|DATASUM|END)$/;

async function simulated(t: Parameters<typeof tempDir>[0], observations = 4): Promise<string> {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations, seed: 11, eventsPerObservation: 800 });
  return dir;
}

async function openCatalog(t: Parameters<typeof tempDir>[0]): Promise<Engine> {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  return engine;
}

test('an index entry naming a missing file: that observation is skipped with the path, the others are published', async (t) => {
  const dir = await simulated(t);
  rmSync(join(dir, 'data', 'run_100002.fits.gz'));
  const engine = await openCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.equal(report.added.length, 3);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.skipped, [
    {
      obsId: '100002',
      path: 'data/run_100002.fits.gz',
      message: 'its event file data/run_100002.fits.gz does not exist',
    },
  ]);
  assert.equal((await engine.selectRows(obscoreTable)).length, 3);

  const validation = await validateDataStore(dir);
  assert.ok(
    validation.problems.some(
      (p) =>
        p.severity === 'error' &&
        /run_100002/.test(p.path ?? '') &&
        /does not exist/.test(p.message),
    ),
  );
});

test('an event table without ENERGY is named as the reason', async (t) => {
  const dir = await simulated(t, 2);
  const path = join(dir, 'data', 'run_100001.fits.gz');
  const file = await readFits(path);
  const events = file.bintable('EVENTS');
  const keep = ['EVENT_ID', 'TIME', 'RA', 'DEC'];
  const header: Card[] = events.header.cards.filter((c) => !STRUCTURAL.test(c.keyword));
  const rebuilt = buildBinTable({
    name: 'EVENTS',
    columns: keep.map((name) => {
      const column = events.readColumn(name);
      return {
        name,
        format: column.descriptor.tform,
        ...(column.descriptor.unit ? { unit: column.descriptor.unit } : {}),
        values: column.values,
      };
    }),
    header,
  });
  const others = file.hdus.slice(2).map((h) => {
    if (h.kind !== 'bintable') throw new Error('unexpected HDU');
    return { header: h.header, data: h.data };
  });
  await writeFits(path, [rebuilt, ...others], { gzip: true });

  const engine = await openCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(report.added, ['100002']);
  assert.match(report.failed[0]?.message ?? '', /EVENTS table .* has no ENERGY column/);
  const validation = await validateDataStore(dir);
  assert.ok(
    validation.problems.some((p) => p.severity === 'error' && /no ENERGY column/.test(p.message)),
  );
});

test('a truncated event file is reported with its path; the catalog keeps the rest', async (t) => {
  const dir = await simulated(t, 3);
  const path = join(dir, 'data', 'run_100003.fits.gz');
  truncateSync(path, Math.floor(statSync(path).size / 2));
  const engine = await openCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(report.added, ['100001', '100002']);
  assert.equal(report.failed[0]?.obsId, '100003');
  assert.ok(report.failed[0]?.message.length, 'a reason is given');
});

test('a non-numeric OBS_ID in the hdu-index is an error naming the value', async (t) => {
  const dir = await simulated(t, 2);
  const indexPath = join(dir, 'hdu-index.fits.gz');
  const index = (await readFits(indexPath)).bintable('HDU_INDEX');
  const obsIds = Array.from(index.readColumn('OBS_ID').values as BigInt64Array, (v) =>
    v === 100002n ? 'run-two' : String(v),
  );
  const rebuilt = buildBinTable({
    name: 'HDU_INDEX',
    columns: [
      { name: 'OBS_ID', format: '10A', values: obsIds },
      ...['HDU_TYPE', 'HDU_CLASS', 'FILE_DIR', 'FILE_NAME', 'HDU_NAME'].map((name) => {
        const column = index.readColumn(name);
        return { name, format: column.descriptor.tform, values: column.values };
      }),
    ],
    header: index.header.cards.filter((c) => !STRUCTURAL.test(c.keyword)),
  });
  await writeFits(indexPath, [rebuilt], { gzip: true });
  const engine = await openCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(report.added, ['100001']);
  assert.ok(report.failed.some((f) => /OBS_ID 'run-two' is not an integer/.test(f.message)));
});

test('hearc ingest exits 1 on a broken observation and 0 when all is well; re-ingest adds only new runs', async (t) => {
  const dir = await simulated(t, 3);
  const db = join(tempDir(t), 'catalog.duckdb');
  const io = captureIo();
  assert.equal(await ingestCommand.run([dir, '--db', db, '--collection', 'sim'], io), 0, io.err());
  assert.match(io.out(), /added 3, updated 0, unchanged 0, skipped 0, failed 0/);

  // Four more runs, one of them broken.
  const bigger = await simulated(t, 5);
  writeFileSync(
    join(bigger, 'data', 'run_100005.fits.gz'),
    readFileSync(join(bigger, 'data', 'run_100005.fits.gz')).subarray(0, 1000),
  );
  const io2 = captureIo();
  assert.equal(await ingestCommand.run([bigger, '--db', db, '--collection', 'sim'], io2), 1);
  assert.match(io2.out(), /failed 1/);
  assert.match(io2.out(), /error: observation sim 100005 \(data\/run_100005\.fits\.gz\): /);
  const engine = await openEngine(db);
  t.after(() => engine.close());
  assert.equal((await engine.selectRows(obscoreTable)).length, 4);
  assert.equal((await engine.selectRows(obscoreHeaTable)).length, 4);
});

test('hearc ingest without --db is a usage error', async () => {
  await assert.rejects(ingestCommand.run(['/nowhere'], captureIo()), {
    name: 'UsageError',
    message: '--db is required',
  });
});
