/**
 * astropy and pyvo read what we write: every datatype, array and null in both
 * serialisations, the trailing INFO elements in order, and DALI error documents
 * through pyvo's DALQueryError. Our reader in turn reads what astropy writes.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  readVotable,
  votableError,
  writeVotable,
  type FieldDescription,
} from '../../src/votable/index.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import {
  astropyDump,
  fromAstropy,
  pyNumber,
  requireAstropyVotable,
  requirePyvo,
} from './checkers.js';
import { ALL_FIELDS, ALL_ROWS, batches, collect, ICRS, SERIALIZATIONS } from './fixtures.js';
import { normalize } from './normalize.js';

describe('astropy reads our VOTables', () => {
  for (const serialization of SERIALIZATIONS) {
    for (const version of ['1.4', '1.5'] as const) {
      it(`gets the same values for every datatype (${serialization}, VOTable ${version})`, async (t) => {
        if (!requireAstropyVotable(t)) return;
        const path = join(tempDir(t), 'all.vot');
        const { bytes } = await collect(
          writeVotable(ALL_FIELDS, batches(ALL_ROWS), {
            ...ICRS,
            serialization,
            version,
            query: 'SELECT * FROM ivoa.obscore',
            overflow: true,
          }),
        );
        writeFileSync(path, bytes);
        const dump = astropyDump(path);
        assert.equal(dump.version, version);
        assert.deepEqual(dump.warnings, []);
        assert.deepEqual(
          dump.fields.map((f) => [
            f.name,
            f.datatype,
            f.arraysize ?? undefined,
            f.xtype ?? undefined,
          ]),
          ALL_FIELDS.map((f) => [f.name, f.datatype, f.arraysize, f.xtype]),
        );
        assert.deepEqual(dump.infos, [
          ['QUERY_STATUS', 'OK', null],
          ['QUERY', 'SELECT * FROM ivoa.obscore', null],
          ['QUERY_STATUS', 'OVERFLOW', null],
        ]);
        assert.equal(dump.rows.length, ALL_ROWS.length);
        dump.rows.forEach((row, r) => {
          ALL_FIELDS.forEach((field, c) => {
            assert.deepEqual(
              normalize(field, fromAstropy(field, row[c] ?? null), true),
              normalize(field, ALL_ROWS[r]?.[c], true),
              `row ${r + 1}, ${field.name}`,
            );
          });
        });
      });
    }
  }

  it('keeps float32 and double values exact through astropy', async (t) => {
    if (!requireAstropyVotable(t)) return;
    const fields: FieldDescription[] = [
      { name: 'f', datatype: 'float' },
      { name: 'd', datatype: 'double' },
    ];
    const values = [
      0.1,
      1 / 3,
      Math.PI,
      1e-45,
      3.4e38,
      123456789.123,
      5e-324,
      -1.7976931348623157e308,
    ];
    const rows = values.map((v) => [v, v]);
    const dir = tempDir(t);
    for (const serialization of SERIALIZATIONS) {
      const path = join(dir, `${serialization}.vot`);
      writeFileSync(path, (await collect(writeVotable(fields, [rows], { serialization }))).bytes);
      const dump = astropyDump(path);
      dump.rows.forEach((row, i) => {
        const v = values[i] ?? NaN;
        assert.equal(pyNumber(String(row[0])), Math.fround(v), `float ${v} (${serialization})`);
        assert.equal(pyNumber(String(row[1])), v, `double ${v} (${serialization})`);
      });
    }
  });
});

describe('pyvo reads DALI error documents and results', () => {
  it('raises DALQueryError with our message for an error document', (t) => {
    if (!requirePyvo(t)) return;
    const path = join(tempDir(t), 'error.vot');
    const message = 'Could not parse query: unexpected token "FORM" at line 1, column 10 <&>';
    writeFileSync(path, votableError(message, { queryStatus: 'ERROR', query: 'SELECT * FORM t' }));
    const result = runPythonJson<{ label: string; reason: string }>(
      String.raw`
import json, sys
from astropy.io.votable import parse
from pyvo.dal.query import DALResults
from pyvo.dal.exceptions import DALQueryError
try:
    DALResults(parse(sys.argv[1]))
    print(json.dumps({'label': 'no error', 'reason': ''}))
except DALQueryError as e:
    print(json.dumps({'label': e.label, 'reason': e.reason}))
`,
      [path],
    );
    assert.deepEqual(result, { label: 'ERROR', reason: message });
  });

  it('accepts a truncated result as successful', async (t) => {
    if (!requirePyvo(t)) return;
    const path = join(tempDir(t), 'result.vot');
    const { bytes } = await collect(
      writeVotable(ALL_FIELDS, [ALL_ROWS], { ...ICRS, overflow: true }),
    );
    writeFileSync(path, bytes);
    const result = runPythonJson<{ names: string[]; rows: number }>(
      String.raw`
import json, sys
from astropy.io.votable import parse
from pyvo.dal.query import DALResults
r = DALResults(parse(sys.argv[1]))
print(json.dumps({'names': list(r.fieldnames), 'rows': len(r)}))
`,
      [path],
    );
    assert.deepEqual(result, { names: ALL_FIELDS.map((f) => f.name), rows: ALL_ROWS.length });
  });
});

describe('our reader reads what astropy writes', () => {
  for (const format of ['tabledata', 'binary', 'binary2'] as const) {
    it(`reads an astropy ${format} table (TAP_UPLOAD from pyvo)`, (t) => {
      if (!requireAstropyVotable(t)) return;
      const path = join(tempDir(t), `${format}.vot`);
      runPythonJson(
        String.raw`
import json, sys
import numpy as np
from astropy.table import Table, MaskedColumn
t = Table()
t['id'] = np.array([1, 2, 3], dtype=np.int64)
t['ra'] = np.array([10.5, np.nan, -0.25])
t['mag'] = np.array([1.5, 2.5, 3.5], dtype=np.float32)
# astropy 5.2 refuses masked integers without a VALUES null in binary formats (W31).
t['n'] = MaskedColumn(np.array([7, 0, 9], dtype=np.int32), mask=[False, sys.argv[2] == 'tabledata', False])
t['name'] = np.array(['a&b', 'Crab <M1>', ''])
t['ok'] = np.array([True, False, True])
t['vec'] = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
t.write(sys.argv[1], format='votable', tabledata_format=sys.argv[2])
print(json.dumps(True))
`,
        [path, format],
      );
      const table = readVotable(readFileSync(path));
      assert.equal(table.serialization, format.toUpperCase());
      assert.deepEqual(
        table.fields.map((f) => [f.name, f.datatype, f.arraysize]),
        [
          ['id', 'long', undefined],
          ['ra', 'double', undefined],
          ['mag', 'float', undefined],
          ['n', 'int', undefined],
          ['name', 'unicodeChar', '9'],
          ['ok', 'bit', undefined],
          ['vec', 'double', '2'],
        ],
      );
      const name = (v: unknown) => (typeof v === 'string' ? v : null);
      assert.deepEqual(
        table.rows.map((r) => [r[0], r[1], r[2], r[3], name(r[4]) ?? '', r[5], r[6]]),
        [
          [1n, 10.5, 1.5, 7, 'a&b', true, [1, 2]],
          [2n, NaN, 2.5, format === 'tabledata' ? null : 0, 'Crab <M1>', false, [3, 4]],
          [3n, -0.25, 3.5, 9, '', true, [5, 6]],
        ],
      );
    });
  }
});
