/**
 * What both engines share when they turn TableDefs and CatalogRows into SQL: how a
 * column is stored, identifier quoting, the DDL and DML statement shapes and the
 * checks on values. Each engine supplies only its SQL type names and value encoding.
 */
import {
  stcsOf,
  stcsTextColumn,
  storedColumns,
  type ColumnDef,
  type TableDef,
  type VoDatatype,
} from '../schema/types.js';
import {
  EngineError,
  errorMessage,
  type CatalogRow,
  type CodedStrings,
  type ColumnBatch,
  type ColumnValues,
  type SqlValue,
} from './types.js';

/** How a column is kept in the catalog, independent of the database. */
export type ColumnStorage =
  | { readonly kind: 'scalar'; readonly datatype: NumericDatatype | 'boolean' }
  | { readonly kind: 'text' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'geometry'; readonly shape: GeometryShape }
  | { readonly kind: 'array'; readonly element: NumericDatatype };

export type NumericDatatype = Exclude<VoDatatype, 'boolean' | 'char' | 'unicodeChar'>;
export type GeometryShape = 'point' | 'circle' | 'polygon';

export function columnStorage(table: TableDef, column: ColumnDef): ColumnStorage {
  switch (column.xtype) {
    case 'point':
    case 'circle':
    case 'polygon':
      return { kind: 'geometry', shape: column.xtype };
    case 'timestamp':
      return { kind: 'timestamp' };
    case 'moc':
      return { kind: 'text' };
    default:
      break;
  }
  const datatype = column.datatype;
  if (datatype === 'char' || datatype === 'unicodeChar') return { kind: 'text' };
  if (column.arraysize === undefined && column.xtype !== 'interval') {
    return { kind: 'scalar', datatype };
  }
  if (datatype === 'boolean') {
    throw new EngineError(`${columnLabel(table, column)}: boolean arrays cannot be stored`);
  }
  return { kind: 'array', element: datatype };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function tableIdentifier(table: TableDef): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export function columnLabel(table: TableDef, column: ColumnDef | string): string {
  return `${table.schema}.${table.name}.${typeof column === 'string' ? column : column.name}`;
}

/** The SQL type of a column in one database (with how it is stored, where that is said there). */
export type SqlTypeOf = (storage: ColumnStorage, column: ColumnDef) => string;

function columnDefinition(table: TableDef, column: ColumnDef, sqlType: SqlTypeOf): string {
  const notNull = column.nullable === false ? ' NOT NULL' : '';
  return `${quoteIdentifier(column.name)} ${sqlType(columnStorage(table, column), column)}${notNull}`;
}

export function createSchemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`;
}

export function createTableSql(
  table: TableDef,
  sqlType: SqlTypeOf,
  options: { readonly partitioned?: boolean } = {},
): string {
  const parts = storedColumns(table).map((c) => columnDefinition(table, c, sqlType));
  if (table.primaryKey && table.primaryKey.length > 0) {
    parts.push(`PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(', ')})`);
  }
  const by =
    options.partitioned && table.partitions
      ? ` PARTITION BY RANGE (${quoteIdentifier(table.partitions.column)})`
      : '';
  return `CREATE TABLE IF NOT EXISTS ${tableIdentifier(table)} (\n  ${parts.join(',\n  ')}\n)${by}`;
}

/** One range partition of a table with `partitions`: its name and bounds [from, to). */
export interface PartitionRange {
  readonly index: number;
  readonly table: TableDef;
  readonly from: number;
  readonly to: number;
}

export function partitionRanges(table: TableDef): PartitionRange[] {
  const p = table.partitions;
  if (!p) return [];
  const size = Math.ceil(p.end / p.count);
  return Array.from({ length: p.count }, (_, index) => ({
    index,
    table: { ...table, name: `${table.name}_p${index}`, partitions: undefined },
    from: index * size,
    to: Math.min(p.end, (index + 1) * size),
  }));
}

/** `CREATE TABLE … PARTITION OF …` for every range partition (PostgreSQL). */
export function createPartitionsSql(table: TableDef): string[] {
  return partitionRanges(table).map(
    (r) =>
      `CREATE TABLE IF NOT EXISTS ${tableIdentifier(r.table)} PARTITION OF ${tableIdentifier(table)}` +
      ` FOR VALUES FROM (${r.from}) TO (${r.to})`,
  );
}

/**
 * Columns that a TableDef gained after its table was created are added as nullable:
 * a NOT NULL column cannot be added to a table that already has rows.
 */
export function addColumnSql(table: TableDef, column: ColumnDef, sqlType: SqlTypeOf): string {
  const type = sqlType(columnStorage(table, column), column);
  return `ALTER TABLE ${tableIdentifier(table)} ADD COLUMN ${quoteIdentifier(column.name)} ${type}`;
}

export function dropTableSql(table: TableDef): string {
  return `DROP TABLE IF EXISTS ${tableIdentifier(table)}`;
}

export function sqlStringLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** What ensureTables needs from a database session. */
export interface DdlSession {
  run(sql: string): Promise<void>;
  /** Rows of a query without parameters, positional. */
  rows(sql: string): Promise<readonly (readonly SqlValue[])[]>;
}

/**
 * Creates missing schemas and tables, adds columns that the TableDefs gained since
 * their table was created, then runs the engine's index statements (idempotent).
 */
export async function ensureTablesWith(
  session: DdlSession,
  tables: readonly TableDef[],
  sqlType: SqlTypeOf,
  indexes: (table: TableDef) => readonly string[] = () => [],
  partitioned = false,
): Promise<void> {
  if (tables.length === 0) return;
  const schemas = [...new Set(tables.map((t) => t.schema))];
  const run = async (sql: string, what: string): Promise<void> => {
    try {
      await session.run(sql);
    } catch (error) {
      throw new EngineError(`cannot create ${what} in the catalog: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  };
  for (const schema of schemas) await run(createSchemaSql(schema), `schema ${schema}`);
  const existing = new Set(
    (
      await session.rows(
        `SELECT table_schema, table_name, column_name FROM information_schema.columns
         WHERE table_schema IN (${schemas.map(sqlStringLiteral).join(', ')})`,
      )
    ).map((r) => r.join('.')),
  );
  for (const table of tables) {
    if (!existingTable(existing, table)) {
      const what = `table ${table.schema}.${table.name}`;
      await run(createTableSql(table, sqlType, { partitioned }), what);
      if (partitioned) for (const sql of createPartitionsSql(table)) await run(sql, what);
      continue;
    }
    for (const column of storedColumns(table)) {
      if (existing.has(`${table.schema}.${table.name}.${column.name}`)) continue;
      await run(addColumnSql(table, column, sqlType), `column ${columnLabel(table, column)}`);
    }
  }
  for (const table of tables) {
    for (const statement of indexes(table)) {
      await run(statement, `an index of ${table.schema}.${table.name}`);
    }
  }
}

