/**
 * DataLink and file access without HTTP: the {links} endpoint's parameters and
 * response, and the lookup of a product or published file from its URL path. The
 * http plugins call these and add only status codes, headers and the access gate.
 */
import type { Engine } from '../engine/types.js';
import { DatasetCatalog, type DatasetCatalogOptions } from './catalog.js';
import { resolveStoreFile } from './files.js';
import { type DatasetService, type LinkGate, linksFor, ProductUrls } from './links.js';
import { EVENT_LIST_PRODUCT, ProductCache } from './products.js';
import {
  DATALINK_MEDIA_TYPE,
  errorDocument,
  linksDocument,
  VOTABLE_MEDIA_TYPE,
} from './votable.js';

/** At most this many IDs are answered per request; the rest is reported as an overflow. */
export const MAX_IDS_PER_REQUEST = 1000;

export interface LinksResponse {
  readonly status: 200 | 400;
  readonly contentType: string;
  readonly body: string;
}

export type LinksParameters =
  | { readonly ok: true; readonly ids: readonly string[]; readonly overflow: boolean }
  | { readonly ok: false; readonly message: string };

const VOTABLE_FORMATS = new Set(['votable', 'application/x-votable+xml']);

/**
 * Reads the {links} parameters (names case-insensitive, DALI): every non-empty ID in
 * order, without repeats, and RESPONSEFORMAT, of which only VOTable is offered.
 */
export function linksParameters(
  params: Iterable<readonly [string, string]>,
  maxIds = MAX_IDS_PER_REQUEST,
): LinksParameters {
  const ids: string[] = [];
  for (const [name, value] of params) {
    const key = name.toUpperCase();
    if (key === 'ID') {
      if (value !== '' && !ids.includes(value)) ids.push(value);
    } else if (key === 'RESPONSEFORMAT') {
      const format = value.split(';')[0]!.trim().toLowerCase();
      if (format !== '' && !VOTABLE_FORMATS.has(format)) {
        return {
          ok: false,
          message: `UsageFault: RESPONSEFORMAT '${value}' is not offered; use votable (application/x-votable+xml)`,
        };
      }
    }
  }
  if (ids.length === 0) {
    return {
      ok: false,
      message: 'UsageFault: the ID parameter (a dataset identifier) is required',
    };
  }
  return { ok: true, ids: ids.slice(0, maxIds), overflow: ids.length > maxIds };
}

/**
 * A product or published file found from its URL: the datasets it belongs to, to
 * decide access on, and its path, asked for only once access is granted (a product
 * is built then). The path is undefined when the source is gone from the store.
 */
export interface ServableFile {
  readonly dids: readonly string[];
  path(): Promise<string | undefined>;
}

export interface DataLinkServiceOptions extends DatasetCatalogOptions {
  readonly engine: Engine;
  /** Folder of the product cache. */
  readonly cacheDir: string;
  readonly maxIds?: number;
  /** Services offered on each dataset, each linked with a service descriptor (e.g. SODA). */
  readonly services?: readonly DatasetService[];
}

export class DataLinkService {
  readonly catalog: DatasetCatalog;
  readonly products: ProductCache;
  readonly services: readonly DatasetService[];
  private readonly maxIds: number;

  constructor(options: DataLinkServiceOptions) {
    this.catalog = new DatasetCatalog(options.engine, options);
    this.products = new ProductCache(options.cacheDir);
    this.maxIds = options.maxIds ?? MAX_IDS_PER_REQUEST;
    this.services = options.services ?? [];
  }

  /** The {links} response for these request parameters, with URLs under `baseUrl`. */
  async links(
    params: Iterable<readonly [string, string]>,
    baseUrl: string,
    gate?: LinkGate,
  ): Promise<LinksResponse> {
    const request = linksParameters(params, this.maxIds);
    if (!request.ok) {
      return { status: 400, contentType: VOTABLE_MEDIA_TYPE, body: errorDocument(request.message) };
    }
    const rows = await linksFor(
      request.ids,
      { ...this, services: this.services, urls: new ProductUrls(baseUrl) },
      gate,
    );
    return {
      status: 200,
      contentType: DATALINK_MEDIA_TYPE,
      body: await linksDocument(rows, { overflow: request.overflow }),
    };
  }

  /** The product `name` of observation `obsId` in `collection`; undefined when there is none. */
  async product(
    collection: string,
    obsId: string,
    name: string,
  ): Promise<ServableFile | undefined> {
    const dataset = await this.catalog.datasetByObsId(collection, obsId);
    if (!dataset) return undefined;
    const dids = [dataset.did];
    if (name === EVENT_LIST_PRODUCT) return { dids, path: () => this.products.eventList(dataset) };
    const irf = dataset.irfs.find((c) => c.productName === name);
    return irf ? { dids, path: () => this.products.irf(dataset, irf) } : undefined;
  }

  /** A file of `collection` that an ingested observation uses; undefined for anything else. */
  async file(collection: string, relativePath: string): Promise<ServableFile | undefined> {
    const published = await this.catalog.publishedFile(collection, relativePath);
    if (!published) return undefined;
    return {
      dids: published.dids,
      path: () => resolveStoreFile(published.root, published.relativePath),
    };
  }
}
