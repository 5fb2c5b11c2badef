/** The provenance module: IVOA Provenance DM records of published and derived products, their storage (ProvTAP tables) and serialisations. */
export * from './model.js';
export {
  agentsOf,
  datasetProvenance,
  hasProvenanceLink,
  newProductIds,
  derivedProvenance,
  provIds,
  serviceAgents,
  type DatasetSource,
  type DerivedProduct,
  type ServiceAgents,
  type Withdrawal,
  withdrawalProvenance,
} from './records.js';
export {
  ensureShared,
  graphRows,
  ProvenanceBatch,
  readGraph,
  replaceGraph,
  type Traversal,
} from './store.js';
export * from './tables.js';
export {
  FORMAL,
  IdentifierNames,
  provDocument,
  PROV_NS,
  servicePrefix,
  VOPROV_NS,
  type ProvDocument,
  type ProvNaming,
  type ProvRecord,
  type ProvValue,
} from './document.js';
export {
  PROV_MEDIA_TYPES,
  provJson,
  provN,
  provTime,
  provXml,
  serialize,
  type ProvFormat,
} from './serialize.js';
export {
  ProvenanceError,
  provenanceRequest,
  ProvenanceService,
  provenanceUrl,
  render,
  type ProvenanceAnswer,
  type ProvenanceRequest,
  type ProvenanceServiceOptions,
  type ResponseFormat,
  type UserOf,
} from './service.js';
export { provSvg, provTextTree } from './views.js';
export { ProductProvenance, type PendingProduct, type ProductDescription } from './products.js';
export { cutoutProduct, type CutoutMade } from './records.js';
export {
  jobResultIds,
  type JobResultKind,
  queryResultIds,
  recordedParameters,
  withQueryProvenance,
  withResultProvenance,
} from './jobs.js';
