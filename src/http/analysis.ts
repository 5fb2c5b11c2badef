/**
 * GET/POST /analysis/sync: a small map dataset answered at once (the MapDataset FITS
 * file); larger ones go through the UWS job list at /analysis/async (registered with
 * the shared job system). Parameters through the spine, errors as DALI documents.
 */
import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import {
  type AnalysisLimits,
  checkIrfRanges,
  FITS_MEDIA_TYPE,
  makeMapDataset,
  mapDatasetRequest,
  selectDatasets,
  checkSpectrumRequest,
  makeSpectrum,
  SPECTRUM_MEDIA_TYPE,
  spectrumRequest,
} from '../analysis/index.js';
import { DaliError } from '../dali/index.js';
import { type Authorize, DatasetCatalog } from '../datalink/index.js';
import type { Engine } from '../engine/index.js';
import { acceptForms, daliParameters, sendDaliError } from './dali.js';

export interface AnalysisPluginOptions {
  readonly engine: Engine;
  readonly authorize: Authorize;
  readonly limits: AnalysisLimits;
  /** Runs a sync request may reduce. */
  readonly syncMaxRuns: number;
  /** Private folder for the files being made. */
  readonly workDir: string;
}

export const analysisPlugin: FastifyPluginAsync<AnalysisPluginOptions> = async (app, options) => {
  const catalog = new DatasetCatalog(options.engine);
  acceptForms(app);
  app.route({
    method: ['GET', 'POST'],
    url: '/analysis/sync',
    handler: async (request, reply) => {
      let dir: string | undefined;
      try {
        const asked = mapDatasetRequest(daliParameters(request), options.limits);
        if (asked.ids.length > options.syncMaxRuns) {
          throw new DaliError(
            400,
            `${asked.ids.length} datasets are more than a sync request reduces (${options.syncMaxRuns}): use /analysis/async`,
          );
        }
        const datasets = await selectDatasets(catalog, asked.ids, (did) =>
          options.authorize(request, did),
        );
        await checkIrfRanges(datasets, asked);
        dir = await mkdtemp(join(options.workDir, 'analysis-'));
        const path = join(dir, 'mapdataset.fits');
        const gone = new AbortController();
        reply.raw.on('close', () => gone.abort());
        await makeMapDataset(datasets, asked, { fits: path }, { signal: gone.signal });
        const file = createReadStream(path);
        const folder = dir;
        file.on('close', () => void rm(folder, { recursive: true, force: true }));
        dir = undefined;
        return reply
          .type(FITS_MEDIA_TYPE)
          .header('Content-Disposition', 'attachment; filename="mapdataset.fits"')
          .send(file);
      } catch (error) {
        if (error instanceof DaliError) return sendDaliError(reply, error);
        throw error;
      } finally {
        if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      }
    },
  });
  // The spectrum of an ON region: the VOTable of the fit and flux points.
  app.route({
    method: ['GET', 'POST'],
    url: '/analysis/spectrum/sync',
    handler: async (request, reply) => {
      let dir: string | undefined;
      try {
        const asked = spectrumRequest(daliParameters(request), options.limits);
        syncSized(asked.ids.length, options.syncMaxRuns, '/analysis/spectrum/async');
        const datasets = await selectDatasets(catalog, asked.ids, (did) =>
          options.authorize(request, did),
        );
        await checkSpectrumRequest(datasets, asked);
        dir = await mkdtemp(join(options.workDir, 'spectrum-'));
        const path = join(dir, 'spectrum.xml');
        await makeSpectrum(datasets, asked, { votable: path }, { signal: closed(reply) });
        const folder = dir;
        dir = undefined;
        return sendFile(reply, path, folder, SPECTRUM_MEDIA_TYPE, 'spectrum.xml');
      } catch (error) {
        if (error instanceof DaliError) return sendDaliError(reply, error);
        throw error;
      } finally {
        if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      }
    },
  });
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

/** Sends a made file as an attachment, removing its folder once sent. */
function sendFile(
  reply: FastifyReply,
  path: string,
  folder: string,
  type: string,
  name: string,
): FastifyReply {
  const file = createReadStream(path);
  file.on('close', () => void rm(folder, { recursive: true, force: true }));
  return reply
    .type(type)
    .header('Content-Disposition', `attachment; filename="${name}"`)
    .send(file);
}
