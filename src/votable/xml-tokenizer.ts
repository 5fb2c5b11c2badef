/**
 * A small pull tokenizer for the XML of uploaded VOTables. It checks what makes a
 * document well-formed for our purposes (tag nesting, attribute syntax, entity
 * references) and refuses DOCTYPE declarations outright: no DTD is read, so no
 * external or recursive entities can be declared (XXE, "billion laughs"). Only the
 * five predefined entities and character references are decoded.
 */
import { VotableError } from './errors.js';

export type XmlToken =
  | {
      readonly kind: 'open';
      /** Local name (namespace prefix removed). */
      readonly name: string;
      readonly attributes: ReadonlyMap<string, string>;
      readonly offset: number;
    }
  | { readonly kind: 'close'; readonly name: string; readonly offset: number }
  | { readonly kind: 'text'; readonly text: string; readonly offset: number };

const NAME = /[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9._:\u00B7\u00C0-\uFFFF]*/y;
const PREDEFINED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};
const ATTRIBUTE_WHITESPACE = /[\t\n]/g;

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon < 0 ? qualified : qualified.slice(colon + 1);
}

function isLegalXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

export class XmlTokenizer {
  private readonly source: string;
  private position = 0;
  private readonly open: string[] = [];
  private pendingClose: XmlToken | undefined;
  private rootSeen = false;

  constructor(text: string) {
    // XML 2.11: every CR LF or lone CR reads as LF.
    this.source = text.replace(/\r\n?/g, '\n');
    if (this.source.charCodeAt(0) === 0xfeff) this.position = 1;
  }

  /** 1-based line of an offset, for messages. */
  lineAt(offset: number): number {
    let line = 1;
    for (
      let i = this.source.indexOf('\n');
      i >= 0 && i < offset;
      i = this.source.indexOf('\n', i + 1)
    ) {
      line++;
    }
    return line;
  }

  fail(problem: string, offset = this.position): never {
    throw new VotableError(`malformed XML: ${problem}`, { line: this.lineAt(offset) });
  }

  /** The next token, or undefined at the end of a complete document. */
  next(): XmlToken | undefined {
    if (this.pendingClose !== undefined) {
      const close = this.pendingClose;
      this.pendingClose = undefined;
      return close;
    }
    const src = this.source;
    while (this.position < src.length) {
      const start = this.position;
      if (src.charCodeAt(start) !== 0x3c /* < */) {
        const end = src.indexOf('<', start);
        this.position = end < 0 ? src.length : end;
        const raw = src.slice(start, this.position);
        if (this.open.length === 0) {
          if (raw.trim() !== '') this.fail('text outside the root element', start);
          continue;
        }
        return { kind: 'text', text: this.decode(raw, start), offset: start };
      }
      if (src.startsWith('<!--', start)) {
        this.position = this.skipPast('-->', start + 4, 'comment');
      } else if (src.startsWith('<?', start)) {
        this.position = this.skipPast('?>', start + 2, 'processing instruction');
      } else if (src.startsWith('<![CDATA[', start)) {
        if (this.open.length === 0) this.fail('CDATA outside the root element', start);
        const end = this.skipPast(']]>', start + 9, 'CDATA section');
        this.position = end;
        return { kind: 'text', text: src.slice(start + 9, end - 3), offset: start };
      } else if (src.startsWith('<!DOCTYPE', start) || src.startsWith('<!', start)) {
        this.fail(
          'DOCTYPE and other declarations are not accepted (no DTDs or external entities)',
          start,
        );
      } else if (src.startsWith('</', start)) {
        return this.closeTag(start);
      } else {
        return this.openTag(start);
      }
    }
    if (!this.rootSeen) this.fail('no root element', src.length);
    if (this.open.length > 0) this.fail(`document ends inside <${this.open.at(-1)}>`, src.length);
    return undefined;
  }

  private skipPast(terminator: string, from: number, what: string): number {
    const end = this.source.indexOf(terminator, from);
    if (end < 0) this.fail(`unterminated ${what}`, from);
    return end + terminator.length;
  }

  private readName(at: number): string {
    NAME.lastIndex = at;
    const match = NAME.exec(this.source);
    if (match === null) this.fail('expected a name', at);
    return match[0];
  }

  private skipSpace(at: number): number {
    const src = this.source;
    let i = at;
    while (i < src.length) {
      const c = src.charCodeAt(i);
      if (c !== 0x20 && c !== 0x9 && c !== 0xa) break;
      i++;
    }
    return i;
  }

