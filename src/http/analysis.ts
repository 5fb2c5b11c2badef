/**
 * GET/POST /analysis/sync: a small map dataset answered at once (the MapDataset FITS
 * file), /analysis/spectrum/sync and /analysis/lightcurve/sync the same for spectra and
 * light curves (their VOTable); each names its provenance in a PROV-AQ Link header.
 * Larger requests go through the UWS job lists at /analysis/async,
 * /analysis/spectrum/async and /analysis/lightcurve/async (registered with the shared
 * job system). Parameters through the spine, errors as DALI documents.
 */
import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  type AnalysisCache,
  type AnalysisLimits,
  type DatasetSelector,
  FITS_MEDIA_TYPE,
  mapDatasetRequest,
  PRODUCT_FILES,
  produceMapDataset,
  requestedDatasets,
  selectDatasets,
  type Dl5Product,
  LIGHTCURVE_PRODUCT,
  SPECTRUM_MEDIA_TYPE,
  SPECTRUM_PRODUCT,
  type SpectrumRequest,
} from '../analysis/index.js';
import { DaliError } from '../dali/index.js';
import { type Authorize, DatasetCatalog } from '../datalink/index.js';
import type { Engine } from '../engine/index.js';
import {
  hasProvenanceLink,
  type PendingProduct,
  type ProductDescription,
  type ProductProvenance,
  type ProvNaming,
  recordedParameters,
  type UserOf,
} from '../provenance/index.js';
import { acceptForms, daliParameters, sendDaliError } from './dali.js';

export interface AnalysisPluginOptions {
  readonly engine: Engine;
  readonly authorize: Authorize;
  readonly limits: AnalysisLimits;
  /** Runs a sync request may reduce. */
  readonly syncMaxRuns: number;
  /** Private folder for the files being made. */
  readonly workDir: string;
  /** Finished products reused by identical requests; none: no cache. */
  readonly cache?: { readonly store: AnalysisCache; readonly software: string };
  /** QUERY selections with the caller's rights; none: QUERY is refused. */
  readonly selectorFor?: (request: FastifyRequest) => Promise<DatasetSelector>;
  /** Record each product's provenance (PROV-AQ Link); off when absent. */
  readonly provenance?: {
    readonly products: ProductProvenance;
    readonly naming: (request: FastifyRequest) => ProvNaming;
    readonly userOf?: UserOf;
  };
}

