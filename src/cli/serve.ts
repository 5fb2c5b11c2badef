import { isPostgresLocation, openEngine } from '../engine/index.js';
import { openJobStore } from '../engine/job-stores.js';
import type { Engine } from '../engine/types.js';
import {
  AuthConfigError,
  type AuthSettings,
  issuerConfig,
  jwksLocation,
  type OidcIssuerConfig,
  readAuthConfig,
} from '../auth/index.js';
import { buildServer } from '../http/server.js';
import { catalogTables, servedCatalog } from '../ingest/catalog.js';
import { servedSchema } from '../tap/tap-schema.js';
import {
  ConfigError,
  type LogStyle,
  logStyleFor,
  type ServiceDescription,
} from '../service/index.js';
import { startAdminInterface } from './admin.js';
import { type Command, type CommandIo, UsageError } from './command.js';
import {
  processCount,
  type ServeProcessRole,
  serveProcessRole,
  superviseServeProcesses,
} from './serve-processes.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';
import {
  integerOption,
  listOption,
  type OptionValues,
  parseCommandArgs,
  stringOption,
} from './options.js';

export interface ServeSettings {
  readonly host: string;
  readonly port: number;
  /** Who the service is (--config, HEARC_* variables, --base-url, --trust-proxy). */
  readonly service: ServiceDescription;
  /** The catalog as given to --db: a postgres:// URL shares async jobs between nodes. */
  readonly catalog?: string;
  /** Folder of async job results (shared by all nodes of a PostgreSQL catalog). */
  readonly jobsDir?: string;
  /** Async jobs this process runs at once. */
  readonly workers?: number;
  /** Processes answering on the port (PostgreSQL catalogs only); default 1. */
  readonly processes?: number;
  /** Federated login and what anonymous callers see. */
  readonly auth?: AuthSettings;
  /** Log lines for people (a terminal) or JSON for machines (HEARC_LOG overrides). */
  readonly logStyle?: LogStyle;
}

/** Where the service answers, for the line `hearc serve` writes once it listens. */
function servingLine(settings: ServeSettings, address: string): string {
  const publicUrl = settings.service.publicUrl ?? 'made from each request';
  return `serving ${settings.service.title} at ${address}/ (TAP at ${address}/tap; public URL ${publicUrl})`;
}

/**
 * Resolves at the first SIGINT or SIGTERM, after which a lone server lets a second one
 * kill it. One of several processes also stops when its primary goes away, and ignores
 * later signals: a terminal's Ctrl-C reaches it and its primary alike, and the primary
 * kills it when asked twice.
 */
function stopRequested(role: ServeProcessRole | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      if (role === undefined) {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (role !== undefined) process.once('disconnect', stop);
  });
}

/**
 * Serves `engine` until SIGINT/SIGTERM, then closes the server and the catalog. `role`:
 * this is one of the processes of `hearc serve --processes N`.
 */
export async function serveCatalog(
  engine: Engine,
  settings: ServeSettings,
  io: CommandIo,
  role?: ServeProcessRole,
): Promise<number> {
  // Everything the server writes (products, cutouts, job results) is its user's alone.
  process.umask(0o077);
  await engine.ensureTables(catalogTables);
  const schema = servedSchema(servedCatalog);
  // The server recovers jobs at startup and runs the worker pool and reaper until it closes.
  const jobs = {
    store: openJobStore(engine, settings.catalog),
    ...(settings.jobsDir !== undefined ? { resultsDir: settings.jobsDir } : {}),
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
  };
  const app = await buildServer({
    engine,
    service: settings.service,
    schema,
    logger: settings.logStyle ?? 'json',
    jobs,
    longRunning: true,
    ...(role !== undefined ? { follower: role.slot > 1, logPid: true } : {}),
    ...(settings.auth ? { auth: settings.auth } : {}),
  });
  const address = await app.listen({ host: settings.host, port: settings.port });
  // Commands that change a DuckDB catalog (ingest, rights, token) reach it through us.
  const admin = await startAdminInterface(settings.catalog, runCatalogCommand);
  // One of several processes: the primary tells where the service answers.
  if (role === undefined) io.stderr(`hearc: ${servingLine(settings, address)}; Ctrl-C stops\n`);
  await stopRequested(role);
  if (role === undefined) io.stderr('hearc: shutting down\n');
  await new Promise<void>((done) => (admin ? admin.close(() => done()) : done()));
  await app.close();
  await engine.close();
  return 0;
}

