/**
 * What a result cell may hold and how it becomes a VOTable value: the checks every
 * serialisation shares (integer ranges, array lengths, DALI geometry shapes) and the
 * text form used by TABLEDATA, CSV and TSV (numbers printed so that they read back
 * equal: shortest round-trip doubles, float32 values that re-round to themselves).
 */
import { VotableError } from './errors.js';
import {
  INTEGER_RANGES,
  LONG_MAX,
  LONG_MIN,
  type ArrayShape,
  type FieldDescription,
  type VotableDatatype,
} from './field.js';
import { sanitizeAscii, sanitizeXmlText } from '../dali/index.js';
import { numberText } from '../schema/types.js';

/**
 * One cell of a result row. Arrays are flat (multidimensional arrays first
 * dimension fastest); complex numbers are [re, im] pairs; Date is written as a
 * DALI timestamp. undefined is read as null.
 */
export type CellValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | ArrayLike<number>
  | readonly bigint[]
  | readonly boolean[];

/** A positional row: one cell per field, in field order. */
export type Row = readonly (CellValue | undefined)[];

export type RowBatch = readonly Row[];

/** Rows by column: columns[c][r] is the cell of field c in row r; each column has rowCount cells. */
export interface ColumnBatch {
  readonly rowCount: number;
  readonly columns: readonly (readonly (CellValue | undefined)[])[];
}

/** Any source of row or column batches: an engine cursor, an array, a generator. */
export type RowSource = AsyncIterable<RowBatch | ColumnBatch> | Iterable<RowBatch | ColumnBatch>;

export function isColumnBatch(batch: RowBatch | ColumnBatch): batch is ColumnBatch {
  return !Array.isArray(batch);
}

/** The cells of a batch by column (rows are turned into columns of `fieldCount` cells). */
export function columnsOfBatch(
  batch: RowBatch | ColumnBatch,
  fieldCount: number,
): ColumnBatch['columns'] {
  if (isColumnBatch(batch)) return batch.columns;
  const columns: (CellValue | undefined)[][] = [];
  for (let c = 0; c < fieldCount; c++) {
    const column = new Array<CellValue | undefined>(batch.length);
    for (let r = 0; r < batch.length; r++) column[r] = batch[r]![c];
    columns.push(column);
  }
  return columns;
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `string '${shown}'`;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  if (value instanceof Date) return `Date ${value.toString()}`;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `array of ${(value as ArrayLike<unknown>).length}`;
  }
  return typeof value;
}

function wrongType(expected: string, datatype: VotableDatatype, value: unknown): VotableError {
  return new VotableError(
    `expected ${expected} for datatype ${datatype}, got ${describeValue(value)}`,
  );
}

// ---------------------------------------------------------------- elements

/** A checked integer for unsignedByte, short or int. */
export function integerElement(value: unknown, datatype: 'unsignedByte' | 'short' | 'int'): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw wrongType('an integer', datatype, value);
  }
  const [min, max] = INTEGER_RANGES[datatype];
  if (n < min || n > max) {
    throw new VotableError(`${n} is outside the range of datatype ${datatype} (${min} to ${max})`);
  }
  return n;
}

/** A checked 64-bit integer. */
export function longElement(value: unknown): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else throw wrongType('an integer', 'long', value);
  if (n < LONG_MIN || n > LONG_MAX) {
    throw new VotableError(`${n} is outside the range of datatype long`);
  }
  return n;
}

/** A float or double value (bigint accepted and converted). */
export function realElement(value: unknown, datatype: VotableDatatype): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw wrongType('a number', datatype, value);
}

export function booleanElement(value: unknown, datatype: VotableDatatype): boolean {
  if (typeof value === 'boolean') return value;
  throw wrongType('a boolean', datatype, value);
}

// ---------------------------------------------------------------- numbers as text

function specialText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** The shortest text that parses back to the same double. */
export function formatDouble(value: number): string {
  if (!Number.isFinite(value)) return specialText(value);
  if (value === 0 && Object.is(value, -0)) return '-0';
  return numberText(value);
}

