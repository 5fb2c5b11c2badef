/** The auth module: identities, groups, proprietary periods, SSO challenges, enforced on every data path. */
export {
  AccessControl,
  ALERT_PUBLISHERS,
  type AccessControlOptions,
  type AccessDecision,
  type AccessRequest,
  type Identification,
} from './access.js';
export {
  type AuditEvent,
  type AuditFilter,
  type AuditKind,
  AuditTrail,
  auditRow,
  auditTable,
  describeAuditEvent,
} from './audit.js';
export { ASYMMETRIC_ALGORITHMS, OidcVerifier, type OidcIssuerConfig } from './oidc.js';
export {
  ANONYMOUS,
  type ChangeAuthor,
  closedObservations,
  type DataRights,
  type Identity,
  isDataRights,
  isOpen,
  mayRead,
  type ObservationRights,
  publicRightsContradiction,
  rightsAtIngest,
  type RightsByDid,
  type RightsChange,
  RightsError,
  RightsStore,
  settleDataRights,
} from './rights.js';
export {
  apiTokenTable,
  observationRightsTable,
  rightsChangeTable,
  rightsTables,
} from './tables.js';
export { ApiTokenStore, type ApiTokenInfo, checkGroupName, type CreatedToken } from './tokens.js';
export {
  AuthConfigError,
  type AuthSettings,
  issuerConfig,
  jwksLocation,
  parseAuthConfig,
  readAuthConfig,
} from './config.js';
