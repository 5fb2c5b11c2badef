/**
 * PostgreSQL results read as `COPY (query) TO STDOUT (FORMAT binary)`: the tuples'
 * fields decoded by column straight from the received bytes (big-endian numbers with
 * DataView, text as UTF-8 slices), without the JS string per field of the text
 * protocol. Types without a binary send function (pg_sphere's) and types whose text
 * the client's parser reads (numeric, timestamptz, jsonb) are cast to text in the SQL
 * and read by that parser; a result with any other type is not read this way
 * (`copyPlan` returns undefined) and goes through the text protocol.
 *
 * The values are those the text protocol gives (see SqlValue and the engine's
 * CATALOG_TYPES): int8 as bigint, other numbers as number (real: the single-precision
 * value), numeric arrays as number[] with NaN for NULL, timestamps and dates as UTC
 * Dates truncated to the millisecond.
 */
import { Readable } from 'node:stream';
import type { PositionalRow, RowSource } from './cursor.js';
import type { SqlValue } from './types.js';

/** How a field of one result column is read (the cases of CopyTupleDecoder.field). */
const INT2 = 0;
const INT4 = 1;
const OID = 2;
const INT8 = 3;
const FLOAT4 = 4;
const FLOAT8 = 5;
const BOOL = 6;
const TEXT = 7;
const TIMESTAMP = 8;
const DATE = 9;
const NUMBER_ARRAY = 10;
/** Cast to text in the SQL, read by the client's parser of the column's own type. */
const PARSED_TEXT = 11;
type Read =
  | typeof INT2
  | typeof INT4
  | typeof OID
  | typeof INT8
  | typeof FLOAT4
  | typeof FLOAT8
  | typeof BOOL
  | typeof TEXT
  | typeof TIMESTAMP
  | typeof DATE
  | typeof NUMBER_ARRAY
  | typeof PARSED_TEXT;

/** Types read from their binary form, with the SQL name they are cast to (a no-op cast). */
const BINARY_TYPES: ReadonlyMap<number, readonly [Read, string]> = new Map<number, [Read, string]>([
  [16, [BOOL, 'bool']],
  [21, [INT2, 'int2']],
  [23, [INT4, 'int4']],
  [26, [OID, 'oid']],
  [20, [INT8, 'int8']],
  [700, [FLOAT4, 'float4']],
  [701, [FLOAT8, 'float8']],
  [25, [TEXT, 'text']],
  [1043, [TEXT, 'varchar']],
  [19, [TEXT, 'name']],
  [114, [TEXT, 'json']],
  [1114, [TIMESTAMP, 'timestamp']],
  [1082, [DATE, 'date']],
  [1005, [NUMBER_ARRAY, 'int2[]']],
  [1007, [NUMBER_ARRAY, 'int4[]']],
  [1016, [NUMBER_ARRAY, 'int8[]']],
  [1021, [NUMBER_ARRAY, 'float4[]']],
  [1022, [NUMBER_ARRAY, 'float8[]']],
]);

/** Types whose `::text` is their output function's text: numeric, numeric[], timestamptz, jsonb. */
const TEXT_CAST_TYPES: ReadonlySet<number> = new Set([1700, 1231, 1184, 3802]);

/** The client's text parsers by type OID (`postgres` options.parsers). */
export type TextParsers = Readonly<Record<number, ((text: string) => unknown) | undefined>>;

/** How each column of one result shape is fetched and read. */
export interface CopyPlan {
  readonly reads: readonly Read[];
  /** The SQL type each column is cast to in the COPY's select list. */
  readonly casts: readonly string[];
  /** For PARSED_TEXT columns, the client's parser (undefined: the text itself). */
  readonly parsers: readonly (((text: string) => unknown) | undefined)[];
}

/**
 * The binary plan for result columns of these type OIDs, or undefined when one of
 * them is neither read in binary nor known to read the same from text (`textTypes`:
 * extension types such as pg_sphere's, whose text the client's parsers read).
 */
