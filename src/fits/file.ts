/**
 * Whole FITS files in memory: fine for IRFs, indexes and event lists of a few
 * hundred MB. Gzip is recognised by its magic bytes, whatever the file is called.
 */
import { readFile } from 'node:fs/promises';
import { FitsError, type FitsErrorContext } from './errors.js';
import { Header, paddedLength } from './header.js';
import { makeHdu, type BinTableHdu, type Hdu, type ImageHdu } from './hdu.js';
import { hduContext, isFiller, readLayout, selectHdu, startsWith } from './layout.js';
import { gunzipWhole, isGzip } from './gzip.js';
import { verifyChecksums, type ChecksumStatus } from './checksum.js';

export interface FitsFile {
  readonly path: string;
  readonly hdus: readonly Hdu[];
  /** By index, or by EXTNAME (case-insensitive; 'PRIMARY' for an unnamed primary), optionally EXTVER. */
  hdu(nameOrIndex: string | number, extver?: number): Hdu;
  /** Like hdu(), and throws FitsError unless it is a binary table. */
  bintable(nameOrIndex: string | number, extver?: number): BinTableHdu;
  /** Like hdu(), and throws FitsError unless it is an image (or the primary array). */
  image(nameOrIndex: string | number, extver?: number): ImageHdu;
  findHdu(predicate: (hdu: Hdu) => boolean): Hdu | undefined;
}

/** The bytes an HDU was read from: header and data including padding (for checksums and copies). */
export interface HduBytes {
  readonly header: Uint8Array;
  readonly data: Uint8Array;
}

const hduBytes = new WeakMap<Hdu, HduBytes>();

/** Where an HDU read by parseFits came from; undefined for HDUs made otherwise. */
export function bytesOfHdu(hdu: Hdu): HduBytes | undefined {
  return hduBytes.get(hdu);
}

class FitsFileInMemory implements FitsFile {
  constructor(
    readonly path: string,
    readonly hdus: readonly Hdu[],
  ) {}

  hdu(nameOrIndex: string | number, extver?: number): Hdu {
    return selectHdu(this.hdus, nameOrIndex, extver, { file: this.path });
  }

  bintable(nameOrIndex: string | number, extver?: number): BinTableHdu {
    const hdu = this.hdu(nameOrIndex, extver);
    if (hdu.kind !== 'bintable') throw notOfKind(this.path, hdu, 'a binary table');
    return hdu;
  }

  image(nameOrIndex: string | number, extver?: number): ImageHdu {
    const hdu = this.hdu(nameOrIndex, extver);
    if (hdu.kind !== 'image') throw notOfKind(this.path, hdu, 'an image');
    return hdu;
  }

  findHdu(predicate: (hdu: Hdu) => boolean): Hdu | undefined {
    return this.hdus.find(predicate);
  }
}

function notOfKind(file: string, hdu: Hdu, wanted: string): FitsError {
  const found =
    hdu.kind === 'other'
      ? `a ${hdu.xtension} extension`
      : hdu.kind === 'image'
        ? 'an image'
        : 'a binary table';
  return new FitsError(
    `expected ${wanted}, found ${found}`,
    hduContext(file, hdu.index, hdu.header),
  );
}

/**
 * Checks CHECKSUM/DATASUM of an HDU read by parseFits or readFits; throws FitsError
 * naming the card on a mismatch. HDUs made in code have nothing to check against.
 */
export function verifyHduChecksum(hdu: Hdu): ChecksumStatus {
  const bytes = hduBytes.get(hdu);
  const context = hdu.header.context;
  if (bytes === undefined) {
    throw new FitsError(
      'this HDU was not read from a file, so it has no stored bytes to verify',
      context,
    );
  }
  return verifyChecksums(hdu.header, bytes.header, bytes.data, context);
}

/** Reads every HDU of a FITS file held in memory (already decompressed). */
export function parseFits(bytes: Uint8Array, path = '(memory)'): FitsFile {
  const hdus: Hdu[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = hdus.length;
    const rest = bytes.subarray(offset);
    if (index > 0 && isFiller(rest)) break;
    const context: FitsErrorContext = { file: path, hdu: String(index) };
    if (index > 0 && !startsWith(rest, 'XTENSION')) {
      throw new FitsError(
        `${rest.length} bytes follow the last HDU but do not start an extension header`,
        context,
      );
    }
    const { header, byteLength } = Header.parse(rest, context);
    const located = hduContext(path, index, header);
    header.locate(located);
    const layout = readLayout(header, index === 0, located);
    const dataStart = offset + byteLength;
    const dataEnd = dataStart + layout.dataByteLength;
    if (dataEnd > bytes.length) {
      throw new FitsError(
        `the file is truncated: the header says ${layout.dataByteLength} bytes of data, only ${Math.max(0, bytes.length - dataStart)} are present`,
        located,
      );
    }
    const data = bytes.subarray(dataStart, dataEnd);
    const hdu = makeHdu({ index, header, layout, data, context: located });
    const nextOffset = dataStart + paddedLength(layout.dataByteLength);
    hduBytes.set(hdu, {
      header: bytes.subarray(offset, dataStart),
      data: bytes.subarray(dataStart, Math.min(nextOffset, bytes.length)),
    });
    hdus.push(hdu);
    offset = nextOffset;
  }
  if (hdus.length === 0) throw new FitsError('the file is empty', { file: path });
  return new FitsFileInMemory(path, hdus);
}

export interface ReadFitsOptions {
  /** Check CHECKSUM and DATASUM of every HDU that has them; a mismatch throws FitsError. */
  readonly verifyChecksums?: boolean;
}

/** Reads a whole FITS file (plain or gzip-compressed) into memory. */
export async function readFits(path: string, options: ReadFitsOptions = {}): Promise<FitsFile> {
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw new FitsError(
      `cannot read the file: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
  const bytes = isGzip(raw) ? await gunzipWhole(raw, path) : raw;
  const file = parseFits(bytes, path);
  if (options.verifyChecksums) {
    for (const hdu of file.hdus) verifyHduChecksum(hdu);
  }
  return file;
}
