/** Reading small GADF tables (indexes, GTIs) as rows of scalars. */
import type { BinTableHdu, ColumnData } from '../fits/index.js';

export type Scalar = string | number | bigint | boolean | null;
export type TableRow = Readonly<Record<string, Scalar>>;

/** The value of row `row` of a scalar column (repeat 1); arrays give their first element. */
export function scalarAt(column: ColumnData, row: number): Scalar {
  const { values, descriptor } = column;
  const index = descriptor.code === 'A' ? row : row * Math.max(1, descriptor.repeat);
  const value = (values as ArrayLike<unknown>)[index];
  if (value === undefined || value === null) return null;
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean'
  ) {
    return value;
  }
  return null;
}

/** Every row of a table, keyed by upper-case column name; only scalar columns. */
export function readTableRows(hdu: BinTableHdu): TableRow[] {
  const columns = hdu.columns
    .filter((c) => c.variable === undefined && (c.code === 'A' || c.repeat === 1))
    .map((c) => hdu.readColumn(c.name));
  const rows: TableRow[] = [];
  for (let r = 0; r < hdu.rowCount; r++) {
    const row: Record<string, Scalar> = {};
    for (const column of columns) row[column.descriptor.name.toUpperCase()] = scalarAt(column, r);
    rows.push(row);
  }
  return rows;
}

export function hasColumns(hdu: BinTableHdu, names: readonly string[]): boolean {
  const present = new Set(hdu.columns.map((c) => c.name.toUpperCase()));
  return names.every((n) => present.has(n));
}

/** A number from a table cell that may hold a number or a numeric string (e.g. H.E.S.S. GEOLON). */
export function numberOf(value: Scalar | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function stringOf(value: Scalar | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}