export function copyPlan(
  types: readonly number[],
  parsers: TextParsers,
  textTypes: ReadonlySet<number>,
): CopyPlan | undefined {
  if (types.length === 0) return undefined;
  const reads: Read[] = [];
  const casts: string[] = [];
  const columnParsers: (((text: string) => unknown) | undefined)[] = [];
  for (const type of types) {
    const binary = BINARY_TYPES.get(type);
    if (binary) {
      reads.push(binary[0]);
      casts.push(binary[1]);
      columnParsers.push(undefined);
    } else if (TEXT_CAST_TYPES.has(type) || textTypes.has(type)) {
      reads.push(PARSED_TEXT);
      casts.push('text');
      columnParsers.push(parsers[type]);
    } else {
      return undefined;
    }
  }
  return { reads, casts, parsers: columnParsers };
}

/**
 * `sql` as a binary COPY of its columns, each cast to the type it is read as: the
 * columns are renamed positionally (a result may repeat a name), and a cast to the
 * column's own type changes nothing, so a plan made for another shape of the query
 * converts or fails in the server instead of being misread here.
 */
export function copySql(sql: string, plan: CopyPlan): string {
  const names = plan.casts.map((_, i) => `c${i}`);
  const select = plan.casts.map((cast, i) => `q.c${i}::${cast}`).join(', ');
  return `COPY (SELECT ${select} FROM (${sql}) AS q(${names.join(', ')})) TO STDOUT (FORMAT binary)`;
}

/** "PGCOPY\n\377\r\n\0", then flags and the header extension's length (int32 each). */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;

/** Milliseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
const PG_EPOCH_MS = 946_684_800_000;
const MS_PER_DAY = 86_400_000;
const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_BIG = 86_400_000_000n;
/** Days from 2000-01-01 to 1000-01-01 and to 10000-01-01: the years the text path reads as ISO text. */
const FOUR_DIGIT_YEARS = [-365_242, 2_921_940] as const;
const TWO_TO_32 = 4_294_967_296;

const EMPTY = Buffer.alloc(0);

/**
 * Tuples of a binary COPY stream, decoded into columns as bytes arrive. Chunks may
 * end anywhere (the server sends one tuple per message, but nothing here relies on
 * it): a tuple cut by the end of a chunk is decoded again once the rest has come.
 */
export class CopyTupleDecoder {
  private bytes: Buffer = EMPTY;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private at = 0;
  private headerRead = false;
  /** The trailer (field count -1) has been read: no tuple follows. */
  finished = false;

  constructor(private readonly plan: CopyPlan) {}

  get columnCount(): number {
    return this.plan.reads.length;
  }

  /** Bytes received; what is left of the previous ones comes first. */
  push(chunk: Buffer): void {
    const rest = this.bytes.length - this.at;
    this.bytes = rest > 0 ? Buffer.concat([this.bytes.subarray(this.at), chunk]) : chunk;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.at = 0;
  }

  /** Whether the trailer has been read or is next in the bytes held. */
  atTrailer(): boolean {
    if (!this.finished && this.headerRead && this.at + 2 <= this.bytes.length) {
      this.finished = this.view.getInt16(this.at) === -1;
    }
    return this.finished;
  }

  /**
   * Decodes tuples into rows `from`, `from + 1`, … of `columns`, at most `max`, until
   * the bytes held run out or the trailer; returns how many rows it wrote.
   */
  decode(columns: SqlValue[][], from: number, max: number): number {
    if (!this.headerRead && !this.readHeader()) return 0;
    const { reads } = this.plan;
    const count = reads.length;
    const end = this.bytes.length;
    let rows = 0;
    while (rows < max && !this.finished && this.at + 2 <= end) {
      const fields = this.view.getInt16(this.at);
      if (fields === -1) {
        this.finished = true;
        this.at += 2;
        break;
      }
      if (fields !== count) {
        throw new Error(`binary COPY tuple of ${fields} fields, expected ${count}`);
      }
      const row = from + rows;
      let p = this.at + 2;
      let c = 0;
      for (; c < count; c++) {
        if (p + 4 > end) break;
        const length = this.view.getInt32(p);
        p += 4;
        if (length < 0) {
          columns[c]![row] = null;
          continue;
        }
        if (p + length > end) break;
        columns[c]![row] = this.field(c, reads[c]!, p, length);
        p += length;
      }
      if (c < count) break; // the tuple goes on in the next chunk
      this.at = p;
      rows++;
    }
    return rows;
  }