/** A text that parses back to the same float32 (value is rounded to float32 first). */
export function formatFloat(value: number): string {
  const f = Math.fround(value);
  if (!Number.isFinite(f)) return specialText(f);
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // Nine significant digits always identify a float32; fewer usually do.
  for (let digits = 6; digits < 9; digits++) {
    const shorter = Number(f.toPrecision(digits));
    if (Math.fround(shorter) === f) return String(shorter);
  }
  return String(Number(f.toPrecision(9)));
}

/** DALI timestamp: YYYY-MM-DDThh:mm:ss[.SSS], UTC without a zone letter. */
export function formatTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new VotableError('invalid Date (NaN time)');
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) : iso.slice(0, -1);
}

// ---------------------------------------------------------------- strings

/** How text of char/unicodeChar cells is made safe for the output. */
export type StringPolicy = 'votable' | 'plain';

/**
 * The string of a char/unicodeChar cell, made safe for VOTable when asked: char is
 * ASCII ('?' replaces anything else), unicodeChar keeps all XML characters (U+FFFD
 * replaces the others). Checks the length against a fixed or bounded arraysize.
 */
export function stringCell(
  value: unknown,
  field: FieldDescription,
  shape: ArrayShape | undefined,
  policy: StringPolicy,
): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value instanceof Date) text = formatTimestamp(value);
  else throw wrongType('a string', field.datatype, value);
  if (policy === 'votable' && field.asciiText !== true) {
    text = field.datatype === 'char' ? sanitizeAscii(text) : sanitizeXmlText(text);
  }
  const limit = shape === undefined ? 1 : shape.maxElements;
  if (limit !== undefined && text.length > limit) {
    throw new VotableError(
      `string of ${text.length} characters exceeds arraysize ${shape?.text ?? '1 (scalar char)'}`,
    );
  }
  return text;
}

// ---------------------------------------------------------------- arrays

/** Numbers per element: complex values are pairs. */
export function componentsOf(datatype: VotableDatatype): number {
  return datatype === 'floatComplex' || datatype === 'doubleComplex' ? 2 : 1;
}

const COMPLEX_SCALAR: ArrayShape = {
  text: 'complex scalar',
  variable: false,
  unit: 1,
  maxElements: 1,
  multidimensional: false,
};

/** The array shape a cell is checked against: a scalar complex is an array of one pair. */
export function arrayShapeOf(
  field: FieldDescription,
  shape: ArrayShape | undefined,
): ArrayShape | undefined {
  return shape ?? (componentsOf(field.datatype) === 2 ? COMPLEX_SCALAR : undefined);
}

/**
 * Checks an array cell against the arraysize (and the DALI polygon shape) and
 * returns it as an array-like (complex pairs are two entries, counted as one element).
 */
export function checkArrayCell(
  value: unknown,
  field: FieldDescription,
  shape: ArrayShape,
): ArrayLike<unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    value instanceof Date ||
    typeof (value as ArrayLike<unknown>).length !== 'number'
  ) {
    throw wrongType(`an array (arraysize ${shape.text})`, field.datatype, value);
  }
  const array = value as ArrayLike<unknown>;
  const components = componentsOf(field.datatype);
  if (array.length % components !== 0) {
    throw new VotableError(`complex array has an odd number of values (${array.length})`);
  }
  const elements = array.length / components;
  if (!shape.variable) {
    if (elements !== shape.maxElements) {
      throw new VotableError(
        `array has ${elements} elements, arraysize ${shape.text} needs ${shape.maxElements}`,
      );
    }
  } else {
    if (elements % shape.unit !== 0) {
      throw new VotableError(
        `array has ${elements} elements, not a multiple of ${shape.unit} (arraysize ${shape.text})`,
      );
    }
    if (shape.maxElements !== undefined && elements > shape.maxElements) {
      throw new VotableError(`array has ${elements} elements, more than arraysize ${shape.text}`);
    }
  }
  if (field.xtype === 'polygon' && (elements % 2 !== 0 || elements < 6)) {
    throw new VotableError(
      `polygon needs an even number of at least 6 values (3 vertices), got ${elements}`,
    );
  }
  return array;
}

