/**
 * The portal's files over HTTP: the pages of the URL contract answer with the built
 * page (Content-Security-Policy: this origin only), assets are compressed and cached
 * for good, /service.json comes from the service description, and a server whose
 * portal is not built says how to build it.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { OidcIssuerConfig } from '../../src/auth/index.js';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { testService } from '../helpers/service.js';
import { tempDir } from '../helpers/tmp.js';
import { buildPortal } from './fixtures.js';

async function serve(
  t: Parameters<typeof tempDir>[0],
  webRoot: string,
  publicUrl?: string,
  issuers?: readonly OidcIssuerConfig[],
) {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  await engine.ensureTables(catalogTables);
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    service: testService(publicUrl),
    webRoot,
    ...(issuers ? { auth: { issuers } } : {}),
  });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  return app;
}

test('every page of the URL contract answers with the portal, assets cached and compressed', async (t) => {
  const app = await serve(t, await buildPortal(t));
  for (const url of [
    '/',
    '/search?target=Crab',
    '/obs/hess-dr1/23523',
    '/adql',
    '/login',
    '/alerts',
    '/alerts/IceCube-240310A?after=3',
    `/alerts/${encodeURIComponent('ivo://hearc.test/alerts#NU-1')}`,
  ]) {
    const page = await app.inject({ url });
    assert.equal(page.statusCode, 200, url);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    // Without a sign-in issuer the pages reach this origin only, and forms go nowhere else.
    assert.match(csp, /connect-src 'self' data: blob:;/);
    assert.match(csp, /form-action 'self';/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, /<base href="\/" \/>/);
  }
  const page = await app.inject({ url: '/' });
  const scripts = [...page.body.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(scripts.some((s) => s.endsWith('.js')) && scripts.some((s) => s.endsWith('.css')));
  for (const asset of scripts) {
    const plain = await app.inject({ url: `/${asset}` });
    assert.equal(plain.statusCode, 200, asset);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    const gzipped = await app.inject({ url: `/${asset}`, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.ok(gzipped.rawPayload.length < plain.rawPayload.length);
    const again = await app.inject({
      url: `/${asset}`,
      headers: { 'if-none-match': String(plain.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
  }
  assert.equal((await app.inject({ url: '/assets/nothing.js' })).statusCode, 404);
});

/** Node's WebAssembly, which the project's TypeScript libs (no DOM) do not declare. */
const wasmRuntime = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
  .WebAssembly;

test('the portal loads under 500 kB compressed, sky viewer included; the viewer comes on demand', async (t) => {
  const root = await buildPortal(t);
  const app = await serve(t, root);
  const files = ['/', ...readdirSync(join(root, 'assets')).map((f) => `/assets/${f}`)];
  let bytes = 0;
  let viewer = 0;
  const index = readFileSync(join(root, 'index.html'), 'utf8');
  const wasm = files.filter((url) => url.endsWith('.wasm'));
  assert.equal(wasm.length, 1, "Aladin Lite's WebAssembly is a file of its own");
  for (const url of files) {
    const response = await app.inject({ url, headers: { 'accept-encoding': 'br' } });
    assert.equal(response.statusCode, 200, url);
    bytes += response.rawPayload.length;
    const body = readFileSync(join(root, url === '/' ? 'index.html' : url));
    // Aladin Lite (the script that names its WebAssembly, and the wasm) is fetched only when a page shows the sky.
    if (url.endsWith('.wasm') || body.includes(wasm[0]!.slice('/assets/'.length))) {
      assert.ok(!index.includes(url.slice(1)), `${url} is not loaded by the page itself`);
      viewer += response.rawPayload.length;
    }
  }
  const served = await app.inject({ url: wasm[0]! });
  assert.equal(served.headers['content-type'], 'application/wasm');
  const compressed = await app.inject({ url: wasm[0]!, headers: { 'accept-encoding': 'br' } });
  assert.equal(compressed.headers['content-encoding'], 'br');
  assert.ok(wasmRuntime.validate(served.rawPayload), 'the served WebAssembly is a valid module');
  assert.ok(viewer > 300_000, `the sky viewer (Aladin Lite): ${viewer} bytes`);
  assert.ok(bytes < 500_000, `every page and asset, the sky viewer included: ${bytes} bytes`);
});

test('behind a public URL with a path, the page places its assets under that path', async (t) => {
  const app = await serve(t, await buildPortal(t), 'https://vo.example.org/hearc');
  const page = await app.inject({ url: '/search' });
  assert.match(page.body, /<base href="\/hearc\/" \/>/);
  const service = (await app.inject({ url: '/service.json' })).json();
  assert.equal(service.urls.tap, 'https://vo.example.org/hearc/tap');
});

test('/service.json is made from the service description', async (t) => {
  const app = await serve(t, tempDir(t));
  const response = await app.inject({ url: '/service.json', headers: { host: 'h.test:8080' } });
  assert.equal(response.statusCode, 200);
  const body = response.json();
  const description = testService();
  assert.equal(body.title, description.title);
  assert.equal(body.description, description.description);
  assert.deepEqual(body.collections, description.collections);
  assert.deepEqual(body.urls, {
    base: 'http://h.test:8080',
    tap: 'http://h.test:8080/tap',
    capabilities: 'http://h.test:8080/tap/capabilities',
    tables: 'http://h.test:8080/tap/tables',
    availability: 'http://h.test:8080/tap/availability',
    examples: 'http://h.test:8080/tap/examples',
    datalink: 'http://h.test:8080/datalink',
    soda: 'http://h.test:8080/soda',
  });
});

test('with an OIDC client configured, /login offers its issuer and the CSP allows that origin only', async (t) => {
  const issuers: OidcIssuerConfig[] = [
    // Accepted for bearer tokens, not offered for sign-in (no client id).
    { issuer: 'https://other.example.org', audience: 'x', jwksUrl: 'https://other.example.org/k' },
    {
      issuer: 'https://sso.example.org/realms/astro',
      audience: 'hearc',
      jwksUrl: 'https://sso.example.org/realms/astro/certs',
      clientId: 'hearc-portal',
    },
  ];
  const app = await serve(t, await buildPortal(t), undefined, issuers);
  const service = (await app.inject({ url: '/service.json' })).json();
  assert.deepEqual(service.signIn, {
    issuer: 'https://sso.example.org/realms/astro',
    clientId: 'hearc-portal',
    scope: 'openid',
  });
  const csp = String((await app.inject({ url: '/login' })).headers['content-security-policy']);
  assert.match(csp, /connect-src 'self' data: blob: https:\/\/sso\.example\.org;/);
  assert.match(csp, /form-action 'self' https:\/\/sso\.example\.org;/);
  assert.doesNotMatch(csp, /other\.example\.org/);
  const plain = (await (await serve(t, tempDir(t))).inject({ url: '/service.json' })).json();
  assert.equal(plain.signIn, null);
});

test('without a built portal the pages say how to build it', async (t) => {
  const app = await serve(t, tempDir(t));
  const page = await app.inject({ url: '/' });
  assert.equal(page.statusCode, 503);
  assert.match(page.body, /The web portal is not built .*run `npm run build`/);
});
