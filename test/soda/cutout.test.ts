/**
 * Cutouts of a generated event list with every kind of column (unsigned integers,
 * strings, logicals, vectors, a 32X EVENT_TYPE bit field, energies in GeV), long enough
 * to stream in several batches: the rows kept, GTI/ONTIME/LIVETIME after a time cut,
 * the other HDUs byte for byte, checksums, an empty result, and what is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { PublishedDataset } from '../../src/datalink/index.js';
import {
  buildBinTable,
  readFits,
  scanHdus,
  writeFits,
  type BinTableHdu,
  type Card,
} from '../../src/fits/index.js';
import { angularSeparation } from '../../src/gadf/geometry.js';
import { metToMjdUtc, type TimeReference } from '../../src/gadf/time.js';
import {
  cutoutSources,
  SodaError,
  writeCutout,
  type CutoutSelection,
} from '../../src/soda/index.js';
import { tempDir } from '../helpers/tmp.js';

const ROWS = 140_000; // more than two batches of the streaming reader
const REF: TimeReference = { mjdRefInt: 51910, mjdRefFrac: 0.000742870370370241, scale: 'TT' };
const GTIS: [number, number][] = [
  [0, 1000],
  [1500, 2000],
];

interface Generated {
  readonly ra: Float32Array;
  readonly dec: Float32Array;
  readonly time: Float64Array;
  readonly energyGeV: Float32Array;
  readonly eventType: number[];
}

function generate(): Generated {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const ra = new Float32Array(ROWS);
  const dec = new Float32Array(ROWS);
  const time = new Float64Array(ROWS);
  const energyGeV = new Float32Array(ROWS);
  const eventType: number[] = [];
  for (let i = 0; i < ROWS; i++) {
    ra[i] = (358 + 4 * random()) % 360; // across RA 0
    dec[i] = -2 + 4 * random();
    time[i] = Math.floor(2000 * random()) + 0.5;
    energyGeV[i] = 100 * 10 ** (3 * random());
    eventType.push(i % 4);
  }
  return { ra, dec, time, energyGeV, eventType };
}

const card = (keyword: string, value: string | number | boolean): Card => ({ keyword, value });

/** A GADF-like run file: EVENTS, GTI, an AEFF stand-in; returns the dataset that publishes it. */
async function writeRun(
  t: TestContext,
  data: Generated,
  options: { gzip?: boolean; variable?: boolean; eventType?: boolean } = {},
): Promise<{ dataset: PublishedDataset; path: string }> {
  const dir = tempDir(t);
  const name = options.gzip ? 'run.fits.gz' : 'run.fits';
  const bits = new Uint8Array(ROWS * 32);
  data.eventType.forEach((type, i) => (bits[i * 32 + type] = 1));
  const events = buildBinTable({
    name: 'EVENTS',
    columns: [
      {
        name: 'EVENT_ID',
        format: '1K',
        values: BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i) + (1n << 40n)),
      },
      { name: 'TIME', format: '1D', unit: 's', values: data.time },
      { name: 'RA', format: '1E', unit: 'deg', values: data.ra },
      { name: 'DEC', format: '1E', unit: 'deg', values: data.dec },
      { name: 'ENERGY', format: '1E', unit: 'GeV', values: data.energyGeV },
      ...(options.eventType === false ? [] : [{ name: 'EVENT_TYPE', format: '32X', values: bits }]),
      {
        name: 'MULTIP',
        format: '1I',
        zero: 32768,
        values: Uint16Array.from({ length: ROWS }, (_, i) => 40000 + (i % 7)),
      },
      { name: 'TAG', format: '4A', values: Array.from({ length: ROWS }, (_, i) => `t${i % 97}`) },
      { name: 'GOOD', format: '1L', values: Array.from({ length: ROWS }, (_, i) => i % 3 === 0) },
      {
        name: 'VEC',
        format: '3E',
        dim: [3],
        values: Float32Array.from({ length: 3 * ROWS }, (_, k) => k),
      },
    ],
    header: [
      card('HDUCLASS', 'GADF'),
      card('HDUCLAS1', 'EVENTS'),
      card('OBS_ID', 7),
      card('MJDREFI', REF.mjdRefInt),
      card('MJDREFF', REF.mjdRefFrac),
      card('TIMESYS', 'TT'),
      card('TSTART', 0),
      card('TSTOP', 2000),
      card('ONTIME', 1500),
      card('LIVETIME', 1350),
      card('DEADC', 0.9),
      card('DATE-OBS', '2004-12-04T22:08:10'),
    ],
  });
  const gti = buildBinTable({
    name: 'GTI',
    columns: [
      { name: 'START', format: '1D', unit: 's', values: Float64Array.from(GTIS, ([a]) => a) },
      { name: 'STOP', format: '1D', unit: 's', values: Float64Array.from(GTIS, ([, b]) => b) },
    ],
    header: [
      card('HDUCLAS1', 'GTI'),
      card('TSTART', 0),
      card('TSTOP', 2000),
      card('MJDREFI', REF.mjdRefInt),
      card('MJDREFF', REF.mjdRefFrac),
      card('TIMESYS', 'TT'),
    ],
  });
  const aeff = buildBinTable({
    name: 'AEFF',
    columns: [{ name: 'EFFAREA', format: '4E', values: Float32Array.from([1, 2, 3, 4]) }],
    header: [
      card('HDUCLAS1', 'RESPONSE'),
      card('HDUCLAS2', 'EFF_AREA'),
      card('HDUCLAS4', 'AEFF_2D'),
    ],
  });
  const hdus = [events, gti, aeff];
  if (options.variable) {
    hdus[0] = buildBinTable({
      name: 'EVENTS',
      columns: [
        { name: 'TIME', format: '1D', values: Float64Array.from([1]) },
        { name: 'HITS', format: '1PJ', values: [Int32Array.from([1, 2])] },
      ],
      header: [card('HDUCLAS1', 'EVENTS'), card('MJDREFI', 51910), card('TIMESYS', 'TT')],
    });
  }
  const path = join(dir, name);
  await writeFits(path, hdus, { gzip: options.gzip ?? false });
  const dataset: PublishedDataset = {
    did: 'ivo://test.hearc/gen?7',
    collection: 'gen',
    obsId: '7',
    dataStore: dir,
    files: [name],
    irfs: [
      {
        component: 'aeff',
        hduClass: 'aeff_2d',
        hduName: 'aeff',
        filePath: name,
        productName: 'aeff.fits',
      },
    ],
  };
  return { dataset, path };
}

