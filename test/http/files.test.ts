/**
 * File access over real HTTP: only files that ingested observations use, served
 * as stored (gzip bytes as application/fits, no Content-Encoding), with validators,
 * ranges and HEAD; no byte outside the data store root, whatever the path says.
 */
import assert from 'node:assert/strict';
import {
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  didOf,
  rawRequest,
  serveStore,
  SIM_COLLECTION,
  simulatedStore,
} from '../datalink/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

/** A served simulated store: the URL of one run file and its bytes on disk. */
async function servedRunFile(
  t: TestContext,
  options: { gzip?: boolean } = {},
): Promise<{ address: string; url: string; fileName: string; onDisk: Buffer }> {
  const { dir, runs } = await simulatedStore(t, options);
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  const fileName = runs[0]!.fileName;
  const url = `${address}/files/${SIM_COLLECTION}/${fileName}`;
  return { address, url, fileName, onDisk: readFileSync(join(dir, fileName)) };
}

test('a published file is served whole, with validators, conditional answers and HEAD', async (t) => {
  const { address, url, onDisk } = await servedRunFile(t);

  const whole = await fetch(url);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'application/fits');
  assert.equal(whole.headers.get('content-encoding'), null);
  assert.equal(whole.headers.get('content-length'), String(onDisk.length));
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  assert.match(whole.headers.get('content-disposition') ?? '', /filename="run_\d+\.fits\.gz"/);
  assert.deepEqual(Buffer.from(await whole.arrayBuffer()), onDisk);
  const etag = whole.headers.get('etag') ?? '';
  const lastModified = whole.headers.get('last-modified') ?? '';
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(!Number.isNaN(Date.parse(lastModified)));

  const head = await rawRequest(address, new URL(url).pathname, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(onDisk.length));
  assert.equal(head.headers.etag, etag);
  assert.equal(head.body.length, 0);

  const notModified: Record<string, string>[] = [
    { 'If-None-Match': etag },
    { 'If-None-Match': `"other", W/${etag}` },
    { 'If-None-Match': '*' },
    { 'If-Modified-Since': lastModified },
    { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() },
  ];
  for (const headers of notModified) {
    const cached = await fetch(url, { headers });
    assert.equal(cached.status, 304, JSON.stringify(headers));
    assert.equal((await cached.arrayBuffer()).byteLength, 0);
    assert.equal(cached.headers.get('etag'), etag);
  }
  const modified: Record<string, string>[] = [
    { 'If-None-Match': '"stale"' },
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    { 'If-None-Match': '"stale"', 'If-Modified-Since': lastModified },
    { 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
  ];
  for (const headers of modified) {
    const fresh = await fetch(url, { headers });
    assert.equal(fresh.status, 200, JSON.stringify(headers));
    assert.equal((await fresh.arrayBuffer()).byteLength, onDisk.length);
  }
});