function existingTable(existingColumns: ReadonlySet<string>, table: TableDef): boolean {
  const prefix = `${table.schema}.${table.name}.`;
  for (const key of existingColumns) if (key.startsWith(prefix)) return true;
  return false;
}

/** Renders placeholder `n` (1-based) for a value of `column`. */
export type Placeholder = (n: number, storage: ColumnStorage) => string;

export function insertSql(
  table: TableDef,
  columns: readonly ColumnDef[],
  rowCount: number,
  placeholder: Placeholder,
): string {
  const storages = columns.map((c) => columnStorage(table, c));
  const tuples: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    const base = r * columns.length;
    tuples.push(`(${storages.map((s, i) => placeholder(base + i + 1, s)).join(', ')})`);
  }
  const names = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  return `INSERT INTO ${tableIdentifier(table)} (${names}) VALUES ${tuples.join(', ')}`;
}

/** `WHERE column IN (...)` for `count` values, or '' when there is no condition. */
export function whereInSql(
  table: TableDef,
  where: { readonly column: string; readonly values: readonly SqlValue[] } | undefined,
  placeholder: Placeholder,
): string {
  if (!where) return '';
  const column = findColumn(table, where.column);
  const storage = columnStorage(table, column);
  if (storage.kind === 'geometry' || storage.kind === 'array') {
    throw new EngineError(
      `${columnLabel(table, column)}: rows cannot be selected by an array value`,
    );
  }
  const list = where.values.map((_, i) => placeholder(i + 1, storage)).join(', ');
  return ` WHERE ${quoteIdentifier(column.name)} IN (${list})`;
}

