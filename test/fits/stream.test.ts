import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import {
  buildBinTable,
  copyHdus,
  createBinTableWriter,
  hduImage,
  openBinTableStream,
  readFits,
  scanFile,
  scanHdus,
  scannedImage,
  streamBinTable,
  writeFits,
  type ColumnValues,
  type RowBatch,
} from '../../src/fits/index.js';
import { requireTestData } from '../helpers/env.js';
import { everyColumnTable, tempDir, writeSyntheticEventList } from './fixtures.js';

function concatColumn(batches: readonly RowBatch[], name: string): number[] {
  return batches.flatMap((b) => Array.from(b.column(name).values as ArrayLike<number>, Number));
}

/** Descriptors this process holds open on `path` (other tests' files and sockets come and go). */
function descriptorsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // Closed while listed.
    }
  }
  return n;
}

test('scanHdus sees the same HDUs as readFits, on plain and gzip files', async (t) => {
  const root = requireTestData(t);
  if (!root) return;
  const paths = [
    join(root, 'hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz'),
    join(root, 'magic-rad-max/data/20131004_05029747_DL3_CrabNebula-W0.40+035.fits'),
  ];
  for (const path of paths) {
    const summaries = await scanHdus(path);
    const file = await readFits(path);
    assert.equal(summaries.length, file.hdus.length);
    let offset = 0;
    summaries.forEach((summary, i) => {
      const hdu = file.hdus[i]!;
      assert.equal(summary.name, hdu.name);
      assert.equal(summary.kind, hdu.kind);
      assert.equal(summary.headerOffset, offset);
      assert.equal(summary.dataByteLength, hdu.data.length);
      assert.deepEqual(summary.header.cards, hdu.header.cards);
      offset += summary.hduByteLength;
    });
  }
});

test('an HDU handed over as an image reads as the one scanned from the file', async (t) => {
  const path = requireTestData(t, 'hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz');
  if (!path) return;
  const scanned = await scanFile(path, { keep: (h) => h.name === 'EVENTS' });
  const [index, events] = [...scanned.kept][0]!;
  const image = hduImage(path, events);
  // Buffers of its own, holding just the image: transferring them leaves the scanned table whole.
  assert.equal(image.data.buffer.byteLength, events.data.length);
  assert.equal(image.header.buffer.byteLength % 2880, 0);
  const again = scannedImage(image);
  const summary = again.hdus[0]!;
  assert.equal(summary.name, 'EVENTS');
  assert.equal(summary.index, index);
  assert.deepEqual(summary.header.cards, events.header.cards);
  const [before, after] = [events, again.kept.get(index)!];
  assert.equal(before.kind, 'bintable');
  assert.equal(after.kind, 'bintable');
  if (before.kind !== 'bintable' || after.kind !== 'bintable') return;
  for (const name of ['ENERGY', 'RA', 'TIME', 'EVENT_ID']) {
    assert.deepEqual(after.readColumn(name).values, before.readColumn(name).values);
  }
  const cut = { ...image, data: image.data.subarray(1) };
  assert.throws(() => scannedImage(cut), /truncated/);
});

test('streamed batches of the real events equal the in-memory columns', async (t) => {
  const path = requireTestData(t, 'hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz');
  if (!path) return;
  const events = (await readFits(path)).bintable('EVENTS');
  const stream = await openBinTableStream(path, 'events', {
    batchRows: 1000,
    columns: ['energy', 'TIME'],
  });
  assert.equal(stream.rowCount, events.rowCount);
  assert.equal(stream.columns.length, 5);
  const batches: RowBatch[] = [];
  for await (const batch of stream.batches) batches.push(batch);
  assert.equal(batches.length, Math.ceil(events.rowCount / 1000));
  assert.deepEqual(
    batches.map((b) => b.firstRow),
    batches.map((_, i) => i * 1000),
  );
  assert.deepEqual(
    batches[0]!.columns.map((c) => c.descriptor.name),
    ['ENERGY', 'TIME'],
  );
  assert.throws(() => batches[0]!.column('RA'), /column 'RA': no such column/);
  for (const name of ['ENERGY', 'TIME']) {
    assert.deepEqual(
      concatColumn(batches, name),
      Array.from(events.readColumn(name).values as ArrayLike<number>),
    );
  }
});

test('a stream opens lazily, closes its file when the loop breaks, and verifies checksums', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'table.fits.gz');
  await writeFits(path, [everyColumnTable()], { gzip: true });
  const held = openSync(path, 'r');
  assert.equal(descriptorsOn(path), 1, 'a descriptor on the file is seen');
  closeSync(held);
  const lazy = streamBinTable(path, 'EVERYTHING', { batchRows: 2, verifyChecksums: true });
  assert.equal((await lazy.info()).rowCount, 5);
  const seen: ColumnValues[] = [];
  for await (const batch of lazy) {
    seen.push(batch.column('VARE').values);
    break;
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(descriptorsOn(path), 0);
  // Variable-length columns stream too (their heap is read first).
  const all: RowBatch[] = [];
  for await (const batch of streamBinTable(path, 1, { batchRows: 2, verifyChecksums: true })) {
    all.push(batch);
  }
  assert.deepEqual(
    all.map((b) => b.rowCount),
    [2, 2, 1],
  );
  assert.deepEqual(
    all.flatMap((b) => b.column('VARA').values as string[]),
    ['short', 'a longer string', '', 'x', "it's"],
  );
  assert.equal(descriptorsOn(path), 0);
});