  private readHeader(): boolean {
    if (this.bytes.length - this.at < HEADER_BYTES) return false;
    if (!this.bytes.subarray(this.at, this.at + SIGNATURE.length).equals(SIGNATURE)) {
      throw new Error('not a binary COPY stream (no PGCOPY signature)');
    }
    const extension = this.view.getInt32(this.at + SIGNATURE.length + 4);
    if (this.bytes.length - this.at < HEADER_BYTES + extension) return false;
    this.at += HEADER_BYTES + extension;
    this.headerRead = true;
    return true;
  }

  private field(column: number, read: Read, p: number, length: number): SqlValue {
    const view = this.view;
    switch (read) {
      case FLOAT8:
        return view.getFloat64(p);
      case TEXT:
        return this.bytes.toString('utf8', p, p + length);
      case INT8:
        return view.getBigInt64(p);
      case INT4:
        return view.getInt32(p);
      case INT2:
        return view.getInt16(p);
      case FLOAT4:
        return view.getFloat32(p);
      case BOOL:
        return this.bytes[p] !== 0;
      case OID:
        return view.getUint32(p);
      case TIMESTAMP:
        return timestampDate(view.getInt32(p), view.getUint32(p + 4));
      case DATE:
        return dateOfDays(view.getInt32(p));
      case NUMBER_ARRAY:
        return this.numberArray(p);
      case PARSED_TEXT: {
        const text = this.bytes.toString('utf8', p, p + length);
        const parse = this.plan.parsers[column];
        return parse ? (parse(text) as SqlValue) : text;
      }
    }
  }

  /**
   * A numeric array (ndim, has-null flag, element OID, then length and lower bound per
   * dimension, then the elements) as its elements in order, NULL as NaN.
   */
  private numberArray(p: number): number[] {
    const view = this.view;
    const dimensions = view.getInt32(p);
    const element = view.getUint32(p + 8);
    let n = dimensions === 0 ? 0 : 1;
    for (let d = 0; d < dimensions; d++) n *= view.getInt32(p + 12 + d * 8);
    let q = p + 12 + dimensions * 8;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const length = view.getInt32(q);
      q += 4;
      out[i] = length < 0 ? Number.NaN : arrayElement(view, element, q);
      if (length > 0) q += length;
    }
    return out;
  }
}

/** One element of a numeric array: int2, int4, int8 (as the nearest double), float4 or float8. */
function arrayElement(view: DataView, element: number, q: number): number {
  switch (element) {
    case 701:
      return view.getFloat64(q);
    case 700:
      return view.getFloat32(q);
    case 23:
      return view.getInt32(q);
    case 21:
      return view.getInt16(q);
    default:
      return Number(view.getBigInt64(q));
  }
}

/**
 * A `timestamp` (int64 microseconds since 2000-01-01, given as its high and low
 * words) as the Date the text path reads: truncated to the millisecond, ±infinity as
 * an invalid Date, years outside 1000-9999 as `utcDate` builds them.
 */
export function timestampDate(high: number, low: number): Date {
  if (high === 0x7fffffff && low === 0xffffffff) return new Date(Number.NaN);
  if (high === -0x80000000 && low === 0) return new Date(Number.NaN);
  let days: number;
  let ofDay: number;
  if (high >= -0x200000 && high < 0x200000) {
    // |micros| < 2^53 (2285 back to 1715): exact as a double.
    const micros = high * TWO_TO_32 + low;
    days = Math.floor(micros / US_PER_DAY);
    ofDay = micros - days * US_PER_DAY;
    // The quotient may have been rounded to the next whole day.
    if (ofDay < 0) {
      days--;
      ofDay += US_PER_DAY;
    }
  } else {
    const micros = (BigInt(high) << 32n) | BigInt(low);
    let whole = micros / US_PER_DAY_BIG;
    if (whole * US_PER_DAY_BIG > micros) whole--;
    days = Number(whole);
    ofDay = Number(micros - whole * US_PER_DAY_BIG);
  }
  if (days >= FOUR_DIGIT_YEARS[0] && days < FOUR_DIGIT_YEARS[1]) {
    return new Date(PG_EPOCH_MS + days * MS_PER_DAY + Math.floor(ofDay / 1000));
  }
  return outsideFourDigitYears(days, ofDay);
}

