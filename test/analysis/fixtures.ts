/** Fixtures of the analysis tests: DALI parameters from a record, and a served catalog of a small simulated store (three runs, the third proprietary). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { main } from '../../src/cli/main.js';
import { DaliParameters } from '../../src/dali/index.js';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { obscoreTable, publishedSchema } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { captureIo } from '../helpers/io.js';
import { testService } from '../helpers/service.js';
import { tempDir } from '../helpers/tmp.js';

/** DALI parameters from a record of names and values (repeated when an array). */
export const paramsOf = (entries: Record<string, string | string[]>): DaliParameters =>
  new DaliParameters(
    Object.entries(entries).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) => [k, x] as const),
    ),
  );

export async function servedSimulation(t: TestContext) {
  const dir = tempDir(t);
  const store = join(dir, 'store');
  await simulateDataStore({ outDir: store, observations: 3, seed: 7, eventsPerObservation: 500 });
  const db = join(dir, 'catalog.duckdb');
  const io = captureIo();
  assert.equal(await main(['ingest', store, '--db', db, '--collection', 'sim'], io), 0, io.err());
  const probe = await openEngine(db);
  const rows = [...(await probe.selectRows(obscoreTable))].sort((a, b) =>
    String(a.obs_publisher_did).localeCompare(String(b.obs_publisher_did)),
  );
  await probe.close();
  const dids = rows.map((r) => String(r.obs_publisher_did));
  const secret = dids[2]!;
  const rights = captureIo();
  assert.equal(
    await main(
      [
        'rights',
        'set',
        String(rows[2]!.obs_id),
        '--db',
        db,
        '--rights',
        'proprietary',
        '--release-date',
        '2999-01-01',
      ],
      rights,
    ),
    0,
    rights.err(),
  );
  const engine = await openEngine(db);
  await engine.ensureTables(catalogTables);
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    service: testService(),
    jobs: { resultsDir: join(dir, 'results') },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  return { address, dids, secret };
}
