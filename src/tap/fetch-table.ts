/**
 * Fetching an uploaded table given by URL (TAP_UPLOAD `name,http(s)://...`), safely:
 * only http(s), only public addresses, no redirects, a size limit and a time limit.
 * The address is checked on the socket that actually connected (Node skips `lookup`
 * for IP literals, and DNS may answer differently twice), after unwrapping the IPv6
 * forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4). Every refused or
 * failed fetch gives the same message, so the service cannot be used to scan ports.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { type ClientRequestArgs, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { DaliError } from '../dali/index.js';

export interface UrlFetchLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /**
   * Non-public addresses that may still be fetched from, as CIDR blocks
   * (`127.0.0.1/32`, `fd00::/8`) or single addresses; default none.
   */
  readonly allowAddresses?: readonly string[];
}

/** Loopback, private, link-local, shared, documentation, multicast and reserved blocks. */
const NON_PUBLIC_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

/** IPv6 outside global unicast 2000::/3 is refused anyway; these are inside it but not public. */
const NON_PUBLIC_V6_GLOBAL: readonly (readonly [string, number])[] = [
  ['2001::', 23], // IETF protocol assignments, Teredo included
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
];

const nonPublic = new BlockList();
for (const [net, prefix] of NON_PUBLIC_V4) nonPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of NON_PUBLIC_V6_GLOBAL) nonPublic.addSubnet(net, prefix, 'ipv6');

/** The 16 bytes of an IPv6 address (any textual form Node accepts). */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    const tail = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    text = text.slice(0, dotted.index) + tail;
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  });
  return bytes;
}

const v4 = (b: Uint8Array, at: number): string => Array.from(b.subarray(at, at + 4)).join('.');
const zeros = (b: Uint8Array, from: number, to: number): boolean =>
  b.subarray(from, to).every((x) => x === 0);

/**
 * The address a connection to `address` really reaches: the IPv4 address inside an
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96) or 6to4
 * (2002::/16) IPv6 address, otherwise the address itself.
 */
export function effectiveAddress(address: string): { address: string; family: 4 | 6 } {
  const family = isIP(address);
  if (family === 4) return { address, family: 4 };
  if (family !== 6) throw new Error(`'${address}' is not an IP address`);
  const b = ipv6Bytes(address);
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return { address: v4(b, 12), family: 4 };
  if (zeros(b, 0, 12) && !zeros(b, 12, 15)) return { address: v4(b, 12), family: 4 };
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(b, 4, 12)) {
    return { address: v4(b, 12), family: 4 };
  }
  if (b[0] === 0x20 && b[1] === 0x02) return { address: v4(b, 2), family: 4 };
  return { address, family: 6 };
}

/** An allow list of CIDR blocks or addresses, for `allowAddresses`. */
function allowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [net = '', prefix] = entry.split('/');
    const family = isIP(net);
    if (family === 0)
      throw new Error(`'${entry}' in the upload address allow list is not an address`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(prefix), type);
  }
  return list;
}

/** Loopback, private, link-local, multicast, reserved and other non-public addresses. */
export function isNonPublicAddress(address: string): boolean {
  const real = effectiveAddress(address);
  if (real.family === 4) return nonPublic.check(real.address, 'ipv4');
  const first = ipv6Bytes(real.address)[0] ?? 0;
  // Only global unicast (2000::/3) is public: this refuses ::, ::1, fc00::/7, fe80::/10, ff00::/8.
  return (first & 0xe0) !== 0x20 || nonPublic.check(real.address, 'ipv6');
}

/** Whether a connection to `address` is allowed under `allowed`. */
function mayConnect(address: string, allowed: BlockList): boolean {
  if (isIP(address) === 0) return false;
  if (!isNonPublicAddress(address)) return true;
  const real = effectiveAddress(address);
  return (
    allowed.check(real.address, real.family === 4 ? 'ipv4' : 'ipv6') ||
    allowed.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')
  );
}

class RefusedAddress extends Error {}

/** DNS lookup that only ever yields addresses the fetch may connect to. */
function guardedLookup(allowed: BlockList): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = addresses.filter((a) => mayConnect(a.address, allowed));
      const first = usable[0];
      if (!first) return callback(new RefusedAddress(hostname), '', 0);
      if (options.all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, first.address, first.family);
    });
  };
}

/** Opens the request's socket itself, so that it can refuse an address before a byte is sent. */
function guardedConnection(
  secure: boolean,
  allowed: BlockList,
): (options: ClientRequestArgs) => Socket {
  return (options) => {
    const host = (options.host ?? options.hostname ?? '').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? (secure ? 443 : 80));
    const lookup = guardedLookup(allowed);
    const socket = secure
      ? tlsConnect({ host, port, lookup, ...(isIP(host) ? {} : { servername: host }) })
      : netConnect({ host, port, lookup });
    // Before the request's own 'connect' listeners, which write the request.
    socket.prependOnceListener('connect', () => {
      if (!mayConnect(socket.remoteAddress ?? '', allowed))
        socket.destroy(new RefusedAddress(host));
    });
    return socket;
  };
}

/** The text of the document at `url`, or a DaliError naming what went wrong. */
export function fetchUploadDocument(
  name: string,
  url: string,
  limits: UrlFetchLimits,
): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DaliError(400, `UPLOAD ${name}: '${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DaliError(
      400,
      `UPLOAD ${name}: only http and https URLs are fetched (got ${parsed.protocol})`,
    );
  }
  const allowed = allowList(limits.allowAddresses ?? []);
  const secure = parsed.protocol === 'https:';
  const request = secure ? httpsRequest : httpRequest;
  // One message for every refusal and failure: what the target is must not show.
  const unavailable = (): DaliError =>
    new DaliError(
      400,
      `UPLOAD ${name}: the table at ${url} could not be fetched (tables are fetched only from public hosts that answer 200 without a redirect within ${limits.timeoutMs / 1000} s)`,
    );
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const fail = (error: DaliError): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(error);
    };
    const req = request(
      parsed,
      {
        method: 'GET',
        createConnection: guardedConnection(secure, allowed),
        timeout: limits.timeoutMs,
        headers: { accept: 'application/x-votable+xml, text/xml, */*' },
      },
      (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          response.resume();
          return fail(unavailable());
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            fail(
              new DaliError(
                413,
                `UPLOAD ${name}: ${url} is larger than the upload limit of ${limits.maxBytes} bytes`,
              ),
            );
          } else chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        response.on('error', () => fail(unavailable()));
      },
    );
    req.on('timeout', () => fail(unavailable()));
    req.on('error', () => fail(unavailable()));
    req.end();
  });
}
