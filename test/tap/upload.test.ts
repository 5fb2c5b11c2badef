/**
 * TAP_UPLOAD over real HTTP: inline VOTables (TABLEDATA from pyvo, BINARY2 from our
 * writer) joined with the catalog, sync and async; limits, bad documents and tables
 * by URL refused with VOTable errors; the per-query tables dropped afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { DEFAULT_LIMITS, type ServiceLimits } from '../../src/tap/query.js';
import { DEFAULT_UPLOAD_LIMITS } from '../../src/tap/upload.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import type { FieldDescription, Row } from '../../src/votable/index.js';
import { serveStore, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/tmp.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import {
  assertAllTypesRoundTrip,
  assertNoUploadTablesLeft,
  syncUpload,
  votableText,
} from './upload-cases.js';
import { createJob, serveAsync, uwsValue, waitForEnd } from '../uws/fixtures.js';

/** An empty catalog served with the given limits: enough for queries on TAP_UPLOAD alone. */
async function emptyServer(
  t: TestContext,
  limits: ServiceLimits,
  catalog = ':memory:',
): Promise<string> {
  const engine = await openEngine(catalog);
  await engine.ensureTables(catalogTables);
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    limits,
  });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

const ID_FIELDS: readonly FieldDescription[] = [
  { name: 'ID', datatype: 'int' },
  { name: 'obs_id', datatype: 'char', arraysize: '*' },
  { name: 'Weight (deg)', datatype: 'double', unit: 'deg' },
];

test('TAP_UPLOAD', async (suite) => {
  const { dir, runs } = await simulatedStore(suite);
  const served = await serveStore(suite, dir, SIM_COLLECTION);
  const obsIds = runs.map((r) => String(r.obsId));

  await suite.test('a BINARY2 upload joins ivoa.obscore; its table is dropped after', async () => {
    const rows: Row[] = [
      [1, obsIds[0] as string, 0.5],
      [2, obsIds[1] as string, null],
      [3, 'no-such-run', 2],
    ];
    const response = await syncUpload(
      served.address,
      {
        LANG: 'ADQL',
        RESPONSEFORMAT: 'csv',
        UPLOAD: 'mine,param:table1',
        QUERY:
          'SELECT u.id, o.obs_id, u."Weight (deg)" AS weight FROM TAP_UPLOAD.mine AS u JOIN ivoa.obscore AS o ON o.obs_id = u.obs_id ORDER BY u.id',
      },
      { table1: await votableText(ID_FIELDS, rows, 'BINARY2') },
    );
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(text, `ID,obs_id,weight\r\n1,${obsIds[0]},0.5\r\n2,${obsIds[1]},\r\n`);
    await assertNoUploadTablesLeft(served.engine);
  });

  await suite.test('pyvo uploads an astropy table, sync and async', async (t) => {
    if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
    const result = await runPythonJsonAsync<{ sync: string[][]; async: string[][] }>(
      `import sys, json, pyvo
from astropy.table import Table
svc = pyvo.dal.TAPService(sys.argv[1] + '/tap')
t = Table({'run': [sys.argv[2], sys.argv[3]], 'label': ['a', 'b']})
q = 'SELECT o.obs_id, u.label FROM ivoa.obscore AS o JOIN TAP_UPLOAD.runs AS u ON u.run = o.obs_id ORDER BY u.label'
rows = lambda r: [[str(x['obs_id']), str(x['label'])] for x in r]
s = svc.search(q, uploads={'runs': t})
a = svc.run_async(q, uploads={'runs': t})
print(json.dumps({'sync': rows(s), 'async': rows(a)}))`,
      [served.address, obsIds[0] as string, obsIds[1] as string],
    );
    const want = [
      [obsIds[0], 'a'],
      [obsIds[1], 'b'],
    ];
    assert.deepEqual(result.sync, want);
    assert.deepEqual(result.async, want);
    await assertNoUploadTablesLeft(served.engine);
  });
});

