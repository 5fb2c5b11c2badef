/**
 * The browser portal: the files Vite built into dist/web, served from memory with
 * gzip/brotli and caching (hashed assets immutable, pages revalidated), the page
 * routes of the URL contract (`/`, `/search`, `/obs/<collection>/<obs_id>`, `/adql`,
 * `/alerts`, `/alerts/<alert_id>`, `/login`), and `/service.json`, what the pages need
 * of the service description. The portal talks only to the public HTTP API, and to the
 * OIDC issuer configured for sign-in (the one other origin its CSP allows).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { OidcIssuerConfig } from '../auth/index.js';
import { type ServiceDescription, ServiceUrls } from '../service/index.js';

/** Paths of the portal's pages (each answers with the same index.html; the page reads the URL). */
export const PORTAL_PAGES = [
  '/',
  '/search',
  '/adql',
  '/login',
  '/obs/*',
  '/alerts',
  '/alerts/*',
] as const;

/** Where the portal signs people in: an OIDC issuer and the portal's public client there. */
export interface PortalSignIn {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
}

/** The first configured issuer that names a client id for the portal. */
export function portalSignInOf(issuers: readonly OidcIssuerConfig[]): PortalSignIn | undefined {
  const issuer = issuers.find((i) => i.clientId !== undefined);
  return issuer?.clientId === undefined
    ? undefined
    : { issuer: issuer.issuer, clientId: issuer.clientId, scope: issuer.scope ?? 'openid' };
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Everything the pages may load: this origin only (the portal works offline); with
 * sign-in, the issuer's origin too, for its discovery document and token request
 * (connect-src) and the sign-in form sent to it (form-action), and for nothing else.
 */
export function contentSecurityPolicy(signIn?: PortalSignIn): string {
  const issuer = signIn ? ` ${new URL(signIn.issuer).origin}` : '';
  return [
    "default-src 'self'",
    // Aladin Lite's WebAssembly is compiled from a data: URL inside its bundle.
    "script-src 'self' 'wasm-unsafe-eval'",
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' data: blob:${issuer}`,
    "worker-src 'self' blob:",
    `form-action 'self'${issuer}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip?: Buffer;
  readonly br?: Buffer;
  readonly etag: string;
  readonly immutable: boolean;
}

/** Compressed forms written at build time (`.compressed/<file>.br|.gz`; see src/web/vite.config.ts). */
const COMPRESSED_DIR = '.compressed';

interface Precompressed {
  readonly br?: Buffer;
  readonly gzip?: Buffer;
}

function staticFile(
  path: string,
  body: Buffer,
  immutable: boolean,
  built: Precompressed = {},
): StaticFile {
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/(json|wasm)|image\/svg)/.test(type);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  if (!compressible || body.length < 512) return { type, body, etag, immutable };
  return {
    type,
    body,
    etag,
    immutable,
    gzip: built.gzip ?? gzipSync(body),
    br: built.br ?? brotliCompressSync(body),
  };
}

/** The build's compressed forms of `name` under `root`, when it wrote them. */
function precompressed(root: string, name: string): Precompressed {
  const read = (suffix: string): Buffer | undefined => {
    const path = join(root, COMPRESSED_DIR, `${name}${suffix}`);
    return existsSync(path) ? readFileSync(path) : undefined;
  };
  const br = read('.br');
  const gzip = read('.gz');
  return { ...(br ? { br } : {}), ...(gzip ? { gzip } : {}) };
}

/** The built portal's folder: dist/web beside the sources, or beside the compiled server. */
export function defaultWebRoot(): string {
  const candidates = [
    fileURLToPath(new URL('../../dist/web', import.meta.url)), // src/http/web.ts (tsx)
    fileURLToPath(new URL('../../web', import.meta.url)), // dist/src/http/web.js
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => name.split(sep).join('/'));
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  reply
    .header('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('ETag', file.etag)
    .header('Vary', 'Accept-Encoding')
    .header('X-Content-Type-Options', 'nosniff')
    .type(file.type);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (file.br && /\bbr\b/.test(accepted)) {
    return reply.header('Content-Encoding', 'br').send(file.br);
  }
  if (file.gzip && /\bgzip\b/.test(accepted)) {
    return reply.header('Content-Encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

/** What the portal's pages show of the service: made from the one service description. */
export function portalServiceDocument(
  service: ServiceDescription,
  base: string,
  signIn?: PortalSignIn,
) {
  const urls = new ServiceUrls(base);
  return {
    title: service.title,
    shortName: service.shortName,
    description: service.description,
    publisher: service.publisher,
    creators: service.creators,
    contact: service.contact,
    rights: service.rights,
    licenceUrl: service.licenceUrl ?? null,
    referenceUrl: service.referenceUrl ?? null,
    subjects: service.subjects,
    collections: service.collections,
    limits: {
      defaultMaxrec: service.limits.defaultMaxrec,
      hardMaxrec: service.limits.hardMaxrec,
      syncTimeoutS: service.limits.syncTimeoutS,
    },
    software: service.software,
    signIn: signIn ?? null,
    urls: {
      base,
      tap: urls.tap(),
      capabilities: `${urls.tap()}/capabilities`,
      tables: `${urls.tap()}/tables`,
      availability: `${urls.tap()}/availability`,
      examples: `${urls.tap()}/examples`,
      datalink: urls.datalink(),
      soda: urls.soda(),
    },
  };
}

export interface WebPluginOptions {
  readonly service: ServiceDescription;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** Folder of the built portal (default: dist/web). */
  readonly root?: string;
  /** The OIDC issuers accepted: the first with a client id is offered on /login. */
  readonly issuers?: readonly OidcIssuerConfig[];
}

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, options) => {
  const signIn = portalSignInOf(options.issuers ?? []);
  const policy = contentSecurityPolicy(signIn);
  app.get('/service.json', async (request, reply) =>
    reply
      .header('Cache-Control', 'no-cache')
      .send(portalServiceDocument(options.service, options.baseUrl(request), signIn)),
  );

  const root = options.root ?? defaultWebRoot();
  const indexPath = join(root, 'index.html');
  if (!existsSync(indexPath)) {
    const notBuilt = `The web portal is not built (no ${indexPath}): run \`npm run build\`.\nThe VO endpoints work: /tap, /datalink, /soda.\n`;
    for (const page of PORTAL_PAGES) {
      app.get(page, async (_request, reply) =>
        reply.code(503).type('text/plain; charset=utf-8').send(notBuilt),
      );
    }
    return;
  }

  for (const name of filesUnder(root)) {
    // The build's compressed forms are sent for their files, not under their own names.
    if (name === 'index.html' || name.startsWith(`${COMPRESSED_DIR}/`)) continue;
    const file = staticFile(
      name,
      readFileSync(join(root, name)),
      name.startsWith('assets/'),
      precompressed(root, name),
    );
    app.route({
      method: ['GET', 'HEAD'],
      url: `/${name}`,
      handler: (request, reply) => send(request, reply, file),
    });
  }

  // One page for every route; <base> makes its relative asset and page links work under any prefix.
  const index = readFileSync(indexPath, 'utf8');
  const pages = new Map<string, StaticFile>();
  const pageFor = (base: string): StaticFile => {
    let page = pages.get(base);
    if (page === undefined) {
      const basePath = `${new URL(base).pathname.replace(/\/+$/, '')}/`;
      const html = index.replace(
        /<base href="[^"]*"\s*\/?>/,
        `<base href="${basePath.replace(/[&"<>]/g, '')}" />`,
      );
      page = staticFile('index.html', Buffer.from(html), false);
      if (pages.size < 64) pages.set(base, page);
    }
    return page;
  };
  for (const page of PORTAL_PAGES) {
    app.route({
      method: ['GET', 'HEAD'],
      url: page,
      handler: (request, reply) => {
        reply.header('Content-Security-Policy', policy);
        return send(request, reply, pageFor(options.baseUrl(request)));
      },
    });
  }
};
