/** Who the service is: the description, its one loader, and the URLs made from it. */
export {
  type CollectionDescription,
  collectionOf,
  type ContactDescription,
  DEFAULT_LIMITS_DESCRIPTION,
  type ResultCompression,
  type ServiceDescription,
  type ServiceLimitsDescription,
} from './description.js';
export {
  ConfigError,
  type ConfigOverrides,
  DEFAULT_AUTHORITY,
  loadServiceDescription,
  type LoadConfigOptions,
} from './config.js';
export { SOFTWARE } from './software.js';
export { baseUrlFor, ServiceUrls, type UrlRequest } from './urls.js';
export {
  CacheDirError,
  cacheDirFor,
  preparePrivateDir,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  privateTemporaryDir,
} from './cache.js';
export { loggableUrl, loggerOptions, type LogStyle, logStyleFor } from './logging.js';
export { collectGarbage } from './memory.js';
export { startModuleWorker } from './threads.js';
