/** TAP sync endpoint: parameters from GET or POST (form or multipart), result streamed. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TapError, TapParameters } from '../tap/params.js';
import { prepareQuery, type QueryService, runQuery } from '../tap/query.js';
import { VOTABLE_VERSION } from '../tap/formats.js';
import { DEFAULT_UPLOAD_LIMITS, fetchUrlUploads } from '../tap/upload.js';
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

/** Request-level failures (multipart limits, bad bodies) as VOTable errors, not Fastify's JSON. */
export function sendRequestError(
  error: Error & { statusCode?: number; code?: string },
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const status = error.statusCode ?? 500;
  if (status >= 500) throw error;
  const message =
    error.code === 'FST_REQ_FILE_TOO_LARGE'
      ? 'an uploaded part is larger than the upload limit of this service (see uploadLimit in /tap/capabilities)'
      : `the request could not be read: ${error.message}`;
  return sendTapError(reply, new TapError(status, message));
}

async function* resumed(
  first: IteratorResult<Buffer>,
  rest: AsyncIterator<Buffer>,
): AsyncGenerator<Buffer> {
  try {
    if (first.done) return;
    yield first.value;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  } finally {
    // A client that went away: let the result's own cleanup run (cursor, upload tables).
    await rest.return?.();
  }
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
      const prepared = prepareQuery(
        caller,
        await fetchUrlUploads(params, caller.limits.upload ?? DEFAULT_UPLOAD_LIMITS),
      );
      const result = await runQuery(caller, prepared, abort.signal);
      // Formats written whole before their first byte (FITS) can still fail with a status.
      const body = result.body[Symbol.asyncIterator]();
      const first = await body.next();
      return reply
        .code(200)
        .type(result.contentType)
        .send(Readable.from(resumed(first, body)));
    } catch (err) {
      if (err instanceof TapError) return sendTapError(reply, err, params.all('QUERY')[0]);
      request.log.error({ err }, 'TAP sync query failed');
      return sendTapError(reply, new TapError(500, 'internal error while running the query'));
    }
  };
  app.setErrorHandler(sendRequestError);
  app.get('/sync', handler);
  app.post('/sync', handler);
};
