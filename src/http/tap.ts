/** TAP sync endpoint: parameters from GET or POST (form or multipart), result streamed. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DaliError, type DaliParameters } from '../dali/index.js';
import { prepareQuery, type QueryService, runQuery } from '../tap/query.js';
import { DEFAULT_UPLOAD_LIMITS, fetchUrlUploads } from '../tap/upload.js';
import type { ResultCompression } from '../service/index.js';
import { sendCompressible } from './compression.js';
import { daliParameters, sendDaliError, sendRequestError } from './dali.js';

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

/**
 * The sync time limit covers the whole response: a client still reading at the
 * deadline has its connection closed (the status is sent; nothing else can be said).
 */
function cutAtDeadline(request: FastifyRequest, reply: FastifyReply, deadline: number): void {
  const timer = setTimeout(
    () => {
      if (reply.raw.writableFinished) return;
      request.log.warn('sync response cut: the client was still reading at the time limit');
      reply.raw.destroy();
    },
    Math.max(0, deadline - Date.now()),
  );
  reply.raw.once('close', () => clearTimeout(timer));
}

export interface TapSyncOptions {
  readonly service: QueryService;
  /** The service as the caller of `request` may use it (access rights); default `service`. */
  readonly serviceFor?: (request: FastifyRequest) => Promise<QueryService>;
  /** Whether results go out compressed when the client accepts it (default 'auto'). */
  readonly compression?: ResultCompression;
}

export const tapSyncPlugin: FastifyPluginAsync<TapSyncOptions> = async (
  app,
  { service, serviceFor, compression },
) => {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const started = Date.now();
    let params: DaliParameters | undefined;
    const abort = new AbortController();
    // The client went away before the answer was complete: cancel the database query.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    try {
      params = daliParameters(request);
      const caller = serviceFor ? await serviceFor(request) : service;
      const prepared = prepareQuery(
        caller,
        await fetchUrlUploads(params, caller.limits.upload ?? DEFAULT_UPLOAD_LIMITS),
      );
      const result = await runQuery(caller, prepared, abort.signal);
      // Formats written whole before their first byte (FITS) can still fail with a status.
      const body = result.body[Symbol.asyncIterator]();
      const first = await body.next();
      cutAtDeadline(request, reply, started + caller.limits.timeoutMs);
      return sendCompressible(
        reply.code(200).type(result.contentType),
        Readable.from(resumed(first, body)),
        compression,
      );
    } catch (err) {
      if (err instanceof DaliError) {
        return sendDaliError(reply, err, { query: params?.all('QUERY')[0] });
      }
      request.log.error({ err }, 'TAP sync query failed');
      return sendDaliError(reply, new DaliError(500, 'internal error while running the query'));
    }
  };
  app.setErrorHandler(sendRequestError);
  app.get('/sync', handler);
  app.post('/sync', handler);
};
