/**
 * The counts HiPS under stable URLs: `/hips/<name>/properties`, `/Moc.fits`,
 * `/Norder3/Allsky.png` and `/NorderK/DirD/NpixN.{png,fits}`, where the name is
 * `service` or a collection; `/hips/hipslist` lists them (HiPS list). Public data only:
 * the store withholds a HiPS whose observations are no longer all open.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { HipsStore } from '../hips/index.js';

export interface HipsPluginOptions {
  readonly store: HipsStore;
  readonly baseUrl: (request: FastifyRequest) => string;
}

const TEXT = 'text/plain; charset=utf-8';

export const hipsPlugin: FastifyPluginAsync<HipsPluginOptions> = async (app, options) => {
  app.get('/hips/hipslist', async (request, reply) =>
    reply
      .header('Cache-Control', 'no-cache')
      .header('Access-Control-Allow-Origin', '*')
      .type(TEXT)
      .send(await options.store.hipsList(options.baseUrl(request))),
  );
  app.route<{ Params: { name: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/hips/:name/*',
    handler: async (request, reply) => {
      const file = await options.store.file(request.params.name, request.params['*']);
      if ('missing' in file) return reply.code(404).type(TEXT).send(`${file.missing}\n`);
      reply
        .header('Cache-Control', 'public, max-age=300, must-revalidate')
        .header('ETag', file.etag)
        .header('Access-Control-Allow-Origin', '*')
        .header('X-Content-Type-Options', 'nosniff')
        .type(file.type);
      if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
      return reply.send(file.body);
    },
  });
};
