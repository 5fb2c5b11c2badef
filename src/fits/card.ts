/**
 * One header card: reading an 80-character card image into a keyword, value and
 * comment, and writing a card back as one or more images (CONTINUE for long
 * strings, HIERARCH for long or free-form keywords). FITS 4.0 section 4.
 */
import { FitsError, type FitsErrorContext } from './errors.js';

export type HeaderValue = string | number | bigint | boolean | null | { re: number; im: number };

/**
 * A keyword with a value (null for an undefined value) and an optional comment.
 * Commentary cards (COMMENT, HISTORY, blank keyword, any keyword without `= `)
 * have no value; their text is in `comment`.
 */
export interface Card {
  readonly keyword: string;
  readonly value?: HeaderValue;
  readonly comment?: string;
}

export const CARD_LENGTH = 80;

/** A card image read apart; `continued` when a string value ends in `&` (a CONTINUE may follow). */
export interface ParsedCard {
  readonly card: Card;
  readonly continued: boolean;
  /** Set on CONTINUE cards that carry a string piece (trailing spaces removed, & kept). */
  readonly continuation?: { readonly piece: string; readonly comment?: string };
}

const COMMENTARY_KEYWORDS = new Set(['COMMENT', 'HISTORY', '']);
const STANDARD_KEYWORD = /^[A-Z0-9_-]{1,8}$/;
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;
const COMPLEX =
  /^\(\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?)\s*,\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?)\s*\)$/;

/** Reads one 80-character card image (already checked to be printable ASCII). */
export function parseCardImage(image: string, context: FitsErrorContext): ParsedCard {
  const name = image.slice(0, 8).trimEnd();
  if (name === 'HIERARCH') {
    const equals = image.indexOf('=', 8);
    if (equals < 0) return commentary(name, image);
    const keyword = image.slice(8, equals).trim();
    if (keyword === '') throw new FitsError('HIERARCH card has no keyword before =', context);
    return valued(keyword, image.slice(equals + 1), { ...context, card: keyword });
  }
  if (name.includes(' ')) {
    throw new FitsError(`keyword '${image.slice(0, 8)}' contains a space`, context);
  }
  if (name === 'CONTINUE') {
    const field = image.slice(8);
    if (!field.trimStart().startsWith("'")) return commentary(name, image);
    const where = { ...context, card: name };
    const { text, rest } = readQuoted(field, where);
    const comment = readComment(rest, where);
    const piece = text.trimEnd();
    return {
      card: { keyword: name, comment: field.trim() },
      continued: piece.endsWith('&'),
      continuation: { piece, ...(comment !== undefined ? { comment } : {}) },
    };
  }
  if (COMMENTARY_KEYWORDS.has(name) || image.slice(8, 10) !== '= ') return commentary(name, image);
  return valued(name, image.slice(10), { ...context, card: name });
}

function commentary(keyword: string, image: string): ParsedCard {
  return { card: { keyword, comment: image.slice(8).trimEnd() }, continued: false };
}

function valued(keyword: string, field: string, context: FitsErrorContext): ParsedCard {
  const start = field.length - field.trimStart().length;
  if (field[start] === "'") {
    const { text, rest } = readQuoted(field, context);
    const comment = readComment(rest, context);
    // The value keeps a final & until a following CONTINUE card shows it is a continuation mark.
    const value = text.trimEnd();
    return { card: withComment({ keyword, value }, comment), continued: value.endsWith('&') };
  }
  const slash = field.indexOf('/');
  const token = (slash < 0 ? field : field.slice(0, slash)).trim();
  const comment = slash < 0 ? undefined : field.slice(slash + 1).trim();
  return {
    card: withComment({ keyword, value: parseValueToken(token, context) }, comment),
    continued: false,
  };
}

function withComment(
  card: { keyword: string; value: HeaderValue },
  comment: string | undefined,
): Card {
  return comment === undefined ? card : { ...card, comment };
}

/** A quoted string at the start of `field` (after spaces), with '' read as one quote. */
function readQuoted(field: string, context: FitsErrorContext): { text: string; rest: string } {
  let i = field.indexOf("'") + 1;
  let text = '';
  for (;;) {
    const close = field.indexOf("'", i);
    if (close < 0)
      throw new FitsError(`string value has no closing quote: ${field.trim()}`, context);
    text += field.slice(i, close);
    if (field[close + 1] === "'") {
      text += "'";
      i = close + 2;
    } else {
      return { text, rest: field.slice(close + 1) };
    }
  }
}

function readComment(rest: string, context: FitsErrorContext): string | undefined {
  const trimmed = rest.trim();
  if (trimmed === '') return undefined;
  if (!trimmed.startsWith('/')) {
    throw new FitsError(`unexpected text after the string value: ${trimmed}`, context);
  }
  return trimmed.slice(1).trim();
}

function parseValueToken(token: string, context: FitsErrorContext): HeaderValue {
  if (token === '') return null;
  if (token === 'T') return true;
  if (token === 'F') return false;
  if (INTEGER.test(token)) {
    const n = Number(token);
    return Number.isSafeInteger(n) ? n : BigInt(token);
  }
  if (REAL.test(token)) return parseReal(token);
  const complex = COMPLEX.exec(token);
  if (complex) return { re: parseReal(complex[1]!), im: parseReal(complex[2]!) };
  throw new FitsError(
    `cannot read the value '${token}' (not a string, logical, number or complex)`,
    context,
  );
}

function parseReal(token: string): number {
  return Number(token.replace(/[Dd]/, 'E'));
}

