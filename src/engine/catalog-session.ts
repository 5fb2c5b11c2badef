/**
 * Catalog reads and writes expressed once for both engines: each engine only says
 * how to run a statement with bound values on one of its connections.
 */
import { qualifiedName, type TableDef } from '../schema/types.js';
import {
  batchColumns,
  batchesOf,
  batchValue,
  catalogRow,
  columnStorage,
  deleteSql,
  findColumn,
  insertColumns,
  insertSql,
  selectSql,
  whereInSql,
  type ColumnStorage,
  type Placeholder,
} from './catalog-sql.js';
import {
  EngineError,
  errorMessage,
  type CatalogRow,
  type CatalogTransaction,
  type ColumnBatch,
  type SqlValue,
} from './types.js';
import type { BatchColumn } from './catalog-sql.js';

/** A value with the storage of the column it belongs to, so each engine can encode it. */
export interface BoundValue {
  readonly storage: ColumnStorage;
  readonly value: SqlValue;
}

export type RowFilter = { readonly column: string; readonly values: readonly SqlValue[] };

/** One connection (or transaction) of an engine. */
export interface CatalogSession {
  readonly placeholder: Placeholder;
  /** Runs a statement; returns how many rows it changed. */
  execute(sql: string, values: readonly BoundValue[]): Promise<number>;
  /** Runs a query; returns its rows with values in column order. */
  query(sql: string, values: readonly BoundValue[]): Promise<SqlValue[][]>;
  /** The engine's bulk load of checked columns (without it, rows are inserted). */
  append?(table: TableDef, columns: readonly BatchColumn[], rowCount: number): Promise<void>;
}

export class SessionTransaction implements CatalogTransaction {
  /** The tables this transaction wrote (schema.name), counted when it commits. */
  readonly written = new Set<string>();

  constructor(private readonly session: CatalogSession) {}

  async insertRows(table: TableDef, rows: readonly CatalogRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.written.add(qualifiedName(table));
    const columns = insertColumns(table, rows);
    const storages = columns.map((c) => columnStorage(table, c));
    for (const batch of batchesOf(rows, columns.length)) {
      const values = batch.flatMap((row) =>
        columns.map((c, i) => ({ storage: storages[i]!, value: row[c.name] ?? null })),
      );
      const sql = insertSql(table, columns, batch.length, this.session.placeholder);
      await onTable(table, 'insert into', () => this.session.execute(sql, values));
    }
  }

  async appendColumns(table: TableDef, batch: ColumnBatch): Promise<void> {
    const columns = batchColumns(table, batch);
    if (batch.rowCount === 0) return;
    this.written.add(qualifiedName(table));
    const append = this.session.append?.bind(this.session);
    if (append) {
      await onTable(table, 'append to', () => append(table, columns, batch.rowCount));
      return;
    }
    const rows: CatalogRow[] = [];
    for (let r = 0; r < batch.rowCount; r++) {
      const row: Record<string, SqlValue> = {};
      for (const c of columns) row[c.column.name] = batchValue(c.values, r);
      rows.push(row);
    }
    await this.insertRows(table, rows);
  }

  async deleteRows(table: TableDef, column: string, values: readonly SqlValue[]): Promise<number> {
    if (values.length === 0) return 0;
    this.written.add(qualifiedName(table));
    if (values.length > FILTER_CHUNK) {
      let deleted = 0;
      for (const chunk of chunksOf([...new Set(values)]))
        deleted += await this.deleteRows(table, column, chunk);
      return deleted;
    }
    const where = whereInSql(table, { column, values }, this.session.placeholder);
    const bound = boundFilter(table, { column, values });
    return onTable(table, 'delete from', () =>
      this.session.execute(deleteSql(table, where), bound),
    );
  }

  selectRows(table: TableDef, where?: RowFilter): Promise<CatalogRow[]> {
    return selectCatalogRows(this.session, table, where);
  }
}

export async function selectCatalogRows(
  session: CatalogSession,
  table: TableDef,
  where?: RowFilter,
): Promise<CatalogRow[]> {
  if (where && where.values.length === 0) return [];
  if (where && where.values.length > FILTER_CHUNK) {
    const rows: CatalogRow[] = [];
    // Once each, as one IN list would match them.
    for (const values of chunksOf([...new Set(where.values)])) {
      rows.push(...(await selectCatalogRows(session, table, { column: where.column, values })));
    }
    return rows;
  }
  const sql = selectSql(table, whereInSql(table, where, session.placeholder));
  const bound = where ? boundFilter(table, where) : [];
  const rows = await onTable(table, 'select from', () => session.query(sql, bound));
  return rows.map((values) => catalogRow(table, values));
}

/** Values bound in one statement's IN list: under PostgreSQL's 65,535 parameters. */
const FILTER_CHUNK = 10_000;

function* chunksOf<T>(values: readonly T[]): Generator<readonly T[]> {
  for (let start = 0; start < values.length; start += FILTER_CHUNK) {
    yield values.slice(start, start + FILTER_CHUNK);
  }
}

function boundFilter(table: TableDef, where: RowFilter): BoundValue[] {
  const storage = columnStorage(table, findColumn(table, where.column));
  return where.values.map((value) => ({ storage, value }));
}

/** Database failures on catalog tables, with the table named. */
async function onTable<T>(table: TableDef, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EngineError) throw error;
    const message = errorMessage(error);
    throw new EngineError(`cannot ${action} ${table.schema}.${table.name}: ${message}`, {
      cause: error,
    });
  }
}
