/** The registry module: VOResource records of the service and its collections, OAI-PMH. */
export { ResourceIdentifiers } from './identifiers.js';