/** A plain HTTP server on 127.0.0.1 with a VOTable at /t.vot; its port and requests seen. */
async function tableServer(
  t: TestContext,
  big: string,
): Promise<{ port: number; requests: () => number }> {
  const document = await votableText(ID_FIELDS, [[7, 'x', 1.5]]);
  let requests = 0;
  const tables = createServer((request, response) => {
    requests += 1;
    if (request.url === '/t.vot') response.end(document);
    else if (request.url === '/big') response.end(big);
    else if (request.url === '/moved') response.writeHead(302, { location: '/t.vot' }).end();
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => tables.listen(0, '127.0.0.1', resolve));
  t.after(() => tables.close());
  return { port: (tables.address() as AddressInfo).port, requests: () => requests };
}

const URL_QUERY = { LANG: 'ADQL', QUERY: 'SELECT "ID", obs_id FROM TAP_UPLOAD.t', FORMAT: 'csv' };

/** The error document of a refused URL upload, with the URL itself taken out. */
async function neutralRefusal(response: Response, url: string): Promise<string> {
  const body = await response.text();
  assert.equal(response.status, 400, `${url}: ${body}`);
  assert.match(body, /the table at .* could not be fetched/, url);
  return body.split(url).join('<url>');
}

test('TAP_UPLOAD by URL (upload-http), where the service allows the host', async (suite) => {
  const { port } = await tableServer(suite, 'x'.repeat(10_000));
  const limits: ServiceLimits = {
    ...DEFAULT_LIMITS,
    upload: { ...DEFAULT_UPLOAD_LIMITS, maxBytes: 8192, allowAddresses: ['127.0.0.1/32'] },
  };
  const base = await emptyServer(suite, limits);
  const ask = (url: string): Promise<Response> =>
    syncUpload(base, { ...URL_QUERY, UPLOAD: `t,${url}` }, {});
  for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]']) {
    const ok = await ask(`http://${host}:${port}/t.vot`);
    assert.equal(ok.status, 200, host);
    assert.equal((await ok.text()).trim(), 'ID,obs_id\r\n7,x');
  }
  const big = await ask(`http://127.0.0.1:${port}/big`);
  assert.equal(big.status, 413);
  assert.match(await big.text(), /larger than the upload limit/);
  // A redirect, a 404, a closed port and an address outside the allow list look the same.
  const closed = await freePort();
  const answers = new Set<string>();
  for (const url of [
    `http://127.0.0.1:${port}/moved`,
    `http://127.0.0.1:${port}/none`,
    `http://127.0.0.1:${closed}/t.vot`,
    `http://127.0.0.2:${port}/t.vot`,
  ]) {
    answers.add(await neutralRefusal(await ask(url), url));
  }
  assert.equal(answers.size, 1, [...answers].join('\n'));
});

/** Ways to write an address on this machine or the local network, all refused. */
const LOCAL_HOSTS = [
  '127.0.0.1',
  'localhost',
  '[::1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[0:0:0:0:0:ffff:127.0.0.1]',
  '[::127.0.0.1]',
  '[64:ff9b::7f00:1]',
  '[2002:7f00:1::1]',
  '2130706433',
  '017700000001',
  '0x7f.1',
  '10.1.2.3',
  '169.254.169.254',
  '[fe80::1]',
  '[fd00::1]',
  '[::ffff:a9fe:a9fe]',
];

