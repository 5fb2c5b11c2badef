/** The fits module: read and write FITS files (headers, binary tables, images, gzip, checksums, streaming). */
export { FitsError, type FitsErrorContext } from './errors.js';
export { Header, BLOCK_LENGTH, paddedLength, type Card, type HeaderValue } from './header.js';
export {
  ELEMENT_BYTES,
  parseTform,
  readColumns,
  type ColumnCode,
  type ColumnDescriptor,
  type ParsedTform,
} from './columns.js';
export type { ColumnData, ColumnValues, NumericArray, RowBatch } from './decode.js';
export { BinTableHdu, ImageHdu, OtherHdu, type Hdu, type ImageArray } from './hdu.js';
export { isGzip } from './gzip.js';
export {
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
export {
  hduImage,
  openBinTableStream,
  scanFile,
  scannedImage,
  scanHdus,
  streamBinTable,
  type BinTableStream,
  type BinTableStreamOptions,
  type HduImage,
  type HduSummary,
  type LazyBinTableStream,
  type ScanOptions,
  type ScannedFile,
} from './stream.js';
export { openByteSource, type ByteSource } from './source.js';
export type { ColumnInput } from './encode.js';
export {
  buildBinTable,
  buildImage,
  emptyPrimaryHeader,
  fitsFileBytes,
  writeFits,
  type BinTableColumnSpec,
  type BinTableSpec,
  type ImageSpec,
  type WritableHdu,
  type WriteFitsOptions,
} from './write.js';
export {
  createBinTableWriter,
  type BinTableWriter,
  type BinTableWriterOptions,
  type BinTableWriterSpec,
} from './table-writer.js';
export { copyHdus } from './copy.js';
