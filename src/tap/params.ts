/**
 * DALI/TAP request parameters: names are case-insensitive, a parameter may repeat,
 * and GET query strings and POST forms carry the same thing.
 */
export class TapParameters {
  private readonly values = new Map<string, string[]>();

  constructor(entries: Iterable<readonly [string, string]>) {
    for (const [name, value] of entries) {
      const key = name.toUpperCase();
      const list = this.values.get(key) ?? [];
      list.push(value);
      this.values.set(key, list);
    }
  }

  /** From a Fastify-style parsed query or form body (string or string[] values). */
  static fromRecord(record: Readonly<Record<string, unknown>> | undefined | null): TapParameters {
    const entries: [string, string][] = [];
    for (const [name, value] of Object.entries(record ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string') entries.push([name, v]);
        else if (typeof v === 'number' || typeof v === 'boolean') entries.push([name, String(v)]);
      }
    }
    return new TapParameters(entries);
  }

  /** The single value of a parameter; a repeated parameter is an error. */
  get(name: string): string | undefined {
    const list = this.values.get(name.toUpperCase());
    if (!list || list.length === 0) return undefined;
    if (list.length > 1 && new Set(list).size > 1) {
      throw new TapError(
        400,
        `parameter ${name.toUpperCase()} was given ${list.length} times with different values`,
      );
    }
    return list[0];
  }

  all(name: string): readonly string[] {
    return this.values.get(name.toUpperCase()) ?? [];
  }

  /** Every parameter with its values, names upper case. */
  entries(): IterableIterator<[string, string[]]> {
    return this.values.entries();
  }

  has(name: string): boolean {
    return this.values.has(name.toUpperCase());
  }

  merged(other: TapParameters): TapParameters {
    const entries: [string, string][] = [];
    for (const source of [this, other]) {
      for (const [key, list] of source.values) for (const v of list) entries.push([key, v]);
    }
    return new TapParameters(entries);
  }
}

/** A request the service refuses, with the HTTP status that fits and a message for the user. */
export class TapError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TapError';
  }
}