test('TAP_UPLOAD by URL never reaches this machine or the local network', async (suite) => {
  const { port, requests } = await tableServer(suite, '');
  await suite.test('sync: every form of a local address gets the same refusal', async (t) => {
    const base = await emptyServer(t, DEFAULT_LIMITS);
    const answers = new Set<string>();
    for (const host of LOCAL_HOSTS) {
      const url = `http://${host}:${port}/t.vot`;
      const response = await syncUpload(base, { ...URL_QUERY, UPLOAD: `t,${url}` }, {});
      answers.add(await neutralRefusal(response, url));
    }
    assert.equal(answers.size, 1, [...answers].join('\n'));
  });
  await suite.test('async: the job ends in ERROR with the same refusal', async (t) => {
    const served = await serveAsync(t);
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '2130706433']) {
      const url = `http://${host}:${port}/t.vot`;
      const job = await waitForEnd(
        await createJob(served.jobs, { ...URL_QUERY, UPLOAD: `t,${url}`, PHASE: 'RUN' }),
      );
      assert.equal(uwsValue(job, 'phase'), 'ERROR', host);
      assert.match(uwsValue(job, 'message') ?? '', /could not be fetched/, host);
    }
  });
  assert.equal(requests(), 0, 'a request reached the server on this machine');
});

test('TAP_UPLOAD refusals', async (suite) => {
  const limits: ServiceLimits = {
    ...DEFAULT_LIMITS,
    upload: { ...DEFAULT_UPLOAD_LIMITS, maxBytes: 4096, maxRows: 5, maxTables: 2 },
  };
  const base = await emptyServer(suite, limits);
  const query = (name: string): Record<string, string> => ({
    LANG: 'ADQL',
    QUERY: `SELECT * FROM TAP_UPLOAD.${name}`,
    UPLOAD: `${name},param:p`,
  });
  const refused = async (response: Response, status: number, message: RegExp): Promise<void> => {
    const body = await response.text();
    assert.equal(response.status, status, body);
    assert.match(response.headers.get('content-type') ?? '', /votable/);
    assert.match(body, /<INFO name="QUERY_STATUS" value="ERROR">/);
    assert.match(body, message);
  };
  const rowsOf = (n: number): Row[] =>
    Array.from({ length: n }, (_, i) => [i, `r${i}`, i / 2] as Row);

  await suite.test('TABLEDATA within the limits is served', async () => {
    const response = await syncUpload(
      base,
      { ...query('t'), RESPONSEFORMAT: 'csv' },
      { p: await votableText(ID_FIELDS, rowsOf(2), 'TABLEDATA') },
    );
    assert.equal(await response.text(), 'ID,obs_id,Weight (deg)\r\n0,r0,0\r\n1,r1,0.5\r\n');
  });
  await suite.test('every storable type comes back as it was sent', () =>
    assertAllTypesRoundTrip(base),
  );
  await suite.test('more rows than the limit', async () => {
    const p = await votableText(ID_FIELDS, rowsOf(6), 'TABLEDATA');
    await refused(await syncUpload(base, query('t'), { p }), 400, /UPLOAD t: .*5/);
  });
  await suite.test('a part larger than the byte limit', async () => {
    const p = await votableText(ID_FIELDS, rowsOf(5), 'TABLEDATA');
    const big = p.replace('<TABLE', `<!--${'x'.repeat(5000)}--><TABLE`);
    await refused(await syncUpload(base, query('t'), { p: big }), 413, /upload limit/);
  });
  await suite.test('a document that is not a VOTable', async () => {
    await refused(
      await syncUpload(base, query('t'), { p: '<html>hi</html>' }),
      400,
      /not a VOTable/,
    );
  });
  await suite.test(
    'a table by URL on this machine or the local network is not fetched',
    async () => {
      for (const url of [
        'http://127.0.0.1:9/t.vot',
        'http://localhost:9/t.vot',
        'http://[::1]:9/t',
        'http://10.1.2.3/t',
        'http://169.254.169.254/latest/meta-data',
      ]) {
        const params = { ...query('t'), UPLOAD: `t,${url}` };
        await refused(await syncUpload(base, params, {}), 400, /could not be fetched/);
      }
      const ftp = { ...query('t'), UPLOAD: 't,ftp://example.org/t.vot' };
      await refused(
        await syncUpload(base, ftp, {}),
        400,
        /'ftp:\/\/example.org\/t.vot' is not supported/,
      );
    },
  );
  await suite.test('a missing part, a bad name', async () => {
    await refused(await syncUpload(base, query('t'), {}), 400, /no part named 'p'/);
    const params = { ...query('t'), UPLOAD: '1t,param:p' };
    await refused(await syncUpload(base, params, {}), 400, /regular identifier/);
  });
});

