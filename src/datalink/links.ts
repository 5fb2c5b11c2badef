/**
 * The links of a dataset (DataLink 1.1 with the high-energy ObsCore extension's
 * semantics): `#this` for the event list (content_qualifier hea-event-list), one
 * `#calibration` per IRF component (aeff, edisp, psf, bkgrate, rad_max), `#package`
 * for each original file (hea-event-bundle), `#coverage` (a MOC of the field of view),
 * and an error row for an unknown ID.
 */
import { stat } from 'node:fs/promises';
import type { MetaResource, ParamElement } from '../votable/index.js';
import type { AccessRequest, Authorize } from './access.js';
import type { DatasetCatalog, IrfComponentRef, PublishedDataset } from './catalog.js';
import { fileContentType, resolveStoreFile } from './files.js';
import { previewLinks } from './previews.js';
import { EMPTY_PRIMARY_BYTES, EVENT_LIST_PRODUCT, type ProductCache } from './products.js';

/** One row of a {links} response; exactly one of accessUrl, serviceDef, errorMessage is set. */
export interface DataLinkRow {
  readonly id: string;
  readonly accessUrl?: string;
  readonly serviceDef?: string;
  /** The service descriptor RESOURCE that serviceDef names (its ID is serviceDef). */
  readonly descriptor?: MetaResource;
  readonly errorMessage?: string;
  readonly semantics: string;
  readonly description?: string;
  readonly contentType?: string;
  readonly contentLength?: number;
  readonly contentQualifier?: string;
}

const FITS = 'application/fits';

const IRF_TITLES: Readonly<Record<string, string>> = {
  aeff: 'Effective area',
  edisp: 'Energy dispersion',
  psf: 'Point spread function',
  bkgrate: 'Background rate',
  rad_max: 'Directional cut (RAD_MAX)',
};

const segment = encodeURIComponent;
const pathOf = (relativePath: string): string => relativePath.split('/').map(segment).join('/');

/** The URLs of products and files under the public base URL of the service. */
export class ProductUrls {
  readonly base: string;
  constructor(baseUrl: string) {
    this.base = baseUrl.replace(/\/+$/, '');
  }
  product(dataset: PublishedDataset, name: string): string {
    return `${this.base}/products/${segment(dataset.collection)}/${segment(dataset.obsId)}/${segment(name)}`;
  }
  file(collection: string, relativePath: string): string {
    return `${this.base}/files/${segment(collection)}/${pathOf(relativePath)}`;
  }
  /** The space MOC of the dataset's field of view (src/http/moc.ts serves it). */
  coverage(dataset: PublishedDataset): string {
    return `${this.base}/moc/${segment(dataset.collection)}/${segment(dataset.obsId)}.fits`;
  }
  preview(dataset: PublishedDataset, name: string): string {
    return `${this.base}/previews/${segment(dataset.collection)}/${segment(dataset.obsId)}/${segment(name)}`;
  }
}

/** A {links} row that points at a service (semantics #proc and the like) and its descriptor. */
export interface ServiceLink {
  readonly semantics: string;
  readonly description: string;
  readonly contentType?: string;
  readonly contentQualifier?: string;
  /** The service descriptor (DataLink 1.1 §4); its ID is given when the document is written. */
  readonly descriptor: Omit<MetaResource, 'id'>;
}

/** A service offered on datasets, e.g. SODA cutouts: its link for a dataset, if it applies. */
export interface DatasetService {
  /** The link for `dataset`, its service's URL under `baseUrl` (the answering service's). */
  linkFor(dataset: PublishedDataset, baseUrl: string): ServiceLink | undefined;
}

/** The PARAMs outside inputParams that name a service descriptor's service (DataLink 1.1 §4.1). */
export function serviceIdentityParams(standardId: string, accessUrl: string): ParamElement[] {
  return [
    { name: 'standardID', datatype: 'char', arraysize: '*', value: standardId },
    { name: 'accessURL', datatype: 'char', arraysize: '*', ucd: 'meta.ref.url', value: accessUrl },
  ];
}

/** The XML ID of the ID FIELD of the links table, which service descriptors' ID PARAMs ref. */
export const LINKS_ID_FIELD = 'datalinkID';

export interface LinkSources {
  readonly catalog: DatasetCatalog;
  readonly products: ProductCache;
  readonly urls: ProductUrls;
  readonly services?: readonly DatasetService[];
}

function irfDescription(irf: IrfComponentRef): string {
  const title = IRF_TITLES[irf.component] ?? `Response component ${irf.component}`;
  const enclosure = irf.enclosure ? `, ${irf.enclosure}` : '';
  return `${title} (HDU ${irf.hduName}, ${irf.hduClass}${enclosure})`;
}

