/** The fits module: read and write FITS files (headers, binary tables, images, gzip, checksums, streaming). */
export { FitsError, type FitsErrorContext } from './errors.js';
export { Header, BLOCK_LENGTH, paddedLength, type Card, type HeaderValue } from './header.js';
export {
  ELEMENT_BYTES,
  parseTform,
  type ColumnCode,
  type ColumnDescriptor,
  type ParsedTform,
} from './columns.js';
export type { ColumnData, ColumnValues, NumericArray, RowBatch } from './decode.js';
export { BinTableHdu, ImageHdu, OtherHdu, type Hdu, type ImageArray } from './hdu.js';
export {
  isGzip,
  parseFits,
  readFits,
  verifyHduChecksum,
  type FitsFile,
  type ReadFitsOptions,
} from './file.js';
export { type Bitpix } from './layout.js';
export {
  ChecksumAccumulator,
  checksumOf,
  encodeChecksum,
  stampChecksums,
  verifyChecksums,
  type ChecksumStatus,
} from './checksum.js';
