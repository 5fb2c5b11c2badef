/**
 * Catalog reads and writes expressed once for both engines: each engine only says
 * how to run a statement with bound values on one of its connections.
 */
import { qualifiedName, tableColumns, type TableDef } from '../schema/types.js';
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
  stcsTexts,
  stcsTextValue,
  type StcsText,
  tableIdentifier,
  quoteIdentifier,
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
  /**
   * True when a geometry reads back exactly as it was written (DuckDB's lists of doubles),
   * so that its STC-S text can be made from the row given. pg_sphere keeps its own
   * representation (radians, longitudes wrapped, 15 digits out), so PostgreSQL's texts are
   * made from each geometry as the database gives it back (a SELECT of the values, before
   * the INSERT): what results showed before the texts were stored.
   */
  readonly geometryReadsBackAsWritten?: boolean;
}

export class SessionTransaction implements CatalogTransaction {
  /** The tables this transaction wrote (schema.name), counted when it commits. */
  readonly written = new Set<string>();

  constructor(private readonly session: CatalogSession) {}

  async insertRows(table: TableDef, rows: readonly CatalogRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.written.add(qualifiedName(table));
    const given = insertColumns(table, rows);
    const texts = stcsTexts(table, given);
    const columns = [...given, ...texts.map((t) => t.column)];
    const storages = columns.map((c) => columnStorage(table, c));
    for (const batch of batchesOf(rows, columns.length)) {
      const textValues: (string | null)[][] = [];
      for (const text of texts) textValues.push(await this.stcsTextsOf(table, text, batch));
      const values = batch.flatMap((row, r) => [
        ...given.map((c, i) => ({ storage: storages[i]!, value: row[c.name] ?? null })),
        ...textValues.map((column) => ({ storage: TEXT, value: column[r] ?? null })),
      ]);
      const sql = insertSql(table, columns, batch.length, this.session.placeholder);
      await onTable(table, 'insert into', () => this.session.execute(sql, values));
    }
  }

  /** The STC-S texts of the rows' geometries as the database will store them (see geometryReadsBackAsWritten). */
  private async stcsTextsOf(
    table: TableDef,
    text: StcsText,
    rows: readonly CatalogRow[],
  ): Promise<(string | null)[]> {
    const geometries = rows.map((row) => row[text.from.name] ?? null);
    if (this.session.geometryReadsBackAsWritten === true) {
      return geometries.map((g) => stcsTextValue(text, g));
    }
    const present = geometries.flatMap((g, r) => (g === null ? [] : [r]));
    const texts = geometries.map((): string | null => null);
    if (present.length === 0) return texts;
    // The database's own form of each geometry, computed without writing it.
    const storage = columnStorage(table, text.from);
    const tuples = present.map((r, i) => `(${i}, ${this.session.placeholder(i + 1, storage)})`);
    const sql =
      `SELECT ${quoteIdentifier('g')} FROM (VALUES ${tuples.join(', ')})` +
      ` AS ${quoteIdentifier('v')} (${quoteIdentifier('n')}, ${quoteIdentifier('g')}) ORDER BY ${quoteIdentifier('n')}`;
    const bound = present.map((r) => ({ storage, value: geometries[r]! }));
    const stored = await onTable(table, 'read the geometries of', () =>
      this.session.query(sql, bound),
    );
    present.forEach((r, i) => (texts[r] = stcsTextValue(text, stored[i]?.[0] ?? null)));
    return texts;
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

const TEXT: ColumnStorage = { kind: 'text' };

/**
 * Fills the STC-S texts missing from `tables` (fillStcsTexts until nothing is left), each
 * batch in a transaction of the engine's (`inTransaction`, which gives its session).
 */
export async function fillAllStcsTexts(
  tables: readonly TableDef[],
  inTransaction: (work: (session: CatalogSession) => Promise<number>) => Promise<number>,
): Promise<void> {
  for (const table of tables) {
    if (stcsTexts(table).length === 0) continue;
    while ((await inTransaction((session) => fillStcsTexts(session, table))) > 0);
  }
}

/** Rows whose STC-S texts fillStcsTexts writes per statement. */
const FILL_ROWS = 2000;

/**
 * Writes the STC-S text of up to `FILL_ROWS` rows of `table` stored without it, from their
 * geometry as read back (rows of a catalog made before the text columns existed: the
 * column was added empty); returns how many. Run until it returns 0, a transaction each,
 * so that a catalog of any size is filled in bounded memory and an interrupted fill
 * resumes where it stopped.
 */
async function fillStcsTexts(session: CatalogSession, table: TableDef): Promise<number> {
  const key = table.primaryKey ?? [];
  let filled = 0;
  for (const text of stcsTexts(table)) {
    if (key.length === 0)
      throw new EngineError(
        `${qualifiedName(table)}: no primary key to fill ${text.column.name} by`,
      );
    const q = quoteIdentifier;
    const read = tableColumns(table, [...key, text.from.name]);
    const missing = ` WHERE ${q(text.column.name)} IS NULL AND ${q(text.from.name)} IS NOT NULL LIMIT ${FILL_ROWS}`;
    const rows = (await session.query(selectSql(read, missing), [])).map((values) =>
      catalogRow(read, values),
    );
    if (rows.length === 0) continue;
    const keyStorages = key.map((k) => columnStorage(table, findColumn(table, k)));
    const texts = rows.map((row) => stcsTextValue(text, row[text.from.name] ?? null));
    // A geometry that gives no text would be read again by every call: stop instead.
    const unread = texts.indexOf(null);
    if (unread >= 0) {
      throw new EngineError(
        `${qualifiedName(table)}: cannot make the STC-S text of ${text.from.name} of ${key.map((k) => String(rows[unread]?.[k])).join(', ')}: the geometry reads back as ${typeof rows[unread]?.[text.from.name]}`,
      );
    }
    const values: BoundValue[] = [];
    const tuples = rows.map((row, r) => {
      const tuple = [
        ...key.map((k, i) => ({ storage: keyStorages[i]!, value: row[k] ?? null })),
        { storage: TEXT, value: texts[r] ?? null },
      ];
      const first = values.length;
      values.push(...tuple);
      return `(${tuple.map((v, i) => session.placeholder(first + i + 1, v.storage)).join(', ')})`;
    });
    const names = [...key.map((_, i) => `k${i}`), 'stcs'];
    const match = key.map(
      (k, i) => `${tableIdentifier(table)}.${q(k)} = ${q('hearc_fill')}.${q(`k${i}`)}`,
    );
    const sql =
      `UPDATE ${tableIdentifier(table)} SET ${q(text.column.name)} = ${q('hearc_fill')}.${q('stcs')}` +
      ` FROM (VALUES ${tuples.join(', ')}) AS ${q('hearc_fill')} (${names.map((n) => q(n)).join(', ')})` +
      ` WHERE ${match.join(' AND ')}`;
    await onTable(table, 'fill the STC-S texts of', () => session.execute(sql, values));
    filled += rows.length;
  }
  return filled;
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
