/**
 * Small FITS files made in code for the tests: a table with every TFORM code and
 * convention, and one image per BITPIX (with and without scaling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  buildBinTable,
  buildImage,
  createBinTableWriter,
  type BinTableColumnSpec,
  type Card,
  type WritableHdu,
} from '../../src/fits/index.js';

/** A fresh temp folder, removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearc-fits-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// astropy 5.2 misreads a CONTINUE piece where '' is followed by a space (it reads its own files
// wrongly too), so the quotes here are followed by a comma; header.test.ts covers the space case.
export const LONG_STRING =
  "This value is longer than one card can hold, so it is written with CONTINUE cards; it has 'quotes', too, and it goes on for a while longer.";

export const EXTRA_CARDS: readonly Card[] = [
  { keyword: 'OBS_ID', value: 23523, comment: 'observation' },
  { keyword: 'LONGSTRN', value: 'OGIP 1.0', comment: 'long strings may follow' },
  { keyword: 'LONGTEXT', value: LONG_STRING, comment: 'uses CONTINUE' },
  { keyword: 'ESO DET CHIP NAME', value: 'CCD #1', comment: 'a HIERARCH card' },
  { keyword: 'BIGINT', value: 9007199254740993n, comment: 'beyond 2^53' },
  { keyword: 'REALEXP', value: 6.02214076e23 },
  { keyword: 'NEGREAL', value: -0.000123 },
  { keyword: 'CPLXVAL', value: { re: 1.5, im: -2.25 } },
  { keyword: 'NOVALUE', value: null, comment: 'undefined value' },
  { keyword: 'LOGICAL', value: false },
  { keyword: 'QUOTED', value: "it's" },
  { keyword: 'COMMENT', comment: 'a comment card' },
  { keyword: 'HISTORY', comment: 'written by the hearc fits tests' },
];

const ROWS = 5;

/** Columns covering every TFORM code, TDIM, TSCAL/TZERO (incl. unsigned), TNULL, P and Q arrays. */
export function everyColumn(): BinTableColumnSpec[] {
  return [
    { name: 'FLAG', format: '1L', values: [true, false, null, true, false] },
    {
      name: 'FLAGS3',
      format: '3L',
      values: Array.from({ length: ROWS * 3 }, (_, i) => i % 3 === 0),
    },
    {
      name: 'BITS',
      format: '12X',
      values: Uint8Array.from({ length: ROWS * 12 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
    },
    { name: 'UBYTE', format: '1B', values: Uint8Array.from([0, 1, 127, 128, 255]) },
    { name: 'SBYTE', format: '2B', values: Int8Array.from([-128, -1, 0, 1, 127, 5, 6, 7, 8, 9]) },
    {
      name: 'SHORT',
      format: '1I',
      unit: 'count',
      values: Int16Array.from([-32768, -1, 0, 1, 32767]),
    },
    { name: 'USHORT', format: '1I', values: Uint16Array.from([0, 1, 32767, 32768, 65535]) },
    {
      name: 'SCALED',
      format: '1I',
      scale: 0.5,
      zero: 10,
      nullValue: -32768,
      values: Float64Array.from([10, 10.5, -5, Number.NaN, 1000]),
    },
    {
      name: 'INT',
      format: '1J',
      nullValue: -999,
      values: Int32Array.from([-2147483648, -999, 0, 42, 2147483647]),
    },
    {
      name: 'UINT',
      format: '1J',
      values: Uint32Array.from([0, 1, 2147483647, 2147483648, 4294967295]),
    },
    {
      name: 'LONG',
      format: '1K',
      values: BigInt64Array.from([
        -9223372036854775808n,
        -1n,
        0n,
        9007199254740993n,
        9223372036854775807n,
      ]),
    },
    {
      name: 'ULONG',
      format: '1K',
      values: BigUint64Array.from([
        0n,
        1n,
        9223372036854775807n,
        9223372036854775808n,
        18446744073709551615n,
      ]),
    },
    { name: 'NAME', format: '10A', values: ['Crab', "it's", '', 'ten chars!', 'a b'] },
    {
      name: 'CODES',
      format: '6A',
      dim: [3, 2],
      values: ['abc', 'de', 'f', '', 'xyz', 'uvw', 'a', 'b', 'c', 'd'],
    },
    {
      name: 'ENERGY',
      format: '1E',
      unit: 'TeV',
      values: Float32Array.from([1.5, Number.NaN, Infinity, -0, 3.4028234663852886e38]),
    },
    {
      name: 'MATRIX',
      format: '6E',
      dim: [3, 2],
      unit: 'm2',
      values: Float32Array.from({ length: ROWS * 6 }, (_, i) => i / 7),
    },
    {
      name: 'TIME',
      format: '1D',
      unit: 's',
      values: Float64Array.from([0, 1e-300, Math.PI, -1e300, Number.NaN]),
    },
    {
      name: 'CPLX',
      format: '2C',
      values: Float32Array.from({ length: ROWS * 4 }, (_, i) => i - 3.5),
    },
    {
      name: 'DCPLX',
      format: '1M',
      values: Float64Array.from({ length: ROWS * 2 }, (_, i) => i * 1e10 + 0.25),
    },
    {
      name: 'VARE',
      format: '1PE',
      values: [
        Float32Array.from([1, 2, 3]),
        new Float32Array(0),
        Float32Array.from([4.5]),
        Float32Array.from([6, 7]),
        Float32Array.from([8, 9, 10, 11]),
      ],
    },
    {
      name: 'VARD',
      format: 'QD',
      values: [
        Float64Array.from([0.1]),
        Float64Array.from([1, 2]),
        new Float64Array(0),
        Float64Array.from([3]),
        Float64Array.from([Math.E, 5]),
      ],
    },
    {
      name: 'VARJ',
      format: '1PJ',
      values: [
        Int32Array.from([1, -2]),
        Int32Array.from([3]),
        Int32Array.from([]),
        Int32Array.from([2147483647]),
        Int32Array.from([0, 0, 0]),
      ],
    },
    { name: 'VARA', format: '1PA', values: ['short', 'a longer string', '', 'x', "it's"] },
  ];
}

/** A table with every column kind and the extra cards. */
export function everyColumnTable(): WritableHdu {
  return buildBinTable({ name: 'EVERYTHING', columns: everyColumn(), header: EXTRA_CARDS });
}

/** One image per BITPIX, plus scaled, unsigned and BLANK variants. */
export function everyImage(): WritableHdu[] {
  const shape = [4, 3];
  const ramp = (f: (i: number) => number) => Array.from({ length: 12 }, (_, i) => f(i));
  return [
    buildImage({ name: 'B8', bitpix: 8, shape, data: Uint8Array.from(ramp((i) => i * 20)) }),
    buildImage({
      name: 'I16',
      bitpix: 16,
      shape,
      data: Int16Array.from(ramp((i) => i * 1000 - 6000)),
    }),
    buildImage({
      name: 'J32',
      bitpix: 32,
      shape,
      data: Int32Array.from(ramp((i) => i * 100000 - 2)),
    }),
    buildImage({
      name: 'K64',
      bitpix: 64,
      shape,
      data: BigInt64Array.from(ramp((i) => i * 3 - 9).map(BigInt)),
    }),
    buildImage({ name: 'E32', bitpix: -32, shape, data: Float32Array.from(ramp((i) => i / 3)) }),
    buildImage({
      name: 'D64',
      bitpix: -64,
      shape,
      data: Float64Array.from(ramp((i) => i / 3 + 1e-12)),
    }),
    buildImage({ name: 'U16', bitpix: 16, shape, data: Uint16Array.from(ramp((i) => i * 5000)) }),
    buildImage({ name: 'S8', bitpix: 8, shape, data: Int8Array.from(ramp((i) => i * 20 - 128)) }),
    buildImage({
      name: 'U32',
      bitpix: 32,
      shape: [2, 2],
      data: Uint32Array.from([0, 1, 2147483648, 4294967295]),
    }),
    buildImage({
      name: 'U64',
      bitpix: 64,
      shape: [2],
      data: BigUint64Array.from([1n, 18446744073709551615n]),
    }),
    buildImage({
      name: 'SCALED',
      bitpix: 32,
      shape,
      bscale: 0.25,
      bzero: 100,
      data: Float64Array.from(ramp((i) => 100 + i * 0.25)),
    }),
    buildImage({ name: 'BLANKS', bitpix: 32, shape: [3], blank: -1, data: [1, Number.NaN, 3] }),
    buildImage({
      name: 'CUBE',
      bitpix: -32,
      shape: [2, 3, 2],
      data: Float32Array.from(ramp((i) => i)),
    }),
  ];
}

/**
 * A GADF-like EVENTS table of `rows` synthetic events (EVENT_ID 1K, TIME 1D,
 * RA/DEC/ENERGY 1E), written batch by batch so that making it needs little memory.
 */
export async function writeSyntheticEventList(
  path: string,
  rows: number,
  options: { gzip?: boolean; gzipLevel?: number } = {},
): Promise<void> {
  const writer = await createBinTableWriter(
    path,
    {
      name: 'EVENTS',
      rowCount: rows,
      columns: [
        { name: 'EVENT_ID', format: '1K' },
        { name: 'TIME', format: '1D', unit: 's' },
        { name: 'RA', format: '1E', unit: 'deg' },
        { name: 'DEC', format: '1E', unit: 'deg' },
        { name: 'ENERGY', format: '1E', unit: 'TeV' },
      ],
      header: [
        { keyword: 'HDUCLASS', value: 'GADF' },
        { keyword: 'HDUCLAS1', value: 'EVENTS' },
      ],
    },
    { gzip: options.gzip ?? true, gzipLevel: options.gzipLevel ?? 6 },
  );
  const batch = 250_000;
  let seed = 12345;
  // A small linear congruential generator: reproducible and fast, compressible like real events.
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let first = 0; first < rows; first += batch) {
    const n = Math.min(batch, rows - first);
    const id = new BigInt64Array(n);
    // Low and high 32-bit halves, to fill the 64-bit ids without making a BigInt per row.
    const idHalves = new Uint32Array(id.buffer);
    const time = new Float64Array(n);
    const ra = new Float32Array(n);
    const dec = new Float32Array(n);
    const energy = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      idHalves[2 * i] = first + i + 1;
      time[i] = 123890826 + (first + i) * 0.01 + random() * 0.01;
      ra[i] = 83.63 + (random() - 0.5) * 5;
      dec[i] = 22.01 + (random() - 0.5) * 5;
      energy[i] = 0.1 * Math.pow(1 - random(), -1 / 1.6);
    }
    await writer.writeRows([id, time, ra, dec, energy]);
  }
  await writer.close();
}
