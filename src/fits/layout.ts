/**
 * What a header says about the data that follows it: which kind of HDU, BITPIX,
 * axes and how many bytes of data (FITS 4.0 sections 4.4.1 and 7).
 */
import type { ColumnCode } from './columns.js';
import { FitsError, hduLabel, type FitsErrorContext } from './errors.js';
import type { Header } from './header.js';

export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;

export const BITPIX_CODE: Readonly<Record<Bitpix, ColumnCode>> = {
  8: 'B',
  16: 'I',
  32: 'J',
  64: 'K',
  [-32]: 'E',
  [-64]: 'D',
};

export interface DataLayout {
  /** 'primary' for the first HDU, otherwise the XTENSION value upper-cased and trimmed. */
  readonly xtension: string;
  readonly bitpix: Bitpix;
  /** NAXIS1..NAXISn. */
  readonly axes: readonly number[];
  readonly pcount: number;
  readonly gcount: number;
  /** Bytes of data including the heap, excluding the padding to 2880. */
  readonly dataByteLength: number;
}

export function isBitpix(value: number): value is Bitpix {
  return value in BITPIX_CODE;
}

/** Reads the mandatory keywords and computes the size of the data. */
export function readLayout(
  header: Header,
  primary: boolean,
  context: FitsErrorContext,
): DataLayout {
  const first = header.cards[0];
  const expected = primary ? 'SIMPLE' : 'XTENSION';
  if (first?.keyword.toUpperCase() !== expected) {
    const found = first === undefined ? 'no cards' : `'${first.keyword}'`;
    throw new FitsError(`the header must start with ${expected}, found ${found}`, context);
  }
  const xtension = primary ? 'primary' : header.requireString('XTENSION').trim().toUpperCase();
  const bitpix = header.requireInteger('BITPIX');
  if (!isBitpix(bitpix)) {
    throw new FitsError(`BITPIX = ${bitpix} is not one of 8, 16, 32, 64, -32, -64`, {
      ...context,
      card: 'BITPIX',
    });
  }
  const naxis = header.requireInteger('NAXIS');
  if (naxis < 0 || naxis > 999) {
    throw new FitsError(`NAXIS = ${naxis} is outside 0..999`, { ...context, card: 'NAXIS' });
  }
  const axes: number[] = [];
  for (let n = 1; n <= naxis; n++) {
    const length = header.requireInteger(`NAXIS${n}`);
    if (length < 0)
      throw new FitsError(`NAXIS${n} = ${length} is negative`, { ...context, card: `NAXIS${n}` });
    axes.push(length);
  }
  const pcount = header.getInteger('PCOUNT') ?? 0;
  const gcount = header.getInteger('GCOUNT') ?? 1;
  if (pcount < 0)
    throw new FitsError(`PCOUNT = ${pcount} is negative`, { ...context, card: 'PCOUNT' });
  if (gcount < 0)
    throw new FitsError(`GCOUNT = ${gcount} is negative`, { ...context, card: 'GCOUNT' });
  // Random groups (NAXIS1 = 0, GROUPS = T) leave NAXIS1 out of the product.
  const groups = primary && axes[0] === 0 && header.get('GROUPS') === true;
  const counted = groups ? axes.slice(1) : axes;
  const elements = naxis === 0 ? 0 : counted.reduce((a, b) => a * b, 1);
  const dataByteLength = (Math.abs(bitpix) / 8) * gcount * (pcount + elements);
  return { xtension, bitpix, axes, pcount, gcount, dataByteLength };
}

/** EXTNAME trimmed, or '' when absent. */
export function extensionName(header: Header): string {
  const value = header.get('EXTNAME');
  return typeof value === 'string' ? value.trim() : '';
}

/** EXTVER, 1 when absent. */
export function extensionVersion(header: Header): number {
  const value = header.get('EXTVER');
  return typeof value === 'number' && Number.isInteger(value) ? value : 1;
}

/** The context for messages about an HDU once its header is read. */
export function hduContext(
  file: string | undefined,
  index: number,
  header: Header,
): FitsErrorContext {
  const hdu = hduLabel(index, extensionName(header));
  return file === undefined ? { hdu } : { file, hdu };
}

/** Finds an HDU by index, by EXTNAME (case-insensitive, then EXTVER) or 'PRIMARY'. */
export function selectHdu<
  T extends { readonly index: number; readonly name: string; readonly header: Header },
>(
  hdus: readonly T[],
  nameOrIndex: string | number,
  extver: number | undefined,
  context: FitsErrorContext,
): T {
  const available = hdus.map((h) => hduLabel(h.index, h.name)).join(', ');
  if (typeof nameOrIndex === 'number') {
    const found = hdus[nameOrIndex];
    if (found === undefined) {
      throw new FitsError(`there is no HDU ${nameOrIndex} (HDUs: ${available})`, context);
    }
    return found;
  }
  const wanted = nameOrIndex.trim().toUpperCase();
  const found = hdus.find(
    (h) =>
      (h.name.toUpperCase() === wanted ||
        (h.index === 0 && h.name === '' && wanted === 'PRIMARY')) &&
      (extver === undefined || extensionVersion(h.header) === extver),
  );
  if (found === undefined) {
    const version = extver === undefined ? '' : ` with EXTVER = ${extver}`;
    throw new FitsError(
      `there is no HDU named '${nameOrIndex}'${version} (HDUs: ${available})`,
      context,
    );
  }
  return found;
}

export function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Zeros or spaces after the last HDU (some writers pad that way). */
export function isFiller(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0 && bytes[i] !== 0x20) return false;
  return true;
}
