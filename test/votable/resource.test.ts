/**
 * RESOURCE-level PARAM, GROUP and VALUES after the results RESOURCE (DataLink service
 * descriptors): structure, refs checked, and read back by astropy and STILTS votlint.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  VotableError,
  writeVotable,
  type FieldDescription,
  type MetaResource,
} from '../../src/votable/index.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { requireAstropyVotable, requireStilts, votlint } from './checkers.js';
import { collect } from './fixtures.js';

const FIELDS: readonly FieldDescription[] = [
  { name: 'ID', datatype: 'char', arraysize: '*', id: 'idcol' },
  { name: 'service_def', datatype: 'char', arraysize: '*' },
];

const DESCRIPTOR: MetaResource = {
  id: 'svc1',
  type: 'meta',
  utype: 'adhoc:service',
  description: 'Cutouts <of> & more',
  params: [
    {
      name: 'standardID',
      datatype: 'char',
      arraysize: '*',
      value: 'ivo://ivoa.net/std/SODA#sync-1.0',
    },
    {
      name: 'accessURL',
      datatype: 'char',
      arraysize: '*',
      ucd: 'meta.ref.url',
      value: 'http://x/soda?a=1&b=2',
    },
  ],
  groups: [
    {
      name: 'inputParams',
      params: [
        {
          name: 'ID',
          datatype: 'char',
          arraysize: '*',
          ucd: 'meta.ref.url;meta.curation',
          ref: 'idcol',
          value: 'ivo://a/b?1',
        },
        {
          name: 'TIME',
          datatype: 'double',
          arraysize: '2',
          xtype: 'interval',
          unit: 'd',
          ucd: 'time.interval;obs.exposure',
          value: '',
          description: 'MJD interval',
          values: { min: '53343.92', max: '53343.95' },
        },
        {
          name: 'KIND',
          datatype: 'char',
          arraysize: '*',
          value: '',
          values: { options: [{ value: 'A', name: 'first' }, { value: 'B' }] },
        },
      ],
    },
  ],
};

async function written(resources: readonly MetaResource[]): Promise<string> {
  const { bytes } = await collect(
    writeVotable(FIELDS, [[['ivo://a/b?1', 'svc1']]], {
      serialization: 'TABLEDATA',
      version: '1.4',
      resources,
    }),
  );
  return bytes.toString('utf8');
}

describe('RESOURCE-level PARAM and GROUP', () => {
  it('writes the descriptor after the results RESOURCE, with VALUES and escaped text', async () => {
    const xml = await written([DESCRIPTOR]);
    const results = xml.indexOf('</RESOURCE>');
    const meta = xml.indexOf('<RESOURCE ID="svc1" type="meta" utype="adhoc:service">');
    assert.ok(results > 0 && meta > results && xml.trimEnd().endsWith('</RESOURCE>\n</VOTABLE>'));
    assert.ok(xml.includes('<DESCRIPTION>Cutouts &lt;of&gt; &amp; more</DESCRIPTION>'));
    assert.ok(xml.includes('value="http://x/soda?a=1&amp;b=2"/>'));
    assert.ok(
      xml.includes(
        '<PARAM name="TIME" datatype="double" arraysize="2" xtype="interval" unit="d" ucd="time.interval;obs.exposure" value=""><DESCRIPTION>MJD interval</DESCRIPTION><VALUES><MIN value="53343.92"/><MAX value="53343.95"/></VALUES></PARAM>',
      ),
    );
    assert.ok(xml.includes('<VALUES><OPTION name="first" value="A"/><OPTION value="B"/></VALUES>'));
    assert.ok(xml.includes('<GROUP name="inputParams">'));
  });

  it('refuses refs to nothing, repeated IDs and bad PARAMs before writing', async () => {
    const group = DESCRIPTOR.groups![0]!;
    const cases: [MetaResource, RegExp][] = [
      [
        { ...DESCRIPTOR, groups: [{ ...group, params: [{ ...group.params[0]!, ref: 'nope' }] }] },
        /ref 'nope' names no element/,
      ],
      [{ ...DESCRIPTOR, id: 'idcol' }, /ID 'idcol' is used twice/],
      [{ ...DESCRIPTOR, id: '9x' }, /not an XML identifier/],
      [
        { ...DESCRIPTOR, params: [{ name: 'x', datatype: 'int', arraysize: '0', value: '' }] },
        /arraysize '0'/,
      ],
    ];
    for (const [resource, message] of cases) {
      await assert.rejects(
        written([resource]),
        (e: unknown) => e instanceof VotableError && message.test(e.message),
      );
    }
  });

  it('astropy reads the descriptor: params, group, ref and VALUES', async (t) => {
    if (!requireAstropyVotable(t)) return;
    const path = join(tempDir(t), 'descriptor.vot');
    writeFileSync(path, await written([DESCRIPTOR]));
    const read = runPythonJson<{
      resources: [string, string | null][];
      params: string[];
      group: [string, string, string | null, number[] | null][];
      warnings: string[];
    }>(
      String.raw`
import json, sys, warnings
import numpy as np
from astropy.io.votable import parse
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    vot = parse(sys.argv[1])
meta = vot.resources[1]
group = meta.groups[0]
def rng(p):
    if p.values.min is None: return None
    # SODA 1.0 §4.2 gives an interval's MIN and MAX as one number each; astropy reads them
    # as arrays of the PARAM's arraysize (NaN-padded, warning E02).
    return [float(np.ravel(v)[0]) for v in [p.values.min, p.values.max]]
print(json.dumps({
  'resources': [[r.type, r.utype] for r in vot.resources],
  'params': [p.name + '=' + str(p.value) for p in meta.params],
  'group': [[p.name, str(p.value), p.ref, rng(p)] for p in group.entries],
  'warnings': [str(w.message) for w in caught],
}))
`,
      [path],
    );
    assert.deepEqual(
      read.warnings.filter((w) => !/E02: .*Expected multiple of 2, got 1/.test(w)),
      [],
    );
    assert.deepEqual(read.resources, [
      ['results', null],
      ['meta', 'adhoc:service'],
    ]);
    assert.deepEqual(read.params, [
      'standardID=ivo://ivoa.net/std/SODA#sync-1.0',
      'accessURL=http://x/soda?a=1&b=2',
    ]);
    assert.deepEqual(read.group[0], ['ID', 'ivo://a/b?1', 'idcol', null]);
    assert.deepEqual(read.group[1]?.[3], [53343.92, 53343.95]);
  });

  it('STILTS votlint finds nothing wrong', async (t) => {
    if (!requireStilts(t)) return;
    const path = join(tempDir(t), 'descriptor.vot');
    writeFileSync(path, await written([DESCRIPTOR]));
    const report = votlint(path);
    assert.deepEqual([...report.errors, ...report.warnings], [], report.output);
  });
});
