/** The datalink module: per-dataset links (DataLink 1.1), products built from the data store, file access. */
export {
  allowEveryone,
  mayReadAny,
  type AccessDecision,
  type AccessRequest,
  type Authorize,
} from './access.js';
export {
  DatasetCatalog,
  type DatasetCatalogOptions,
  type DatasetCoverage,
  type IrfComponentRef,
  type PublishedDataset,
  type PublishedFile,
} from './catalog.js';
export { fileContentType, resolveStoreFile, safeSegments } from './files.js';
export {
  LINKS_ID_FIELD,
  linksFor,
  ProductUrls,
  serviceIdentityParams,
  type DataLinkRow,
  type DatasetService,
  type LinkSources,
  type ServiceLink,
} from './links.js';
export {
  EMPTY_PRIMARY_BYTES,
  EVENT_LIST_PRODUCT,
  ProductCache,
  ProductSourceError,
} from './products.js';
export {
  DataLinkService,
  linksParameters,
  MAX_IDS_PER_REQUEST,
  type DataLinkServiceOptions,
  type LinksParameters,
  type LinksResponse,
  type ServableFile,
} from './service.js';
export {
  DATALINK_MEDIA_TYPE,
  DATALINK_STANDARD_ID,
  errorDocument,
  linksDocument,
  VOTABLE_MEDIA_TYPE,
  type LinksDocumentOptions,
} from './votable.js';
export { previewFile, previewLinks } from './previews.js';
