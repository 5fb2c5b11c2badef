/**
 * A server with async TAP over a small simulated store ingested into a temporary
 * DuckDB catalog, with fast job housekeeping for tests, and helpers to drive UWS
 * over real HTTP.
 */
import { freePort } from '../helpers/net.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { buildServer } from '../../src/http/server.js';
import type { AsyncJobOptions } from '../../src/http/uws.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { requireChecker } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';

export const COLLECTION = 'sim';

/** A database where tests may create and drop others (CI: the local cluster's `test`). */
const POSTGRES_URL = process.env.HEARC_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * ADQL that runs for minutes on any catalog (TAP_SCHEMA.columns cross-joined with
 * itself), to be cut short by an execution duration or an abort.
 */
export const SLOW_QUERY =
  'SELECT COUNT(*) AS n FROM tap_schema.columns AS a, tap_schema.columns AS b, ' +
  'tap_schema.columns AS c, tap_schema.columns AS d, tap_schema.columns AS e';

/**
 * Simulates a 2-observation store and ingests it into a new catalog: a DuckDB file in
 * a temporary folder, or the database at `location` (e.g. a postgres:// URL).
 */
export async function simulatedCatalog(
  t: Pick<TestContext, 'after'>,
  address: string,
  location?: string,
): Promise<{ engine: Engine; path: string; dir: string }> {
  const dir = tempDir(t);
  const store = join(dir, 'store');
  await simulateDataStore({ outDir: store, observations: 2, seed: 5, eventsPerObservation: 200 });
  const path = location ?? join(dir, 'catalog.duckdb');
  const engine = await openEngine(path);
  await engine.ensureTables(catalogTables);
  const report = await ingestDataStore(engine, store, {
    authority: 'test.hearc',
    collection: COLLECTION,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  if (report.failed.length > 0) throw new Error(`ingest failed: ${JSON.stringify(report.failed)}`);
  return { engine, path, dir };
}

export interface AsyncServer {
  /** http://127.0.0.1:<port> */
  readonly address: string;
  /** {address}/tap/async */
  readonly jobs: string;
  readonly engine: Engine;
  readonly resultsDir: string;
}

/**
 * Serves `engine` with async TAP at `address` (results in `resultsDir`, housekeeping
 * every 200 ms unless told); the server is closed when the test ends, the engine not.
 */
export async function listenAsync(
  t: Pick<TestContext, 'after'>,
  engine: Engine,
  address: string,
  jobs: AsyncJobOptions & { resultsDir: string },
): Promise<AsyncServer> {
  const app = await buildServer({
    engine,
    schema: servedSchema(publishedSchema),
    jobs: { ...jobs, timing: { reapIntervalMs: 200, ...jobs.timing } },
  });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });
  return { address, jobs: `${address}/tap/async`, engine, resultsDir: jobs.resultsDir };
}

/** Serves a simulated DuckDB catalog with async TAP; closed when the test ends. */
export async function serveAsync(
  t: Pick<TestContext, 'after'>,
  jobs: AsyncJobOptions = {},
): Promise<AsyncServer> {
  const address = `http://127.0.0.1:${await freePort()}`;
  const { engine, dir } = await simulatedCatalog(t, address);
  const served = await listenAsync(t, engine, address, {
    resultsDir: join(dir, 'results'),
    ...jobs,
  });
  // After hooks run in the order they were added: the server stops first.
  t.after(() => engine.close());
  return served;
}

/** POSTs a form without following the redirect. */
export function post(
  url: string,
  params: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body: new URLSearchParams(params),
    redirect: 'manual',
    headers,
  });
}

/** Creates a job; returns its URL (the 303 Location). */
export async function createJob(
  jobs: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await post(jobs, params, headers);
  if (response.status !== 303) {
    throw new Error(`job creation answered ${response.status}: ${await response.text()}`);
  }
  return response.headers.get('location') ?? '';
}

/** The text of an element of a UWS document, e.g. phase. */
export function uwsValue(xml: string, element: string): string | undefined {
  return new RegExp(`<uws:${element}>([^<]*)</uws:${element}>`).exec(xml)?.[1];
}

/** GETs the job, blocking while it is in an active phase (WAIT), until it is in a final phase. */
export async function waitForEnd(jobUrl: string): Promise<string> {
  for (;;) {
    const xml = await (await fetch(`${jobUrl}?WAIT=30`)).text();
    const phase = uwsValue(xml, 'phase');
    if (phase !== 'PENDING' && phase !== 'QUEUED' && phase !== 'EXECUTING') return xml;
  }
}

/** The job id at the end of a job URL. */
export function jobIdOf(jobUrl: string): string {
  return jobUrl.slice(jobUrl.lastIndexOf('/') + 1);
}

/**
 * A PostgreSQL database of its own for the test, or undefined when PostgreSQL is
 * missing (the test is skipped; CI fails). Call `drop` once everything using it is
 * closed: register it as the last after-hook.
 */
export async function freshPostgres(
  t: TestContext,
): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const probe = [
    'psql',
    '-X',
    '-q',
    '-d',
    POSTGRES_URL,
    '-c',
    'CREATE EXTENSION IF NOT EXISTS pg_sphere',
  ];
  if (!requireChecker(t, 'PostgreSQL with pg_sphere', probe)) return undefined;
  const name = `hearc_jobs_${randomBytes(6).toString('hex')}`;
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const drop = async (): Promise<void> => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  return { url: url.toString(), drop };
}

const SERVE = fileURLToPath(new URL('./serve-process.ts', import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly stderr: () => string;
}

/** Starts `hearc serve <args>` (which must hold --port) as a child process and waits until it answers. */
export async function startServeProcess(args: readonly string[]): Promise<ServeProcess> {
  const port = args[args.indexOf('--port') + 1];
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, 'serve', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hearc serve exited: ${stderr}`);
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { child, stderr: () => stderr };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
