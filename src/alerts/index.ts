/** The alerts module: GCN notices, VOEvents and HEALPix skymaps into hearc.alerts, with their localisations. */
export { type Alert, type AlertFormat, mjdOfIso } from './alert.js';
export { AlertError } from './errors.js';
export {
  credibleRegions,
  decodeMap,
  discMap,
  encodeMap,
  gaussianMap,
  gaussianSigma,
  mocOfCells,
  probabilityMap,
  type CredibleRegion,
  type ProbabilityMap,
} from './localisation.js';
export { gcnAlert } from './gcn.js';
export {
  CREDIBLE_LEVELS,
  type CredibleLevel,
  credibleRegionFile,
  type CredibleRegionFile,
} from './regions.js';
export { voeventAlert } from './voevent.js';
export { readSkymap, skymapAlert } from './skymap.js';
export {
  alertFormatOfMediaType,
  type AlertRevision,
  err90Of,
  findAlertRevision,
  type IngestedAlert,
  loadAlert,
  loadLocalisation,
  parseAlert,
  readAlertFile,
  type StoredAlert,
  storeAlert,
} from './store.js';
export { alertMapTable, alertsTable, alertTables } from './tables.js';
