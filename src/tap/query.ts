/**
 * Running one TAP query (TAP 1.1 §2-5, DALI 1.1): checks the parameters, compiles the
 * ADQL for the catalog's dialect, and streams the result in the requested format.
 * Used by sync requests and by async jobs; knows nothing about HTTP frameworks.
 */
import { AdqlError, type ResultColumn, type SqlDialect } from '../adql/index.js';
import {
  type Engine,
  EngineBusyError,
  QueryCancelledError,
  type SqlColumnBatch,
  type SqlValue,
} from '../engine/types.js';
import { type PublishedSchema, stcsOf, type UnchangedAlternative } from '../schema/types.js';
import type { ColumnBatch, FieldDescription, VotableDatatype } from '../votable/index.js';
import { type ResultFormat, resolveFormat, writeResult } from './formats.js';
import { describeResult, type ResultService } from './service-descriptors.js';
import { DaliError, type DaliParameters } from '../dali/index.js';
import { spooled } from './spool.js';
import {
  compileWithUploads,
  DEFAULT_UPLOAD_LIMITS,
  dropUploads,
  loadUploads,
  type PreparedUpload,
  prepareUploads,
  takeUploadSlot,
  type UploadLimits,
} from './upload.js';

export interface ServiceLimits {
  /** Rows returned when MAXREC is not given. */
  readonly defaultMaxrec: number;
  /** The most rows any request may return. */
  readonly hardMaxrec: number;
  /** Time a query may run before it is cancelled in the database, ms. */
  readonly timeoutMs: number;
  /** TAP_UPLOAD sizes (default DEFAULT_UPLOAD_LIMITS). */
  readonly upload?: UploadLimits;
  /**
   * Longest wait for a free catalog connection before a query is refused as busy, ms
   * (sync queries; async jobs wait their turn).
   */
  readonly connectionWaitMs?: number;
}

/** How long a sync query waits for a catalog connection unless the server is told. */
export const DEFAULT_CONNECTION_WAIT_MS = 10_000;

export const DEFAULT_LIMITS: ServiceLimits = {
  defaultMaxrec: 100_000,
  hardMaxrec: 10_000_000,
  timeoutMs: 60_000,
};

export interface QueryService {
  readonly engine: Engine;
  /** Tables queries may reach: the published catalog and TAP_SCHEMA, nothing else. */
  readonly schema: PublishedSchema;
  readonly dialect: SqlDialect;
  readonly limits: ServiceLimits;
  /**
   * Public URL of the service answering: access_url values and the DataLink/SODA
   * service descriptors of results are made under it (none without it).
   */
  readonly serviceUrl?: string;
  /**
   * A private folder where results the client reads slower than the database makes
   * them are spooled (sync queries): the catalog connection is then freed as soon as
   * the rows are produced. Without it, the result streams straight from the cursor.
   */
  readonly spillDir?: string;
  /** A private folder for a result's temporary files (the FITS row spool); default: the system's. */
  readonly tmpDir?: string;
  /** Further services offered on a result's dataset identifiers (e.g. the analysis service). */
  readonly resultServices?: readonly ResultService[];
}

/** A checked request: everything needed to run it. */
export interface PreparedQuery {
  readonly adql: string;
  readonly sql: string;
  readonly columns: readonly ResultColumn[];
  readonly format: ResultFormat;
  readonly maxrec: number;
  /** TAP_UPLOAD tables, loaded for the query's run and dropped after. */
  readonly uploads: readonly PreparedUpload[];
  /** Where the result's service descriptors point (QueryService.serviceUrl). */
  readonly serviceUrl?: string;
  /** The query without rights filters, run instead while they hide nothing (engine's QueryOptions). */
  readonly whenUnchanged?: UnchangedAlternative;
}

const LANGUAGES = new Set(['ADQL', 'ADQL-2.0', 'ADQL-2.1']);

function parseMaxrec(value: string | undefined, limits: ServiceLimits): number {
  if (value === undefined) return limits.defaultMaxrec;
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed))
    throw new DaliError(400, `MAXREC must be a non-negative integer (got '${value}')`);
  return Math.min(Number(trimmed), limits.hardMaxrec);
}