const RECORD = {
  software: 'hearc-test',
  date: new Date('2026-01-02T03:04:05Z'),
  did: 'ivo://test.hearc/gen?7',
  parameters: [['CIRCLE', '0 0 1']] as [string, string][],
};

async function cut(t: TestContext, dataset: PublishedDataset, selection: CutoutSelection) {
  const target = join(tempDir(t), 'cutout.fits');
  const summary = await writeCutout(await cutoutSources(dataset), selection, RECORD, target);
  const file = await readFits(target, { verifyChecksums: true });
  return { target, summary, file, events: file.bintable('EVENTS') };
}

function hduBytes(path: string, hdus: Awaited<ReturnType<typeof scanHdus>>, name: string): Buffer {
  const hdu = hdus.find((h) => h.name === name)!;
  return readFileSync(path).subarray(hdu.headerOffset, hdu.headerOffset + hdu.hduByteLength);
}

const ids = (events: BinTableHdu): bigint[] =>
  Array.from(events.readColumn('EVENT_ID').values as BigInt64Array);

describe('event list cutouts', () => {
  const data = generate();

  it('keeps exactly the events in the region, energy range and event types, every column intact', async (t) => {
    const { dataset, path } = await writeRun(t, data);
    const selection: CutoutSelection = {
      regions: [{ kind: 'circle', ra: 0, dec: 0, radius: 1 }],
      energy: { lo: 0.5, hi: 20 },
      eventTypes: [1, 3],
    };
    const { summary, file, events, target } = await cut(t, dataset, selection);
    const expected: number[] = [];
    for (let i = 0; i < ROWS; i++) {
      const e = data.energyGeV[i]! / 1000;
      if (
        angularSeparation(0, 0, data.ra[i]!, data.dec[i]!) <= 1 &&
        e >= 0.5 &&
        e <= 20 &&
        (data.eventType[i] === 1 || data.eventType[i] === 3)
      )
        expected.push(i);
    }
    assert.ok(expected.length > 1000 && expected.length < ROWS / 4, `${expected.length} events`);
    assert.equal(summary.eventsRead, ROWS);
    assert.equal(summary.eventsKept, expected.length);
    assert.deepEqual(
      ids(events),
      expected.map((i) => BigInt(i) + (1n << 40n)),
    );

    const source = (await readFits(path)).bintable('EVENTS');
    const original = source.readRows();
    const kept = events.readRows();
    for (const column of source.columns) {
      const before = original.column(column.name).values;
      const after = kept.column(column.name).values;
      const perRow = before.length / ROWS;
      const want = expected.flatMap((i) =>
        Array.from({ length: perRow }, (_, j) => before[i * perRow + j]),
      );
      assert.deepEqual(Array.from(after as ArrayLike<unknown>), want, column.name);
      const written = events.column(column.name);
      assert.equal(written.tform, column.tform);
      assert.equal(written.unit, column.unit);
      assert.equal(written.zero, column.zero);
    }
    // Nothing changes about time when time is not cut; the GTI and AEFF HDUs are copies.
    assert.equal(events.header.getNumber('ONTIME'), 1500);
    assert.equal(events.header.getNumber('LIVETIME'), 1350);
    const sourceHdus = await scanHdus(path);
    const cutHdus = await scanHdus(target);
    assert.deepEqual(
      cutHdus.map((h) => h.name),
      ['', 'EVENTS', 'GTI', 'AEFF'],
    );
    for (const name of ['GTI', 'AEFF']) {
      assert.deepEqual(hduBytes(target, cutHdus, name), hduBytes(path, sourceHdus, name), name);
    }
    const history = events.header.cards
      .filter((c) => c.keyword === 'HISTORY')
      .map((c) => c.comment)
      .join('\n');
    assert.match(history, /^hearc-test SODA cutout made 2026-01-02T03:04:05 UTC from/);
    assert.match(history, /CIRCLE=0 0 1/);
    assert.match(history, /kept events with 0.5 <= ENERGY <= 20 TeV/);
    assert.equal(events.header.getString('DATE'), '2026-01-02T03:04:05');
    assert.ok(file.hdus[0]!.header.cards.some((c) => c.keyword === 'HISTORY'));
  });

  it('cuts GTIs, events and exposure to a time window (gzip source)', async (t) => {
    const { dataset } = await writeRun(t, data, { gzip: true });
    const mjd = (met: number): number => metToMjdUtc(met, REF);
    const { summary, file, events } = await cut(t, dataset, {
      regions: [],
      time: { lo: mjd(500), hi: mjd(1700) },
    });
    const gti = file.bintable('GTI');
    const starts = Array.from(gti.readColumn('START').values as Float64Array);
    const stops = Array.from(gti.readColumn('STOP').values as Float64Array);
    assert.equal(starts.length, 2);
    [500, 1500].forEach((v, i) => assert.ok(Math.abs(starts[i]! - v) < 1e-5, `START ${starts[i]}`));
    [1000, 1700].forEach((v, i) => assert.ok(Math.abs(stops[i]! - v) < 1e-5, `STOP ${stops[i]}`));
    const header = events.header;
    assert.ok(Math.abs(header.getNumber('ONTIME')! - 700) < 1e-4);
    assert.ok(Math.abs(header.getNumber('LIVETIME')! - 630) < 1e-4);
    assert.equal(header.getNumber('DEADC'), 0.9);
    assert.ok(Math.abs(header.getNumber('TSTART')! - 500) < 1e-5);
    assert.ok(Math.abs(header.getNumber('TSTOP')! - 1700) < 1e-5);
    assert.ok(Math.abs(gti.header.getNumber('TSTART')! - 500) < 1e-5);
    assert.ok(Math.abs(gti.header.getNumber('TSTOP')! - 1700) < 1e-5);
    // MET 0 is MJD 51910.00074287 TT, 2001-01-01T00:00:00 UTC.
    assert.match(header.getString('DATE-OBS')!, /^2001-01-01T00:08:20\.000$/);
    const times = Array.from(events.readColumn('TIME').values as Float64Array);
    const expected = Array.from(data.time).filter((v) => v >= 500 && v <= 1700);
    assert.equal(summary.eventsKept, expected.length);
    assert.deepEqual(times, expected);
    assert.deepEqual(summary.gtis.length, 2);
  });

  it('writes a valid file with no events when nothing is selected', async (t) => {
    const { dataset } = await writeRun(t, data);
    const { summary, file, events } = await cut(t, dataset, {
      regions: [{ kind: 'circle', ra: 180, dec: 0, radius: 1 }],
    });
    assert.equal(summary.eventsKept, 0);
    assert.equal(events.rowCount, 0);
    assert.equal(events.columns.length, 10);
    assert.deepEqual(
      file.hdus.map((h) => h.name),
      ['', 'EVENTS', 'GTI', 'AEFF'],
    );
  });

  it('refuses variable-length columns, and EVENT_TYPE where there is no such column', async (t) => {
    const variable = await writeRun(t, data, { variable: true });
    await assert.rejects(
      cut(t, variable.dataset, { regions: [] }),
      (e: unknown) =>
        e instanceof SodaError && e.status === 501 && /variable-length column HITS/.test(e.message),
    );
    const { dataset } = await writeRun(t, data, { eventType: false });
    await assert.rejects(
      cut(t, dataset, { regions: [], eventTypes: [1] }),
      (e: unknown) =>
        e instanceof SodaError &&
        e.status === 400 &&
        e.message === 'UsageError: EVENT_TYPE: this event list has no EVENT_TYPE column',
    );
  });

  it('says which file is gone', async (t) => {
    const { dataset } = await writeRun(t, data);
    await assert.rejects(
      cutoutSources({ ...dataset, files: ['nope.fits'] }),
      (e: unknown) =>
        e instanceof SodaError &&
        e.status === 404 &&
        /nope.fits .* no longer a file/.test(e.message),
    );
  });
});
