/**
 * Quick-look previews at `/previews/<collection>/<obs_id>/<name>` (counts.png,
 * energy.png, lightcurve.png, counts.fits): GET and HEAD with ETag and ranges. A
 * preview is built on the first request that passes the access gate, then served
 * from the product cache.
 */
import type { FastifyPluginAsync } from 'fastify';
import {
  allowEveryone,
  type Authorize,
  DatasetCatalog,
  ProductCache,
  ProductSourceError,
  previewFile,
} from '../datalink/index.js';
import type { Engine } from '../engine/types.js';
import { PreviewError } from '../preview/index.js';
import { defaultProductCacheDir } from './datalink.js';
import { serveFile } from './files.js';

export interface PreviewPluginOptions {
  readonly engine: Engine;
  /** Folder of the product cache, shared with DataLink (default: as DataLink's). */
  readonly cacheDir?: string;
  /** The access gate of every data path (default: everything published is public). */
  readonly authorize?: Authorize;
}

export const previewPlugin: FastifyPluginAsync<PreviewPluginOptions> = async (app, options) => {
  const sources = {
    catalog: new DatasetCatalog(options.engine),
    products: new ProductCache(options.cacheDir ?? defaultProductCacheDir()),
  };
  const authorize = options.authorize ?? allowEveryone;

  app.route<{ Params: { collection: string; obsId: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/previews/:collection/:obsId/:name',
    handler: async (request, reply) => {
      const { collection, obsId, name } = request.params;
      try {
        const file = await previewFile(sources, collection, obsId, name);
        return await serveFile(request, reply, file, {
          authorize,
          fileName: `${collection}-${obsId}-${name}`,
        });
      } catch (error) {
        if (!(error instanceof ProductSourceError || error instanceof PreviewError)) throw error;
        return reply.code(404).type('text/plain; charset=utf-8').send(`${error.message}\n`);
      }
    },
  });
};
