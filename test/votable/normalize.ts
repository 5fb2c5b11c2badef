/**
 * One comparable form for a cell, whoever produced it (our input rows, our reader,
 * astropy): integers as bigint, float values rounded to float32, strings made
 * ASCII for char, timestamps as DALI text; and the equivalences the formats allow
 * (TABLEDATA cannot tell an empty string or array from null).
 */
import type { CellValue, FieldDescription } from '../../src/votable/index.js';
import { formatTimestamp } from '../../src/votable/index.js';
import { sanitizeAscii, sanitizeXmlText } from '../../src/dali/index.js';

export type Normal = null | boolean | bigint | number | string | Normal[];

function element(field: FieldDescription, value: unknown): Normal {
  if (value === null || value === undefined) return null;
  switch (field.datatype) {
    case 'unsignedByte':
    case 'short':
    case 'int':
    case 'long':
      return BigInt(value as number | bigint);
    case 'float':
    case 'floatComplex':
      return Math.fround(Number(value));
    case 'double':
    case 'doubleComplex':
      return Number(value);
    default:
      return value as boolean;
  }
}

/**
 * The comparable form of a cell. With `nanIsNull` (for readers such as astropy that
 * mask NaN) NaN values and elements count as null.
 */
export function normalize(
  field: FieldDescription,
  value: CellValue | undefined,
  nanIsNull = false,
): Normal {
  if (value === null || value === undefined) return null;
  if (nanIsNull && typeof value === 'number' && Number.isNaN(value)) return null;
  if (field.datatype === 'char' || field.datatype === 'unicodeChar') {
    const text = value instanceof Date ? formatTimestamp(value) : String(value);
    const safe = field.datatype === 'char' ? sanitizeAscii(text) : sanitizeXmlText(text);
    return safe === '' ? null : safe;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    const array = Array.from(value as ArrayLike<unknown>, (v) =>
      nanIsNull && typeof v === 'number' && Number.isNaN(v) ? null : element(field, v),
    );
    // TABLEDATA cannot tell null from an empty array; NaN may stand for null (VOTable 1.5 §5.5).
    if (array.length === 0 || array.every((v) => v === null || Number.isNaN(v))) return null;
    return array;
  }
  return element(field, value);
}

export function normalizeRow(
  fields: readonly FieldDescription[],
  row: readonly (CellValue | undefined)[],
): Normal[] {
  return fields.map((field, i) => normalize(field, row[i]));
}
