/**
 * SODA 1.0 {sync} at `/soda` (GET and POST form): a cutout of one event list as a
 * GADF FITS file, or a DALI error document (VOTable) with the status that fits.
 */
import { open } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { allowEveryone, type Authorize, DatasetCatalog } from '../datalink/index.js';
import type { Engine } from '../engine/types.js';
import { DaliError } from '../dali/index.js';
import {
  cutoutProduct,
  hasProvenanceLink,
  type ProductProvenance,
  type ProvNaming,
  type UserOf,
} from '../provenance/index.js';
import { SodaService } from '../soda/index.js';
import { acceptForms, daliParameters, sendDaliError } from './dali.js';

export interface SodaPluginOptions {
  readonly engine: Engine;
  /** The access gate of every data path (default: everything published is public). */
  readonly authorize?: Authorize;
  /** Private folder where cutouts are written while they are sent (the server's cache folder). */
  readonly workDir: string;
  /** Record each cutout's provenance (W3C PROV-AQ Link and PROV_URL card); off when absent. */
  readonly provenance?: {
    readonly products: ProductProvenance;
    readonly naming: (request: FastifyRequest) => ProvNaming;
    readonly userOf?: UserOf;
  };
}

export const sodaPlugin: FastifyPluginAsync<SodaPluginOptions> = async (app, options) => {
  const service = new SodaService({
    catalog: new DatasetCatalog(options.engine),
    workDir: options.workDir,
  });
  const authorize = options.authorize ?? allowEveryone;
  const provenance = options.provenance;

  acceptForms(app);

  app.route({
    method: ['GET', 'POST'],
    url: '/soda',
    handler: async (request, reply) => {
      let cutout;
      const pending = provenance?.products.begin('cutout', provenance.naming(request));
      try {
        cutout = await service.cutout(
          daliParameters(request).pairs(),
          authorize,
          request,
          pending?.url,
        );
      } catch (error) {
        if (!(error instanceof DaliError)) throw error;
        return sendDaliError(reply, error);
      }
      if (pending && provenance) {
        const user = await provenance.userOf?.(request);
        // Written behind the answer; /provenance waits for it if asked first.
        provenance.products
          .record(
            pending,
            cutoutProduct({
              did: cutout.did,
              fileName: cutout.fileName,
              parameters: cutout.parameters,
              eventsRead: cutout.summary.eventsRead,
              eventsKept: cutout.summary.eventsKept,
              ...(user !== undefined ? { user } : {}),
            }),
          )
          .catch((error: unknown) =>
            request.log.error({ err: error }, 'the provenance of a cutout was not recorded'),
          );
        reply.header('Link', hasProvenanceLink(pending.url));
      }
      const handle = await open(cutout.path, 'r').catch(async (error: unknown) => {
        await cutout.dispose();
        throw error;
      });
      const { size } = await handle.stat();
      const stream = handle.createReadStream({ autoClose: true });
      // The file goes once it has been sent (or the client went away).
      stream.once('close', () => void cutout.dispose());
      return reply
        .code(200)
        .type('application/fits')
        .header('Content-Length', String(size))
        .header('Content-Disposition', `inline; filename="${cutout.fileName}"`)
        .send(stream);
    },
  });
};