/** A `date` (int32 days since 2000-01-01) as the Date the text path reads. */
export function dateOfDays(days: number): Date {
  if (days === 0x7fffffff || days === -0x80000000) return new Date(Number.NaN);
  if (days >= FOUR_DIGIT_YEARS[0] && days < FOUR_DIGIT_YEARS[1]) {
    return new Date(PG_EPOCH_MS + days * MS_PER_DAY);
  }
  return outsideFourDigitYears(days, 0);
}

/**
 * What `utcDate` (postgres.ts) makes of the text of a year before 1000, after 9999 or
 * before the common era: the date and time set in the year 2000, the seconds read as
 * a decimal (microseconds / 10^6 is the double nearest that decimal, as Number() of
 * it), then the year set apart.
 */
function outsideFourDigitYears(days: number, microsOfDay: number): Date {
  const [year, month, day] = civilFromDays(days);
  const minutes = Math.floor(microsOfDay / 60_000_000);
  const seconds = (microsOfDay - minutes * 60_000_000) / 1_000_000;
  return yearSetApart(year, month, day, Math.floor(minutes / 60), minutes % 60, seconds);
}

/**
 * The UTC date-time of a year outside what `Date` parses (before 1000, after 9999,
 * astronomical year numbers before the common era): made in the year 2000, truncated
 * to the millisecond, then moved to its year. Shared with the text path (postgres.ts).
 */
export function yearSetApart(
  year: number,
  month: number,
  day: number,
  hours: number,
  minutes: number,
  seconds: number,
): Date {
  const result = new Date(
    Date.UTC(2000, month - 1, day, hours, minutes) + Math.trunc(seconds * 1000),
  );
  result.setUTCFullYear(year);
  return result;
}