/** True for keywords that fit the 8-character keyword field; others are written as HIERARCH. */
export function isStandardKeyword(keyword: string): boolean {
  return STANDARD_KEYWORD.test(keyword);
}

/** Writes a card as 80-character images: several for long strings and long commentary. */
export function formatCard(card: Card, context: FitsErrorContext = {}): string[] {
  const where = { ...context, card: card.keyword };
  checkPrintable(card.keyword, 'keyword', where);
  if (card.keyword.trim().toUpperCase() === 'END') {
    throw new FitsError('END cannot be written as a card; it ends the header', where);
  }
  if (card.comment !== undefined) checkPrintable(card.comment, 'comment', where);
  if (card.value === undefined) return formatCommentary(card, where);
  if (
    COMMENTARY_KEYWORDS.has(card.keyword.toUpperCase()) ||
    card.keyword.toUpperCase() === 'CONTINUE'
  ) {
    throw new FitsError(
      `${card.keyword || 'a blank keyword'} cards carry text, not a value`,
      where,
    );
  }
  const upper = card.keyword.toUpperCase();
  const standard = isStandardKeyword(upper);
  if (!standard && (card.keyword.includes('=') || card.keyword.trim() !== card.keyword)) {
    throw new FitsError('a HIERARCH keyword may not contain = or start/end with spaces', where);
  }
  const prefix = standard ? upper.padEnd(8) + '= ' : `HIERARCH ${card.keyword} = `;
  if (prefix.length > 60) throw new FitsError('the HIERARCH keyword is too long for a card', where);
  if (typeof card.value === 'string') return formatString(prefix, card.value, card.comment, where);
  const text = formatValue(card.value, where);
  const field = standard ? text.padStart(20) : text;
  return [fitComment(prefix + field, card.comment, where)];
}

function formatCommentary(card: Card, context: FitsErrorContext): string[] {
  const keyword = card.keyword.toUpperCase();
  if (keyword.length > 8 || keyword.includes(' ')) {
    throw new FitsError('a card without a value needs a keyword of at most 8 characters', context);
  }
  const text = card.comment ?? '';
  const width = CARD_LENGTH - 8;
  const images: string[] = [];
  for (let at = 0; at === 0 || at < text.length; at += width) {
    images.push((keyword.padEnd(8) + text.slice(at, at + width)).padEnd(CARD_LENGTH));
  }
  return images;
}

/** Right part of a valued card for non-string values (no padding). */
export function formatValue(
  value: Exclude<HeaderValue, string>,
  context: FitsErrorContext,
): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatNumber(value, context);
  return `(${formatReal(value.re, context)}, ${formatReal(value.im, context)})`;
}

/** Integers (within 2^53) as integers; everything else as a real that reads back to the same double. */
export function formatNumber(value: number, context: FitsErrorContext): string {
  if (Number.isSafeInteger(value)) return String(value);
  return formatReal(value, context);
}

function formatReal(value: number, context: FitsErrorContext): string {
  if (!Number.isFinite(value)) {
    throw new FitsError(`${value} cannot be written in a FITS header`, context);
  }
  const text = String(value).toUpperCase();
  if (text.includes('.')) return text;
  const e = text.indexOf('E');
  return e < 0 ? text + '.0' : text.slice(0, e) + '.0' + text.slice(e);
}

function formatString(
  prefix: string,
  value: string,
  comment: string | undefined,
  context: FitsErrorContext,
): string[] {
  checkPrintable(value, 'string value', context);
  const escaped = value.replaceAll("'", "''");
  const quoted = `'${escaped.padEnd(8)}'`;
  if (prefix.length + quoted.length <= CARD_LENGTH) {
    // Strings start in column 11 and, like numbers, leave comments aligned after column 30.
    const field = prefix.length === 10 ? quoted.padEnd(20) : quoted;
    return [fitComment(prefix + field, comment, context)];
  }
  // Long string convention (FITS 4.0 section 4.2.1.2): pieces end in & and go on in CONTINUE cards.
  const continuePrefix = 'CONTINUE  ';
  const images: string[] = [];
  let line = prefix;
  let piece = '';
  for (const ch of value) {
    const add = ch === "'" ? "''" : ch;
    if (line.length + piece.length + add.length + 3 > CARD_LENGTH) {
      images.push(`${line}'${piece}&'`.padEnd(CARD_LENGTH));
      line = continuePrefix;
      piece = '';
    }
    piece += add;
  }
  const last = `${line}'${piece}'`;
  if (comment !== undefined && comment !== '' && last.length + 3 + comment.length > CARD_LENGTH) {
    // A comment that does not fit goes on a CONTINUE card of its own with an empty piece.
    images.push(`${line}'${piece}&'`.padEnd(CARD_LENGTH));
    images.push(fitComment(`${continuePrefix}''`, comment, context));
  } else {
    images.push(fitComment(last, comment, context));
  }
  return images;
}

/** Appends ` / comment` to a card image, cutting the comment at column 80. */
function fitComment(image: string, comment: string | undefined, context: FitsErrorContext): string {
  if (image.length > CARD_LENGTH) {
    throw new FitsError(`the card needs ${image.length} characters, more than 80`, context);
  }
  const withComment = comment === undefined || comment === '' ? image : `${image} / ${comment}`;
  return withComment.slice(0, CARD_LENGTH).padEnd(CARD_LENGTH);
}

function checkPrintable(text: string, what: string, context: FitsErrorContext): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      throw new FitsError(
        `${what} contains character code ${code} at position ${i + 1}; FITS headers allow printable ASCII only`,
        context,
      );
    }
  }
}