export const serveOptionSpec = {
  host: { type: 'string' },
  port: { type: 'string' },
  ...serviceOptionSpec,
  'base-url': { type: 'string' },
  'trust-proxy': { type: 'string', multiple: true },
  'jobs-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  workers: { type: 'string' },
  processes: { type: 'string' },
  'oidc-issuer': { type: 'string', multiple: true },
  'oidc-audience': { type: 'string', multiple: true },
  'oidc-jwks': { type: 'string', multiple: true },
  'oidc-groups-claim': { type: 'string', multiple: true },
  'auth-config': { type: 'string' },
  'token-endpoint': { type: 'string' },
  'hide-proprietary-metadata': { type: 'boolean' },
} as const;

/**
 * The i-th --oidc-issuer with the i-th --oidc-audience and --oidc-jwks; a single
 * --oidc-groups-claim applies to every issuer given on the command line.
 */
function issuersFrom(values: OptionValues): OidcIssuerConfig[] {
  const issuers = listOption(values, 'oidc-issuer');
  const audiences = listOption(values, 'oidc-audience');
  const keys = listOption(values, 'oidc-jwks');
  const claims = listOption(values, 'oidc-groups-claim');
  const n = issuers.length;
  if (audiences.length !== n || keys.length !== n) {
    throw new UsageError(
      'give one --oidc-audience and one --oidc-jwks for each --oidc-issuer, in the same order',
    );
  }
  if (claims.length > 1 && claims.length !== n) {
    throw new UsageError('give --oidc-groups-claim once, or once for each --oidc-issuer');
  }
  return issuers.map((issuer, i) => {
    const groupsClaim = claims.length === 1 ? claims[0] : claims[i];
    return issuerConfig({
      issuer,
      audience: audiences[i] as string,
      ...jwksLocation(keys[i] as string),
      ...(groupsClaim ? { groupsClaim } : {}),
    });
  });
}

/** --auth-config, then the command-line options (which add issuers and override the rest). */
export function authSettingsFrom(values: OptionValues): AuthSettings | undefined {
  try {
    const file = stringOption(values, 'auth-config');
    const base: AuthSettings = file ? readAuthConfig(file) : { issuers: [] };
    const tokenEndpoint = stringOption(values, 'token-endpoint');
    if (tokenEndpoint !== undefined && !/^https?:\/\/\S+$/i.test(tokenEndpoint)) {
      throw new UsageError(`--token-endpoint must be an http(s) URL (got '${tokenEndpoint}')`);
    }
    const settings: AuthSettings = {
      ...base,
      issuers: [...base.issuers, ...issuersFrom(values)],
      ...(tokenEndpoint ? { tokenEndpoint } : {}),
      ...(values['hide-proprietary-metadata'] === true ? { hideMetadata: true } : {}),
    };
    const given =
      file !== undefined ||
      settings.issuers.length > 0 ||
      settings.tokenEndpoint !== undefined ||
      settings.hideMetadata === true;
    return given ? settings : undefined;
  } catch (error) {
    if (error instanceof AuthConfigError) throw new UsageError(error.message);
    throw error;
  }
}