export const analysisPlugin: FastifyPluginAsync<AnalysisPluginOptions> = async (app, options) => {
  const catalog = new DatasetCatalog(options.engine);
  const provenance = options.provenance;
  /**
   * Records the provenance of a product answered at once, behind the answer (/provenance
   * waits for it if asked first), and names it in a PROV-AQ Link header.
   */
  const recordSync = async (
    request: FastifyRequest,
    reply: FastifyReply,
    pending: PendingProduct | undefined,
    startedAt: Date,
    product: Omit<ProductDescription, 'user'>,
  ): Promise<void> => {
    if (!pending || !provenance) return;
    const user = await provenance.userOf?.(request);
    // Queued before the answer goes, so that /provenance finds it on its way.
    provenance.products
      .record({ ...pending, startedAt }, { ...product, ...(user !== undefined ? { user } : {}) })
      .catch((error: unknown) =>
        request.log.error({ err: error }, `the provenance of a ${product.kind} was not recorded`),
      );
    reply.header('Link', hasProvenanceLink(pending.url));
  };
  acceptForms(app);
  app.route({
    method: ['GET', 'POST'],
    url: '/analysis/sync',
    handler: async (request, reply) => {
      const pending = provenance?.products.begin('mapdataset', provenance.naming(request));
      try {
        const params = daliParameters(request);
        const asked = mapDatasetRequest(params, options.limits);
        if (asked.perRun) {
          throw new DaliError(
            400,
            'PER_RUN=true makes several files: use /analysis/async (results mapdataset-<obs_id> and datasets)',
          );
        }
        const signal = closed(reply);
        const selector = await options.selectorFor?.(request);
        const datasets = await requestedDatasets(
          asked,
          catalog,
          (did) => options.authorize(request, did),
          {
            maxRuns: Math.min(options.syncMaxRuns, options.limits.maxRuns),
            signal,
            ...(selector ? { selector } : {}),
            tooMany: (count) =>
              `the selection has ${count} datasets; a sync request reduces at most ${options.syncMaxRuns}: use /analysis/async`,
          },
        );
        const startedAt = new Date();
        const product = await produceMapDataset(datasets, asked, {
          workDir: options.workDir,
          ...(options.cache ? { cache: options.cache } : {}),
          signal,
        });
        await recordSync(request, reply, pending, startedAt, {
          kind: 'mapdataset',
          name: 'mapdataset.fits',
          annotation: `Stacked map dataset of ${datasets.length} runs${product.fromCache ? ' (an identical earlier product reused)' : ''}`,
          contentType: FITS_MEDIA_TYPE,
          inputs: datasets.map((d) => ({ id: d.did, role: 'event list' })),
          parameters: recordedParameters(params.pairs()),
        });
        return sendFile(
          reply,
          join(product.dir, PRODUCT_FILES.fits),
          FITS_MEDIA_TYPE,
          'mapdataset.fits',
          () => void product.dispose(),
        );
      } catch (error) {
        if (error instanceof DaliError) return sendDaliError(reply, error);
        throw error;
      }
    },
  });
  /**
   * A DL5 product answered at once as its VOTable: the request read and checked, the
   * runs' rights and IRFs checked before any work, the product made in a private folder
   * removed once sent, its provenance recorded.
   */
  const dl5Route = <R extends SpectrumRequest>(product: Dl5Product<R>) =>
    app.route({
      method: ['GET', 'POST'],
      url: `/analysis/${product.kind}/sync`,
      handler: async (request, reply) => {
        const pending = provenance?.products.begin(product.kind, provenance.naming(request));
        let dir: string | undefined;
        try {
          const params = daliParameters(request);
          const asked = product.read(params, options.limits);
          syncSized(asked.ids.length, options.syncMaxRuns, `/analysis/${product.kind}/async`);
          const datasets = await selectDatasets(catalog, asked.ids, (did) =>
            options.authorize(request, did),
          );
          await product.check(datasets, asked);
          const startedAt = new Date();
          dir = await mkdtemp(join(options.workDir, `${product.kind}-`));
          const name = `${product.kind}.xml`;
          const path = join(dir, name);
          await product.make(datasets, asked, { votable: path }, { signal: closed(reply) });
          await recordSync(request, reply, pending, startedAt, {
            kind: product.kind,
            name,
            annotation: `${product.annotation} (${datasets.length} runs)`,
            contentType: SPECTRUM_MEDIA_TYPE,
            inputs: datasets.map((d) => ({ id: d.did, role: 'event list' })),
            parameters: recordedParameters(params.pairs()),
          });
          const folder = dir;
          dir = undefined;
          return sendFile(
            reply,
            path,
            SPECTRUM_MEDIA_TYPE,
            name,
            () => void rm(folder, { recursive: true, force: true }),
          );
        } catch (error) {
          if (error instanceof DaliError) return sendDaliError(reply, error);
          throw error;
        } finally {
          if (dir !== undefined) await rm(dir, { recursive: true, force: true });
        }
      },
    });
  dl5Route(SPECTRUM_PRODUCT);
  dl5Route(LIGHTCURVE_PRODUCT);
};

function syncSized(runs: number, max: number, asyncPath: string): void {
  if (runs > max) {
    throw new DaliError(
      400,
      `${runs} datasets are more than a sync request reduces (${max}): use ${asyncPath}`,
    );
  }
}

/** Aborts when the client goes away. */
function closed(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => gone.abort());
  return gone.signal;
}

/** Sends a made file as an attachment, calling `done` once it is sent (or the send fails). */
function sendFile(
  reply: FastifyReply,
  path: string,
  type: string,
  name: string,
  done: () => void,
): FastifyReply {
  const file = createReadStream(path);
  file.on('close', done);
  return reply
    .type(type)
    .header('Content-Disposition', `attachment; filename="${name}"`)
    .send(file);
}
