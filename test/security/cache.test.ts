/**
 * Proprietary products never land where other users can read them: the product cache,
 * previews, SODA cutouts and async results go into the deployment's private cache
 * folder (beside a DuckDB catalog by default, else from the service description),
 * folders 0700 and files 0600; a folder of another user, or one others can write, is
 * refused with a clear message; nothing is written under a guessable name in /tmp.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import {
  CacheDirError,
  cacheDirFor,
  loadServiceDescription,
  preparePrivateDir,
} from '../../src/service/index.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { freePort } from '../helpers/net.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';
import { createJob, simulatedCatalog, waitForEnd } from '../uws/fixtures.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

/** Every folder and file under `root` with its mode. */
function modes(root: string): { dirs: [string, number][]; files: [string, number][] } {
  const dirs: [string, number][] = [[root, mode(root)]];
  const files: [string, number][] = [];
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const path = join(root, entry);
    (statSync(path).isDirectory() ? dirs : files).push([entry, mode(path)]);
  }
  return { dirs, files };
}

const sharedTempEntries = (): string[] =>
  readdirSync(tmpdir()).filter((name) => /^hearc-(products|cutouts|jobs)-/.test(name));

test('the cache folder: configured, beside a DuckDB catalog, or per PostgreSQL catalog', () => {
  const none = loadServiceDescription({ env: {} });
  assert.equal(cacheDirFor(none, '/srv/hearc/catalog.duckdb'), '/srv/hearc/catalog.duckdb.cache');
  const configured = loadServiceDescription({ env: {}, overrides: { cacheDir: '/var/cache/x' } });
  assert.equal(cacheDirFor(configured, '/srv/hearc/catalog.duckdb'), '/var/cache/x');
  const pg = cacheDirFor(none, 'postgres://u:secret@db/hearc', { XDG_CACHE_HOME: '/home/u/.c' });
  assert.match(pg ?? '', /^\/home\/u\/\.c\/hearc\/[0-9a-f]{16}$/);
  assert.notEqual(pg, cacheDirFor(none, 'postgres://u:secret@db/other', { XDG_CACHE_HOME: '/c' }));
  assert.ok(!(pg ?? '').includes('secret'));
  assert.equal(cacheDirFor(none, ':memory:'), undefined, 'in memory: a private temporary folder');
});

test('a cache folder is created private; a lax one is tightened; a foreign or open one refused', async (t) => {
  const dir = tempDir(t);
  const fresh = await preparePrivateDir(join(dir, 'a', 'cache'));
  assert.equal(mode(fresh), 0o700);

  const readable = join(dir, 'readable');
  mkdirSync(readable);
  chmodSync(readable, 0o755);
  await preparePrivateDir(readable);
  assert.equal(mode(readable), 0o700, 'readable by others: made private');

  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  await assert.rejects(preparePrivateDir(open), (err: Error) => {
    assert.ok(err instanceof CacheDirError);
    assert.match(err.message, /cache folder .*open is writable by other users \(mode 777\)/);
    return true;
  });

  if (process.getuid?.() !== 0) {
    t.diagnostic('not root: the folder-of-another-user case needs chown');
    return;
  }
  const foreign = join(dir, 'foreign');
  mkdirSync(foreign, { mode: 0o700 });
  chownSync(foreign, 65534, 65534);
  await assert.rejects(preparePrivateDir(foreign), /belongs to another user \(uid 65534/);
});

test('products, previews, cutouts and async results go to the private cache, 0700/0600', async (t) => {
  const before = new Set(sharedTempEntries());
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const { engine, path: catalog } = await simulatedCatalog(t, address);
  const app = await buildServer({ engine, schema: servedSchema(publishedSchema) });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await app.listen({ host: '127.0.0.1', port });
  const [first] = await tapRows(
    address,
    'SELECT TOP 1 obs_publisher_did, s_ra, s_dec FROM ivoa.obscore ORDER BY obs_id',
  );
  const {
    obs_publisher_did: did,
    s_ra: ra,
    s_dec: dec,
  } = first as {
    obs_publisher_did: string;
    s_ra: number;
    s_dec: number;
  };

  const links = await (await fetch(`${address}/datalink?ID=${encodeURIComponent(did)}`)).text();
  const urls = [...links.matchAll(/<TD>(http[^<]*\/(?:products|previews)\/[^<]*)<\/TD>/g)].map(
    (m) => m[1]!.replaceAll('&amp;', '&'),
  );
  assert.ok(urls.length > 2, links);
  for (const url of urls) assert.equal((await fetch(url)).status, 200, url);
  // Hold the cutout open: it lives in the cache while it is sent.
  const cutout = await fetch(`${address}/soda?ID=${encodeURIComponent(did)}&CIRCLE=${ra}+${dec}+1`);
  assert.equal(cutout.status, 200);
  const cutouts = join(`${catalog}.cache`, 'cutouts');
  const held = modes(cutouts);
  assert.ok(
    held.files.some(([name]) => name.endsWith('-cutout.fits')),
    JSON.stringify(held),
  );
  await cutout.arrayBuffer();
  const job = await createJob(`${address}/tap/async`, {
    LANG: 'ADQL',
    QUERY: 'SELECT obs_id FROM ivoa.obscore',
    PHASE: 'RUN',
  });
  assert.match(await waitForEnd(job), /COMPLETED/);

  const cache = modes(`${catalog}.cache`);
  assert.ok(
    cache.files.some(([name]) => name.startsWith('products/') && name.endsWith('events.fits')),
    JSON.stringify(cache.files),
  );
  assert.ok(
    cache.files.some(([name]) => name.endsWith('.png')),
    'previews',
  );
  assert.ok(
    cache.files.some(([name]) => name.startsWith('jobs/')),
    'async results',
  );
  // Inside jobs/ the UWS store writes with the process umask (hearc serve sets 077);
  // jobs/ itself is private, so nothing in it is reachable by others.
  const ours = ([name]: [string, number]): boolean => !name.startsWith('jobs/');
  for (const [name, m] of cache.dirs.filter(ours))
    assert.equal(m, 0o700, `folder ${name}: ${m.toString(8)}`);
  for (const [name, m] of [...cache.files, ...held.files].filter(ours))
    assert.equal(m, 0o600, `file ${name}: ${m.toString(8)}`);
  assert.deepEqual(
    sharedTempEntries().filter((name) => !before.has(name)),
    [],
    'nothing in the shared temporary folder',
  );
});
