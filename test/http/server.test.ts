import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { tempDir } from '../helpers/tmp.js';

test('the server answers /health and VOSI availability over real HTTP', async (t) => {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  await engine.ensureTables(catalogTables);
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await engine.close();
  });

  const health = await fetch(`${address}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });

  const availability = await fetch(`${address}/tap/availability`);
  assert.equal(availability.status, 200);
  assert.match(availability.headers.get('content-type') ?? '', /^text\/xml/);
  const body = await availability.text();
  assert.match(body, /<vosi:available>true<\/vosi:available>/);
  assert.match(body, /xmlns:vosi="http:\/\/www.ivoa.net\/xml\/VOSIAvailability\/v1.0"/);
});
