/**
 * Fetching an uploaded table given by URL (TAP_UPLOAD `name,http(s)://...`), safely:
 * only http(s), only public addresses (checked when the socket connects, so DNS tricks
 * cannot redirect it to this machine or the local network), no redirects, a size limit
 * and a time limit.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { TapError } from './params.js';

export interface UrlFetchLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Allow loopback and private addresses (tests, or a service inside a trusted network). */
  readonly allowPrivateHosts: boolean;
}

function ipv4Private(address: string): boolean {
  const [a = 0, b = 0] = address.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

/** Loopback, private, link-local, multicast and other non-public addresses. */
export function isNonPublicAddress(address: string): boolean {
  if (isIP(address) === 4) return ipv4Private(address);
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped?.[1]) return ipv4Private(mapped[1]);
  return (
    lower === '::' ||
    lower === '::1' ||
    /^f[cd]/.test(lower) ||
    /^fe[89ab]/.test(lower) ||
    /^ff/.test(lower)
  );
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = allowPrivate
        ? addresses
        : addresses.filter((a) => !isNonPublicAddress(a.address));
      const first = usable[0];
      if (!first) {
        return callback(
          Object.assign(new Error(`${hostname} is not a public address`), {
            code: 'HEARC_PRIVATE',
          }),
          '',
          0,
        );
      }
      if (options.all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, first.address, first.family);
    });
  };
}

/** The text of the document at `url`, or a TapError naming what went wrong. */
export function fetchUploadDocument(
  name: string,
  url: string,
  limits: UrlFetchLimits,
): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TapError(400, `UPLOAD ${name}: '${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TapError(
      400,
      `UPLOAD ${name}: only http and https URLs are fetched (got ${parsed.protocol})`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!limits.allowPrivateHosts && isIP(host) && isNonPublicAddress(host)) {
    throw new TapError(
      400,
      `UPLOAD ${name}: ${host} is not a public address; this service fetches tables only from public hosts`,
    );
  }
  const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<string>((resolve, reject) => {
    const fail = (status: number, message: string): void =>
      reject(new TapError(status, `UPLOAD ${name}: ${message}`));
    const req = request(
      parsed,
      {
        method: 'GET',
        lookup: guardedLookup(limits.allowPrivateHosts),
        timeout: limits.timeoutMs,
        headers: { accept: 'application/x-votable+xml, text/xml, */*' },
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.resume();
          return fail(400, `${url} answered with a redirect (${status}); give the final URL`);
        }
        if (status !== 200) {
          response.resume();
          return fail(400, `${url} answered HTTP ${status}`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            req.destroy();
            fail(413, `${url} is larger than the upload limit of ${limits.maxBytes} bytes`);
          } else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', (err) => fail(400, `reading ${url} failed: ${err.message}`));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      fail(400, `${url} did not answer within ${limits.timeoutMs / 1000} s`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'HEARC_PRIVATE')
        fail(
          400,
          `${parsed.hostname} is not a public address; this service fetches tables only from public hosts`,
        );
      else fail(400, `fetching ${url} failed: ${err.message}`);
    });
    req.end();
  });
}