test('single byte ranges give 206, unsatisfiable ones 416, others the whole file', async (t) => {
  const { address, url, onDisk } = await servedRunFile(t);
  const size = onDisk.length;
  const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag') ?? '';

  const cases: [string, number, number][] = [
    ['bytes=0-99', 0, 99],
    ['bytes=100-', 100, size - 1],
    ['bytes=-10', size - 10, size - 1],
    [`bytes=10-${size + 1000}`, 10, size - 1],
    [`bytes=-${size + 5}`, 0, size - 1],
    [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
  ];
  for (const [range, start, end] of cases) {
    const part = await fetch(url, { headers: { Range: range } });
    assert.equal(part.status, 206, range);
    assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${size}`, range);
    assert.equal(part.headers.get('content-length'), String(end - start + 1), range);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), onDisk.subarray(start, end + 1), range);
  }
  const ifRange = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
  assert.equal(ifRange.status, 206);
  await ifRange.arrayBuffer();

  for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
    const refused = await fetch(url, { headers: { Range: range } });
    assert.equal(refused.status, 416, range);
    assert.equal(refused.headers.get('content-range'), `bytes */${size}`, range);
    await refused.arrayBuffer();
  }
  // Several ranges, other units, nonsense and a changed file (If-Range) get the whole file.
  const ignored: Record<string, string>[] = [
    { Range: 'bytes=0-9,20-29' },
    { Range: 'items=0-9' },
    { Range: 'bytes=9-0' },
    { Range: 'bytes=0-9', 'If-Range': '"an-older-version"' },
  ];
  for (const headers of ignored) {
    const whole = await fetch(url, { headers });
    assert.equal(whole.status, 200, JSON.stringify(headers));
    assert.equal((await whole.arrayBuffer()).byteLength, size, JSON.stringify(headers));
  }

  const headPart = await rawRequest(address, new URL(url).pathname, 'HEAD', {
    Range: 'bytes=0-99',
  });
  assert.equal(headPart.status, 206);
  assert.equal(headPart.headers['content-length'], '100');
  assert.equal(headPart.body.length, 0);
});

test('uncompressed FITS files are served as application/fits', async (t) => {
  const { dir, runs } = await simulatedStore(t, { gzip: false });
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  const run = runs[0]!;
  assert.match(run.fileName, /\.fits$/);
  const response = await fetch(`${address}/files/${SIM_COLLECTION}/${run.fileName}`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/fits');
  assert.deepEqual(
    Buffer.from(await response.arrayBuffer()),
    readFileSync(join(dir, run.fileName)),
  );
});

test('no path reaches a byte that is not a published file inside the store root', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  // A secret next to the store, and a run file replaced by a link to a copy outside the root.
  const outside = tempDir(t);
  const secret = join(outside, 'secret.txt');
  writeFileSync(secret, 'not for the web\n');
  writeFileSync(join(dir, 'data', 'unlisted.fits'), 'SIMPLE  =                    T');
  const linked = runs[1]!;
  // A link that stays inside the root is fine.
  const good = runs[0]!.fileName;
  mkdirSync(join(dir, 'inside'));
  renameSync(join(dir, good), join(dir, 'inside', 'run.fits.gz'));
  symlinkSync(join('..', 'inside', 'run.fits.gz'), join(dir, good));
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  // Replaced by a link out of the root after it was published (ingest refuses such links).
  const copy = join(outside, 'copy.fits.gz');
  writeFileSync(copy, readFileSync(join(dir, linked.fileName)));
  unlinkSync(join(dir, linked.fileName));
  symlinkSync(copy, join(dir, linked.fileName));

  const base = `/files/${SIM_COLLECTION}`;
  const served = await rawRequest(address, `${base}/${good}`);
  assert.equal(served.status, 200);
  assert.deepEqual(served.body, readFileSync(join(dir, 'inside', 'run.fits.gz')));
  // The catalog lists the linked file (so the refusal below is the link check's doing).
  const links = await fetch(
    `${address}/datalink?ID=${encodeURIComponent(didOf(SIM_COLLECTION, linked.obsId))}`,
  );
  assert.match(
    await links.text(),
    /FatalFault: data\/run_\d+\.fits\.gz is not a file inside the data store/,
  );
  const refused = [
    `${base}/../../etc/passwd`,
    `${base}/data/../../${secret}`,
    `${base}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e${secret}`,
    `${base}/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd`,
    `${base}/data/%2e%2e/hdu-index.fits.gz`,
    `${base}/hdu-index.fits.gz`,
    `${base}/obs-index.fits.gz`,
    `${base}/data/unlisted.fits`,
    `${base}/data/`,
    `${base}/data`,
    `${base}/`,
    `${base}/${encodeURIComponent(secret)}`,
    `${base}//${secret.slice(1)}`,
    `${base}/${good.replace('data/', 'data//')}`,
    `${base}/${good.replace('data/', 'data/./')}`,
    `${base}/${good.replace('data/', 'data\\')}`,
    `${base}/${good.replace('data/', 'data%5c')}`,
    `${base}/${good}%00`,
    `${base}/${linked.fileName}`,
    `/files/other-collection/${good}`,
    `/files/..%2f${SIM_COLLECTION}/${good}`,
  ];
  for (const path of refused) {
    for (const method of ['GET', 'HEAD']) {
      const response = await rawRequest(address, path, method);
      assert.ok(
        response.status === 404 || response.status === 400,
        `${method} ${path} answered ${response.status}`,
      );
      assert.ok(!response.body.includes('not for the web'), `${path} leaked the secret`);
      assert.ok(!response.body.includes('root:'), `${path} leaked /etc/passwd`);
      assert.ok(
        response.body.length < 1000,
        `${method} ${path} sent ${response.body.length} bytes`,
      );
    }
  }
});
