/**
 * Slow readers do not stall the service (issue 18, finding 3): clients reading a large
 * sync result at 1 kB/s leave the catalog connections free (the result is spooled);
 * when every connection is busy a query waits a bounded time and gets 503 with
 * Retry-After and a VOTable error; /tap/availability says so; and the sync time limit
 * covers the whole response, reading included.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import type { ServiceLimits } from '../../src/tap/query.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { freePort } from '../helpers/net.js';
import { simulatedCatalog, SLOW_QUERY } from '../uws/fixtures.js';

/** About 16 MB of CSV: far more than the socket buffers between server and client hold. */
const LARGE_QUERY =
  'SELECT TOP 150000 a.description AS d1, b.description AS d2, c.column_name AS n ' +
  'FROM tap_schema.columns AS a, tap_schema.columns AS b, tap_schema.columns AS c';

/** Generous bound on things that must happen, so that a stall fails instead of hanging. */
const STALL = 60_000;

async function serve(
  t: TestContext,
  options: { connections?: number; limits?: ServiceLimits } = {},
): Promise<{ address: string; engine: Engine; connections: () => Promise<number> }> {
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const made = await simulatedCatalog(t, address);
  await made.engine.close();
  const engine = await openEngine(made.path, { connections: options.connections ?? 4 });
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await app.listen({ host: '127.0.0.1', port });
  const connections = (): Promise<number> =>
    new Promise((resolve, reject) =>
      app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  return { address, engine, connections };
}

interface SlowReader {
  readonly response: IncomingMessage;
  /** Bytes read so far. */
  readonly received: () => number;
  /** Resolves when the connection closes: complete is false when it was cut. */
  readonly closed: Promise<{ complete: boolean }>;
  stop(): void;
}

/** A sync query whose answer is read 1 kB a second. */
function slowReader(address: string, query: string, maxrec = 1_000_000): Promise<SlowReader> {
  const body = new URLSearchParams({
    LANG: 'ADQL',
    FORMAT: 'csv',
    MAXREC: String(maxrec),
    QUERY: query,
  }).toString();
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: hostname,
        port,
        path: '/tap/sync',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (response) => {
        response.pause();
        let received = 0;
        const tick = setInterval(() => {
          const chunk = response.read(1024) as Buffer | null;
          received += chunk?.length ?? 0;
        }, 1000);
        const closed = new Promise<{ complete: boolean }>((done) => {
          response.once('close', () => {
            clearInterval(tick);
            done({ complete: response.complete });
          });
          response.once('error', () => undefined);
        });
        resolve({
          response,
          received: () => received,
          closed,
          stop: () => {
            clearInterval(tick);
            request.destroy();
          },
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

function sync(address: string, query: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${address}/tap/sync`, {
    method: 'POST',
    body: new URLSearchParams({ LANG: 'ADQL', FORMAT: 'csv', QUERY: query }),
    signal: signal ?? AbortSignal.timeout(STALL),
  });
}

async function availability(address: string): Promise<{ available: boolean; note: string }> {
  const xml = await (
    await fetch(`${address}/tap/availability`, { signal: AbortSignal.timeout(STALL) })
  ).text();
  return {
    available: /<vosi:available>true<\/vosi:available>/.test(xml),
    note: /<vosi:note>([^<]*)<\/vosi:note>/.exec(xml)?.[1] ?? '',
  };
}

/** Waits until `check` holds (polled); fails the test after STALL. */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STALL;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await sleep(50);
  }
}

test('four clients reading a large result at 1 kB/s leave the catalog free', async (t) => {
  // Producing four large results takes a while on a busy machine: wait for it.
  const limits: ServiceLimits = {
    defaultMaxrec: 1000,
    hardMaxrec: 1_000_000,
    timeoutMs: 120_000,
    connectionWaitMs: STALL,
  };
  const { address, engine } = await serve(t, { limits });
  const readers = await Promise.all([1, 2, 3, 4].map(() => slowReader(address, LARGE_QUERY)));
  t.after(() => readers.forEach((r) => r.stop()));
  for (const reader of readers) assert.equal(reader.response.statusCode, 200);

  // Everyone else is served while the four still read.
  const other = await sync(address, 'SELECT COUNT(*) AS n FROM ivoa.obscore');
  assert.equal(other.status, 200, await other.clone().text());
  assert.match(await other.text(), /^n\r?\n2\r?\n$/);
  await eventually('every catalog connection released', () => engine.usage().busy === 0);
  assert.deepEqual(await availability(address), {
    available: true,
    note: 'hearc is accepting queries',
  });
  for (const reader of readers) assert.ok(reader.received() < 1024 * 1024, 'still reading');
});

test('every connection busy: a bounded wait, then 503 with Retry-After; availability says busy', async (t) => {
  const limits: ServiceLimits = {
    defaultMaxrec: 1000,
    hardMaxrec: 1000,
    timeoutMs: 120_000,
    connectionWaitMs: 300,
  };
  const { address, engine } = await serve(t, { connections: 2, limits });
  const stop = new AbortController();
  const running = [1, 2].map(() => sync(address, SLOW_QUERY, stop.signal).catch(() => undefined));
  t.after(async () => {
    stop.abort();
    await Promise.all(running);
  });
  await eventually('both connections running the slow query', () => engine.usage().busy === 2);

  const busy = await availability(address);
  assert.equal(busy.available, false);
  assert.match(busy.note, /busy: all 2 catalog connections are in use/);

  const refused = await sync(address, 'SELECT COUNT(*) AS n FROM ivoa.obscore');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.match(refused.headers.get('content-type') ?? '', /application\/x-votable\+xml/);
  const document = await refused.text();
  assert.match(document, /<INFO name="QUERY_STATUS" value="ERROR">/);
  assert.match(document, /the service is busy: all 2 catalog connections stayed busy/);

  stop.abort();
  await Promise.all(running);
  await eventually('the slow queries cancelled', () => engine.usage().busy === 0);
  assert.equal((await availability(address)).available, true);
  assert.equal((await sync(address, 'SELECT COUNT(*) AS n FROM ivoa.obscore')).status, 200);
});

test('the sync time limit covers the whole response: a reader still reading is cut off', async (t) => {
  const limits: ServiceLimits = { defaultMaxrec: 1000, hardMaxrec: 1_000_000, timeoutMs: 2000 };
  const { address, engine, connections } = await serve(t, { limits });
  const reader = await slowReader(address, LARGE_QUERY);
  t.after(() => reader.stop());
  assert.equal(reader.response.statusCode, 200);
  await eventually('the catalog connection released', () => engine.usage().busy === 0);
  await eventually('the server closed the connection', async () => (await connections()) === 0);
  // What was sent before the cut is still in the socket buffers: read it all now.
  let lines = 0;
  reader.response.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) lines++;
  });
  reader.response.resume();
  const { complete } = await reader.closed;
  assert.equal(complete, false, 'cut off before the end');
  assert.ok(lines < 150_001, `${lines} lines`);

  const quick = await sync(address, 'SELECT COUNT(*) AS n FROM ivoa.obscore');
  assert.equal(quick.status, 200);
  assert.match(await quick.text(), /^n\r?\n2\r?\n$/);
});
