/**
 * A served simulated store for the analysis tests: three runs ingested into a DuckDB
 * catalog, the third proprietary (owned by group alpha, whose member ada has a token),
 * and a server on a free port.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { main } from '../../src/cli/main.js';
import { DaliError, DaliParameters } from '../../src/dali/index.js';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { obscoreTable, publishedSchema } from '../../src/obscore/schema.js';
import type { ServiceLimitsDescription } from '../../src/service/index.js';
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

/** A checker that `read` refuses the parameters `entries` with a 400 DaliError whose message matches. */
export const refuserOf =
  (read: (params: DaliParameters) => unknown) =>
  (entries: Record<string, string | string[]>, pattern: RegExp): void =>
    assert.throws(
      () => read(paramsOf(entries)),
      (e: unknown) => e instanceof DaliError && e.status === 400 && pattern.test(e.message),
    );

export interface ServedSimulation {
  readonly address: string;
  /** The DIDs, sorted; the last is the proprietary one. */
  readonly dids: readonly string[];
  readonly obsIds: readonly string[];
  readonly secret: string;
  /** A token of a member of the group owning the secret run. */
  readonly token: string;
}

export async function servedSimulation(
  t: TestContext,
  limits: Partial<ServiceLimitsDescription> = {},
): Promise<ServedSimulation> {
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
  const set = ['rights', 'set', String(rows[2]!.obs_id), '--db', db, '--rights', 'proprietary'];
  assert.equal(
    await main([...set, '--release-date', '2999-01-01', '--group', 'alpha'], rights),
    0,
    rights.err(),
  );
  const tokenIo = captureIo();
  assert.equal(
    await main(['token', 'create', '--user', 'ada', '--groups', 'alpha', '--db', db], tokenIo),
    0,
    tokenIo.err(),
  );
  const engine = await openEngine(db);
  await engine.ensureTables(catalogTables);
  const service = testService();
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    service: { ...service, limits: { ...service.limits, ...limits } },
    jobs: { resultsDir: join(dir, 'results') },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  return {
    address,
    dids,
    obsIds: rows.map((r) => String(r.obs_id)),
    secret,
    token: tokenIo.out().trim(),
  };
}

/** A request form: `base`, then `extra` over it, then each ID. */
function formOf(
  base: Record<string, string>,
  ids: readonly string[],
  extra: Record<string, string>,
): URLSearchParams {
  const body = new URLSearchParams({ ...base, ...extra });
  for (const id of ids) body.append('ID', id);
  return body;
}

/** The form of a small map-dataset request around the simulated target. */
export const analysisForm = (ids: readonly string[], extra: Record<string, string> = {}) =>
  formOf({ CENTER: '83.6331 22.0145', WIDTH: '3', BINSZ: '0.1', ENERGY: '0.5 20 4' }, ids, extra);

/** The form of a spectrum or light-curve request on the simulated target. */
export const onRegionForm = (ids: readonly string[], extra: Record<string, string> = {}) =>
  formOf({ CENTER: '83.6331 22.0145', RADIUS: '0.3', ENERGY: '0.5 20 4' }, ids, extra);

/** The provenance record (PROV-N) an answer names in its PROV-AQ Link header. */
export async function provenanceOf(answer: Response): Promise<string> {
  const link = answer.headers.get('link') ?? '';
  assert.match(link, /rel="http:\/\/www\.w3\.org\/ns\/prov#has_provenance"/);
  const record = await fetch(/<([^>]+)>/.exec(link)![1]!);
  assert.equal(record.status, 200);
  return record.text();
}
