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
  type DataLinkService,
  DatasetCatalog,
  ProductCache,
  ProductSourceError,
  previewFile,
} from '../datalink/index.js';
import type { Engine } from '../engine/types.js';
import { PreviewError } from '../preview/index.js';
import { productCacheDirOf, sendDatasetFile } from './datalink.js';

export interface PreviewPluginOptions {
  /** The DataLink service whose catalog and product cache previews share (the server passes it). */
  readonly service?: DataLinkService;
  readonly engine: Engine;
  /** Folder of the product cache, shared with DataLink (default: as DataLink's). */
  readonly cacheDir?: string;
  /** The access gate of every data path (default: everything published is public). */
  readonly authorize?: Authorize;
}

export const previewPlugin: FastifyPluginAsync<PreviewPluginOptions> = async (app, options) => {
  // One product cache with DataLink, so the event list a preview needs is built once.
  const sources = options.service ?? {
    catalog: new DatasetCatalog(options.engine),
    products: new ProductCache(productCacheDirOf(options)),
  };
  const authorize = options.authorize ?? allowEveryone;

  app.route<{ Params: { collection: string; obsId: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/previews/:collection/:obsId/:name',
    handler: async (request, reply) => {
      const { collection, obsId, name } = request.params;
      return sendDatasetFile(request, reply, () => previewFile(sources, collection, obsId, name), {
        authorize,
        fileName: `${collection}-${obsId}-${name}`,
        isMissing: (error) => error instanceof ProductSourceError || error instanceof PreviewError,
      });
    },
  });
};