  private openTag(start: number): XmlToken {
    if (this.open.length === 0 && this.rootSeen) this.fail('a second root element', start);
    const src = this.source;
    const qualified = this.readName(start + 1);
    let i = start + 1 + qualified.length;
    const attributes = new Map<string, string>();
    for (;;) {
      const afterSpace = this.skipSpace(i);
      const c = src[afterSpace];
      if (c === '>' || (c === '/' && src[afterSpace + 1] === '>')) {
        this.position = afterSpace + (c === '>' ? 1 : 2);
        this.rootSeen = true;
        const name = localName(qualified);
        if (c === '/') this.pendingClose = { kind: 'close', name, offset: start };
        else this.open.push(qualified);
        return { kind: 'open', name, attributes, offset: start };
      }
      if (c === undefined) this.fail(`unterminated tag <${qualified}`, start);
      if (afterSpace === i) this.fail(`expected whitespace, '>' or '/>' in <${qualified}>`, i);
      const attribute = this.readName(afterSpace);
      i = this.skipSpace(afterSpace + attribute.length);
      if (src[i] !== '=') this.fail(`attribute ${attribute} of <${qualified}> has no value`, i);
      i = this.skipSpace(i + 1);
      const quote = src[i];
      if (quote !== '"' && quote !== "'")
        this.fail(`attribute ${attribute} value is not quoted`, i);
      const end = src.indexOf(quote, i + 1);
      if (end < 0) this.fail(`unterminated value of attribute ${attribute}`, i);
      const raw = src.slice(i + 1, end);
      if (raw.includes('<')) this.fail(`'<' in the value of attribute ${attribute}`, i);
      const key = localName(attribute);
      if (attributes.has(key) && !attribute.startsWith('xmlns')) {
        this.fail(`attribute ${attribute} repeated in <${qualified}>`, afterSpace);
      }
      attributes.set(key, this.decode(raw.replace(ATTRIBUTE_WHITESPACE, ' '), i + 1));
      i = end + 1;
    }
  }

  private closeTag(start: number): XmlToken {
    const qualified = this.readName(start + 2);
    const end = this.skipSpace(start + 2 + qualified.length);
    if (this.source[end] !== '>') this.fail(`expected '>' after </${qualified}`, end);
    const expected = this.open.pop();
    if (expected !== qualified) {
      this.fail(
        expected === undefined
          ? `</${qualified}> without an opening tag`
          : `</${qualified}> closes <${expected}>`,
        start,
      );
    }
    this.position = end + 1;
    return { kind: 'close', name: localName(qualified), offset: start };
  }

  /** Replaces entity and character references; anything else after '&' is an error. */
  private decode(raw: string, offset: number): string {
    if (!raw.includes('&')) return raw;
    let out = '';
    let from = 0;
    for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', from)) {
      const semi = raw.indexOf(';', amp);
      if (semi < 0 || semi - amp > 12) this.fail(`'&' that starts no reference`, offset + amp);
      const name = raw.slice(amp + 1, semi);
      let replacement = PREDEFINED[name];
      if (replacement === undefined) {
        const hex = /^#x([0-9a-fA-F]+)$/.exec(name);
        const dec = /^#([0-9]+)$/.exec(name);
        const code = hex ? parseInt(hex[1] ?? '', 16) : dec ? parseInt(dec[1] ?? '', 10) : NaN;
        if (Number.isNaN(code)) {
          this.fail(`undefined entity '&${name};' (DTD entities are not accepted)`, offset + amp);
        }
        if (!isLegalXmlChar(code))
          this.fail(`character reference '&${name};' is not an XML character`, offset + amp);
        replacement = String.fromCodePoint(code);
      }
      out += raw.slice(from, amp) + replacement;
      from = semi + 1;
    }
    return out + raw.slice(from);
  }
}

/**
 * Text of an uploaded document: UTF-8 (the XML default, also for US-ASCII), UTF-16
 * with a byte-order mark, or ISO-8859-1 when the XML declaration says so.
 */
export function decodeXmlBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeStrict('utf-16be', bytes.subarray(2));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeStrict('utf-16le', bytes.subarray(2));
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const declared =
    /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(
      head,
    );
  const encoding = (declared?.[1] ?? 'utf-8').toLowerCase();
  if (
    encoding === 'utf-8' ||
    encoding === 'utf8' ||
    encoding === 'us-ascii' ||
    encoding === 'ascii'
  ) {
    return decodeStrict('utf-8', bytes);
  }
  if (encoding === 'iso-8859-1' || encoding === 'latin1' || encoding === 'iso_8859-1') {
    return Buffer.from(bytes).toString('latin1');
  }
  throw new VotableError(`unsupported document encoding '${declared?.[1]}' (use UTF-8)`);
}

function decodeStrict(encoding: 'utf-8' | 'utf-16be' | 'utf-16le', bytes: Uint8Array): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new VotableError(`the document is not valid ${encoding.toUpperCase()}`);
  }
}