export function serveSettingsFrom(values: OptionValues): ServeSettings {
  const jobsDir = stringOption(values, 'jobs-dir');
  const auth = authSettingsFrom(values);
  let logStyle: LogStyle;
  try {
    logStyle = logStyleFor(process.env, process.stdout.isTTY === true);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  // --processes, else `processes` of the service description (HEARC_PROCESSES).
  const service = serviceDescriptionFrom(values);
  return {
    ...(auth ? { auth } : {}),
    logStyle,
    host: stringOption(values, 'host') ?? '127.0.0.1',
    port: integerOption(values, 'port', 8080, 0),
    service,
    ...(jobsDir ? { jobsDir } : {}),
    workers: integerOption(values, 'workers', 2, 1),
    processes: processCount(service.processes),
  };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve a catalog over HTTP (TAP, VOSI)',
  usage: `usage: hearc serve --db CATALOG [--host HOST] [--port PORT] [--base-url URL]
                   [--workers N] [--processes N|auto]
                   [--oidc-issuer URL --oidc-audience AUD --oidc-jwks URL|FILE]...
                   [--auth-config FILE] [--token-endpoint URL] [--hide-proprietary-metadata]

options:
  --db CATALOG     catalog database (a DuckDB file, or a postgres:// URL)
  --host HOST      interface to listen on (default 127.0.0.1)
  --port PORT      port (default 8080; 0 picks a free one)
${serviceOptionsUsage}  --base-url URL   public URL of the service (e.g. behind a proxy); without it, URLs
                   follow each request's Host
  --trust-proxy IP take X-Forwarded-Host/Proto/Prefix from this peer (repeatable;
                   'loopback' for any local proxy)
  --jobs-dir DIR   folder of async TAP job results (default: jobs/ in the cache folder);
                   nodes sharing a PostgreSQL catalog must share it
  --cache-dir DIR  private cache folder (products, cutouts, results; mode 0700;
                   default: <catalog>.cache beside a DuckDB file, else
                   $XDG_CACHE_HOME/hearc/<hash of the catalog>)
  --workers N      async TAP jobs run at once by each process (default 2); each holds a
                   catalog connection while it runs (DuckDB has 4, PostgreSQL 10)
  --processes N|auto
                   processes answering on the port, so that concurrent requests use
                   every core (default 1; auto: one per CPU; config key 'processes').
                   PostgreSQL catalogs only: one process owns a DuckDB file

access (hearc API tokens from 'hearc token' are always accepted):
  --oidc-issuer URL        accept bearer JWTs from this OIDC issuer (repeatable; each
                           with its own --oidc-audience and --oidc-jwks, in order)
  --oidc-audience AUD      the audience its tokens must carry (this service's client id)
  --oidc-jwks URL|FILE     the issuer's signing keys: a JWKS URL or a local JWKS file
  --oidc-groups-claim NAME claim holding the user's groups (default groups); once for
                           all issuers, or once per issuer
  --auth-config FILE       JSON: {"issuers": [{"issuer", "audience", "jwksUrl" or
                           "jwksFile", "groupsClaim", "userClaim"}], "tokenEndpoint",
                           "hideProprietaryMetadata"}; command-line options add to it
  --token-endpoint URL     where clients get a token (access_url of the IVOA SSO
                           ivoa_bearer challenge in 401 answers)
  --hide-proprietary-metadata
                           also hide the ObsCore rows of data a caller may not read
`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { db: { type: 'string' }, ...serveOptionSpec },
      false,
    );
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const settings = { ...serveSettingsFrom(values), catalog: db };
    const role = serveProcessRole();
    const processes = settings.processes ?? 1;
    if (role === undefined && processes > 1) {
      if (!isPostgresLocation(db)) {
        throw new UsageError(
          `--processes ${processes} needs a PostgreSQL catalog: one process owns a DuckDB file, so no other process could answer from it; serve a postgres:// catalog to run several processes, or leave --processes at 1`,
        );
      }
      return superviseServeProcesses({
        args,
        processes,
        serving: (address) => servingLine(settings, address),
        io,
      });
    }
    return serveCatalog(await openEngine(db), settings, io, role);
  },
};

/** Runs a catalog command (ingest, rights, token) in this process, for the admin interface. */
async function runCatalogCommand(
  name: string,
  args: readonly string[],
  io: CommandIo,
): Promise<number> {
  const { commands } = await import('./commands.js');
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command '${name}'`);
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`hearc ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
