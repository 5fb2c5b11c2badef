import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbEngine, openEngine } from '../engine/index.js';
import { openJobStore } from '../engine/job-stores.js';
import type { Engine } from '../engine/types.js';
import { buildServer } from '../http/server.js';
import { catalogTables, publishedSchema } from '../obscore/schema.js';
import { servedSchema } from '../tap/tap-schema.js';
import { type Command, type CommandIo, UsageError } from './command.js';
import { integerOption, parseCommandArgs, stringOption } from './options.js';

export interface ServeSettings {
  readonly host: string;
  readonly port: number;
  readonly baseUrl?: string;
  /** The catalog as given to --db: a postgres:// URL shares async jobs between nodes. */
  readonly catalog?: string;
  /** Folder of async job results (shared by all nodes of a PostgreSQL catalog). */
  readonly jobsDir?: string;
  /** Async jobs this process runs at once. */
  readonly workers?: number;
}

/** Next to a DuckDB catalog file; else in the OS temporary folder, one per catalog. */
function defaultJobsDir(engine: Engine, catalog: string | undefined): string {
  if (engine instanceof DuckDbEngine && engine.location !== ':memory:') {
    return `${engine.location}.jobs`;
  }
  const key = createHash('sha256')
    .update(catalog ?? String(process.pid))
    .digest('hex');
  return join(tmpdir(), `hearc-jobs-${key.slice(0, 16)}`);
}

/** Serves `engine` until SIGINT/SIGTERM, then closes the server and the catalog. */
export async function serveCatalog(
  engine: Engine,
  settings: ServeSettings,
  io: CommandIo,
): Promise<number> {
  await engine.ensureTables(catalogTables);
  const schema = servedSchema(publishedSchema);
  const baseUrl = settings.baseUrl ?? `http://${settings.host}:${settings.port}`;
  // The server recovers jobs at startup and runs the worker pool and reaper until it closes.
  const jobs = {
    store: openJobStore(engine, settings.catalog),
    resultsDir: settings.jobsDir ?? defaultJobsDir(engine, settings.catalog),
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
  };
  const app = await buildServer({ engine, baseUrl, schema, logger: true, jobs });
  const address = await app.listen({ host: settings.host, port: settings.port });
  io.stderr(`hearc: serving TAP at ${address}/tap (public base URL ${baseUrl}); Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stderr('hearc: shutting down\n');
  await app.close();
  await engine.close();
  return 0;
}

export const serveOptionSpec = {
  host: { type: 'string' },
  port: { type: 'string' },
  'base-url': { type: 'string' },
  'jobs-dir': { type: 'string' },
  workers: { type: 'string' },
} as const;

export function serveSettingsFrom(
  values: Record<string, string | boolean | undefined>,
): ServeSettings {
  const baseUrl = stringOption(values, 'base-url');
  const jobsDir = stringOption(values, 'jobs-dir');
  return {
    host: stringOption(values, 'host') ?? '127.0.0.1',
    port: integerOption(values, 'port', 8080, 0),
    ...(baseUrl ? { baseUrl } : {}),
    ...(jobsDir ? { jobsDir } : {}),
    workers: integerOption(values, 'workers', 2, 1),
  };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve a catalog over HTTP (TAP, VOSI)',
  usage: `usage: hearc serve --db CATALOG [--host HOST] [--port PORT] [--base-url URL]

options:
  --db CATALOG     catalog database (a DuckDB file, or a postgres:// URL)
  --host HOST      interface to listen on (default 127.0.0.1)
  --port PORT      port (default 8080; 0 picks a free one)
  --base-url URL   public URL of the service, when behind a proxy
  --jobs-dir DIR   folder of async TAP job results (default: next to a DuckDB catalog,
                   else in the OS temporary folder); nodes sharing a PostgreSQL
                   catalog must share it
  --workers N      async TAP jobs run at once by this process (default 2); each holds a
                   catalog connection while it runs (DuckDB has 4, PostgreSQL 10)
`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { db: { type: 'string' }, ...serveOptionSpec },
      false,
    );
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    return serveCatalog(await openEngine(db), { ...serveSettingsFrom(values), catalog: db }, io);
  },
};
