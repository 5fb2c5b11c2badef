/** A server over a catalog, and the /coincidence answer as a user reads it. */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { alertsTable } from '../../src/alerts/index.js';
import type { Engine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { readVotable } from '../../src/votable/index.js';
import { testService } from '../helpers/service.js';

/** The server's address; the server and the engine are closed after the test. */
export async function serveCatalog(t: TestContext, engine: Engine): Promise<string> {
  const app = await buildServer({
    engine,
    schema: servedSchema({ tables: [...publishedSchema.tables, alertsTable] }),
    service: testService(),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  return address;
}

export interface Found {
  readonly rows: Record<string, unknown>[];
  readonly hidden: number;
  readonly text: string;
}

export async function coincidence(address: string, query: string): Promise<Found> {
  const response = await fetch(`${address}/coincidence?${query}`);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const table = readVotable(text);
  const names = table.fields.map((f) => f.name);
  const rows = table.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
  const hidden = Number(table.infos.find((i) => i.name === 'hidden_observations')?.value);
  return { rows, hidden, text };
}