export function selectSql(table: TableDef, where: string): string {
  const names = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  return `SELECT ${names} FROM ${tableIdentifier(table)}${where}`;
}

export function deleteSql(table: TableDef, where: string): string {
  return `DELETE FROM ${tableIdentifier(table)}${where}`;
}

export function findColumn(table: TableDef, name: string): ColumnDef {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new EngineError(`${table.schema}.${table.name} has no column ${name}`);
  return column;
}

/** Numbers of coordinates a DALI geometry array may have. */
function geometryLengthOk(shape: GeometryShape, length: number): boolean {
  if (shape === 'point') return length === 2;
  if (shape === 'circle') return length === 3;
  return length >= 6 && length % 2 === 0;
}

/**
 * Checks one value against its column, so that both engines accept and refuse the
 * same rows (DuckDB would store a 5-number "point" without complaint).
 */
export function checkValue(table: TableDef, column: ColumnDef, value: SqlValue): void {
  if (value === null) {
    if (column.nullable === false) {
      throw new EngineError(`${columnLabel(table, column)} cannot be NULL`);
    }
    return;
  }
  const storage = columnStorage(table, column);
  const fail = (what: string): never => {
    throw new EngineError(`${columnLabel(table, column)}: ${what}, got ${describeValue(value)}`);
  };
  switch (storage.kind) {
    case 'geometry':
    case 'array':
      if (!Array.isArray(value)) fail('expected an array of numbers');
      if (
        !(value as readonly unknown[]).every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        fail('expected finite numbers');
      }
      if (storage.kind === 'geometry' && !geometryLengthOk(storage.shape, (value as []).length)) {
        fail(`expected a DALI ${storage.shape} (degrees)`);
      }
      return;
    case 'timestamp':
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) fail('expected a valid Date');
      return;
    case 'text':
      if (typeof value !== 'string') fail('expected a string');
      return;
    case 'scalar':
      if (storage.datatype === 'boolean') {
        if (typeof value !== 'boolean') fail('expected a boolean');
      } else if (typeof value === 'bigint') {
        if (storage.datatype === 'float' || storage.datatype === 'double')
          fail('expected a number');
      } else if (typeof value !== 'number') {
        fail('expected a number');
      } else if (storage.datatype !== 'float' && storage.datatype !== 'double') {
        if (!Number.isSafeInteger(value)) fail('expected an integer');
      }
      return;
  }
}

function describeValue(value: SqlValue): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? JSON.stringify(value) : `${String(value)} (${typeof value})`;
}

/**
 * The columns of `table` that `rows` set (in table order), with every value checked.
 * Columns a row leaves out are stored as NULL; names the table lacks are an error.
 */
export function insertColumns(table: TableDef, rows: readonly CatalogRow[]): ColumnDef[] {
  const used = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row)) used.add(name);
  for (const name of used) findColumn(table, name);
  const columns = table.columns.filter((c) => used.has(c.name) || c.nullable === false);
  for (const row of rows) {
    for (const column of columns) checkValue(table, column, row[column.name] ?? null);
  }
  return columns;
}

/** A hidden column holding the STC-S text of a geometry column (stcsTextColumn). */
export interface StcsText {
  readonly column: ColumnDef;
  /** The geometry column it is the text of. */
  readonly from: ColumnDef;
}

/** The STC-S text columns stored with these columns of `table`. */
export function stcsTexts(
  table: TableDef,
  columns: readonly ColumnDef[] = table.columns,
): StcsText[] {
  return columns.flatMap((from) => {
    const column = stcsTextColumn(from);
    return column ? [{ column, from }] : [];
  });
}

/** The text stored for a geometry value (checked by checkValue): what results show. */
export function stcsTextValue(text: StcsText, value: SqlValue): string | null {
  return Array.isArray(value) ? stcsOf(text.from.xtype, value as number[]) : null;
}

