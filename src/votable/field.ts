/**
 * Column metadata of a VOTable (the FIELD element) and the array shape decoded
 * once from its arraysize, so that writers and readers never re-parse it per cell.
 */
import type { VoDatatype } from '../schema/types.js';
import { VotableError } from './errors.js';

/** Every VOTable primitive (VOTable 1.5 §2.1); hearc's catalog uses the VoDatatype subset. */
export type VotableDatatype = VoDatatype | 'bit' | 'floatComplex' | 'doubleComplex';

export const VOTABLE_DATATYPES: readonly VotableDatatype[] = [
  'boolean',
  'bit',
  'unsignedByte',
  'short',
  'int',
  'long',
  'char',
  'unicodeChar',
  'float',
  'double',
  'floatComplex',
  'doubleComplex',
];

/**
 * What a FIELD says about a result column. `ColumnDef` from the published schema
 * fits this shape, so catalog metadata can be passed straight through.
 */
export interface FieldDescription {
  readonly name: string;
  readonly datatype: VotableDatatype;
  /** VOTable arraysize: undefined for a scalar; 'n', 'n*', '*', 'AxB', 'AxB*'. */
  readonly arraysize?: string;
  /** DALI xtype: timestamp, point, circle, polygon, interval, moc, ... */
  readonly xtype?: string;
  readonly unit?: string;
  readonly ucd?: string;
  readonly utype?: string;
  readonly description?: string;
  /** XML ID of the FIELD (must be unique in the document). */
  readonly id?: string;
  /** IDREF to a COOSYS or TIMESYS of the document. */
  readonly ref?: string;
  /** VALUES null="..." magic value: read from uploads, written when given (integer types only). */
  readonly nullValue?: string;
  /**
   * Its cells are printable ASCII by construction (text the service makes, such as STC-S
   * from stored geometries): not checked again, cell by cell, when written. Not written
   * into the document.
   */
  readonly asciiText?: true;
}

/** An arraysize decoded: element counts for fixed and variable arrays. */
export interface ArrayShape {
  /** The arraysize text as declared. */
  readonly text: string;
  /** True when the last dimension is '*' or 'n*'. */
  readonly variable: boolean;
  /** Elements in one step of the last dimension (product of the others); 1 for 1-D. */
  readonly unit: number;
  /** Total elements of a fixed array; the upper bound (or undefined) of a variable one. */
  readonly maxElements: number | undefined;
  /** More than one dimension. */
  readonly multidimensional: boolean;
}

const DIMENSION = /^[1-9][0-9]*$/;

/** Decodes an arraysize ('10', '*', '10*', '2x3', '2x*'); undefined for scalars. */
export function parseArraysize(arraysize: string | undefined): ArrayShape | undefined {
  if (arraysize === undefined) return undefined;
  const text = arraysize.trim();
  const dims = text.split('x');
  let variable = false;
  let lastMax: number | undefined;
  let unit = 1;
  for (let i = 0; i < dims.length; i++) {
    let dim = dims[i] ?? '';
    const isLast = i === dims.length - 1;
    if (isLast && dim.endsWith('*')) {
      variable = true;
      dim = dim.slice(0, -1);
      if (dim === '') break;
    }
    if (!DIMENSION.test(dim)) {
      throw new VotableError(
        `arraysize '${arraysize}' is not valid (expected e.g. 10, 10*, *, 2x3 or 2x*)`,
      );
    }
    const n = Number(dim);
    if (isLast) lastMax = n;
    else unit *= n;
  }
  const maxElements = lastMax === undefined ? undefined : lastMax * unit;
  return { text, variable, unit, maxElements, multidimensional: dims.length > 1 };
}

const XML_ID = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/** Checks what a writer relies on: a known datatype, a valid arraysize and ID. */
export function checkFieldDescription(field: FieldDescription): ArrayShape | undefined {
  const where = { field: field.name };
  if (typeof field.name !== 'string' || field.name.trim() === '') {
    throw new VotableError('FIELD name is empty', where);
  }
  if (!VOTABLE_DATATYPES.includes(field.datatype)) {
    throw new VotableError(`unknown datatype '${String(field.datatype)}'`, where);
  }
  if (field.id !== undefined && !XML_ID.test(field.id)) {
    throw new VotableError(`ID '${field.id}' is not an XML identifier`, where);
  }
  try {
    return parseArraysize(field.arraysize);
  } catch (error) {
    throw error instanceof VotableError ? error.within(where) : error;
  }
}

export function isXmlId(text: string): boolean {
  return XML_ID.test(text);
}

/** Bytes of one element in BINARY/BINARY2 (bit is packed and handled apart). */
export const ELEMENT_BYTES: Readonly<Record<VotableDatatype, number>> = {
  boolean: 1,
  bit: 0,
  unsignedByte: 1,
  short: 2,
  int: 4,
  long: 8,
  char: 1,
  unicodeChar: 2,
  float: 4,
  double: 8,
  floatComplex: 8,
  doubleComplex: 16,
};

export const INTEGER_RANGES = {
  unsignedByte: [0, 255],
  short: [-32768, 32767],
  int: [-2147483648, 2147483647],
} as const;

export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

export function isStringType(datatype: VotableDatatype): datatype is 'char' | 'unicodeChar' {
  return datatype === 'char' || datatype === 'unicodeChar';
}
