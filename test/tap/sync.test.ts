/** TAP sync over real HTTP on the H.E.S.S. DR1 catalog, read back by astropy and pyvo. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { votlint } from '../votable/checkers.js';
import { tempDir } from '../helpers/tmp.js';
import { HESS_COLLECTION, serveStore, type ServedStore } from '../datalink/fixtures.js';
import { requireAstropy, requireChecker, requireTestData, PYTHON } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';

const BINARY = 'application/x-votable+xml;serialization=BINARY';

async function sync(
  base: string,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'POST',
): Promise<Response> {
  const body = new URLSearchParams(params);
  return method === 'GET'
    ? fetch(`${base}/tap/sync?${body.toString()}`)
    : fetch(`${base}/tap/sync`, { method: 'POST', body });
}

test('TAP sync', async (suite) => {
  const dir = requireTestData(suite, 'hess-dl3-dr1');
  if (!dir) return;
  const served: ServedStore = await serveStore(suite, dir, HESS_COLLECTION);

  await suite.test(
    'a cone search returns the Crab runs as a BINARY2 VOTable that astropy reads',
    async (t) => {
      if (!requireAstropy(t)) return;
      const query =
        "SELECT obs_id, s_ra, s_dec, t_min, s_region, obs_release_date, event_count FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 83.633, 22.014, 2)) ORDER BY obs_id";
      const response = await sync(served.address, {
        LANG: 'ADQL',
        REQUEST: 'doQuery',
        QUERY: query,
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/x-votable\+xml/);
      const parsed = await runPythonJsonAsync<{
        ids: string[];
        units: Record<string, string>;
        xtype: string;
        count: number;
        status: string;
      }>(
        `import sys, json, io, urllib.request, urllib.parse
from astropy.io.votable import parse
data = urllib.parse.urlencode({'LANG': 'ADQL', 'QUERY': sys.argv[2]}).encode()
doc = parse(io.BytesIO(urllib.request.urlopen(sys.argv[1] + '/tap/sync', data).read()))
t = doc.get_first_table()
status = [i.value for i in doc.resources[0].infos if i.name == 'QUERY_STATUS'][0]
print(json.dumps(dict(ids=[str(x) for x in t.array['obs_id']], units={f.name: str(f.unit) for f in t.fields if f.unit is not None},
  xtype=t.get_field_by_id('s_region').xtype, count=int(sum(t.array['event_count'])), status=status)))`,
        [served.address, query],
      );
      assert.deepEqual(parsed.ids, ['23523', '23526', '23559', '23592']);
      assert.equal(parsed.units.s_ra, 'deg');
      assert.equal(parsed.units.t_min, 'd');
      assert.equal(parsed.xtype, 'adql:REGION');
      assert.equal(parsed.status, 'OK');
      assert.ok(parsed.count > 20000);
    },
  );

  await suite.test('MAXREC truncates with an OVERFLOW INFO after the table', async () => {
    const response = await sync(
      served.address,
      { LANG: 'ADQL', QUERY: 'SELECT obs_id FROM ivoa.obscore', MAXREC: '5', FORMAT: 'votable/td' },
      'GET',
    );
    const text = await response.text();
    assert.equal((text.match(/<TR>/g) ?? []).length, 5);
    assert.match(text, /<\/TABLE>\s*<INFO name="QUERY_STATUS" value="OVERFLOW"/);
  });

  await suite.test('CSV, TSV and JSON formats', async () => {
    const csv = await (
      await sync(served.address, {
        LANG: 'ADQL',
        QUERY: "SELECT obs_id, target_name FROM ivoa.obscore WHERE obs_id = '23523'",
        RESPONSEFORMAT: 'csv',
      })
    ).text();
    assert.equal(csv.trim(), 'obs_id,target_name\r\n23523,Crab');
    const tsv = await (
      await sync(served.address, {
        LANG: 'ADQL',
        QUERY: "SELECT obs_id FROM ivoa.obscore WHERE obs_id = '23523'",
        RESPONSEFORMAT: 'text/tab-separated-values',
      })
    ).text();
    assert.equal(tsv.trim(), 'obs_id\n23523');
    const json = (await (
      await sync(served.address, {
        LANG: 'ADQL',
        QUERY: "SELECT COUNT(*) AS n FROM ivoa.obscore_hea WHERE analysis_mode = 'full-enclosure'",
        RESPONSEFORMAT: 'json',
      })
    ).json()) as { data: unknown[][] };
    assert.equal(Number(json.data[0]?.[0]), 13);
  });

  await suite.test('s_region is sent as STC-S yet works in geometry functions', async () => {
    const csv = await (
      await sync(served.address, {
        LANG: 'ADQL',
        QUERY:
          "SELECT obs_id, s_region FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', 83.633, 22.014), s_region) ORDER BY obs_id",
        FORMAT: 'csv',
      })
    ).text();
    const lines = csv.trim().split('\r\n').slice(1);
    assert.deepEqual(
      lines.map((l) => l.split(',')[0]),
      ['23523', '23526', '23559', '23592'],
    );
    assert.match(lines[0] ?? '', /^23523,POLYGON ICRS -?\d+(\.\d+)? /);
  });

  await suite.test('TAP_SCHEMA is queryable with ADQL', async () => {
    const csv = await (
      await sync(served.address, {
        LANG: 'ADQL',
        QUERY:
          "SELECT column_name, unit FROM TAP_SCHEMA.columns WHERE table_name = 'ivoa.obscore' AND column_name = 'em_min'",
        FORMAT: 'csv',
      })
    ).text();
    assert.equal(csv.trim(), 'column_name,unit\r\nem_min,m');
  });

  await suite.test('bad requests get a VOTable error naming the problem', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ QUERY: 'SELECT 1 FROM ivoa.obscore' }, /LANG is required/],
      [{ LANG: 'SQL', QUERY: 'SELECT 1' }, /LANG 'SQL' is not supported/],
      [{ LANG: 'ADQL' }, /QUERY is required/],
      [
        { LANG: 'ADQL', QUERY: 'SELECT obs_id FROM ivoa.obscore', MAXREC: '-3' },
        /MAXREC must be a non-negative integer/,
      ],
      [
        { LANG: 'ADQL', QUERY: 'SELECT obs_id FROM ivoa.obscore', RESPONSEFORMAT: 'pdf' },
        /RESPONSEFORMAT 'pdf' is not supported/,
      ],
      [
        { LANG: 'ADQL', QUERY: 'SELECT ra_pnt2 FROM ivoa.obscore' },
        /ra_pnt2.*did you mean 'ra_pnt'/,
      ],
      [
        { LANG: 'ADQL', QUERY: 'SELECT * FROM hearc_internal.ingested_observation' },
        /hearc_internal\.ingested_observation/,
      ],
      [{ LANG: 'ADQL', QUERY: 'SELEC obs_id FROM ivoa.obscore' }, /line 1/i],
    ];
    for (const [params, message] of cases) {
      const response = await sync(served.address, params);
      assert.equal(response.status, 400, JSON.stringify(params));
      const text = await response.text();
      assert.match(text, /<INFO name="QUERY_STATUS" value="ERROR">/);
      assert.match(text, message);
    }
  });

  await suite.test('BINARY serialization: astropy reads the same table as TABLEDATA', async (t) => {
    if (!requireAstropy(t)) return;
    const query = 'SELECT TOP 8 * FROM ivoa.obscore ORDER BY obs_id';
    const binary = await sync(served.address, {
      LANG: 'ADQL',
      QUERY: query,
      RESPONSEFORMAT: BINARY,
    });
    const binaryText = await binary.text();
    assert.equal(binary.status, 200, binaryText);
    assert.match(binaryText, /<BINARY>\s*<STREAM encoding="base64">/);
    assert.match(binary.headers.get('content-type') ?? '', /serialization=BINARY$/);
    const read = await runPythonJsonAsync<{
      serializations: string[];
      same: boolean;
      rows: number;
      nulls: number;
    }>(
      `import sys, json, io, math, urllib.request, urllib.parse
import numpy as np
from astropy.io.votable import parse
def table(fmt):
    data = urllib.parse.urlencode({'LANG': 'ADQL', 'QUERY': sys.argv[2], 'RESPONSEFORMAT': fmt}).encode()
    t = parse(io.BytesIO(urllib.request.urlopen(sys.argv[1] + '/tap/sync', data).read())).get_first_table()
    return t.array
def cell(v):
    if v is np.ma.masked: return None
    if isinstance(v, float) and math.isnan(v): return None
    if isinstance(v, (bytes, np.bytes_)): v = v.decode()
    return str(v)
b = table(sys.argv[3])
t = table('votable/td')
rows = lambda a: [[cell(a[n][i]) for n in a.dtype.names] for i in range(len(a))]
print(json.dumps(dict(same=rows(b) == rows(t), rows=len(b),
  nulls=sum(c is None for r in rows(b) for c in r))))`,
      [served.address, query, BINARY],
    );
    assert.equal(read.rows, 8);
    assert.ok(read.nulls > 0, 'some cells are null');
    assert.ok(read.same, 'BINARY and TABLEDATA give the same cells');
  });

  await suite.test('votlint finds no errors in what the service sends', async (t) => {
    if (!requireChecker(t, 'STILTS votlint (Debian stilts)', ['sh', '-c', 'command -v stilts']))
      return;
    const dir = tempDir(t);
    const documents: [string, Record<string, string>][] = [
      ['obscore-b2.vot', { LANG: 'ADQL', QUERY: 'SELECT TOP 5 * FROM ivoa.obscore' }],
      [
        'obscore-td.vot',
        { LANG: 'ADQL', QUERY: 'SELECT TOP 5 * FROM ivoa.obscore', FORMAT: 'votable/td' },
      ],
      [
        'hea-td.vot',
        {
          LANG: 'ADQL',
          QUERY: 'SELECT * FROM ivoa.obscore_hea',
          FORMAT: 'votable/td',
          MAXREC: '3',
        },
      ],
      ['irf-b2.vot', { LANG: 'ADQL', QUERY: 'SELECT * FROM hearc.irf' }],
      [
        'obscore-b.vot',
        { LANG: 'ADQL', QUERY: 'SELECT TOP 5 * FROM ivoa.obscore', RESPONSEFORMAT: BINARY },
      ],
      [
        'hea-b.vot',
        { LANG: 'ADQL', QUERY: 'SELECT * FROM ivoa.obscore_hea', RESPONSEFORMAT: BINARY },
      ],
      [
        'schema-td.vot',
        { LANG: 'ADQL', QUERY: 'SELECT * FROM TAP_SCHEMA.columns', FORMAT: 'votable/td' },
      ],
      ['error.vot', { LANG: 'ADQL', QUERY: 'SELECT nothing FROM ivoa.obscore' }],
    ];
    for (const [name, params] of documents) {
      const path = join(dir, name);
      writeFileSync(path, Buffer.from(await (await sync(served.address, params)).arrayBuffer()));
      const report = votlint(path);
      assert.deepEqual(report.errors, [], `${name}:\n${report.output}`);
    }
  });

  await suite.test('pyvo reads the tables from VOSI and TAP_SCHEMA', async (t) => {
    if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
    const result = await runPythonJsonAsync<{ tables: string[]; columns: number; schema: number }>(
      `import sys, json, warnings
warnings.simplefilter('ignore')
import pyvo
svc = pyvo.dal.TAPService(sys.argv[1] + '/tap')
tables = svc.tables
names = sorted(t.name for t in tables)
columns = len(tables['ivoa.obscore'].columns)
schema = len(svc.search("SELECT table_name FROM TAP_SCHEMA.tables"))
print(json.dumps(dict(tables=names, columns=columns, schema=schema)))`,
      [served.address],
    );
    assert.ok(result.tables.includes('ivoa.obscore') && result.tables.includes('ivoa.obscore_hea'));
    assert.ok(result.columns > 30, `ivoa.obscore has ${result.columns} columns in /tables`);
    assert.equal(result.schema, result.tables.length);
  });

  await suite.test(
    'database errors quote no stored value (a hidden row could be quoted)',
    async () => {
      const response = await sync(served.address, {
        LANG: 'ADQL',
        QUERY: 'SELECT obs_id FROM hearc.irf WHERE CAST(hdu_name AS INTEGER) = 1',
      });
      const text = await response.text();
      assert.match(text, /QUERY_STATUS" value="ERROR"/);
      assert.doesNotMatch(text.replace(/<INFO name="QUERY" [^>]*>/, ''), /aeff|edisp|psf|bkg/i);
    },
  );

  await suite.test('pyvo runs a synchronous search', async (t) => {
    if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
    const result = await runPythonJsonAsync<{ n: number; names: string[] }>(
      `import sys, json, warnings
warnings.simplefilter('ignore')
import pyvo
svc = pyvo.dal.TAPService(sys.argv[1] + '/tap')
r = svc.search("SELECT TOP 4 o.obs_id, h.energy_min FROM ivoa.obscore AS o JOIN ivoa.obscore_hea AS h ON o.obs_publisher_did = h.obs_publisher_did ORDER BY h.energy_min")
print(json.dumps(dict(n=len(r), names=list(r.fieldnames))))`,
      [served.address],
    );
    assert.deepEqual(result, { n: 4, names: ['obs_id', 'energy_min'] });
  });
});