// ---------------------------------------------------------------- text cells

/** How a text serialisation spells values (VOTable TABLEDATA, CSV/TSV, JSON). */
export interface TextStyle {
  readonly trueText: string;
  readonly falseText: string;
  readonly strings: StringPolicy;
  /** Wraps string cells (JSON quotes them); undefined writes them as they are. */
  readonly quote?: (text: string) => string;
  /** Text for NaN and infinities; undefined for the VOTable spellings NaN, +Inf, -Inf. */
  readonly nonFinite?: string;
  readonly arrayOpen: string;
  readonly arraySeparator: string;
  readonly arrayClose: string;
  /** Bits as text (true, false) and between the bits of an array (VOTable: one run of 0s and 1s). */
  readonly bitText: readonly [string, string];
  readonly bitSeparator: string;
}

export const VOTABLE_TEXT: TextStyle = {
  trueText: 'T',
  falseText: 'F',
  strings: 'votable',
  arrayOpen: '',
  arraySeparator: ' ',
  arrayClose: '',
  bitText: ['1', '0'],
  bitSeparator: '',
};

/** CSV and TSV: the VOTable value syntax (TAP 1.1 §5.1.3) with readable booleans. */
export const PLAIN_TEXT: TextStyle = {
  ...VOTABLE_TEXT,
  trueText: 'true',
  falseText: 'false',
  strings: 'plain',
};

export const JSON_TEXT: TextStyle = {
  trueText: 'true',
  falseText: 'false',
  strings: 'plain',
  quote: (text) => JSON.stringify(text),
  nonFinite: 'null',
  arrayOpen: '[',
  arraySeparator: ',',
  arrayClose: ']',
  bitText: ['true', 'false'],
  bitSeparator: ',',
};

/** Text of one non-null cell; for TABLEDATA, CSV and TSV '' is an empty (null) cell. */
export type CellTextFormatter = (value: CellValue) => string;

type ElementText = (value: unknown) => string;

function realText(format: (value: number) => string, style: TextStyle): (value: number) => string {
  const nonFinite = style.nonFinite;
  if (nonFinite === undefined) return format;
  return (value) => (Number.isFinite(value) ? format(value) : nonFinite);
}

function elementText(datatype: VotableDatatype, style: TextStyle): ElementText {
  switch (datatype) {
    case 'boolean':
    case 'bit': {
      const [t, f] = datatype === 'bit' ? style.bitText : [style.trueText, style.falseText];
      return (v) => (booleanElement(v, datatype) ? t : f);
    }
    case 'unsignedByte':
    case 'short':
    case 'int':
      return (v) => String(integerElement(v, datatype));
    case 'long':
      return (v) => longElement(v).toString();
    case 'float':
    case 'floatComplex': {
      const text = realText(formatFloat, style);
      return (v) => text(realElement(v, datatype));
    }
    case 'double':
    case 'doubleComplex': {
      const text = realText(formatDouble, style);
      return (v) => text(realElement(v, datatype));
    }
    case 'char':
    case 'unicodeChar':
      throw new VotableError(`datatype ${datatype} is not an element type`);
  }
}

/** The text formatter of one field for a text serialisation. */
export function cellTextFormatter(
  field: FieldDescription,
  shape: ArrayShape | undefined,
  style: TextStyle,
): CellTextFormatter {
  const datatype = field.datatype;
  if (datatype === 'char' || datatype === 'unicodeChar') {
    const quote = style.quote;
    if (quote === undefined) return (value) => stringCell(value, field, shape, style.strings);
    return (value) => quote(stringCell(value, field, shape, style.strings));
  }
  const element = elementText(datatype, style);
  const separator = datatype === 'bit' ? style.bitSeparator : style.arraySeparator;
  const arrayShape = arrayShapeOf(field, shape);
  if (arrayShape === undefined) return element;
  return (value) => {
    const array = checkArrayCell(value, field, arrayShape);
    const parts: string[] = new Array<string>(array.length);
    for (let i = 0; i < array.length; i++) parts[i] = element(array[i]);
    return style.arrayOpen + parts.join(separator) + style.arrayClose;
  };
}
