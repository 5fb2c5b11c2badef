/**
 * URLs follow the server: one catalog, ingested once with defaults, served (a) on a port
 * of its own without a configured public URL (URLs come from each request's Host) and
 * (b) behind a reverse proxy under a path prefix with the proxy's URL as public URL.
 * Through the proxy only, pyvo's sync search, iter_datalinks() and `#this` downloads,
 * an async job and STILTS datalinklint all work, and no answer names the backend.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { requireChecker, PYTHON } from '../helpers/env.js';
import { freePort } from '../helpers/net.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { testService } from '../helpers/service.js';
import { tempDir } from '../helpers/tmp.js';

const PYVO_ROUND_TRIP = `
import json, sys, urllib.request
import pyvo
from astropy.io import fits
import io
tap_url = sys.argv[1]
svc = pyvo.dal.TAPService(tap_url)
result = svc.search("SELECT obs_id, obs_publisher_did, access_url FROM ivoa.obscore ORDER BY obs_id")
access = [str(u) for u in result['access_url']]
this_sizes = []
links_rows = 0
for links in result.iter_datalinks():
    links_rows += len(links)
    this = [r for r in links if r.semantics == '#this'][0]
    data = urllib.request.urlopen(this.access_url).read()
    with fits.open(io.BytesIO(data)) as hdus:
        this_sizes.append(len(hdus['EVENTS'].data))
job = svc.submit_job("SELECT TOP 3 obs_id, access_url FROM ivoa.obscore ORDER BY obs_id")
job.run()
job.wait(timeout=60)
async_result = job.fetch_result()
job_url = job.url
job.delete()
print(json.dumps({
  'n': len(result), 'access': access, 'events': this_sizes, 'links_rows': links_rows,
  'async_access': [str(u) for u in async_result.to_table()['access_url']], 'job_url': job_url,
}))
`;

test('the same catalog served on two ports and behind a proxy: every URL follows the server', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'store');
  await simulateDataStore({ outDir: store, observations: 3, seed: 11, eventsPerObservation: 300 });
  const engine = await openEngine(join(dir, 'catalog.duckdb'));
  t.after(() => engine.close());
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, store, {
    authority: 'hearc.local',
    collection: 'sim',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.equal(report.failed.length, 0);
  const schema = servedSchema(publishedSchema);

  // (a) No public URL: URLs come from the Host the client used.
  const direct = await buildServer({ engine, schema, jobs: { resultsDir: join(dir, 'jobs-a') } });
  t.after(() => direct.close());
  const directPort = await freePort();
  await direct.listen({ host: '127.0.0.1', port: directPort });
  const backend = `http://127.0.0.1:${directPort}`;

  await t.test('access_url and capabilities follow the Host of each request', async () => {
    const query = new URLSearchParams({
      LANG: 'ADQL',
      FORMAT: 'csv',
      QUERY: "SELECT access_url FROM ivoa.obscore WHERE access_url LIKE '%/datalink?ID=%'",
    });
    const asLocalhost = await (
      await fetch(`http://localhost:${directPort}/tap/sync?${query}`)
    ).text();
    const lines = asLocalhost.trim().split(/\r?\n/).slice(1);
    assert.equal(lines.length, 3, asLocalhost);
    for (const line of lines) {
      assert.match(
        line,
        new RegExp(
          `^"?http://localhost:${directPort}/datalink\\?ID=ivo%3A%2F%2Fhearc\\.local%2Fsim%3F`,
        ),
      );
    }
    const filtered = new URLSearchParams({
      LANG: 'ADQL',
      FORMAT: 'csv',
      QUERY: `SELECT COUNT(*) AS n FROM ivoa.obscore WHERE access_url LIKE 'http://127.0.0.1:${directPort}/%'`,
    });
    const counted = await (await fetch(`${backend}/tap/sync?${filtered}`)).text();
    assert.equal(
      counted.trim().split(/\r?\n/)[1],
      '3',
      'WHERE access_url LIKE sees the URLs as served',
    );
    const capabilities = await (
      await fetch(`http://localhost:${directPort}/tap/capabilities`)
    ).text();
    assert.ok(capabilities.includes(`http://localhost:${directPort}/tap`));
    assert.ok(!capabilities.includes('127.0.0.1'));
  });

  await t.test('a made-up Host does not turn into markup', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: directPort,
          path: '/tap/capabilities',
          headers: { host: 'evil"><x' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.ok(!raw.includes('evil'), 'the bad Host is not echoed');
  });

  // (b) Behind a proxy under /prefix, with the proxy's URL as the public URL.
  const proxyPort = await freePort();
  const publicUrl = `http://127.0.0.1:${proxyPort}/hearc`;
  const behind = await buildServer({
    engine,
    schema,
    service: testService(publicUrl),
    jobs: { resultsDir: join(dir, 'jobs-b') },
  });
  t.after(() => behind.close());
  const behindPort = await freePort();
  await behind.listen({ host: '127.0.0.1', port: behindPort });
  const backendB = `127.0.0.1:${behindPort}`;
  // The proxy must listen on the port the public URL names.
  const proxy = await reverseProxy(t, `http://${backendB}`, '/hearc', proxyPort);
  assert.equal(proxy.address, publicUrl);

  await t.test(
    'through the proxy only: pyvo search, iter_datalinks, #this downloads, async',
    async (st) => {
      if (!requireChecker(st, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo, astropy']))
        return;
      const out = await runPythonJsonAsync<{
        n: number;
        access: string[];
        events: number[];
        links_rows: number;
        async_access: string[];
        job_url: string;
      }>(PYVO_ROUND_TRIP, [`${publicUrl}/tap`]);
      assert.equal(out.n, 3);
      for (const url of [...out.access, ...out.async_access])
        assert.ok(url.startsWith(`${publicUrl}/datalink?ID=`), url);
      assert.equal(out.events.length, 3);
      for (const n of out.events) assert.ok(n > 0, 'each #this download holds events');
      assert.ok(out.links_rows >= 3 * 5);
      assert.ok(out.job_url.startsWith(`${publicUrl}/tap/async/`), out.job_url);
      const leaked = proxy.seen.filter((b) => b.toString('latin1').includes(backendB));
      assert.equal(leaked.length, 0, 'no answer names the backend address');
    },
  );

  await t.test(
    'STILTS datalinklint passes on a DataLink document reached through the proxy',
    async (st) => {
      if (!requireChecker(st, 'STILTS (Debian stilts)', ['sh', '-c', 'command -v stilts'])) return;
      const did = 'ivo://hearc.local/sim?';
      const first = await (
        await fetch(
          `${publicUrl}/tap/sync?${new URLSearchParams({ LANG: 'ADQL', FORMAT: 'csv', QUERY: 'SELECT TOP 1 obs_publisher_did FROM ivoa.obscore ORDER BY obs_id' })}`,
        )
      ).text();
      const id = first.trim().split(/\r?\n/)[1]?.replace(/"/g, '') ?? '';
      assert.ok(id.startsWith(did));
      const result = spawnSync(
        'stilts',
        ['datalinklint', `${publicUrl}/datalink?ID=${encodeURIComponent(id)}`],
        {
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      const errors = (result.stdout.match(/^E-/gm) ?? []).length;
      assert.equal(errors, 0, result.stdout);
    },
  );
});

/** A reverse proxy on `port`: `/prefix/...` to `/...` on the backend; keeps every answer it relays. */
async function reverseProxy(
  t: TestContext,
  backend: string,
  prefix: string,
  port: number,
): Promise<{ address: string; seen: Buffer[] }> {
  const target = new URL(backend);
  const seen: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('not behind this proxy\n');
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url.slice(prefix.length),
        headers: { ...req.headers, host: `${target.hostname}:${target.port}` },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          seen.push(body, Buffer.from(JSON.stringify(answer.headers)));
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
        });
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { address: `http://127.0.0.1:${port}${prefix}`, seen };
}
