/**
 * TAP_UPLOAD (TAP 1.1 §2.5.2, DALI 1.1 UPLOAD): `UPLOAD=name,param:part` names a
 * VOTable sent in the same request; it becomes TAP_UPLOAD.name for this query only.
 * Each upload is loaded into a table of its own, under a random name in the engine's
 * upload schema (never published, so no other query can name it), and dropped after
 * the query. Tables given by URL are fetched first (fetchUrlUploads: public hosts only,
 * size and time limits) and then handled like parts of the request.
 */
import { randomBytes } from 'node:crypto';
import { parseAdql, resolveAdql, type ResultColumn, type SqlDialect } from '../adql/index.js';
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import type {
  ColumnDef,
  PublishedSchema,
  TableDef,
  UnchangedAlternative,
  VoXtype,
} from '../schema/types.js';
import {
  type CellValue,
  type FieldDescription,
  readVotable,
  VotableError,
} from '../votable/index.js';
import { fetchUploadDocument } from './fetch-table.js';
import { DaliError, DaliParameters } from '../dali/index.js';

export interface UploadLimits {
  /** Largest uploaded document, in bytes (also the multipart part limit). */
  readonly maxBytes: number;
  /** Most rows in one uploaded table. */
  readonly maxRows: number;
  /** Most tables in one request. */
  readonly maxTables: number;
  /** Time allowed to fetch a table given by URL, ms. */
  readonly urlTimeoutMs: number;
  /**
   * Non-public addresses (loopback, private, link-local ...) that tables may still be
   * fetched from, as CIDR blocks; default none (no SSRF into the local network).
   */
  readonly allowAddresses: readonly string[];
  /** Queries with uploaded tables that run at once; a sync query past it is refused (503). */
  readonly maxConcurrent: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 16 * 2 ** 20,
  maxRows: 200_000,
  maxTables: 8,
  urlTimeoutMs: 30_000,
  allowAddresses: [],
  maxConcurrent: 4,
};

/** The upload slots of a service (one per UploadLimits object): in use, and who waits. */
interface UploadSlots {
  used: number;
  readonly waiting: (() => void)[];
}

const slotsOf = new WeakMap<UploadLimits, UploadSlots>();

/**
 * Takes one of the service's `maxConcurrent` upload slots for a query with uploaded
 * tables; the function returned gives it back (once). When all are taken a sync query
 * (`signal` absent) is refused with 503, an async one waits for a slot or its signal.
 */
export async function takeUploadSlot(
  limits: UploadLimits,
  signal?: AbortSignal,
): Promise<() => void> {
  let slots = slotsOf.get(limits);
  if (!slots) slotsOf.set(limits, (slots = { used: 0, waiting: [] }));
  const held = slots;
  if (held.used >= limits.maxConcurrent) {
    if (!signal) {
      throw new DaliError(
        503,
        `this service is already running ${limits.maxConcurrent} queries with uploaded tables, its limit; try again shortly or submit the query as an async job`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const turn = (): void => {
        signal.removeEventListener('abort', gone);
        resolve();
      };
      const gone = (): void => {
        held.waiting.splice(held.waiting.indexOf(turn), 1);
        reject(new DaliError(499, 'the query was cancelled while waiting to load its uploads'));
      };
      if (signal.aborted) return gone();
      held.waiting.push(turn);
      signal.addEventListener('abort', gone, { once: true });
    });
  } else held.used += 1;
  let given = false;
  return () => {
    if (given) return;
    given = true;
    const next = held.waiting.shift();
    // A waiting query takes the slot over; otherwise it is free again.
    if (next) next();
    else held.used -= 1;
  };
}

const URL_PART_PREFIX = 'hearc-upload-url-';

/** True when some UPLOAD names a table by http(s) URL. */
export function hasUrlUploads(params: DaliParameters): boolean {
  return params.all('UPLOAD').some((value) => /,\s*https?:/i.test(value));
}

/**
 * Fetches the tables that UPLOAD gives by URL and returns the parameters with each
 * turned into a part of the request (UPLOAD=name,param:<generated part>).
 */
export async function fetchUrlUploads(
  params: DaliParameters,
  limits: UploadLimits,
): Promise<DaliParameters> {
  if (!hasUrlUploads(params)) return params;
  const entries: [string, string][] = [];
  let fetched = 0;
  for (const [name, values] of params.entries()) {
    if (name !== 'UPLOAD') {
      for (const v of values) entries.push([name, v]);
      continue;
    }
    for (const value of values) {
      const pairs: string[] = [];
      for (const pair of value.split(';')) {
        const comma = pair.indexOf(',');
        const uri = comma < 0 ? '' : pair.slice(comma + 1).trim();
        if (!/^https?:/i.test(uri)) {
          pairs.push(pair);
          continue;
        }
        if (++fetched > limits.maxTables) {
          throw new DaliError(400, `UPLOAD gives more than ${limits.maxTables} tables`);
        }
        const table = pair.slice(0, comma).trim();
        const part = `${URL_PART_PREFIX}${fetched}`;
        entries.push([
          part,
          await fetchUploadDocument(table, uri, {
            maxBytes: limits.maxBytes,
            timeoutMs: limits.urlTimeoutMs,
            allowAddresses: limits.allowAddresses,
          }),
        ]);
        pairs.push(`${table},param:${part}`);
      }
      entries.push(['UPLOAD', pairs.join(';')]);
    }
  }
  return new DaliParameters(entries);
}

