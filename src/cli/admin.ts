/**
 * The local admin interface of a running `hearc serve`: a DuckDB catalog has one writer,
 * the server, so commands that use the catalog (ingest, withdraw, rights, token, registry, ...) hand their
 * arguments to the server through a Unix socket beside the catalog and the server runs
 * them on its own open catalog. The socket is the caller's proof of identity: it is
 * created mode 0600, so only the user running the server (and root) can connect.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { CommandIo } from './command.js';

/** Commands the server runs for a caller while it owns the catalog. */
export const CATALOG_COMMANDS: ReadonlySet<string> = new Set([
  'ingest',
  'withdraw',
  'events',
  'obscore',
  'rights',
  'token',
  'registry',
  'hips',
  'provenance',
  'audit',
  'alerts',
  'coincidence',
]);

/** Options whose values are paths, made absolute before they travel to the server. */
const PATH_OPTIONS = new Set(['--db', '--config', '--auth-config', '--output', '--cache-dir']);

// Unix socket paths are limited to about 104 bytes; long catalog paths use the temp folder.
const MAX_SOCKET_PATH = 100;

export function adminSocketPath(catalogPath: string): string {
  const beside = `${resolve(catalogPath)}.admin.sock`;
  if (beside.length <= MAX_SOCKET_PATH) return beside;
  const key = createHash('sha256').update(resolve(catalogPath)).digest('hex').slice(0, 16);
  return join(tmpdir(), `hearc-admin-${key}.sock`);
}

const isDuckDbFile = (db: string | undefined): db is string =>
  db !== undefined && db !== ':memory:' && !/^postgres(ql)?:\/\//i.test(db);

interface RunRequest {
  readonly command: string;
  readonly args: readonly string[];
}

interface RunAnswer {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export type CommandRunner = (
  command: string,
  args: readonly string[],
  io: CommandIo,
) => Promise<number>;

/** Serves the admin interface of the DuckDB catalog `catalogPath`; undefined for other catalogs. */
export async function startAdminInterface(
  catalogPath: string | undefined,
  run: CommandRunner,
): Promise<Server | undefined> {
  if (!isDuckDbFile(catalogPath)) return undefined;
  const socket = adminSocketPath(catalogPath);
  // A socket left by a server that died: nobody answers on it any more.
  if (existsSync(socket)) rmSync(socket, { force: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: RunRequest;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RunRequest;
          if (!CATALOG_COMMANDS.has(body.command) || !Array.isArray(body.args)) throw new Error();
        } catch {
          res
            .writeHead(400)
            .end('expected {"command": "ingest|rights|token|alerts", "args": [...]}\n');
          return;
        }
        let stdout = '';
        let stderr = '';
        const io: CommandIo = {
          stdout: (text) => void (stdout += text),
          stderr: (text) => void (stderr += text),
          stdin: async function* () {},
        };
        let exitCode: number;
        try {
          exitCode = await run(body.command, body.args, io);
        } catch (err) {
          stderr += `hearc ${body.command}: ${err instanceof Error ? err.message : String(err)}\n`;
          exitCode = 1;
        }
        const answer: RunAnswer = { stdout, stderr, exitCode };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      })();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(socket, () => done());
  });
  chmodSync(socket, 0o600);
  server.on('close', () => rmSync(socket, { force: true }));
  return server;
}

function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === name) return args[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/** Paths as the server must read them: the caller's working folder is not the server's. */
function absolutePaths(command: string, args: readonly string[]): string[] {
  const out: string[] = [];
  let pathValue = false;
  for (const arg of args) {
    if (pathValue) {
      out.push(isAbsolute(arg) ? arg : resolve(arg));
      pathValue = false;
      continue;
    }
    const [name, value] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (PATH_OPTIONS.has(name)) {
      if (value === undefined) pathValue = true;
      else {
        out.push(`${name}=${isAbsolute(value) ? value : resolve(value)}`);
        continue;
      }
      out.push(arg);
      continue;
    }
    // ingest's data store folder and the alerts' files are positional arguments.
    const positionalPaths = command === 'ingest' || command === 'alerts';
    out.push(positionalPaths && !arg.startsWith('-') && existsSync(arg) ? resolve(arg) : arg);
  }
  return out;
}

/**
 * Runs a catalog command inside the `hearc serve` that owns its DuckDB catalog, if one
 * does; undefined when none answers (the command then opens the catalog itself).
 */
export async function forwardToServer(
  command: string,
  args: readonly string[],
  io: CommandIo,
): Promise<number | undefined> {
  if (!CATALOG_COMMANDS.has(command)) return undefined;
  const db = optionValue(args, '--db');
  if (!isDuckDbFile(db)) return undefined;
  const socketPath = adminSocketPath(db);
  if (!existsSync(socketPath)) return undefined;
  const payload = JSON.stringify({ command, args: absolutePaths(command, args) });
  const answer = await new Promise<RunAnswer | undefined>((done) => {
    const req = request(
      { socketPath, path: '/run', method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            done(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RunAnswer);
          } catch {
            done(undefined);
          }
        });
      },
    );
    // Nobody listens (a server that died): run here.
    req.on('error', () => done(undefined));
    req.end(payload);
  });
  if (!answer) return undefined;
  io.stderr(`hearc ${command}: run by the hearc serve that owns ${db}\n`);
  io.stdout(answer.stdout);
  io.stderr(answer.stderr);
  return answer.exitCode;
}
