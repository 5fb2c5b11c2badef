/**
 * A result table with every datatype the writer supports, fixed and variable
 * arrays, DALI xtypes, nulls and edge values; and small helpers to collect the
 * chunks of a writer.
 */
import type {
  CellValue,
  FieldDescription,
  Row,
  VotableSerialization,
} from '../../src/votable/index.js';

export const SERIALIZATIONS: readonly VotableSerialization[] = ['TABLEDATA', 'BINARY2'];

/** The COOSYS that ALL_FIELDS' ra refers to. */
export const ICRS = { coordinateSystems: [{ id: 'icrs', system: 'ICRS' }] };

export const ALL_FIELDS: readonly FieldDescription[] = [
  { name: 'flag', datatype: 'boolean', description: 'a boolean' },
  { name: 'ubyte', datatype: 'unsignedByte' },
  { name: 'small', datatype: 'short' },
  { name: 'count', datatype: 'int', ucd: 'meta.number' },
  { name: 'obs_id', datatype: 'long', ucd: 'meta.id' },
  { name: 'energy', datatype: 'float', unit: 'TeV' },
  { name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main', ref: 'icrs' },
  { name: 'name', datatype: 'char', arraysize: '*', description: 'with <markup> & "quotes"' },
  { name: 'label', datatype: 'char', arraysize: '8' },
  { name: 'text', datatype: 'unicodeChar', arraysize: '*' },
  { name: 'release', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
  { name: 'pos', datatype: 'double', arraysize: '2', xtype: 'point', unit: 'deg' },
  { name: 'circ', datatype: 'double', arraysize: '3', xtype: 'circle', unit: 'deg' },
  { name: 's_region', datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg' },
  { name: 'ints', datatype: 'int', arraysize: '*' },
  { name: 'shorts', datatype: 'short', arraysize: '3' },
  { name: 'longs', datatype: 'long', arraysize: '4*' },
  { name: 'grid', datatype: 'float', arraysize: '2x2' },
  { name: 'z', datatype: 'doubleComplex' },
  { name: 'zs', datatype: 'floatComplex', arraysize: '2' },
  { name: 'interval', datatype: 'double', arraysize: '2', xtype: 'interval' },
  { name: 'bools', datatype: 'boolean', arraysize: '*' },
];

export const ALL_ROWS: readonly Row[] = [
  [
    true,
    200,
    -1234,
    42,
    123456789012345678n,
    0.1,
    83.6331,
    'Crab <&> "nebula"',
    'HESS',
    'Žluťoučký kůň 🐎 東京',
    new Date(Date.UTC(2004, 11, 4, 21, 37, 12, 345)),
    [83.6331, 22.0145],
    [83.6, 22.0, 2.5],
    [10, 10, 10.2, 10, 10.2, 10.2, 10, 10.2],
    [1, -2, 3],
    [1, 2, 3],
    [1n, -2n, 9007199254740993n],
    [1.5, 2.5, 3.5, 4.5],
    [1.5, -2.25],
    [1, 2, 3, 4],
    [-Infinity, 0.5],
    [true, false, true],
  ],
  ALL_FIELDS.map(() => null),
  [
    false,
    0,
    -32768,
    -2147483648,
    -(2n ** 63n),
    3.4028234663852886e38,
    5e-324,
    'tab\there\nline',
    '12345678',
    'a',
    '2020-02-29T00:00:00',
    [-0, 90],
    [0, -90, 180],
    [0, 0, 1, 0, 1, 1],
    [2147483647],
    [-32768, 0, 32767],
    [2n ** 63n - 1n],
    [NaN, Infinity, 0, -1],
    [1e300, -0],
    [0, 0, -1, 1],
    [0, Infinity],
    [],
  ],
  [
    true,
    255,
    32767,
    2147483647,
    2n ** 63n - 1n,
    NaN,
    1 / 3,
    'plain',
    'x',
    '\u00e9',
    '2001-01-01',
    [1e-300, -1e300],
    [359.9999999999999, -89.99999999999999, 1e-10],
    [1, 2, 3, 4, 5, 6],
    [],
    [0, 0, 0],
    [0n],
    [1e-38, 1, 2, 3],
    [Infinity, -1],
    [0.1, 0.2, 0.3, 0.4],
    [1.7976931348623157e308, 2.2250738585072014e-308],
    [false],
  ],
];

/** All the chunks of a writer as one Buffer, and its return value. */
export async function collect<R>(
  chunks: AsyncGenerator<Buffer, R, undefined>,
): Promise<{ bytes: Buffer; result: R; chunks: number }> {
  const parts: Buffer[] = [];
  for (;;) {
    const step = await chunks.next();
    if (step.done) return { bytes: Buffer.concat(parts), result: step.value, chunks: parts.length };
    parts.push(step.value);
  }
}

/** One batch holding all rows. */
export function batches(rows: readonly Row[], size = 2): Row[][] {
  const out: Row[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export type { CellValue };
