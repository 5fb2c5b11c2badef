/**
 * DALI 1.1 §3 request parameters: names are case-insensitive, a parameter may repeat,
 * and GET query strings, urlencoded and multipart POST bodies carry the same thing.
 * The one parameter reader of every protocol; malformed input is a DaliError (400).
 */
import { DaliError } from './errors.js';

export class DaliParameters {
  private readonly values = new Map<string, string[]>();

  constructor(entries: Iterable<readonly [string, string]>) {
    for (const [name, value] of entries) {
      const key = name.toUpperCase();
      const list = this.values.get(key) ?? [];
      list.push(value);
      this.values.set(key, list);
    }
  }

  /** From an application/x-www-form-urlencoded text (a query string or a form body). */
  static fromUrlEncoded(text: string, where = 'the request'): DaliParameters {
    return new DaliParameters(decodeUrlEncoded(text, where));
  }

  /** From a parsed record of strings or string lists (e.g. multipart fields). */
  static fromRecord(record: Readonly<Record<string, unknown>> | undefined | null): DaliParameters {
    const entries: [string, string][] = [];
    for (const [name, value] of Object.entries(record ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string') entries.push([name, v]);
        else if (typeof v === 'number' || typeof v === 'boolean') entries.push([name, String(v)]);
      }
    }
    return new DaliParameters(entries);
  }

  /** The single value of a parameter; the same parameter with different values is an error. */
  get(name: string): string | undefined {
    const list = this.values.get(name.toUpperCase());
    if (!list || list.length === 0) return undefined;
    if (list.length > 1 && new Set(list).size > 1) {
      throw new DaliError(
        400,
        `parameter ${name.toUpperCase()} was given ${list.length} times with different values`,
      );
    }
    return list[0];
  }

  /** The value of a parameter the request must have. */
  required(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw new DaliError(400, `${name.toUpperCase()} is required`);
    return value;
  }

  all(name: string): readonly string[] {
    return this.values.get(name.toUpperCase()) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name.toUpperCase());
  }

  /** Every parameter with its values, names upper case. */
  entries(): IterableIterator<[string, string[]]> {
    return this.values.entries();
  }

  /** Every name/value pair, names upper case, in the order received per name. */
  *pairs(): IterableIterator<[string, string]> {
    for (const [name, list] of this.values) for (const v of list) yield [name, v];
  }

  merged(other: DaliParameters): DaliParameters {
    return new DaliParameters([...this.pairs(), ...other.pairs()]);
  }
}

/** Name/value pairs of an urlencoded text; a broken %-escape is a 400 that names it. */
export function decodeUrlEncoded(text: string, where = 'the request'): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [rawName, rawValue] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    pairs.push([decodeComponent(rawName, where), decodeComponent(rawValue, where)]);
  }
  return pairs;
}

function decodeComponent(raw: string, where: string): string {
  const text = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(text);
  } catch {
    const bad = /%(?![0-9A-Fa-f]{2})..?|%[0-9A-Fa-f]{2}/.exec(text)?.[0] ?? raw.slice(0, 20);
    throw new DaliError(
      400,
      `${where} has a malformed %-escape near '${bad}': parameters must be UTF-8, percent-encoded`,
    );
  }
}
