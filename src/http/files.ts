/**
 * Serving files over HTTP: Content-Length, ETag and Last-Modified with 304 answers
 * to If-None-Match / If-Modified-Since, single byte ranges (206, 416), HEAD. Used for
 * the data store files (`/files/<collection>/<path>`) and the DataLink products.
 */
import { open } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Authorize,
  type DataLinkService,
  fileContentType,
  mayReadAny,
  type ServableFile,
} from '../datalink/index.js';

const TEXT = 'text/plain; charset=utf-8';

export type ByteRange =
  | { readonly kind: 'whole' }
  | { readonly kind: 'part'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * The part of a `size`-byte file a Range header asks for (RFC 9110 §14). Anything
 * other than one well-formed bytes range is ignored and the whole file is sent.
 */
export function byteRange(header: string | undefined, size: number): ByteRange {
  const match = header?.trim().match(/^bytes=\s*(\d*)-(\d*)\s*$/i);
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end };
}

function entityTag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** If-None-Match with the weak comparison (RFC 9110 §13.1.2). */
function tagListMatches(list: string, etag: string): boolean {
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
  return list.trim() === '*' || list.split(',').some((tag) => bare(tag) === bare(etag));
}

function notModified(request: FastifyRequest, etag: string, modifiedSeconds: number): boolean {
  const noneMatch = request.headers['if-none-match'];
  if (noneMatch !== undefined) return tagListMatches(noneMatch, etag);
  const since = Date.parse(request.headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && modifiedSeconds * 1000 <= since;
}

/** If-Range: the range applies only while the file is still the one the client has. */
function rangeStillValid(request: FastifyRequest, etag: string, lastModified: string): boolean {
  const ifRange = request.headers['if-range'];
  if (ifRange === undefined) return true;
  const value = String(ifRange).trim();
  return value.startsWith('"') ? value === etag : value === lastModified;
}

export interface SendFileOptions {
  readonly contentType: string;
  /** Name offered to clients that save the file. */
  readonly fileName?: string;
}

/** Sends the file at `path` (GET or HEAD), answering conditional and range requests. */
export async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  options: SendFileOptions,
): Promise<FastifyReply> {
  // Everything below describes the opened file, even if the path is replaced meanwhile.
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    const modifiedSeconds = Math.floor(info.mtimeMs / 1000);
    const etag = entityTag(info.size, info.mtimeMs);
    const lastModified = new Date(modifiedSeconds * 1000).toUTCString();
    reply
      .header('ETag', etag)
      .header('Last-Modified', lastModified)
      .header('Accept-Ranges', 'bytes');
    if (notModified(request, etag, modifiedSeconds)) {
      await handle.close();
      return reply.code(304).send();
    }
    reply.header('Content-Type', options.contentType);
    if (options.fileName) {
      const name = options.fileName.replace(/[^A-Za-z0-9._-]/g, '_');
      reply.header('Content-Disposition', `inline; filename="${name}"`);
    }
    const range = rangeStillValid(request, etag, lastModified)
      ? byteRange(request.headers.range, info.size)
      : ({ kind: 'whole' } as const);
    if (range.kind === 'unsatisfiable') {
      await handle.close();
      return reply.code(416).header('Content-Range', `bytes */${info.size}`).send();
    }
    const [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, info.size - 1];
    reply.header('Content-Length', String(end - start + 1));
    if (range.kind === 'part') {
      reply.code(206).header('Content-Range', `bytes ${start}-${end}/${info.size}`);
    }
    if (request.method === 'HEAD' || end < start) {
      await handle.close();
      return reply.send();
    }
    return reply.send(handle.createReadStream({ start, end, autoClose: true }));
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

export interface ServeOptions {
  readonly authorize: Authorize;
  readonly fileName?: string;
}

/** Answers with `file` after the access gate: 404 when absent, 403 when refused. */
export async function serveFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: ServableFile | undefined,
  options: ServeOptions,
): Promise<FastifyReply> {
  const notPublished = (): FastifyReply =>
    reply.code(404).type(TEXT).send('no such file is published here\n');
  if (!file) return notPublished();
  const decision = await mayReadAny(options.authorize, request, file.dids);
  if (!decision.allowed && decision.unpublished) return notPublished();
  if (!decision.allowed) {
    if (decision.challenges) reply.code(401).header('WWW-Authenticate', decision.challenges);
    else reply.code(403);
    return reply.type(TEXT).send(`${decision.reason}\n`);
  }
  const path = await file.path();
  if (path === undefined) {
    return reply.code(404).type(TEXT).send('the file is no longer in the data store\n');
  }
  return sendFile(request, reply, path, {
    contentType: fileContentType(path),
    ...(options.fileName ? { fileName: options.fileName } : {}),
  });
}

export interface FilesPluginOptions {
  readonly service: DataLinkService;
  readonly authorize: Authorize;
}

/**
 * `/files/<collection>/<path>`: the files ingested observations use, under the data
 * store root recorded at ingest; nothing else, and no listings.
 */
export const filesPlugin: FastifyPluginAsync<FilesPluginOptions> = async (
  app,
  { service, authorize },
) => {
  app.route<{ Params: { collection: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/files/:collection/*',
    handler: async (request, reply) => {
      const { collection, '*': relativePath } = request.params;
      const file = await service.file(collection, relativePath);
      const fileName = relativePath.slice(relativePath.lastIndexOf('/') + 1);
      return serveFile(request, reply, file, { authorize, fileName });
    },
  });
};
