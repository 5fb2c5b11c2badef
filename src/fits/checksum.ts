/**
 * CHECKSUM and DATASUM (FITS 4.0 appendix J): the 32-bit ones'-complement sum of
 * an HDU's big-endian words, DATASUM as its decimal value over the data, and
 * CHECKSUM as 16 ASCII characters chosen so that the whole HDU sums to -0.
 */
import { FitsError, type FitsErrorContext } from './errors.js';
import type { Header } from './header.js';

const ALL_ONES = 0xffffffff;

/** Running ones'-complement sum over bytes that may arrive in pieces of any length. */
export class ChecksumAccumulator {
  // Two 16-bit halves summed without carry; carries are folded in when the value is read.
  #hi = 0;
  #lo = 0;
  #phase = 0;

  add(bytes: Uint8Array): this {
    let i = 0;
    const n = bytes.length;
    while (this.#phase !== 0 && i < n) this.#addByte(bytes[i++]!);
    let hi = this.#hi;
    let lo = this.#lo;
    const aligned = i + ((n - i) & ~3);
    for (; i < aligned; i += 4) {
      hi += (bytes[i]! << 8) | bytes[i + 1]!;
      lo += (bytes[i + 2]! << 8) | bytes[i + 3]!;
    }
    this.#hi = hi;
    this.#lo = lo;
    while (i < n) this.#addByte(bytes[i++]!);
    return this;
  }

  /** The folded 32-bit sum, as an unsigned number. */
  get value(): number {
    let hi = this.#hi;
    let lo = this.#lo;
    for (;;) {
      const hiCarry = Math.floor(hi / 0x10000);
      const loCarry = Math.floor(lo / 0x10000);
      if (hiCarry === 0 && loCarry === 0) return hi * 0x10000 + lo;
      hi = (hi % 0x10000) + loCarry;
      lo = (lo % 0x10000) + hiCarry;
    }
  }

  #addByte(b: number): void {
    switch (this.#phase) {
      case 0:
        this.#hi += b << 8;
        break;
      case 1:
        this.#hi += b;
        break;
      case 2:
        this.#lo += b << 8;
        break;
      default:
        this.#lo += b;
    }
    this.#phase = (this.#phase + 1) & 3;
  }
}

export function checksumOf(...parts: Uint8Array[]): number {
  const sum = new ChecksumAccumulator();
  for (const part of parts) sum.add(part);
  return sum.value;
}

/** Ones'-complement addition of two 32-bit sums. */
export function addChecksums(a: number, b: number): number {
  const s = a + b;
  return s > ALL_ONES ? s - ALL_ONES : s;
}

const EXCLUDED = [0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60];

/** The 16-character CHECKSUM value for an HDU whose sum (with CHECKSUM = 16 zeros) is `sum`. */
export function encodeChecksum(sum: number): string {
  const value = ~sum >>> 0;
  const ascii = new Array<number>(16);
  for (let i = 0; i < 4; i++) {
    const byte = (value >>> (24 - 8 * i)) & 0xff;
    const quotient = (byte >> 2) + 0x30;
    const ch = [quotient + (byte & 3), quotient, quotient, quotient];
    // Keep clear of ASCII punctuation: move one unit between pairs until no character is excluded.
    for (let changed = true; changed;) {
      changed = false;
      for (const excluded of EXCLUDED) {
        for (let j = 0; j < 4; j += 2) {
          if (ch[j] === excluded || ch[j + 1] === excluded) {
            ch[j]!++;
            ch[j + 1]!--;
            changed = true;
          }
        }
      }
    }
    for (let j = 0; j < 4; j++) ascii[4 * j + i] = ch[j]!;
  }
  // The standard rotates the result one place to the right.
  return String.fromCharCode(...ascii.map((_, i) => ascii[(i + 15) % 16]!));
}

/** Sets DATASUM and CHECKSUM in `header` for data that sums to `dataSum`. */
export function stampChecksums(header: Header, dataSum: number, when = new Date()): void {
  const stamp = when.toISOString().slice(0, 19);
  header.set('CHECKSUM', '0000000000000000', `HDU checksum updated ${stamp}`);
  header.set('DATASUM', String(dataSum), `data unit checksum updated ${stamp}`);
  const total = addChecksums(checksumOf(header.toBytes()), dataSum);
  header.set('CHECKSUM', encodeChecksum(total));
}

export interface ChecksumStatus {
  readonly checksum: 'ok' | 'absent';
  readonly datasum: 'ok' | 'absent';
}

/**
 * Checks CHECKSUM (the whole HDU sums to -0) and DATASUM (the data sum) where
 * present; a mismatch throws FitsError naming the card.
 */
export function verifyChecksums(
  header: Header,
  headerBytes: Uint8Array,
  paddedData: Uint8Array,
  context: FitsErrorContext,
): ChecksumStatus {
  return checkSums(header, checksumOf(headerBytes), checksumOf(paddedData), context);
}

/** verifyChecksums for sums already computed (e.g. while streaming). */
export function checkSums(
  header: Header,
  headerSum: number,
  dataSum: number,
  context: FitsErrorContext,
): ChecksumStatus {
  let datasum: ChecksumStatus['datasum'] = 'absent';
  const declared = header.get('DATASUM');
  if (declared !== undefined && declared !== null) {
    const text = String(declared).trim();
    if (!/^\d+$/.test(text) || Number(text) !== dataSum) {
      throw new FitsError(
        `DATASUM = '${text}' but the data sum to ${dataSum}: the data are corrupted or were changed`,
        { ...context, card: 'DATASUM' },
      );
    }
    datasum = 'ok';
  }
  let checksum: ChecksumStatus['checksum'] = 'absent';
  if (header.has('CHECKSUM')) {
    const total = addChecksums(headerSum, dataSum);
    if (total !== ALL_ONES) {
      throw new FitsError(
        `CHECKSUM does not match: the HDU sums to 0x${total.toString(16).padStart(8, '0')} instead of 0xffffffff (header or data corrupted)`,
        { ...context, card: 'CHECKSUM' },
      );
    }
    checksum = 'ok';
  }
  return { checksum, datasum };
}
