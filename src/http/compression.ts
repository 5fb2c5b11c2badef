/**
 * Content-Encoding for large answers (TAP results, sync and async): brotli or gzip when
 * the client asks for it (Accept-Encoding), at the fastest levels, streamed (the
 * compression runs on libuv's thread pool, beside the main thread). bench/compression.ts
 * measured it: a TOP 10000 `SELECT *` BINARY2 VOTable shrinks 6.8× with brotli quality 1
 * for 14 % more server CPU (gzip level 1: 5.6× for 29 %), which pays on any link slower
 * than some 350 MB/s but only costs on loopback. So by default ('auto') answers to a
 * client on this machine go out as they are; 'always' and 'never' are the operator's
 * (`compress_results` in the config, HEARC_COMPRESS_RESULTS).
 */
import type { Readable } from 'node:stream';
import { constants } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ResultCompression } from '../service/index.js';

/** Lets routes registered after this call compress with `sendCompressible`. */
export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCompress, {
    global: false,
    // Preferred first when the client accepts several with the same weight.
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } },
    zlibOptions: { level: 1 },
  });
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Sends `body`, compressed as the client accepts when `mode` allows it. The answer then
 * depends on Accept-Encoding (Vary), whichever way this request went.
 */
export function sendCompressible(
  reply: FastifyReply,
  body: Readable,
  mode: ResultCompression = 'auto',
): FastifyReply {
  if (mode === 'never') return reply.send(body);
  // Lower case, as @fastify/compress writes it (it adds its own unless it finds this one).
  reply.header('Vary', 'accept-encoding');
  if (mode === 'auto' && isLoopback(reply.request.socket.remoteAddress)) return reply.send(body);
  reply.compress(body);
  return reply;
}