/** Splits rows so that one statement stays under the databases' parameter limits. */
export function batchesOf<T>(items: readonly T[], columnCount: number): T[][] {
  const perBatch = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, columnCount)));
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += perBatch) batches.push(items.slice(i, i + perBatch));
  return batches;
}

// PostgreSQL's wire protocol allows 65535 parameters; DuckDB has no hard limit.
const MAX_PARAMETERS = 30_000;

/** Puts a row read back in TableDef order into a CatalogRow. */
export function catalogRow(table: TableDef, values: readonly SqlValue[]): CatalogRow {
  const row: Record<string, SqlValue> = {};
  table.columns.forEach((c, i) => {
    row[c.name] = values[i] ?? null;
  });
  return row;
}

/** A column of a ColumnBatch with how it is stored; `values` undefined means all NULL. */
export interface BatchColumn {
  readonly column: ColumnDef;
  readonly storage: ColumnStorage;
  readonly values: ColumnValues | undefined;
}

/**
 * Every column of `table` with the batch's values for it, after checking that the
 * batch names only the table's scalar or text columns, gives each the right number of
 * values, and leaves no NOT NULL column empty.
 */
export function batchColumns(table: TableDef, batch: ColumnBatch): BatchColumn[] {
  if (!Number.isSafeInteger(batch.rowCount) || batch.rowCount < 0) {
    throw new EngineError(`${table.schema}.${table.name}: bad row count ${batch.rowCount}`);
  }
  for (const name of Object.keys(batch.columns)) findColumn(table, name);
  return table.columns.map((column) => {
    const storage = columnStorage(table, column);
    const values = batch.columns[column.name];
    const label = columnLabel(table, column);
    if (storage.kind !== 'scalar' && storage.kind !== 'text') {
      throw new EngineError(`${label}: only scalar and text columns can be appended`);
    }
    if (values === undefined) {
      if (column.nullable === false) throw new EngineError(`${label} cannot be NULL`);
      return { column, storage, values };
    }
    if ('repeat' in values) {
      checkValue(table, column, values.repeat);
    } else if ('codes' in values) {
      checkCodes(label, storage, column.nullable === false, values, batch.rowCount);
    } else if (values.length !== batch.rowCount) {
      throw new EngineError(`${label}: ${values.length} values for ${batch.rowCount} rows`);
    } else if (storage.kind === 'text' && !Array.isArray(values)) {
      throw new EngineError(`${label}: expected strings`);
    } else if (storage.kind === 'scalar' && Array.isArray(values)) {
      throw new EngineError(`${label}: expected numbers`);
    } else if (column.nullable === false && !Array.isArray(values)) {
      const numbers = values as ArrayLike<number | bigint>;
      for (let i = 0; i < numbers.length; i++) {
        const v = numbers[i];
        if (typeof v === 'number' && !Number.isFinite(v)) {
          throw new EngineError(`${label} cannot be NULL or infinite (row ${i + 1} is ${v})`);
        }
      }
    }
    return { column, storage, values };
  });
}

/** Coded strings fit a text column: one code per row, each naming an entry (not NULL when the column may not be). */
function checkCodes(
  label: string,
  storage: ColumnStorage,
  required: boolean,
  values: CodedStrings,
  rowCount: number,
): void {
  if (storage.kind !== 'text') throw new EngineError(`${label}: expected numbers`);
  if (values.codes.length !== rowCount) {
    throw new EngineError(`${label}: ${values.codes.length} values for ${rowCount} rows`);
  }
  const { codes, dictionary } = values;
  for (let i = 0; i < codes.length; i++) {
    const value = dictionary[codes[i] as number];
    if (value === undefined || (value === null && required)) {
      throw new EngineError(`${label}: row ${i + 1} has ${value === null ? 'NULL' : 'no value'}`);
    }
  }
}

/** The value of a batch column at one row (NaN read as NULL). */
export function batchValue(values: ColumnValues | undefined, row: number): SqlValue {
  if (values === undefined) return null;
  if ('repeat' in values) return values.repeat;
  if ('codes' in values) return values.dictionary[values.codes[row] as number] ?? null;
  const v = (values as ArrayLike<string | number | bigint | null>)[row] ?? null;
  return typeof v === 'number' && Number.isNaN(v) ? null : v;
}
