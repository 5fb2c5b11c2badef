/**
 * A running server over an ingested data store, for the DataLink and file tests:
 * the real H.E.S.S. DR1 store (HEARC_TEST_DATA) ingested into a temporary DuckDB
 * catalog, served on a free port with its own product cache.
 */
import { freePort } from '../helpers/net.js';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { buildServer } from '../../src/http/server.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import type { PublishConfig } from '../../src/obscore/config.js';
import type { ServiceDescription } from '../../src/service/index.js';
import { catalogTables, servedCatalog } from '../../src/ingest/catalog.js';
import { type SimulatedObservation, simulateDataStore } from '../../src/sim/simulate.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { tempDir } from '../helpers/tmp.js';

export interface ServedStore {
  /** http://127.0.0.1:<port> */
  readonly address: string;
  readonly engine: Engine;
  readonly cacheDir: string;
  readonly config: PublishConfig;
}

export const HESS_COLLECTION = 'hess-dr1';
export const SIM_COLLECTION = 'sim';

export function didOf(collection: string, obsId: string | number): string {
  return `ivo://test.hearc/${collection}?${obsId}`;
}

/** A small simulated store (2 observations, gzip-compressed unless told) in a temporary folder. */
export async function simulatedStore(
  t: TestContext,
  options: { gzip?: boolean } = {},
): Promise<{ dir: string; runs: SimulatedObservation[] }> {
  const dir = join(tempDir(t), 'store');
  const runs = await simulateDataStore({
    outDir: dir,
    observations: 2,
    seed: 11,
    eventsPerObservation: 400,
    gzip: options.gzip ?? true,
  });
  return { dir, runs };
}

/**
 * Ingests `storeDir` and serves it; the base URL is the server's own address. The
 * catalog is a temporary DuckDB file unless `catalog` opens another (e.g. PostgreSQL);
 * the service description is the default one unless `options.service` is given.
 */
export async function serveStore(
  t: TestContext,
  storeDir: string,
  collection: string,
  catalog?: () => Promise<Engine>,
  options: { readonly service?: ServiceDescription } = {},
): Promise<ServedStore> {
  const dir = tempDir(t);
  const engine = catalog ? await catalog() : await openEngine(join(dir, 'catalog.duckdb'));
  await engine.ensureTables(catalogTables);
  const cacheDir = join(dir, 'products');
  const address = `http://127.0.0.1:${await freePort()}`;
  const config: PublishConfig = {
    authority: 'test.hearc',
    collection,
    accessMode: 'datalink',
    dataRights: 'public',
  };
  const app = await buildServer({
    engine,
    schema: servedSchema(servedCatalog),
    productCacheDir: cacheDir,
    ...(options.service ? { service: options.service } : {}),
  });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });
  const report = await ingestDataStore(engine, storeDir, config);
  if (report.failed.length > 0) throw new Error(`ingest failed: ${JSON.stringify(report.failed)}`);
  return { address, engine, cacheDir, config };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** A request with the path sent exactly as given (fetch would normalise '..' away). */
export function rawRequest(
  address: string,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
