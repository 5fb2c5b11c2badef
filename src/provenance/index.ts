/** The provenance module: IVOA Provenance DM records of published and derived products, their storage (ProvTAP tables) and serialisations. */
export * from './model.js';
export {
  datasetProvenance,
  derivedProvenance,
  provIds,
  serviceAgents,
  type DatasetSource,
  type DerivedProduct,
  type ServiceAgents,
} from './records.js';
export {
  ensureShared,
  graphRows,
  ProvenanceBatch,
  readGraph,
  recordGraph,
  replaceGraph,
  type Traversal,
} from './store.js';
export * from './tables.js';