async function datasetLinks(
  id: string,
  dataset: PublishedDataset,
  { products, urls, services }: LinkSources,
  descriptorId: () => string,
): Promise<DataLinkRow[]> {
  const rows: DataLinkRow[] = [];
  const eventsSize = await products.builtSize(dataset, EVENT_LIST_PRODUCT);
  rows.push({
    id,
    accessUrl: urls.product(dataset, EVENT_LIST_PRODUCT),
    semantics: '#this',
    description: `Event list of observation ${dataset.obsId} (EVENTS and GTI HDUs)`,
    contentType: FITS,
    ...(eventsSize !== undefined ? { contentLength: eventsSize } : {}),
    contentQualifier: 'hea-event-list',
  });
  for (const irf of dataset.irfs) {
    const built = await products.builtSize(dataset, irf.productName);
    const size =
      built ?? (irf.hduSize !== undefined ? EMPTY_PRIMARY_BYTES + irf.hduSize : undefined);
    rows.push({
      id,
      accessUrl: urls.product(dataset, irf.productName),
      semantics: '#calibration',
      description: irfDescription(irf),
      contentType: FITS,
      ...(size !== undefined ? { contentLength: size } : {}),
      contentQualifier: irf.component,
    });
  }
  for (const relativePath of dataset.files) {
    const path =
      dataset.dataStore === undefined
        ? undefined
        : await resolveStoreFile(dataset.dataStore, relativePath);
    const size = path === undefined ? undefined : (await stat(path).catch(() => undefined))?.size;
    if (size === undefined) {
      rows.push({
        id,
        semantics: '#package',
        errorMessage: `FatalFault: ${relativePath} is not a file inside the data store`,
      });
      continue;
    }
    rows.push({
      id,
      accessUrl: urls.file(dataset.collection, relativePath),
      semantics: '#package',
      description: `Original data store file ${relativePath} (event list and responses as published)`,
      contentType: fileContentType(relativePath),
      contentLength: size,
      contentQualifier: 'hea-event-bundle',
    });
  }
  rows.push(...(await previewLinks(id, dataset, { products, urls })));
  rows.push({
    id,
    accessUrl: urls.coverage(dataset),
    semantics: '#coverage',
    description: `Sky coverage of observation ${dataset.obsId}: its field of view as a MOC (IVOA MOC 2.0; the time coverage is at .time.fits, the space-time coverage at .spacetime.fits, instead of .fits)`,
    contentType: FITS,
  });
  rows.push({
    id,
    accessUrl: `${urls.base}/provenance?ID=${segment(dataset.did)}`,
    semantics: '#provenance',
    description: `Provenance of observation ${dataset.obsId} (IVOA Provenance DM as W3C PROV-JSON; RESPONSEFORMAT=PROV-XML, PROV-N or SVG for others)`,
    contentType: 'application/json',
  });
  for (const service of services ?? []) {
    const link = service.linkFor(dataset, urls.base);
    if (!link) continue;
    const serviceDef = descriptorId();
    rows.push({
      id,
      serviceDef,
      descriptor: { ...link.descriptor, id: serviceDef },
      semantics: link.semantics,
      description: link.description,
      ...(link.contentType !== undefined ? { contentType: link.contentType } : {}),
      ...(link.contentQualifier !== undefined ? { contentQualifier: link.contentQualifier } : {}),
    });
  }
  return rows;
}

/** The access gate and the request it judges: refused datasets get error rows, not links. */
export interface LinkGate {
  readonly authorize: Authorize;
  readonly request: AccessRequest;
}

/** The row in place of a link the caller may not follow: what it is, but no URL and no size. */
function refusedRow(row: DataLinkRow, reason: string): DataLinkRow {
  return {
    id: row.id,
    semantics: row.semantics,
    errorMessage: `DefaultFault: access denied: ${reason}`,
    ...(row.description !== undefined ? { description: row.description } : {}),
    ...(row.contentQualifier !== undefined ? { contentQualifier: row.contentQualifier } : {}),
  };
}

/**
 * The links of each ID, in the order given; an unknown ID gets one NotFoundFault row,
 * and each link of a dataset the gate refuses becomes an error row.
 */
export async function linksFor(
  ids: readonly string[],
  sources: LinkSources,
  gate?: LinkGate,
): Promise<DataLinkRow[]> {
  const datasets = await sources.catalog.datasets(ids);
  const refused = new Map<string, string>();
  for (const [id, dataset] of gate ? [...datasets] : []) {
    const decision = await gate?.authorize(gate.request, dataset.did);
    // A dataset hidden from the caller is answered as one that does not exist.
    if (decision && !decision.allowed && decision.unpublished) datasets.delete(id);
    else if (decision && !decision.allowed) refused.set(id, decision.reason);
  }
  const rows: DataLinkRow[] = [];
  let descriptors = 0;
  const descriptorId = (): string => `service${++descriptors}`;
  for (const id of ids) {
    const dataset = datasets.get(id);
    if (dataset) rows.push(...(await datasetLinks(id, dataset, sources, descriptorId)));
    else {
      rows.push({
        id,
        semantics: '#this',
        errorMessage: `NotFoundFault: ${id} is not a dataset published by this service`,
      });
    }
  }
  if (refused.size === 0) return rows;
  return rows.map((row) => {
    const reason = refused.get(row.id);
    return reason === undefined || row.errorMessage !== undefined ? row : refusedRow(row, reason);
  });
}
