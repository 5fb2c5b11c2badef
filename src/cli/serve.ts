import { openEngine } from '../engine/index.js';
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
  const app = await buildServer({ engine, baseUrl, schema, logger: true });
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
} as const;

export function serveSettingsFrom(
  values: Record<string, string | boolean | undefined>,
): ServeSettings {
  const baseUrl = stringOption(values, 'base-url');
  return {
    host: stringOption(values, 'host') ?? '127.0.0.1',
    port: integerOption(values, 'port', 8080, 0),
    ...(baseUrl ? { baseUrl } : {}),
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
`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { db: { type: 'string' }, ...serveOptionSpec },
      false,
    );
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    return serveCatalog(await openEngine(db), serveSettingsFrom(values), io);
  },
};
