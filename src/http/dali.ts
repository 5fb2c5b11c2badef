/**
 * The protocol spine on the HTTP side: the one way a route reads its parameters (query
 * string, urlencoded or multipart body; names case-insensitive; malformed escapes a 400)
 * and the one way it answers an error (DaliError as the protocol's error document).
 * No route reads `request.query`/`request.body` or writes an error status otherwise
 * (test/http/spine.test.ts checks).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DaliError, DaliParameters, decodeUrlEncoded } from '../dali/index.js';
import { VOTABLE_VERSION } from '../tap/formats.js';
import { votableError } from '../votable/index.js';

const FORM = 'application/x-www-form-urlencoded';
export const VOTABLE = 'application/x-votable+xml';
const TEXT = 'text/plain; charset=utf-8';

/** The DALI parameters of a request: its query string, then its form body. */
export function daliParameters(request: FastifyRequest): DaliParameters {
  const url = request.raw.url ?? request.url;
  const start = url.indexOf('?');
  const query = DaliParameters.fromUrlEncoded(
    start < 0 ? '' : url.slice(start + 1),
    'the query string',
  );
  const body: unknown = request.body;
  if (typeof body === 'string') {
    return query.merged(DaliParameters.fromUrlEncoded(body, 'the form body'));
  }
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    // Multipart: fields (and UPLOAD parts read as text) as a record.
    return query.merged(DaliParameters.fromRecord(body as Record<string, unknown>));
  }
  return query;
}

/** A document a request carries: its whole body, or one part of a multipart form. */
export interface RequestDocument {
  readonly bytes: Uint8Array;
  /** 'request body', or the part's field name. */
  readonly name: string;
  /** The Content-Type of the body; absent for multipart parts. */
  readonly contentType?: string;
}

/**
 * The documents a POST carries (for routes whose body is data, not parameters): the
 * body read as bytes, or each part of a multipart form (file parts as bytes when the
 * route keeps them so, else text). A request without one is a 400.
 */
export function requestDocuments(request: FastifyRequest): RequestDocument[] {
  const body: unknown = request.body;
  if (Buffer.isBuffer(body)) {
    if (body.length === 0) throw new DaliError(400, 'the request body is empty: send a document');
    return [
      { bytes: body, name: 'request body', contentType: request.headers['content-type'] ?? '' },
    ];
  }
  if (typeof body === 'object' && body !== null) {
    const documents = Object.entries(body as Record<string, unknown>).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => ({
        bytes: Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'),
        name: `part '${name}'`,
      })),
    );
    if (documents.length > 0) return documents;
    throw new DaliError(400, 'the multipart form holds no part: send each document as a part');
  }
  throw new DaliError(400, 'the request has no body: send a document');
}

/**
 * The parameters of a request with their names as sent, for protocols whose names are
 * case-sensitive (OAI-PMH): the query string, then a urlencoded form body.
 */
export function exactParameters(request: FastifyRequest): [string, string][] {
  const url = request.raw.url ?? request.url;
  const start = url.indexOf('?');
  const pairs = decodeUrlEncoded(start < 0 ? '' : url.slice(start + 1), 'the query string');
  const body: unknown = request.body;
  if (typeof body === 'string') pairs.push(...decodeUrlEncoded(body, 'the form body'));
  return pairs;
}

/** Takes urlencoded forms as text, for daliParameters to decode strictly. */
export function acceptForms(app: FastifyInstance): void {
  if (!app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
  }
}

export interface ErrorDocumentOptions {
  /** 'votable' (DALI error document, the default) or 'text' (UWS job resources). */
  readonly format?: 'votable' | 'text';
  /** The query, echoed in a VOTable error document (TAP). */
  readonly query?: string | undefined;
}

/** The DALI error document (VOTable, QUERY_STATUS=ERROR) of a message. */
export function daliErrorDocument(message: string, query?: string): string {
  return votableError(message, {
    version: VOTABLE_VERSION,
    ...(query !== undefined ? { query } : {}),
  });
}

/** Answers `error` as the protocol's error document with its status (and challenges). */
export function sendDaliError(
  reply: FastifyReply,
  error: DaliError,
  options: ErrorDocumentOptions = {},
): FastifyReply {
  // 499 (the client went away) is no HTTP status a client can see.
  const status = error.status === 499 ? 400 : error.status;
  if (error.challenges) reply.header('WWW-Authenticate', error.challenges);
  if (error.retryAfterS !== undefined) reply.header('Retry-After', String(error.retryAfterS));
  reply.code(status);
  if (options.format === 'text') return reply.type(TEXT).send(`${error.message}\n`);
  return reply.type(VOTABLE).send(daliErrorDocument(error.message, options.query));
}

/**
 * Failures Fastify meets before a route runs (unreadable bodies, multipart limits, a
 * malformed query string) as DALI error documents instead of Fastify's JSON.
 */
export function sendRequestError(
  error: Error & { statusCode?: number; code?: string },
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof DaliError) return sendDaliError(reply, error);
  const status = error.statusCode ?? 500;
  if (status >= 500) throw error;
  const message =
    error.code === 'FST_REQ_FILE_TOO_LARGE'
      ? 'an uploaded part is larger than the upload limit of this service (see uploadLimit in /tap/capabilities)'
      : `the request could not be read: ${error.message}`;
  return sendDaliError(reply, new DaliError(status, message));
}
