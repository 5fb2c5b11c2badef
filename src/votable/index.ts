/**
 * The votable module: streaming VOTable 1.5 writer for TAP results (TABLEDATA,
 * BINARY2), DALI error documents, CSV/TSV/JSON from the same inputs, and a reader
 * for uploaded VOTables (TAP_UPLOAD).
 */
export { VotableError, type VotableErrorContext } from './errors.js';
export {
  VOTABLE_DATATYPES,
  checkFieldDescription,
  parseArraysize,
  type ArrayShape,
  type FieldDescription,
  type VotableDatatype,
} from './field.js';
export {
  columnsOfBatch,
  formatDouble,
  isColumnBatch,
  formatFloat,
  formatTimestamp,
  type CellValue,
  type ColumnBatch,
  type Row,
  type RowBatch,
  type RowSource,
} from './cells.js';
export {
  votableError,
  type CoordinateSystem,
  type ErrorDocumentOptions,
  type InfoElement,
  type QueryStatus,
  type ResultDocumentOptions,
  type TimeSystem,
  type VotableVersion,
} from './document.js';
export {
  type GroupElement,
  type MetaResource,
  type ParamElement,
  type ValuesElement,
} from './resource.js';
export {
  MEDIA_TYPES,
  writeChunksTo,
  writeVotable,
  type VotableSerialization,
  type VotableWriteOptions,
  type WriteSummary,
} from './writer.js';
export {
  jsonFieldMetadata,
  writeCsv,
  writeJson,
  writeTsv,
  type TextFormatOptions,
} from './text-formats.js';
export {
  DEFAULT_READ_LIMITS,
  readVotable,
  readVotableStream,
  type ReadLimits,
  type UploadSerialization,
  type UploadedTable,
} from './reader.js';
export { XmlTokenizer, decodeXmlBytes, type XmlToken } from './xml-tokenizer.js';
export {
  parseXmlTree,
  xmlChild,
  xmlChildren,
  xmlDescendants,
  type XmlElement,
  xmlPath,
} from './xml-tree.js';
