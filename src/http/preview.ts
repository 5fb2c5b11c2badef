/**
 * Quick-look previews at `/previews/<collection>/<obs_id>/<name>` (counts.png,
 * energy.png, lightcurve.png, counts.fits): GET and HEAD with ETag and ranges. A
 * preview is built on the first request that passes the access gate, then served
 * from the product cache.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
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
import {
  hasProvenanceLink,
  type ProductProvenance,
  provenanceUrl,
  type ProvNaming,
} from '../provenance/index.js';
import { productCacheDirOf, sendDatasetFile } from './datalink.js';

export interface PreviewPluginOptions {
  /** The DataLink service whose catalog and product cache previews share (the server passes it). */
  readonly service?: DataLinkService;
  readonly engine: Engine;
  /** Folder of the product cache, shared with DataLink (default: as DataLink's). */
  readonly cacheDir?: string;
  /** The access gate of every data path (default: everything published is public). */
  readonly authorize?: Authorize;
  /** Record each preview's provenance and name it (PROV-AQ Link); off when absent. */
  readonly provenance?: {
    readonly products: ProductProvenance;
    readonly naming: (request: FastifyRequest) => ProvNaming;
  };
}

export const previewPlugin: FastifyPluginAsync<PreviewPluginOptions> = async (app, options) => {
  // One product cache with DataLink, so the event list a preview needs is built once.
  const sources = options.service ?? {
    catalog: new DatasetCatalog(options.engine),
    products: new ProductCache(productCacheDirOf(options)),
  };
  const authorize = options.authorize ?? allowEveryone;
  const provenance = options.provenance;

  app.route<{ Params: { collection: string; obsId: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/previews/:collection/:obsId/:name',
    handler: async (request, reply) => {
      const { collection, obsId, name } = request.params;
      const find = async () => {
        const file = await previewFile(sources, collection, obsId, name);
        if (!file || !provenance) return file;
        const entityId = `/previews/${[collection, obsId, name].map(encodeURIComponent).join('/')}`;
        const [did] = file.dids;
        return {
          ...file,
          // Once the gate let the request through and the preview exists.
          path: async () => {
            const path = await file.path();
            await provenance.products.recordOnce(entityId, {
              kind: 'preview',
              name: `${name} of observation ${obsId}`,
              annotation: `Preview ${name} made from the event list of observation ${obsId}`,
              location: entityId,
              inputs: did !== undefined ? [{ id: did, role: 'event list' }] : [],
              parameters: [{ name: 'name', value: name }],
              ...(did !== undefined ? { did } : {}),
            });
            const url = provenanceUrl(provenance.naming(request), entityId);
            reply.header('Link', hasProvenanceLink(url));
            return path;
          },
        };
      };
      return sendDatasetFile(request, reply, find, {
        authorize,
        fileName: `${collection}-${obsId}-${name}`,
        isMissing: (error) => error instanceof ProductSourceError || error instanceof PreviewError,
      });
    },
  });
};