test('a table without rows streams as one empty batch', async (t) => {
  const path = join(tempDir(t), 'empty.fits');
  await writeFits(path, [
    buildBinTable({
      name: 'EMPTY',
      columns: [{ name: 'X', format: '1E', values: new Float32Array(0) }],
    }),
  ]);
  const batches: RowBatch[] = [];
  for await (const batch of streamBinTable(path, 'EMPTY')) batches.push(batch);
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.rowCount, 0);
  assert.equal((batches[0]!.column('X').values as Float32Array).length, 0);
});

test('streaming a 3-million-row gzipped event list keeps memory far below the table size', async (t) => {
  const path = join(tempDir(t), 'events.fits.gz');
  const rows = 3_000_000;
  await writeSyntheticEventList(path, rows, { gzipLevel: 1 });
  const tableBytes = rows * 28;
  const probe = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(import.meta.dirname, 'fixtures', 'stream-memory-probe.ts'),
      path,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(probe.status, 0, probe.stderr);
  const result = JSON.parse(probe.stdout) as {
    rows: number;
    rssGrowth: number;
    arrayBuffersGrowth: number;
  };
  assert.equal(result.rows, rows);
  t.diagnostic(
    `table ${(tableBytes / 1e6).toFixed(0)} MB; RSS grew ${(result.rssGrowth / 1e6).toFixed(1)} MB, array buffers ${(result.arrayBuffersGrowth / 1e6).toFixed(1)} MB`,
  );
  assert.ok(
    result.arrayBuffersGrowth < tableBytes / 4,
    `array buffers grew ${result.arrayBuffersGrowth} bytes`,
  );
  assert.ok(result.rssGrowth < tableBytes / 2, `RSS grew ${result.rssGrowth} bytes`);
});

test('the batch writer writes files (plain, gzip) and streams that read back, with HDUs after the table', async (t) => {
  const dir = tempDir(t);
  const gti = buildBinTable({
    name: 'GTI',
    columns: [
      { name: 'START', format: '1D', values: Float64Array.from([0]) },
      { name: 'STOP', format: '1D', values: Float64Array.from([10]) },
    ],
  });
  const spec = {
    name: 'EVENTS',
    columns: [
      { name: 'TIME', format: '1D' },
      { name: 'PHA', format: '1I', zero: 32768 },
      { name: 'TAG', format: '4A' },
    ],
  };
  const batches = [
    { TIME: Float64Array.from([1, 2]), pha: Uint16Array.from([0, 65535]), TAG: ['a', 'bb'] },
    { TIME: Float64Array.from([3]), pha: Uint16Array.from([40000]), TAG: ['ccc'] },
  ];
  for (const gzip of [false, true]) {
    const path = join(dir, `written-${gzip}.fits`);
    const writer = await createBinTableWriter(path, spec, { gzip, after: [gti] });
    for (const batch of batches) await writer.writeRows(batch);
    assert.equal(writer.rowsWritten, 3);
    await writer.close();
    const file = await readFits(path, { verifyChecksums: true });
    const events = file.bintable('EVENTS');
    assert.equal(events.rowCount, 3);
    assert.deepEqual(Array.from(events.readColumn('PHA').values as Uint16Array), [0, 65535, 40000]);
    assert.deepEqual(events.readColumn('TAG').values, ['a', 'bb', 'ccc']);
    assert.deepEqual(
      Array.from(file.bintable('GTI').readColumn('STOP').values as Float64Array),
      [10],
    );
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length, 0);
  }
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const streamed = await createBinTableWriter(sink, { ...spec, rowCount: 3 }, { after: [gti] });
  for (const batch of batches) await streamed.writeRows(batch);
  await streamed.close();
  const { parseFits } = await import('../../src/fits/index.js');
  const file = parseFits(Buffer.concat(chunks), 'stream');
  assert.deepEqual(
    Array.from(file.bintable('EVENTS').readColumn('TIME').values as Float64Array),
    [1, 2, 3],
  );
});

test('the batch writer refuses a wrong row count and leaves no file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'short.fits');
  const writer = await createBinTableWriter(path, {
    name: 'T',
    rowCount: 5,
    columns: [{ name: 'X', format: '1J' }],
  });
  await writer.writeRows([Int32Array.from([1, 2])]);
  await assert.rejects(writer.close(), /2 rows were written but the table was declared with 5/);
  assert.deepEqual(readdirSync(dir), []);
});

test('copyHdus copies HDUs byte for byte into a new file, behind an empty primary', async (t) => {
  const path = requireTestData(t, 'hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz');
  if (!path) return;
  const dir = tempDir(t);
  const source = await readFits(path);
  const target = join(dir, 'aeff.fits.gz');
  const copied = await copyHdus(path, target, ['aeff', 'EDISP'], { gzip: true });
  assert.deepEqual(
    copied.map((s) => s.name),
    ['AEFF', 'EDISP'],
  );
  const file = await readFits(target, { verifyChecksums: true });
  assert.deepEqual(
    file.hdus.map((h) => h.name),
    ['', 'AEFF', 'EDISP'],
  );
  for (const name of ['AEFF', 'EDISP']) {
    assert.deepEqual(file.hdu(name).header.cards, source.hdu(name).header.cards);
    assert.deepEqual(file.hdu(name).data, source.hdu(name).data);
  }
  await assert.rejects(
    copyHdus(path, join(dir, 'none.fits'), ['AEFF', 'NOPE']),
    /there is no HDU 'NOPE' to copy \(HDUs: 0 \(primary\), 1 \(EVENTS\)/,
  );
  assert.deepEqual(readdirSync(dir), ['aeff.fits.gz']);
});
