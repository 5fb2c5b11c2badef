/** TAP sync endpoint: parameters from GET or POST (form or multipart), result streamed. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TapError, TapParameters } from '../tap/params.js';
import { prepareQuery, type QueryService, runQuery } from '../tap/query.js';
import { VOTABLE_VERSION } from '../tap/formats.js';
import { votableError } from '../votable/index.js';

const VOTABLE = 'application/x-votable+xml';

export function sendTapError(reply: FastifyReply, err: TapError, query?: string): FastifyReply {
  const status = err.status === 499 ? 400 : err.status;
  return reply
    .code(status)
    .type(VOTABLE)
    .send(votableError(err.message, { version: VOTABLE_VERSION, ...(query ? { query } : {}) }));
}

/** The TAP parameters of a request: query string plus form body. */
export function tapParameters(request: FastifyRequest): TapParameters {
  const query = TapParameters.fromRecord(request.query as Record<string, unknown>);
  const body = request.body;
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body)
    ? query.merged(TapParameters.fromRecord(body as Record<string, unknown>))
    : query;
}

export interface TapSyncOptions {
  readonly service: QueryService;
  /** The service as the caller of `request` may use it (access rights); default `service`. */
  readonly serviceFor?: (request: FastifyRequest) => Promise<QueryService>;
}

export const tapSyncPlugin: FastifyPluginAsync<TapSyncOptions> = async (
  app,
  { service, serviceFor },
) => {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const params = tapParameters(request);
    const abort = new AbortController();
    // The client went away before the answer was complete: cancel the database query.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    try {
      const caller = serviceFor ? await serviceFor(request) : service;
      const prepared = prepareQuery(caller, params);
      const result = await runQuery(caller, prepared, abort.signal);
      return reply.code(200).type(result.contentType).send(Readable.from(result.body));
    } catch (err) {
      if (err instanceof TapError) return sendTapError(reply, err, params.all('QUERY')[0]);
      request.log.error({ err }, 'TAP sync query failed');
      return sendTapError(reply, new TapError(500, 'internal error while running the query'));
    }
  };
  app.get('/sync', handler);
  app.post('/sync', handler);
};
