/**
 * ADQL tokens (ADQL 2.1 §2.1): regular and delimited identifiers, string and numeric
 * literals (decimal, approximate, hexadecimal), operators and punctuation. Comments
 * (`--` to end of line) and whitespace separate tokens and are dropped.
 */
import { AdqlError, type SourcePosition } from './errors.js';

export type TokenKind =
  | 'identifier' // regular identifier or keyword; `upper` holds the upper-case form
  | 'delimited' // "quoted identifier"; `text` holds the name without quotes
  | 'string' // 'literal'; `text` holds the value without quotes
  | 'integer'
  | 'decimal' // has a decimal point, no exponent
  | 'real' // has an exponent
  | 'hex'
  | 'symbol'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier or literal value, or the symbol itself. */
  readonly text: string;
  /** Upper-case text, used to match keywords. */
  readonly upper: string;
  readonly at: SourcePosition;
  /** Offset just after the token in the source. */
  readonly end: number;
}

const symbols = [
  '<>',
  '!=',
  '<=',
  '>=',
  '||',
  '(',
  ')',
  ',',
  '.',
  '*',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<',
  '>',
  ';',
];

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHexDigit = (c: string): boolean =>
  isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isSpace = (c: string): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Splits ADQL text into tokens; the last token is always `eof`. */
export function tokenize(source: string): Token[] {
  // A lone surrogate cannot be encoded for the database; say where it is.
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(
    source,
  );
  if (lone) {
    const before = source.slice(0, lone.index);
    const at = {
      offset: lone.index,
      line: before.split('\n').length,
      column: lone.index - before.lastIndexOf('\n'),
    };
    throw new AdqlError(
      'the query contains an invalid character (an unpaired UTF-16 surrogate)',
      at,
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;

  const position = (offset: number): SourcePosition => ({
    offset,
    line,
    column: offset - lineStart + 1,
  });
  const push = (kind: TokenKind, text: string, start: SourcePosition, end: number): void => {
    tokens.push({
      kind,
      text,
      upper: kind === 'identifier' || kind === 'symbol' ? text.toUpperCase() : text,
      at: start,
      end,
    });
  };
  // Advances over `count` characters, keeping line numbers right inside literals.
  const advance = (to: number): void => {
    for (; i < to; i++) {
      if (source[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  };

  while (i < source.length) {
    const c = source[i] as string;
    if (isSpace(c)) {
      advance(i + 1);
      continue;
    }
    if (c === '-' && source[i + 1] === '-') {
      const eol = source.indexOf('\n', i);
      advance(eol < 0 ? source.length : eol);
      continue;
    }
    const start = position(i);
    if (isLetter(c)) {
      let j = i + 1;
      while (
        j < source.length &&
        (isLetter(source[j] as string) || isDigit(source[j] as string) || source[j] === '_')
      )
        j++;
      push('identifier', source.slice(i, j), start, j);
      advance(j);
      continue;
    }
    if (c === '_') {
      let j = i + 1;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j] as string)) j++;
      throw new AdqlError(
        `identifiers must start with a letter: '${source.slice(i, j)}' is not a valid name (write it in double quotes, "${source.slice(i, j)}", if the table really uses it)`,
        start,
      );
    }
    if (c === '"' || c === "'") {
      const { value, end } =
        c === "'" ? scanString(source, i, start) : scanQuoted(source, i, start);
      if (value.includes('\u0000')) {
        throw new AdqlError('strings and names cannot contain the NUL character', start);
      }
      if (c === '"' && value.length === 0)
        throw new AdqlError('a delimited identifier ("...") must not be empty', start);
      push(c === '"' ? 'delimited' : 'string', value, start, end);
      advance(end);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1] ?? ''))) {
      const j = scanNumber(source, i, start, push);
      advance(j);
      continue;
    }
    const symbol = symbols.find((s) => source.startsWith(s, i));
    if (symbol === undefined) {
      const code = source.codePointAt(i) ?? 0;
      const shown =
        code > 32 && code !== 127
          ? `'${String.fromCodePoint(code)}'`
          : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new AdqlError(`unexpected character ${shown}`, start);
    }
    push('symbol', symbol, start, i + symbol.length);
    advance(i + symbol.length);
  }
  tokens.push({ kind: 'eof', text: '', upper: '', at: position(i), end: i });
  return tokens;
}

/** Offset of the first character at or after `i` that is not whitespace or a `--` comment. */
function skipSeparators(source: string, i: number): number {
  for (;;) {
    while (i < source.length && isSpace(source[i] as string)) i++;
    if (!source.startsWith('--', i)) return i;
    const eol = source.indexOf('\n', i);
    if (eol < 0) return source.length;
    i = eol;
  }
}

/**
 * Reads a character string literal: 'part' followed by any further 'parts' separated
 * only by whitespace or comments, which continue the same literal (SQL-92 §5.3,
 * `<character string literal>`): 'qua' -- note, newline, 'tsch' is 'quatsch'.
 */
function scanString(
  source: string,
  i: number,
  start: SourcePosition,
): { value: string; end: number } {
  let { value, end } = scanQuoted(source, i, start);
  for (;;) {
    const next = skipSeparators(source, end);
    if (next === end || source[next] !== "'") return { value, end };
    const part = scanQuoted(source, next, start);
    value += part.value;
    end = part.end;
  }
}

/** Reads a '...' or "..." token starting at `i`, where a doubled quote stands for one. */
function scanQuoted(
  source: string,
  i: number,
  start: SourcePosition,
): { value: string; end: number } {
  const quote = source[i] as string;
  let j = i + 1;
  let value = '';
  for (;;) {
    const k = source.indexOf(quote, j);
    if (k < 0) {
      throw new AdqlError(
        quote === '"'
          ? 'unterminated delimited identifier: missing closing double quote (")'
          : "unterminated string literal: missing closing quote (')",
        start,
      );
    }
    value += source.slice(j, k);
    if (source[k + 1] !== quote) return { value, end: k + 1 };
    value += quote;
    j = k + 2;
  }
}

function scanNumber(
  source: string,
  i: number,
  start: SourcePosition,
  push: (kind: TokenKind, text: string, start: SourcePosition, end: number) => void,
): number {
  // The longest literal wins and whatever follows starts a new token, as in SQL-92:
  // 89x is 89 then x, 2desc is 2 then DESC, 1e is 1 then e, 0x is 0 then x.
  const digitsFrom = (k: number): number => {
    while (k < source.length && isDigit(source[k] as string)) k++;
    return k;
  };
  let j: number;
  let kind: TokenKind = 'integer';
  const hexEnd = (): number => {
    let k = i + 2;
    while (k < source.length && isHexDigit(source[k] as string)) k++;
    return k;
  };
  if (source[i] === '0' && (source[i + 1] === 'x' || source[i + 1] === 'X') && hexEnd() > i + 2) {
    j = hexEnd();
    kind = 'hex';
  } else {
    j = digitsFrom(i);
    if (source[j] === '.') {
      kind = 'decimal';
      j = digitsFrom(j + 1);
    }
    if (source[j] === 'e' || source[j] === 'E') {
      let k = j + 1;
      if (source[k] === '+' || source[k] === '-') k++;
      const exponentEnd = digitsFrom(k);
      if (exponentEnd > k) {
        kind = 'real';
        j = exponentEnd;
      }
    }
  }
  push(kind, source.slice(i, j), start, j);
  return j;
}