/** Proleptic Gregorian year (astronomical: 0 is 1 BC), month and day of days since 2000-01-01. */
function civilFromDays(days: number): [number, number, number] {
  // Howard Hinnant's days_from_civil inverted, counted from 0000-03-01.
  const z = days + 730_425;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

/** The `postgres` client's query, as far as a COPY TO STDOUT uses it. */
interface CopyQuery {
  /** Called by the client with the COPY's stream once the server has started it. */
  resolve: (value: unknown) => void;
  readable(): Promise<unknown>;
}

/**
 * Starts a COPY TO STDOUT and gives its stream. The client destroys the stream with the
 * server's error on the next tick, which can come before the caller's await resumes
 * (the error in the same packet as the start): a listener is put on it the moment the
 * client makes it, so that the error waits in `stream.errored` instead of crashing.
 */
export async function copyStream(query: object): Promise<Readable> {
  const copy = query as CopyQuery;
  const resolve = copy.resolve;
  copy.resolve = (value) => {
    if (value instanceof Readable) value.on('error', () => undefined);
    resolve(value);
  };
  const stream = await copy.readable();
  if (!(stream instanceof Readable)) throw new Error('COPY TO STDOUT gave no stream');
  return stream;
}

/**
 * The client pauses its socket when a COPY stream's buffer is full and resumes it only
 * when the stream is read again: a pause after the last message would leave the
 * connection deaf once the stream has ended (porsager/postgres#1016).
 */
function resumeSocket(stream: Readable): void {
  stream._read(0);
}

/**
 * The rows of a binary COPY as column batches, decoded as the reader asks for them:
 * the stream's buffer and the socket's are all that is read ahead, so that the
 * server waits (TCP backpressure) while the writers are behind.
 */
export class CopyColumnSource implements RowSource {
  private readonly decoder: CopyTupleDecoder;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private first: SqlValue[][] | undefined;

  private constructor(
    readonly columnNames: readonly string[],
    private readonly stream: Readable,
    plan: CopyPlan,
    private readonly rowsPerBatch: number,
    private readonly stop: () => Promise<unknown>,
    private readonly release: () => Promise<void>,
  ) {
    this.decoder = new CopyTupleDecoder(plan);
    // It may have failed before this source listened (see copyStream).
    if (stream.errored) this.failure = { error: stream.errored };
    this.ended = stream.destroyed || stream.readableEnded;
    const wake = (): void => {
      const resolve = this.wakeReader;
      this.wakeReader = undefined;
      resolve?.();
    };
    stream.on('readable', wake);
    stream.on('end', () => {
      this.ended = true;
      wake();
    });
    stream.on('error', (error: unknown) => {
      this.failure ??= { error };
      this.ended = true;
      wake();
    });
    stream.on('close', () => {
      if (!this.ended) this.failure ??= { error: new Error('the COPY stream closed early') };
      this.ended = true;
      wake();
    });
  }

  /**
   * Reads the first batch, so that errors the query raises early surface here as with
   * the text protocol's first fetch. `stop` cancels the COPY in the server (there is no
   * other way to end it early); `release` frees the connection.
   */
  static async start(
    columnNames: readonly string[],
    stream: Readable,
    plan: CopyPlan,
    rowsPerBatch: number,
    stop: () => Promise<unknown>,
    release: () => Promise<void>,
  ): Promise<CopyColumnSource> {
    const source = new CopyColumnSource(columnNames, stream, plan, rowsPerBatch, stop, release);
    try {
      source.first = await source.readBatch();
    } catch (error) {
      await source.drain();
      resumeSocket(stream);
      throw error;
    }
    return source;
  }

  async nextColumns(): Promise<SqlValue[][] | undefined> {
    const columns = this.first ?? (await this.readBatch());
    this.first = undefined;
    return (columns[0]?.length ?? 0) > 0 ? columns : undefined;
  }

  async next(): Promise<PositionalRow[] | undefined> {
    const columns = await this.nextColumns();
    if (columns === undefined) return undefined;
    const rows: SqlValue[][] = [];
    const rowCount = columns[0]!.length;
    for (let r = 0; r < rowCount; r++) rows.push(columns.map((column) => column[r]!));
    return rows;
  }

  async finish(exhausted: boolean): Promise<void> {
    try {
      if (!exhausted && !this.ended) {
        // Half-read: a COPY cannot be closed like a portal, only cancelled; once its
        // trailer has come, nothing is left to stop.
        const chunk = this.stream.read() as Buffer | null;
        if (chunk !== null) this.decoder.push(chunk);
        if (!this.decoder.atTrailer()) void this.stop();
        await this.drain();
      }
    } finally {
      resumeSocket(this.stream);
      await this.release();
    }
  }

  /** Up to rowsPerBatch rows by column (fewer at the end of the result; none once ended). */
  private async readBatch(): Promise<SqlValue[][]> {
    const count = this.decoder.columnCount;
    const columns: SqlValue[][] = [];
    for (let c = 0; c < count; c++) columns.push(new Array<SqlValue>(this.rowsPerBatch));
    let rows = 0;
    for (;;) {
      rows += this.decoder.decode(columns, rows, this.rowsPerBatch - rows);
      if (rows === this.rowsPerBatch || this.decoder.finished) break;
      if (!(await this.receive())) break;
    }
    if (rows < this.rowsPerBatch) for (const column of columns) column.length = rows;
    if (this.decoder.finished) await this.drain();
    return columns;
  }

  /** Hands the decoder the next bytes; false once the stream has ended; throws its error. */
  private async receive(): Promise<boolean> {
    for (;;) {
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) {
        this.decoder.push(chunk);
        return true;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) {
        if (!this.decoder.finished) throw new Error('the COPY stream ended without its trailer');
        return false;
      }
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  /** Reads the stream to its end, discarding what is left (an error after a cancel included). */
  private async drain(): Promise<void> {
    while (!this.ended) {
      while (this.stream.read() !== null);
      if (this.ended) break;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }
}