/** Checks the TAP parameters and compiles the query; throws DaliError with a user-facing message. */
export function prepareQuery(service: QueryService, params: DaliParameters): PreparedQuery {
  const request = params.get('REQUEST');
  if (request !== undefined && request.toLowerCase() !== 'doquery') {
    throw new DaliError(
      400,
      `REQUEST '${request}' is not supported; use REQUEST=doQuery (or leave it out)`,
    );
  }
  const lang = params.get('LANG');
  if (lang === undefined) throw new DaliError(400, 'LANG is required; use LANG=ADQL');
  if (!LANGUAGES.has(lang.trim().toUpperCase())) {
    throw new DaliError(
      400,
      `LANG '${lang}' is not supported; use ADQL (ADQL-2.0 and ADQL-2.1 are accepted)`,
    );
  }
  const adql = params.get('QUERY');
  if (adql === undefined || adql.trim() === '')
    throw new DaliError(400, 'QUERY is required: give an ADQL query');
  const format = resolveFormat(params.get('RESPONSEFORMAT') ?? params.get('FORMAT'));
  const maxrec = parseMaxrec(params.get('MAXREC'), service.limits);
  const uploads = prepareUploads(params, service.limits.upload ?? DEFAULT_UPLOAD_LIMITS);
  try {
    const { serviceUrl } = service;
    const compiled = compileWithUploads(
      adql,
      service.schema,
      service.dialect,
      maxrec + 1,
      uploads,
      serviceUrl,
    );
    return {
      adql,
      sql: compiled.sql,
      columns: compiled.columns,
      format,
      maxrec,
      uploads,
      ...(serviceUrl !== undefined ? { serviceUrl } : {}),
      ...(compiled.whenUnchanged ? { whenUnchanged: compiled.whenUnchanged } : {}),
    };
  } catch (err) {
    if (err instanceof AdqlError) throw new DaliError(400, err.message, { cause: err });
    throw err;
  }
}

export function fieldOf(column: ResultColumn): FieldDescription {
  return {
    name: column.name,
    datatype: column.datatype as VotableDatatype,
    ...(column.arraysize !== undefined ? { arraysize: column.arraysize } : {}),
    ...(column.xtype !== undefined ? { xtype: column.xtype } : {}),
    ...(column.unit !== undefined ? { unit: column.unit } : {}),
    ...(column.ucd !== undefined ? { ucd: column.ucd } : {}),
    ...(column.utype !== undefined ? { utype: column.utype } : {}),
    ...(column.description !== undefined ? { description: column.description } : {}),
    // STC-S made from stored geometries (by the presenter, or at ingest): digits and keywords only.
    ...(column.stcsFrom !== undefined || column.stcsText ? { asciiText: true as const } : {}),
  };
}

export interface QueryResult {
  readonly contentType: string;
  /** The encoded result; an error after the first byte is reported inside the document. */
  readonly body: AsyncIterable<Buffer>;
  /** True once the body has been read to the end and more than MAXREC rows existed. */
  overflowed(): boolean;
}

