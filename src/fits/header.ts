/**
 * A FITS header: ordered cards with typed access. Long strings (CONTINUE) are
 * merged into one card on reading and split again on writing; HIERARCH keywords
 * are looked up by their name after HIERARCH. Cards read from a file keep their
 * original images, so an unchanged header writes back byte for byte.
 */
import { Buffer } from 'node:buffer';
import { CARD_LENGTH, formatCard, parseCardImage, type Card, type HeaderValue } from './card.js';
import { FitsError, type FitsErrorContext } from './errors.js';

export type { Card, HeaderValue } from './card.js';

export const BLOCK_LENGTH = 2880;

/** Bytes of `length` rounded up to whole 2880-byte FITS blocks. */
export function paddedLength(length: number): number {
  return Math.ceil(length / BLOCK_LENGTH) * BLOCK_LENGTH;
}

interface Entry {
  readonly card: Card;
  /** Images as read from the file; absent for cards set in code. */
  readonly images?: readonly string[];
  /** A string value ending in & that a CONTINUE card may extend. */
  readonly continued?: boolean;
}

const END_IMAGE = 'END'.padEnd(CARD_LENGTH);

export class Header {
  #entries: Entry[];
  #cards: readonly Card[] | undefined;
  #index: Map<string, number> | undefined;
  #context: FitsErrorContext;

