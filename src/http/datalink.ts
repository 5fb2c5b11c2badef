/**
 * DataLink {links} at `/datalink` (GET and POST form), the products it links to at
 * `/products/<collection>/<obs_id>/<name>`, and the data store files at `/files/...`.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../engine/types.js';
import {
  allowEveryone,
  type Authorize,
  DataLinkService,
  type DatasetService,
  ProductSourceError,
  type ServableFile,
} from '../datalink/index.js';
import { acceptForms, daliParameters } from './dali.js';
import { filesPlugin, serveFile } from './files.js';

export interface DataAccessOptions {
  /** The DataLink service to serve; built from the options below when not given. */
  readonly service?: DataLinkService;
  readonly engine: Engine;
  /** The service's public URL as the caller of `request` reaches it (for access_url). */
  readonly baseUrl: (request: FastifyRequest) => string;
  /** Private folder of the product cache (the server's cache folder; needed without `service`). */
  readonly cacheDir?: string;
  /** The access gate of every data path (default: everything published is public). */
  readonly authorize?: Authorize;
  /** Services linked from every dataset with a service descriptor (e.g. SODA cutouts). */
  readonly services?: readonly DatasetService[];
}

/** The product cache folder the options name: never a shared default in the temporary folder. */
export function productCacheDirOf(options: { readonly cacheDir?: string | undefined }): string {
  if (options.cacheDir === undefined)
    throw new Error('a product cache folder (cacheDir) is required: products may be proprietary');
  return options.cacheDir;
}

/** The DataLink service the options describe: one catalog and one product cache. */
export function dataLinkServiceFor(options: DataAccessOptions): DataLinkService {
  return (
    options.service ??
    new DataLinkService({
      engine: options.engine,
      cacheDir: productCacheDirOf(options),
      ...(options.services ? { services: options.services } : {}),
    })
  );
}

/**
 * Serves one file of a dataset (a product or a preview) through the access gate;
 * a file that cannot be found or built is a 404 naming why.
 */
export async function sendDatasetFile(
  request: FastifyRequest,
  reply: FastifyReply,
  find: () => Promise<ServableFile | undefined>,
  options: {
    readonly authorize: Authorize;
    readonly fileName: string;
    readonly isMissing: (error: unknown) => boolean;
  },
): Promise<FastifyReply> {
  try {
    return await serveFile(request, reply, await find(), {
      authorize: options.authorize,
      fileName: options.fileName,
    });
  } catch (error) {
    if (!options.isMissing(error)) throw error;
    return reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send(`${(error as Error).message}\n`);
  }
}

export const dataAccessPlugin: FastifyPluginAsync<DataAccessOptions> = async (app, options) => {
  const service = dataLinkServiceFor(options);
  const authorize = options.authorize ?? allowEveryone;

  acceptForms(app);

  app.route({
    method: ['GET', 'POST'],
    url: '/datalink',
    handler: async (request, reply) => {
      const response = await service.links(
        daliParameters(request).pairs(),
        options.baseUrl(request),
        {
          authorize,
          request,
        },
      );
      return reply.code(response.status).type(response.contentType).send(response.body);
    },
  });

  app.route<{ Params: { collection: string; obsId: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/products/:collection/:obsId/:name',
    handler: async (request, reply) => {
      const { collection, obsId, name } = request.params;
      return sendDatasetFile(request, reply, () => service.product(collection, obsId, name), {
        authorize,
        fileName: `${collection}-${obsId}-${name}`,
        isMissing: (error) => error instanceof ProductSourceError,
      });
    },
  });

  await app.register(filesPlugin, { service, authorize });
};
