/**
 * DataLink {links} at `/datalink` (GET and POST form), the products it links to at
 * `/products/<collection>/<obs_id>/<name>`, and the data store files at `/files/...`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Engine } from '../engine/types.js';
import {
  allowEveryone,
  type Authorize,
  DataLinkService,
  type DatasetService,
  ProductSourceError,
} from '../datalink/index.js';
import { filesPlugin, serveFile } from './files.js';

const FORM = 'application/x-www-form-urlencoded';

export interface DataAccessOptions {
  readonly engine: Engine;
  /** Public base URL of the service, for access_url. */
  readonly baseUrl: string;
  /** Folder of the product cache (default: hearc-products-<uid> in the OS temporary folder). */
  readonly cacheDir?: string;
  /** The access gate of every data path (default: everything published is public). */
  readonly authorize?: Authorize;
  /** Services linked from every dataset with a service descriptor (e.g. SODA cutouts). */
  readonly services?: readonly DatasetService[];
}

export function defaultProductCacheDir(): string {
  return join(tmpdir(), `hearc-products-${process.getuid?.() ?? 'user'}`);
}

/** Request parameters in order: the query string, then a POSTed form. */
export function requestParameters(request: FastifyRequest): [string, string][] {
  const params = [...new URL(request.url, 'http://localhost').searchParams.entries()];
  const body: unknown = request.body;
  if (typeof body === 'string') params.push(...new URLSearchParams(body).entries());
  else if (body !== null && typeof body === 'object') {
    // A form parser registered elsewhere hands over an object of strings or arrays.
    for (const [name, value] of Object.entries(body)) {
      for (const v of Array.isArray(value) ? value : [value]) params.push([name, String(v)]);
    }
  }
  return params;
}

/** Lets a plugin take POSTed forms when no form parser is registered above it. */
export function acceptForms(app: FastifyInstance): void {
  if (!app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
  }
}

export const dataAccessPlugin: FastifyPluginAsync<DataAccessOptions> = async (app, options) => {
  const service = new DataLinkService({
    engine: options.engine,
    baseUrl: options.baseUrl,
    cacheDir: options.cacheDir ?? defaultProductCacheDir(),
    ...(options.services ? { services: options.services } : {}),
  });
  const authorize = options.authorize ?? allowEveryone;

  acceptForms(app);

  app.route({
    method: ['GET', 'POST'],
    url: '/datalink',
    handler: async (request, reply) => {
      const response = await service.links(requestParameters(request), { authorize, request });
      return reply.code(response.status).type(response.contentType).send(response.body);
    },
  });

  app.route<{ Params: { collection: string; obsId: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/products/:collection/:obsId/:name',
    handler: async (request, reply) => {
      const { collection, obsId, name } = request.params;
      try {
        const product = await service.product(collection, obsId, name);
        return await serveFile(request, reply, product, {
          authorize,
          fileName: `${collection}-${obsId}-${name}`,
        });
      } catch (error) {
        if (!(error instanceof ProductSourceError)) throw error;
        return reply.code(404).type('text/plain; charset=utf-8').send(`${error.message}\n`);
      }
    },
  });

  await app.register(filesPlugin, { service, authorize });
};