/** Starts the query in the database; the first failure (timeout, SQL error) throws before any byte. */
export async function runQuery(
  service: QueryService,
  prepared: PreparedQuery,
  signal?: AbortSignal,
  /** Async jobs wait for an upload slot; sync queries are refused when none is free. */
  options: { readonly waitForUploadSlot?: boolean } = {},
): Promise<QueryResult> {
  let cursor;
  const uploadWait = options.waitForUploadSlot
    ? (signal ?? new AbortController().signal)
    : undefined;
  const uploadLimits = service.limits.upload ?? DEFAULT_UPLOAD_LIMITS;
  const giveBackSlot =
    prepared.uploads.length > 0 ? await takeUploadSlot(uploadLimits, uploadWait) : () => {};
  try {
    await loadUploads(service.engine, prepared.uploads);
  } catch (err) {
    giveBackSlot();
    throw err;
  }
  try {
    cursor = await service.engine.stream(prepared.sql, {
      maxRows: prepared.maxrec + 1,
      batchSize: batchRows(prepared.columns.length),
      timeoutMs: service.limits.timeoutMs,
      // Compiled ADQL reads published tables only: its plan may be kept for the next one.
      keepPrepared: true,
      ...(prepared.whenUnchanged ? { whenUnchanged: prepared.whenUnchanged } : {}),
      ...(service.limits.connectionWaitMs !== undefined
        ? { waitMs: service.limits.connectionWaitMs }
        : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    await dropUploads(service.engine, prepared.uploads);
    giveBackSlot();
    throw queryFailure(err, service.limits);
  }
  let overflow = false;
  const open = cursor;
  const present = presenter(prepared.columns);
  let released: Promise<void> | undefined;
  // Once, whichever ends first: the rows, or the body (a client gone before any row).
  const release = (): Promise<void> =>
    (released ??= open
      .close()
      .then(() => dropUploads(service.engine, prepared.uploads))
      .finally(giveBackSlot));
  async function* rows(): AsyncGenerator<ColumnBatch> {
    let remaining = prepared.maxrec;
    try {
      for await (const batch of open.columnBatches()) {
        if (batch.rowCount > remaining) {
          overflow = true;
          if (remaining > 0) yield present(firstRows(batch, remaining));
          return;
        }
        remaining -= batch.rowCount;
        yield present(batch);
      }
    } catch (err) {
      throw queryFailure(err, service.limits);
    } finally {
      await release();
    }
  }
  const { fields, resources } = describeResult(
    prepared.columns,
    prepared.columns.map(fieldOf),
    prepared.serviceUrl,
    service.resultServices,
  );
  const written = writeResult(prepared.format, fields, rows(), {
    query: prepared.adql,
    overflow: () => overflow,
    ...(resources.length > 0 ? { resources } : {}),
    ...(service.tmpDir !== undefined ? { tmpDir: service.tmpDir } : {}),
  });
  const overflowed = (): boolean => overflow;
  if (service.spillDir !== undefined) {
    // The rows are read at the database's pace; the cursor closes when they are all read.
    const spool = spooled(written, { dir: service.spillDir });
    void spool.finished.then(release).catch(() => undefined);
    return { contentType: prepared.format.contentType, body: spool.body, overflowed };
  }
  async function* body(): AsyncGenerator<Buffer> {
    try {
      yield* written;
    } finally {
      await release();
    }
  }
  return { contentType: prepared.format.contentType, body: body(), overflowed };
}

/**
 * Rows per batch of a result this wide, on either engine (DuckDB: rows of a chunk made JS
 * values at a time; PostgreSQL: rows per Execute): about 16k cells, 256 to 4096 rows.
 * Eight TOP 10000 `SELECT *` (58 columns) at once with 2048-row (DuckDB) or 4096-row
 * (PostgreSQL) batches kept so many JS values alive across the encoding of a batch that
 * the collector copied and promoted them (bench/PROFILE.md, seventh slice).
 */
function batchRows(columns: number): number {
  return Math.min(4096, Math.max(256, Math.floor(16_384 / Math.max(1, columns))));
}

function firstRows(batch: SqlColumnBatch, rowCount: number): SqlColumnBatch {
  return { rowCount, columns: batch.columns.map((column) => column.slice(0, rowCount)) };
}

/** Turns database columns into result columns: stored geometries shown as STC-S become text. */
function presenter(columns: readonly ResultColumn[]): (batch: SqlColumnBatch) => ColumnBatch {
  const stcs = columns.flatMap((c, i) => (c.stcsFrom ? [[i, c.stcsFrom] as const] : []));
  if (stcs.length === 0) return (batch) => batch;
  return (batch) => {
    const out: ColumnBatch['columns'][number][] = [...batch.columns];
    for (const [i, shape] of stcs) {
      out[i] = (batch.columns[i] ?? []).map((value) =>
        Array.isArray(value) ? stcsOf(shape, value as number[]) : null,
      );
    }
    return { rowCount: batch.rowCount, columns: out };
  };
}

/** A database failure as the user should read it (no SQL, no stack). */
export function queryFailure(err: unknown, limits: ServiceLimits): DaliError {
  if (err instanceof DaliError) return err;
  if (err instanceof EngineBusyError) {
    return new DaliError(
      503,
      `the service is busy: ${err.message}; try again in a few seconds, or run the query as an async job`,
      {
        cause: err,
        retryAfterS: Math.max(1, Math.ceil(err.waitedMs / 1000)),
      },
    );
  }
  if (err instanceof QueryCancelledError) {
    return err.reason === 'timeout'
      ? new DaliError(
          503,
          `the query ran longer than the ${limits.timeoutMs / 1000} s limit and was cancelled; narrow it, or run it as an async job`,
          { cause: err },
        )
      : new DaliError(499, 'the query was cancelled', { cause: err });
  }
  // First line only: database messages go on to quote the generated SQL. Quoted values
  // are blanked: a conversion error may quote a row that access rights hide.
  const message = (err instanceof Error ? err.message : String(err))
    .split('\n')[0]
    ?.replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/"(?:[^"]|"")*"/g, '"…"');
  return new DaliError(500, `the query failed in the database: ${message}`, { cause: err });
}

export type { SqlValue };