  constructor(cards: readonly Card[] = [], context: FitsErrorContext = {}) {
    this.#context = context;
    this.#entries = [];
    for (const card of cards) {
      formatCard(card, this.#where(card.keyword));
      this.#entries.push({ card });
    }
  }

  /**
   * Reads a header from the start of `bytes`, up to and including the END card.
   * `byteLength` counts the padding to the next 2880-byte block.
   */
  static parse(
    bytes: Uint8Array,
    context: FitsErrorContext = {},
  ): { header: Header; byteLength: number } {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries: Entry[] = [];
    const cardCount = Math.floor(bytes.length / CARD_LENGTH);
    for (let i = 0; i < cardCount; i++) {
      const start = i * CARD_LENGTH;
      checkCardBytes(bytes, start, { ...context, card: `#${i + 1}` });
      const image = text.toString('latin1', start, start + CARD_LENGTH);
      if (image.startsWith('END') && image.slice(3).trim() === '') {
        const header = new Header([], context);
        header.#entries = entries;
        return {
          header,
          byteLength: Math.ceil(((i + 1) * CARD_LENGTH) / BLOCK_LENGTH) * BLOCK_LENGTH,
        };
      }
      const parsed = parseCardImage(image, { ...context, card: `#${i + 1}` });
      const previous = entries[entries.length - 1];
      if (parsed.continuation && previous?.continued && typeof previous.card.value === 'string') {
        entries[entries.length - 1] = mergeContinuation(previous, parsed.continuation, image);
      } else {
        entries.push({ card: parsed.card, images: [image], continued: parsed.continued });
      }
    }
    const problem =
      bytes.length < BLOCK_LENGTH
        ? `header is cut short: only ${bytes.length} bytes where a 2880-byte header block was expected`
        : `header has no END card in its ${cardCount} cards`;
    throw new FitsError(problem, context);
  }

  /** The cards in order, without END; a CONTINUE sequence is one card. */
  get cards(): readonly Card[] {
    this.#cards ??= this.#entries.map((e) => e.card);
    return this.#cards;
  }

  /** Where this header sits (file, HDU), used in error messages. */
  get context(): FitsErrorContext {
    return this.#context;
  }

  /** Sets where this header sits, for error messages (used by the readers once EXTNAME is known). */
  locate(context: FitsErrorContext): void {
    this.#context = context;
  }

  has(keyword: string): boolean {
    return this.#find(keyword) !== undefined;
  }

  /** The value of the first card with this keyword; null for a card with an undefined value. */
  get(keyword: string): HeaderValue | undefined {
    const entry = this.#find(keyword);
    return entry === undefined ? undefined : entry.card.value;
  }

  /** The comment of the first card with this keyword. */
  getComment(keyword: string): string | undefined {
    return this.#find(keyword)?.card.comment;
  }

  getString(keyword: string): string | undefined {
    const value = this.get(keyword);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.#wrongType(keyword, value, 'a string');
    return value.trimEnd();
  }

  /** Integers, reals and big integers (converted) as a number. */
  getNumber(keyword: string): number | undefined {
    const value = this.get(keyword);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    throw this.#wrongType(keyword, value, 'a number');
  }

  /** An integer that fits a JavaScript number exactly; reals with a fraction are refused. */
  getInteger(keyword: string): number | undefined {
    const value = this.get(keyword);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'bigint') {
      if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        return Number(value);
      }
      throw new FitsError(
        `value ${value} is beyond 2^53; read it with get()`,
        this.#where(keyword),
      );
    }
    throw this.#wrongType(keyword, value, 'an integer');
  }

  /** Integers of any size, as bigint. */
  getBigInt(keyword: string): bigint | undefined {
    const value = this.get(keyword);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    throw this.#wrongType(keyword, value, 'an integer');
  }

  getBoolean(keyword: string): boolean | undefined {
    const value = this.get(keyword);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw this.#wrongType(keyword, value, 'a logical (T or F)');
    return value;
  }

  requireString(keyword: string): string {
    return this.#required(keyword, this.getString(keyword));
  }

  requireNumber(keyword: string): number {
    return this.#required(keyword, this.getNumber(keyword));
  }

  requireInteger(keyword: string): number {
    return this.#required(keyword, this.getInteger(keyword));
  }

  requireBoolean(keyword: string): boolean {
    return this.#required(keyword, this.getBoolean(keyword));
  }

  /** Replaces the value of the first card with this keyword (keeping its comment unless given), or appends a card. */
  set(keyword: string, value: HeaderValue, comment?: string): void {
    const at = this.#position(keyword);
    const previous = at === undefined ? undefined : this.#entries[at]!.card;
    if (previous !== undefined && previous.value === undefined) {
      throw new FitsError('a commentary card has no value to set', this.#where(keyword));
    }
    const keptComment = comment ?? previous?.comment;
    const card: Card = {
      keyword: previous?.keyword ?? keyword,
      value,
      ...(keptComment !== undefined ? { comment: keptComment } : {}),
    };
    formatCard(card, this.#where(keyword));
    if (at === undefined) this.#entries.push({ card });
    else this.#entries[at] = { card };
    this.#changed();
  }

  /** Removes every card with this keyword. */
  delete(keyword: string): void {
    const key = normalize(keyword);
    this.#entries = this.#entries.filter((e) => normalize(e.card.keyword) !== key);
    this.#changed();
  }

  addComment(text: string): void {
    this.#append({ keyword: 'COMMENT', comment: text });
  }

  addHistory(text: string): void {
    this.#append({ keyword: 'HISTORY', comment: text });
  }

  /** Appends any card (valued or commentary) after the existing ones. */
  append(card: Card): void {
    this.#append(card);
  }

  /** A deep copy that can be changed without touching this header. */
  clone(): Header {
    const copy = new Header([], this.#context);
    copy.#entries = [...this.#entries];
    return copy;
  }

  /** 80-character cards, END, padded with spaces to a multiple of 2880 bytes. */
  toBytes(): Uint8Array {
    const images: string[] = [];
    for (const entry of this.#entries) {
      images.push(...(entry.images ?? formatCard(entry.card, this.#where(entry.card.keyword))));
    }
    images.push(END_IMAGE);
    const text = images.join('');
    const bytes = Buffer.alloc(paddedLength(text.length), 0x20);
    bytes.write(text, 0, 'latin1');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #append(card: Card): void {
    formatCard(card, this.#where(card.keyword));
    this.#entries.push({ card });
    this.#changed();
  }

  #changed(): void {
    this.#cards = undefined;
    this.#index = undefined;
  }

  #position(keyword: string): number | undefined {
    if (this.#index === undefined) {
      const index = new Map<string, number>();
      this.#entries.forEach((e, i) => {
        const key = normalize(e.card.keyword);
        if (!index.has(key)) index.set(key, i);
      });
      this.#index = index;
    }
    return this.#index.get(normalize(keyword));
  }

  #find(keyword: string): Entry | undefined {
    const at = this.#position(keyword);
    return at === undefined ? undefined : this.#entries[at];
  }

  #where(keyword: string): FitsErrorContext {
    return { ...this.#context, card: keyword };
  }

  #required<T>(keyword: string, value: T | undefined): T {
    if (value === undefined) {
      const problem = this.has(keyword)
        ? 'the required keyword has no value'
        : 'the required keyword is missing';
      throw new FitsError(problem, this.#where(keyword));
    }
    return value;
  }

  #wrongType(keyword: string, value: HeaderValue, expected: string): FitsError {
    return new FitsError(
      `expected ${expected}, found ${describeValue(value)}`,
      this.#where(keyword),
    );
  }
}

function normalize(keyword: string): string {
  return keyword.toUpperCase();
}

function describeValue(value: HeaderValue): string {
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'boolean') return `the logical ${value ? 'T' : 'F'}`;
  if (value === null) return 'no value';
  if (typeof value === 'object') return `the complex (${value.re}, ${value.im})`;
  return `the number ${value}`;
}

function mergeContinuation(
  previous: Entry,
  continuation: { readonly piece: string; readonly comment?: string },
  image: string,
): Entry {
  const head = previous.card.value as string;
  const value = head.slice(0, -1) + continuation.piece;
  const comments = [previous.card.comment, continuation.comment].filter(
    (c): c is string => c !== undefined && c !== '',
  );
  const card: Card = {
    keyword: previous.card.keyword,
    value,
    ...(comments.length > 0 ? { comment: comments.join(' ') } : {}),
  };
  return { card, images: [...(previous.images ?? []), image], continued: value.endsWith('&') };
}

function checkCardBytes(bytes: Uint8Array, start: number, context: FitsErrorContext): void {
  for (let i = start; i < start + CARD_LENGTH; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) {
      throw new FitsError(
        `byte 0x${b.toString(16).padStart(2, '0')} at column ${i - start + 1} is not printable ASCII; this is not a FITS header card`,
        context,
      );
    }
  }
}
