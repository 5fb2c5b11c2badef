/** The fits module: read and write FITS files (headers, binary tables, images, gzip, checksums, streaming). */
export { FitsError, type FitsErrorContext } from './errors.js';
export { Header, BLOCK_LENGTH, paddedLength, type Card, type HeaderValue } from './header.js';