test('TAP_UPLOAD: concurrent uploads are capped; the catalog file does not grow', async (suite) => {
  await suite.test(
    'past maxConcurrent a sync upload gets 503, then runs once one ends',
    async (t) => {
      const limits: ServiceLimits = {
        ...DEFAULT_LIMITS,
        upload: { ...DEFAULT_UPLOAD_LIMITS, maxConcurrent: 1 },
      };
      const base = await emptyServer(t, limits);
      const table = { p: await votableText(ID_FIELDS, [[1, 'a', 1]]) };
      const quick = (): Promise<Response> =>
        syncUpload(
          base,
          { LANG: 'ADQL', QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: 't,param:p' },
          table,
        );
      // A query on an upload that runs for minutes unless its client goes away.
      const slowClient = new AbortController();
      const form = new FormData();
      form.append('LANG', 'ADQL');
      form.append('UPLOAD', 't,param:p');
      form.append(
        'QUERY',
        'SELECT COUNT(*) AS n FROM TAP_UPLOAD.t AS u, tap_schema.columns AS a, tap_schema.columns AS b, tap_schema.columns AS c, tap_schema.columns AS d',
      );
      form.append('p', new Blob([table.p], { type: 'application/x-votable+xml' }), 'p.vot');
      const slow = fetch(`${base}/tap/sync`, {
        method: 'POST',
        body: form,
        signal: slowClient.signal,
      });
      slow.catch(() => undefined);
      let refused: Response | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const response = await quick();
        if (response.status === 503) refused = response;
        else await response.text();
      }
      assert.ok(refused, 'a second upload was refused while the first ran');
      const body = await refused.text();
      assert.match(refused.headers.get('content-type') ?? '', /votable/);
      assert.match(body, /<INFO name="QUERY_STATUS" value="ERROR">/);
      assert.match(body, /already running 1 queries with uploaded tables/);
      slowClient.abort();
      let after: Response | undefined;
      for (let i = 0; i < 200 && after?.status !== 200; i++) {
        after = await quick();
        await after.text();
      }
      assert.equal(after?.status, 200, 'the slot is given back when the query ends');
    },
  );

  await suite.test(
    '20 uploads of 1 MB leave a DuckDB catalog about as large as 2 do',
    async (t) => {
      const catalog = join(tempDir(t), 'catalog.duckdb');
      const base = await emptyServer(t, DEFAULT_LIMITS, catalog);
      const rows: Row[] = Array.from({ length: 12_000 }, (_, i) => [
        i,
        `row-${i}-${'y'.repeat(40)}`,
        i / 3,
      ]);
      const table = { p: await votableText(ID_FIELDS, rows) };
      assert.ok(table.p.length > 1_000_000, `${table.p.length} bytes`);
      const onDisk = (): number =>
        [catalog, `${catalog}.wal`].reduce(
          (sum, f) => sum + (existsSync(f) ? statSync(f).size : 0),
          0,
        );
      let afterTwo = 0;
      for (let i = 1; i <= 20; i++) {
        const response = await syncUpload(
          base,
          {
            LANG: 'ADQL',
            QUERY: 'SELECT COUNT(*) AS n FROM TAP_UPLOAD.t',
            UPLOAD: 't,param:p',
            FORMAT: 'csv',
          },
          table,
        );
        assert.equal(await response.text(), 'n\r\n12000\r\n');
        if (i === 2) afterTwo = onDisk();
      }
      assert.ok(
        onDisk() <= afterTwo + 2 ** 20,
        `${onDisk()} bytes after 20 uploads, ${afterTwo} after 2`,
      );
    },
  );
});
