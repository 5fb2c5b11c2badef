/**
 * Bulk loading into DuckDB: columns copied into data chunks of the appender, typed
 * arrays with one copy each, so that millions of events load per second. The appender
 * writes in the connection's transaction, so an ingest that fails leaves nothing.
 */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  FLOAT,
  INTEGER,
  SMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api';
import type { TableDef } from '../schema/types.js';
import {
  batchValue,
  createTableSql,
  dropTableSql,
  quoteIdentifier,
  tableIdentifier,
  type BatchColumn,
  type ColumnStorage,
  type SqlTypeOf,
} from './catalog-sql.js';

/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

function appendType(storage: ColumnStorage): DuckDBType {
  if (storage.kind === 'text') return VARCHAR;
  if (storage.kind !== 'scalar') throw new Error(`internal: cannot append ${storage.kind}`);
  switch (storage.datatype) {
    case 'boolean':
      return BOOLEAN;
    case 'unsignedByte':
      return UTINYINT;
    case 'short':
      return SMALLINT;
    case 'int':
      return INTEGER;
    case 'long':
      return BIGINT;
    case 'float':
      return FLOAT;
    case 'double':
      return DOUBLE;
  }
}

/** The typed array a numeric vector copies to DuckDB on flush (private in the typings). */
type VectorItems =
  Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | BigInt64Array;
const itemsOf = (vector: DuckDBVector): VectorItems | undefined =>
  (vector as unknown as { items?: VectorItems }).items;

/** Fills rows [first, first + count) of a batch column into a vector. */
function fillVector(vector: DuckDBVector, c: BatchColumn, first: number, count: number): void {
  const values = c.values;
  const items = itemsOf(vector);
  const typed =
    values !== undefined && !('repeat' in values) && !Array.isArray(values)
      ? (values as Exclude<typeof values, readonly unknown[]>)
      : undefined;
  if (items && typed && !(items instanceof BigInt64Array) && !(typed instanceof BigInt64Array)) {
    const part = typed.subarray(first, first + count);
    items.set(part as ArrayLike<number>);
    if (part instanceof Float64Array || part instanceof Float32Array) {
      for (let r = 0; r < count; r++) if (Number.isNaN(part[r] as number)) vector.setItem(r, null);
    }
    vector.flush();
    return;
  }
  if (items instanceof BigInt64Array && typed) {
    if (typed instanceof BigInt64Array) items.set(typed.subarray(first, first + count));
    else {
      for (let r = 0; r < count; r++) {
        const v = typed[first + r] as number;
        if (Number.isFinite(v)) items[r] = BigInt(Math.trunc(v));
        else vector.setItem(r, null);
      }
    }
    vector.flush();
    return;
  }
  const bigint = items instanceof BigInt64Array;
  for (let r = 0; r < count; r++) {
    const v = batchValue(values, first + r);
    vector.setItem(r, bigint && typeof v === 'number' ? BigInt(Math.trunc(v)) : (v as never));
  }
  vector.flush();
}

/** Appends checked batch columns (every column of the table, in order) to `table`. */
export async function appendToDuckDb(
  connection: DuckDBConnection,
  catalog: string | null,
  table: TableDef,
  columns: readonly BatchColumn[],
  rowCount: number,
): Promise<void> {
  const types = columns.map((c) => appendType(c.storage));
  const appender = await connection.createAppender(table.name, table.schema, catalog);
  try {
    for (let first = 0; first < rowCount; first += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rowCount - first);
      const chunk = DuckDBDataChunk.create(types, count);
      columns.forEach((c, i) => fillVector(chunk.getColumnVector(i), c, first, count));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * Rewrites `table` ordered by `columns`: a sorted copy replaces it in the same
 * transaction, so that each row group covers a narrow range of those columns.
 */
export async function sortDuckDbTable(
  run: (sql: string) => Promise<void>,
  table: TableDef,
  columns: readonly string[],
  sqlType: SqlTypeOf,
): Promise<void> {
  const sorting: TableDef = { ...table, name: `${table.name}_sorting` };
  const names = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  await run(dropTableSql(sorting));
  await run(createTableSql(sorting, sqlType));
  await run(
    `INSERT INTO ${tableIdentifier(sorting)} (${names}) SELECT ${names} FROM ${tableIdentifier(table)}` +
      ` ORDER BY ${columns.map(quoteIdentifier).join(', ')}`,
  );
  await run(dropTableSql(table));
  await run(`ALTER TABLE ${tableIdentifier(sorting)} RENAME TO ${quoteIdentifier(table.name)}`);
}
