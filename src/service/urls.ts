/**
 * Every URL the service answers with is made here, at answer time: from the configured
 * public URL, else from the request (Host; X-Forwarded-Host/Proto/Prefix only from
 * proxies the configuration trusts). The catalog stores identities, never locations.
 */
import type { ServiceDescription } from './description.js';

/** What URL-making needs of a request (a Fastify request fits). */
export interface UrlRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly socket?: { readonly remoteAddress?: string | undefined; readonly encrypted?: boolean };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function header(request: UrlRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  // A proxy chain appends: the first value is what the client used.
  return typeof first === 'string' ? first.split(',')[0]?.trim() || undefined : undefined;
}

function trusted(service: ServiceDescription, address: string | undefined): boolean {
  if (address === undefined) return false;
  return service.trustedProxies.some(
    (p) =>
      p === address || (p === 'loopback' && LOOPBACK.test(address)) || `::ffff:${p}` === address,
  );
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** The service's base URL for answering `request`, without trailing slash. */
export function baseUrlFor(service: ServiceDescription, request: UrlRequest): string {
  if (service.publicUrl !== undefined) return service.publicUrl;
  const viaProxy = trusted(service, request.socket?.remoteAddress);
  const proto =
    (viaProxy && header(request, 'x-forwarded-proto')) ||
    (request.socket?.encrypted ? 'https' : 'http');
  const host = (viaProxy && header(request, 'x-forwarded-host')) || header(request, 'host');
  const prefix = (viaProxy && header(request, 'x-forwarded-prefix')) || '';
  // A Host the client made up must not turn into markup or another scheme.
  const safeHost = host !== undefined && HOST.test(host) ? host : 'localhost';
  const safeProto = proto === 'https' ? 'https' : 'http';
  const safePrefix = /^(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*\/?$/.test(prefix)
    ? prefix.replace(/\/+$/, '')
    : '';
  return `${safeProto}://${safeHost}${safePrefix}`;
}

/** The URLs of one answer, all from one base. */
export class ServiceUrls {
  constructor(readonly base: string) {}

  tap(): string {
    return `${this.base}/tap`;
  }
  datalink(did?: string): string {
    return did === undefined
      ? `${this.base}/datalink`
      : `${this.base}/datalink?ID=${encodeURIComponent(did)}`;
  }
  soda(): string {
    return `${this.base}/soda`;
  }
  /** A path under the service (starting with '/'), e.g. a stored relative access path. */
  path(relative: string): string {
    return `${this.base}${relative.startsWith('/') ? '' : '/'}${relative}`;
  }
}
