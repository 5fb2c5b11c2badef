/**
 * TAP results compressed when the client asks (Accept-Encoding), as the service says
 * (`compress_results`): the bytes a client decompresses are the bytes it gets without
 * compression, sync and async; clients on this machine get them as they are by default;
 * pyvo (requests asks for gzip) reads compressed answers.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ConfigError, loadServiceDescription } from '../../src/service/index.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { rawRequest, type RawResponse, serveStore } from '../datalink/fixtures.js';

/** A GET whose body is read as sent (fetch would decompress it). */
function get(url: string, acceptEncoding?: string): Promise<RawResponse> {
  const { origin, pathname, search } = new URL(url);
  const headers: Record<string, string> =
    acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
  return rawRequest(origin, `${pathname}${search}`, 'GET', headers);
}

function decoded(raw: RawResponse): Buffer {
  const encoding = raw.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(raw.body);
  if (encoding === 'gzip') return gunzipSync(raw.body);
  assert.equal(encoding, undefined, `unexpected Content-Encoding ${String(encoding)}`);
  return raw.body;
}

async function serve(
  t: TestContext,
  compressResults: string | undefined,
): Promise<{ base: string }> {
  const store = join(tempDir(t), 'store');
  await simulateDataStore({ outDir: store, observations: 4, seed: 21, eventsPerObservation: 200 });
  const service = loadServiceDescription({
    env: compressResults === undefined ? {} : { HEARC_COMPRESS_RESULTS: compressResults },
  });
  const { address } = await serveStore(t, store, 'sim', undefined, { service });
  return { base: address };
}

const QUERY = 'SELECT * FROM ivoa.obscore ORDER BY obs_id';
const syncUrl = (base: string, format: string): string =>
  `${base}/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY, FORMAT: format })}`;

test('compress_results = always: br or gzip as the client asks, the same bytes once decoded', async (t) => {
  const { base } = await serve(t, 'always');
  for (const format of ['votable', 'csv', 'json']) {
    const plain = await get(syncUrl(base, format));
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'accept-encoding');
    const cases: [string, string | undefined][] = [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['gzip, deflate, br', 'br'],
      ['gzip;q=1, br;q=0', 'gzip'],
      ['identity', undefined],
      ['compress', undefined],
    ];
    for (const [accept, expected] of cases) {
      const got = await get(syncUrl(base, format), accept);
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-encoding'], expected, `${format}, ${accept}`);
      assert.equal(got.headers.vary, 'accept-encoding');
      assert.ok(decoded(got).equals(plain.body), `${format}, ${accept}: same bytes`);
      if (expected !== undefined) assert.ok(got.body.length < plain.body.length);
    }
  }

  // An async job's result file, the same way.
  const created = await fetch(`${base}/tap/async`, {
    method: 'POST',
    body: new URLSearchParams({ LANG: 'ADQL', QUERY, PHASE: 'RUN' }),
    redirect: 'manual',
  });
  const job = new URL(created.headers.get('location') ?? '', `${base}/tap/async`).toString();
  for (let i = 0; i < 200; i++) {
    if ((await (await fetch(`${job}/phase`)).text()).trim() === 'COMPLETED') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const plain = await get(`${job}/results/result`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-length'], String(plain.body.length));
  const packed = await get(`${job}/results/result`, 'br;q=0.5, gzip;q=0.9');
  assert.equal(packed.headers['content-encoding'], 'gzip');
  assert.equal(packed.headers['content-length'], undefined);
  assert.ok(decoded(packed).equals(plain.body));

  // An error document is as it was: a status and a VOTable, whatever the encoding.
  const bad = await get(
    `${base}/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: 'SELECT nope FROM ivoa.obscore' })}`,
    'br',
  );
  assert.equal(bad.status, 400);
  assert.match(decoded(bad).toString(), /QUERY_STATUS[^>]*value="ERROR"/);
});

test('a client that goes away mid-answer frees its query, compressed or not', async (t) => {
  const { base } = await serve(t, 'always');
  const big = new URLSearchParams({
    LANG: 'ADQL',
    MAXREC: '5000000',
    QUERY:
      'SELECT TOP 5000000 a.column_name, b.table_name, c.datatype FROM tap_schema.columns AS a CROSS JOIN tap_schema.columns AS b CROSS JOIN tap_schema.columns AS c',
  });
  // More than the engine's connections (DuckDB: 4): a leaked cursor would hold one each.
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        `${base}/tap/sync?${big}`,
        { headers: { 'accept-encoding': i % 2 === 0 ? 'br' : 'gzip' } },
        (res) => {
          assert.equal(res.headers['content-encoding'], i % 2 === 0 ? 'br' : 'gzip');
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET') reject(err);
      });
      req.end();
    });
  }
  const after = await get(syncUrl(base, 'csv'), 'gzip');
  assert.equal(after.status, 200);
  assert.equal(decoded(after).toString().trim().split(/\r?\n/).length, 5);
});

test('compress_results = auto (the default): a client on this machine gets the bytes as they are', async (t) => {
  const { base } = await serve(t, undefined);
  const got = await get(syncUrl(base, 'votable'), 'br, gzip');
  assert.equal(got.status, 200);
  assert.equal(got.headers['content-encoding'], undefined);
  assert.equal(got.headers.vary, 'accept-encoding');
});

test('compress_results = never: no encoding, no Vary', async (t) => {
  const { base } = await serve(t, 'never');
  const got = await get(syncUrl(base, 'votable'), 'br, gzip');
  assert.equal(got.headers['content-encoding'], undefined);
  assert.equal(got.headers.vary, undefined);
});

test('compress_results takes auto, always or never', () => {
  assert.throws(
    () => loadServiceDescription({ env: { HEARC_COMPRESS_RESULTS: 'fast' } }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /compress_results must be one of auto, always, never/.test(err.message),
  );
});

test('pyvo reads compressed sync and async results', async (t) => {
  if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
  const { base } = await serve(t, 'always');
  const script = `
import json, sys, pyvo, requests
svc = pyvo.dal.TAPService(sys.argv[1] + '/tap')
sync = svc.search("${QUERY}")
job = svc.submit_job("${QUERY}")
job.run(); job.wait(timeout=60)
table = job.fetch_result().to_table()
job.delete()
# What requests was sent back (it asks for gzip, and br when it can decode it).
encoding = requests.get(sys.argv[1] + '/tap/sync', params={'LANG': 'ADQL', 'QUERY': "${QUERY}"}).headers.get('Content-Encoding')
print(json.dumps({'sync': len(sync), 'async': len(table), 'ids': [int(x) for x in sync['obs_id']], 'encoding': encoding}))
`;
  const result = await runPythonJsonAsync<{
    sync: number;
    async: number;
    ids: number[];
    encoding: string | null;
  }>(script, [base]);
  // requests asks for gzip, and for br too where python3-brotli is installed.
  assert.ok(result.encoding === 'gzip' || result.encoding === 'br', String(result.encoding));
  assert.equal(result.sync, 4);
  assert.equal(result.async, 4);
  assert.deepEqual(
    result.ids,
    [...result.ids].sort((a, b) => a - b),
  );
});