/** Schema of the per-query upload tables in the engine; not part of the published schema. */
export const UPLOAD_STORE_SCHEMA = 'hearc_upload';

/** An uploaded table, read and checked, ready to be loaded for one query. */
export interface PreparedUpload {
  /** As the query names it: TAP_UPLOAD.<name>. */
  readonly visible: TableDef;
  /** Where its rows are kept while the query runs (unique name). */
  readonly stored: TableDef;
  readonly rows: readonly CatalogRow[];
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

interface UploadReference {
  readonly name: string;
  readonly part: string;
}

/** The UPLOAD parameter's pairs: repeated, or ';'-separated in one value (DALI 1.1 §3.4.5). */
function uploadReferences(params: DaliParameters, limits: UploadLimits): UploadReference[] {
  const references: UploadReference[] = [];
  for (const value of params.all('UPLOAD')) {
    for (const pair of value.split(';')) {
      if (pair.trim() === '') continue;
      const comma = pair.indexOf(',');
      if (comma < 0) {
        throw new DaliError(400, `UPLOAD '${pair}' must be 'table-name,param:part-name'`);
      }
      const name = pair.slice(0, comma).trim();
      const uri = pair.slice(comma + 1).trim();
      if (!TABLE_NAME.test(name)) {
        throw new DaliError(
          400,
          `UPLOAD table name '${name}' is not an ADQL regular identifier (letters, digits, _)`,
        );
      }
      if (/^https?:/i.test(uri)) {
        throw new DaliError(500, `UPLOAD ${name}: the table at ${uri} was not fetched`);
      }
      if (!/^param:/i.test(uri) || uri.length <= 'param:'.length) {
        throw new DaliError(
          400,
          `UPLOAD ${name}: '${uri}' is not supported; use param:<part-name> for a multipart part`,
        );
      }
      if (references.some((r) => r.name.toLowerCase() === name.toLowerCase())) {
        throw new DaliError(400, `UPLOAD names the table ${name} twice`);
      }
      references.push({ name, part: uri.slice('param:'.length) });
    }
  }
  if (references.length > limits.maxTables) {
    throw new DaliError(
      400,
      `UPLOAD gives ${references.length} tables; this service accepts at most ${limits.maxTables}`,
    );
  }
  return references;
}

const STORED_XTYPES = new Set<VoXtype>([
  'timestamp',
  'point',
  'circle',
  'polygon',
  'interval',
  'moc',
]);

/**
 * A FIELD as a column of the upload table. Its name is kept as it is (TAP 1.1 §2.5.2:
 * names that are not regular ADQL identifiers are reached as delimited identifiers).
 */
function columnOf(table: string, field: FieldDescription, taken: Set<string>): ColumnDef {
  const where = `UPLOAD ${table}, FIELD '${field.name}'`;
  const datatype = field.datatype;
  if (datatype === 'bit' || datatype === 'floatComplex' || datatype === 'doubleComplex') {
    throw new DaliError(400, `${where}: datatype ${datatype} cannot be uploaded`);
  }
  if (datatype === 'boolean' && field.arraysize !== undefined) {
    throw new DaliError(400, `${where}: boolean arrays cannot be uploaded`);
  }
  // Databases fold names for comparison: two FIELDs that differ only in case would clash.
  const folded = field.name.toLowerCase();
  if (field.name.trim() === '' || taken.has(folded)) {
    throw new DaliError(400, `${where}: the name is empty or repeats another FIELD's name`);
  }
  taken.add(folded);
  const name = field.name;
  // arraysize="1" on char is one character: the same as none, which VOTable 1.3+ prefers.
  const arraysize =
    field.arraysize === '1' && (datatype === 'char' || datatype === 'unicodeChar')
      ? undefined
      : field.arraysize;
  const xtype = STORED_XTYPES.has(field.xtype as VoXtype) ? (field.xtype as VoXtype) : undefined;
  return {
    name,
    datatype,
    description: field.description ?? `uploaded column ${field.name}`,
    ...(arraysize !== undefined ? { arraysize } : {}),
    ...(xtype !== undefined ? { xtype } : {}),
    ...(field.unit !== undefined ? { unit: field.unit } : {}),
    ...(field.ucd !== undefined ? { ucd: field.ucd } : {}),
    ...(field.utype !== undefined ? { utype: field.utype } : {}),
  };
}

/** A cell as the engine stores it. */
function sqlValueOf(cell: CellValue | undefined, column: ColumnDef): SqlValue {
  if (cell === undefined || cell === null) return null;
  if (column.xtype === 'timestamp' && typeof cell === 'string') {
    const text = /[zZ]|[+-]\d\d:?\d\d$/.test(cell) ? cell : `${cell}Z`;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw new VotableError(`'${cell}' is not an ISO 8601 time`);
    return date;
  }
  if (typeof cell === 'object' && !(cell instanceof Date)) {
    return Array.from(cell as ArrayLike<number | bigint>, Number);
  }
  return cell;
}

function randomSuffix(): string {
  return randomBytes(8).toString('hex');
}

/** Reads one uploaded document into a table the query can name. */
function readUpload(
  reference: UploadReference,
  text: string,
  limits: UploadLimits,
): PreparedUpload {
  let table;
  try {
    table = readVotable(text, { maxBytes: limits.maxBytes, maxRows: limits.maxRows });
  } catch (err) {
    if (err instanceof VotableError) {
      throw new DaliError(400, `UPLOAD ${reference.name}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (table.fields.length === 0) {
    throw new DaliError(400, `UPLOAD ${reference.name}: the table has no FIELDs`);
  }
  const taken = new Set<string>();
  const columns = table.fields.map((f) => columnOf(reference.name, f, taken));
  const name = reference.name.toLowerCase();
  const visible: TableDef = {
    schema: 'tap_upload',
    name,
    description: table.description ?? `table uploaded as ${reference.name}`,
    columns,
  };
  const stored: TableDef = {
    ...visible,
    schema: UPLOAD_STORE_SCHEMA,
    name: `u${randomSuffix()}_${name.slice(0, 40)}`,
  };
  const rows = table.rows.map((cells, r) => {
    const row: Record<string, SqlValue> = {};
    try {
      columns.forEach((c, i) => (row[c.name] = sqlValueOf(cells[i], c)));
    } catch (err) {
      if (err instanceof VotableError) {
        throw new DaliError(400, `UPLOAD ${reference.name}, row ${r + 1}: ${err.message}`);
      }
      throw err;
    }
    return row;
  });
  return { visible, stored, rows };
}

/** The uploads a request names, read and checked; none when there is no UPLOAD parameter. */
export function prepareUploads(params: DaliParameters, limits: UploadLimits): PreparedUpload[] {
  return uploadReferences(params, limits).map((reference) => {
    const text = params.get(reference.part);
    if (text === undefined) {
      throw new DaliError(
        400,
        `UPLOAD ${reference.name}: the request has no part named '${reference.part}' (send the VOTable as a multipart/form-data part of that name)`,
      );
    }
    return readUpload(reference, text, limits);
  });
}

/**
 * Compiles ADQL that may name uploaded tables: they resolve as TAP_UPLOAD.<name> and
 * the SQL reads their stored per-query tables.
 */
export function compileWithUploads(
  adql: string,
  schema: PublishedSchema,
  dialect: SqlDialect,
  maxRows: number,
  uploads: readonly PreparedUpload[],
  serviceUrl?: string,
): {
  readonly sql: string;
  readonly columns: readonly ResultColumn[];
  /** The same query without rights filters, while they hide nothing (SqlDialect.compileUnfiltered). */
  readonly whenUnchanged?: UnchangedAlternative;
} {
  const resolved = resolveAdql(parseAdql(adql), schema, { uploads: uploads.map((u) => u.visible) });
  const storedOf = new Map(uploads.map((u) => [u.visible, u.stored]));
  // The resolver binds each FROM item to its TableDef; point uploads at their stored copies.
  for (const [item, relation] of resolved.annotations.relations) {
    const stored =
      relation.source.kind === 'table' ? storedOf.get(relation.source.table) : undefined;
    if (stored) {
      resolved.annotations.relations.set(item, {
        alias: relation.alias,
        source: { kind: 'table', table: stored },
      });
    }
  }
  const options = { maxRows, ...(serviceUrl !== undefined ? { serviceUrl } : {}) };
  const sql = dialect.compile(resolved, options);
  const whenUnchanged = dialect.compileUnfiltered?.(resolved, options);
  return { sql, columns: resolved.columns, ...(whenUnchanged ? { whenUnchanged } : {}) };
}

/** Creates and fills the stored tables of a query's uploads. */
export async function loadUploads(
  engine: Engine,
  uploads: readonly PreparedUpload[],
): Promise<void> {
  if (uploads.length === 0) return;
  const tables = uploads.map((u) => u.stored);
  try {
    await engine.ensureTables(tables);
    await engine.transaction(async (tx) => {
      for (const upload of uploads) await tx.insertRows(upload.stored, upload.rows);
    });
  } catch (err) {
    await dropUploads(engine, uploads);
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new DaliError(400, `the uploaded tables could not be loaded: ${message}`, { cause: err });
  }
}

/** Drops the stored tables of a query's uploads; never throws (the query's outcome stands). */
export async function dropUploads(
  engine: Engine,
  uploads: readonly PreparedUpload[],
): Promise<void> {
  if (uploads.length === 0) return;
  await engine.dropTables(uploads.map((u) => u.stored)).catch(() => undefined);
}
