/**
 * Previews over HTTP: the DataLink rows that point at them, the files built once on
 * first request (concurrent requests included) and then served with ETag, HEAD and
 * 304, 404 for what does not exist, and the access gate before anything is built.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { scanHdus } from '../../src/fits/index.js';
import { previewPlugin } from '../../src/http/preview.js';
import { pngSize } from '../../src/preview/index.js';
import {
  didOf,
  HESS_COLLECTION,
  serveStore,
  SIM_COLLECTION,
  simulatedStore,
} from '../datalink/fixtures.js';
import { fetchLinks, type LinkRecord } from '../datalink/links-document.js';
import { requireTestData } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';

const NAMES = ['counts.png', 'energy.png', 'lightcurve.png', 'counts.fits'] as const;

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

const previewRows = (links: readonly LinkRecord[]): LinkRecord[] =>
  links.filter((l) => l.access_url?.includes('/previews/'));

test('DataLink rows: #preview-image, two #preview-plot, the FITS map as #derivation', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  const obsId = runs[0]!.obsId;
  const rows = previewRows(await fetchLinks(address, didOf(SIM_COLLECTION, obsId)));
  assert.deepEqual(
    rows.map((r) => [r.semantics, r.content_type, r.content_qualifier, r.access_url]),
    [
      ['#preview-image', 'image/png', null, 'counts.png'],
      ['#preview-plot', 'image/png', null, 'energy.png'],
      ['#preview-plot', 'image/png', null, 'lightcurve.png'],
      ['#derivation', 'application/fits', 'image', 'counts.fits'],
    ].map(([s, c, q, name]) => [s, c, q, `${address}/previews/${SIM_COLLECTION}/${obsId}/${name}`]),
  );
  for (const row of rows) {
    assert.equal(row.content_length, null, 'not built yet: no size');
    assert.match(row.description ?? '', new RegExp(`observation ${obsId}$`));
  }

  // Once built, the links carry the sizes of the files they point at.
  const sizes: number[] = [];
  for (const row of rows) {
    const response = await fetch(row.access_url!);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), row.content_type);
    sizes.push((await response.arrayBuffer()).byteLength);
  }
  const after = previewRows(await fetchLinks(address, didOf(SIM_COLLECTION, obsId)));
  assert.deepEqual(
    after.map((r) => r.content_length),
    sizes,
  );
});

test('concurrent first requests build once; ETag, HEAD and 304 after', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address, cacheDir } = await serveStore(t, dir, SIM_COLLECTION);
  const base = `${address}/previews/${SIM_COLLECTION}/${runs[1]!.obsId}`;
  assert.deepEqual(
    filesUnder(cacheDir).filter((f) => f.includes('preview')),
    [],
  );

  const requested = [...NAMES, 'counts.png', 'counts.png', 'counts.fits'];
  const responses = await Promise.all(requested.map((name) => fetch(`${base}/${name}`)));
  const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
  responses.forEach((r, i) => assert.equal(r.status, 200, requested[i]));
  const tags = responses.map((r) => r.headers.get('etag'));
  assert.equal(new Set(tags.filter((_, i) => requested[i] === 'counts.png')).size, 1);
  assert.equal(new Set(tags.filter((_, i) => requested[i] === 'counts.fits')).size, 1);

  const previews = filesUnder(cacheDir).filter((f) => f.includes('preview'));
  assert.deepEqual(
    previews.map((f) => f.split('/').pop()).sort(),
    ['counts.fits', 'counts.png', 'energy.png', 'lightcurve.png', 'previews.json'],
    'the four previews and their manifest, no temporary files',
  );
  const manifestTime = statSync(
    join(
      cacheDir,
      previews.find((f) => f.endsWith('.json'))!,
    ),
  ).mtimeMs;

  const map = pngSize(bodies[0]!);
  assert.ok(map.width > 480 && map.height > 480, `counts map ${map.width}x${map.height}`);
  assert.deepEqual(pngSize(bodies[1]!), { width: 720, height: 480 });
  assert.deepEqual(pngSize(bodies[2]!), { width: 720, height: 480 });
  assert.equal(bodies[3]!.subarray(0, 30).toString('latin1'), `SIMPLE  =                    T`);

  const head = await fetch(`${base}/counts.png`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'image/png');
  assert.equal(head.headers.get('content-length'), String(bodies[0]!.length));
  assert.equal(head.headers.get('etag'), tags[0]);
  const again = await fetch(`${base}/counts.png`, { headers: { 'if-none-match': tags[0]! } });
  assert.equal(again.status, 304);
  const part = await fetch(`${base}/counts.png`, { headers: { range: 'bytes=0-7' } });
  assert.equal(part.status, 206);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bodies[0]!.subarray(0, 8));
  assert.equal(
    statSync(
      join(
        cacheDir,
        previews.find((f) => f.endsWith('.json'))!,
      ),
    ).mtimeMs,
    manifestTime,
    'served from the cache, not built again',
  );
});

test('404 for an unknown preview, observation or collection', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address, cacheDir } = await serveStore(t, dir, SIM_COLLECTION);
  const obsId = runs[0]!.obsId;
  for (const path of [
    `/previews/${SIM_COLLECTION}/${obsId}/sky.png`,
    `/previews/${SIM_COLLECTION}/${obsId}/previews.json`,
    `/previews/${SIM_COLLECTION}/999/counts.png`,
    `/previews/elsewhere/${obsId}/counts.png`,
  ]) {
    const response = await fetch(`${address}${path}`);
    assert.equal(response.status, 404, path);
    await response.arrayBuffer();
  }
  assert.deepEqual(
    filesUnder(cacheDir).filter((f) => f.includes('preview')),
    [],
  );
});

test('the access gate is asked first: a refused request builds nothing', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { engine } = await serveStore(t, dir, SIM_COLLECTION);
  const cacheDir = tempDir(t);
  const asked: string[] = [];
  const app = Fastify();
  await app.register(previewPlugin, {
    engine,
    cacheDir,
    authorize: async (_request, did) => {
      asked.push(did);
      return { allowed: false, reason: 'proprietary until 2030' };
    },
  });
  t.after(() => app.close());
  const obsId = runs[0]!.obsId;
  const response = await app.inject(`/previews/${SIM_COLLECTION}/${obsId}/counts.png`);
  assert.equal(response.statusCode, 403);
  assert.match(response.body, /proprietary until 2030/);
  assert.deepEqual(asked, [didOf(SIM_COLLECTION, obsId)]);
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('H.E.S.S. Crab run 23523 over HTTP: the FITS map is centred on the pointing', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store) return;
  const { address } = await serveStore(t, store, HESS_COLLECTION);
  const base = `${address}/previews/${HESS_COLLECTION}/23523`;
  const png = Buffer.from(await (await fetch(`${base}/counts.png`)).arrayBuffer());
  assert.ok(pngSize(png).width > 480);
  const path = join(tempDir(t), 'counts.fits');
  writeFileSync(path, Buffer.from(await (await fetch(`${base}/counts.fits`)).arrayBuffer()));
  const header = (await scanHdus(path))[0]!.header;
  assert.equal(header.getString('CTYPE1'), 'RA---TAN');
  assert.equal(header.getInteger('OBS_ID'), 23523);
  assert.equal(header.getNumber('CRPIX1'), (header.getInteger('NAXIS1')! + 1) / 2);
  assert.ok(Math.abs(header.getNumber('CRVAL1')! - 83.633333) < 1e-5);
  assert.ok(Math.abs(header.getNumber('CRVAL2')! - 21.514444) < 1e-5);
});
