import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  writeCsv,
  writeJson,
  writeTsv,
  type FieldDescription,
  type Row,
} from '../../src/votable/index.js';
import { ALL_FIELDS, ALL_ROWS, batches, collect } from './fixtures.js';

const FIELDS: readonly FieldDescription[] = [
  { name: 'obs_id', datatype: 'long' },
  { name: 'target, name', datatype: 'char', arraysize: '*' },
  { name: 'ra', datatype: 'double', unit: 'deg' },
  { name: 'ok', datatype: 'boolean' },
  { name: 'pos', datatype: 'double', arraysize: '2', xtype: 'point' },
  { name: 'mag', datatype: 'float' },
];

const ROWS: readonly Row[] = [
  [9007199254740993n, 'Crab "nebula", M1', 83.6331, true, [83.6331, 22.0145], 0.1],
  [2n, 'tab\there\nline', NaN, false, null, -Infinity],
  [3n, '', null, null, [1, 2], null],
];

async function text(
  writer: typeof writeCsv,
  fields: readonly FieldDescription[] = FIELDS,
  rows = ROWS,
): Promise<string> {
  return (await collect(writer(fields, batches(rows)))).bytes.toString('utf8');
}

describe('CSV (RFC 4180)', () => {
  it('writes a header of names, quotes where needed and tells empty from null', async () => {
    assert.equal(
      await text(writeCsv),
      'obs_id,"target, name",ra,ok,pos,mag\r\n' +
        '9007199254740993,"Crab ""nebula"", M1",83.6331,true,83.6331 22.0145,0.1\r\n' +
        '2,"tab\there\nline",NaN,false,,-Inf\r\n' +
        '3,"",,,1 2,\r\n',
    );
  });

  it('writes repeated values of every type as the first one, and 0 and -0 apart', async () => {
    const fields: readonly FieldDescription[] = [
      { name: 'x', datatype: 'double' },
      { name: 'n', datatype: 'long' },
      { name: 't', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
      { name: 'a', datatype: 'int', arraysize: '*' },
    ];
    const day = Date.UTC(2020, 0, 2, 3, 4, 5);
    const cells: Row[] = [
      [0, 1n, new Date(day), []],
      [-0, 1n, new Date(day), []],
      [-0, 2n, new Date(day + 1), [1]],
      [0, 2n, new Date(day + 1), [1]],
      [NaN, null, new Date(day), []],
      [NaN, 2n, new Date(day), null],
    ];
    assert.equal(
      await text(writeCsv, fields, cells),
      'x,n,t,a\r\n' +
        '0,1,2020-01-02T03:04:05,""\r\n' +
        '-0,1,2020-01-02T03:04:05,""\r\n' +
        '-0,2,2020-01-02T03:04:05.001,1\r\n' +
        '0,2,2020-01-02T03:04:05.001,1\r\n' +
        'NaN,,2020-01-02T03:04:05,""\r\n' +
        'NaN,2,2020-01-02T03:04:05,\r\n',
    );
  });

  it('names the row and field of a bad value and does not hide it', async () => {
    await assert.rejects(
      collect(writeCsv([{ name: 'n', datatype: 'int' }], [[[1], ['x']]])),
      /row 2, field 'n': expected an integer/,
    );
  });
});

describe('TSV', () => {
  it('writes tab-separated lines with tabs and line breaks in values made spaces', async () => {
    assert.equal(
      await text(writeTsv),
      'obs_id\ttarget, name\tra\tok\tpos\tmag\n' +
        '9007199254740993\tCrab "nebula", M1\t83.6331\ttrue\t83.6331 22.0145\t0.1\n' +
        '2\ttab here line\tNaN\tfalse\t\t-Inf\n' +
        '3\t\t\t\t1 2\t\n',
    );
  });
});

describe('JSON', () => {
  it('writes {"metadata":[...],"data":[[...]]} with exact longs and null for NaN', async () => {
    const json = await text(writeJson);
    assert.ok(json.includes('[9007199254740993,"Crab \\"nebula\\", M1"'), 'long written exactly');
    const parsed = JSON.parse(json) as { metadata: Record<string, string>[]; data: unknown[][] };
    assert.deepEqual(parsed.metadata[2], { name: 'ra', datatype: 'double', unit: 'deg' });
    assert.deepEqual(parsed.metadata[4], {
      name: 'pos',
      datatype: 'double',
      arraysize: '2',
      xtype: 'point',
    });
    assert.deepEqual(parsed.data, [
      [9007199254740992, 'Crab "nebula", M1', 83.6331, true, [83.6331, 22.0145], 0.1],
      [2, 'tab\there\nline', null, false, null, null],
      [3, '', null, null, [1, 2], null],
    ]);
  });

  it('is valid JSON for every datatype and for an empty result', async () => {
    const all = JSON.parse(await text(writeJson, ALL_FIELDS, ALL_ROWS)) as { data: unknown[][] };
    assert.equal(all.data.length, ALL_ROWS.length);
    assert.deepEqual(all.data[0]?.slice(0, 7), [
      true,
      200,
      -1234,
      42,
      123456789012345680,
      0.1,
      83.6331,
    ]);
    assert.deepEqual(all.data[0]?.[10], '2004-12-04T21:37:12.345');
    assert.deepEqual(all.data[2]?.[17], [null, null, 0, -1]);
    const empty = JSON.parse(await text(writeJson, FIELDS, [])) as { data: unknown[] };
    assert.deepEqual(empty.data, []);
  });
});
