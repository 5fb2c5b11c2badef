/**
 * What the annotate stage knows about a value: its VOTable description (datatype,
 * arraysize, xtype) and its metadata (unit, UCD, utype). Result VOTables are
 * described from these, never from the database's own output types.
 */
import {
  type ColumnDef,
  presentedColumn,
  type StcsPresentation,
  type VoDatatype,
} from '../schema/types.js';

/** What describes a value in a VOTable FIELD (ColumnDef's description, minus the name). */
export type ColumnMetadata = Pick<
  ColumnDef,
  'datatype' | 'arraysize' | 'xtype' | 'unit' | 'ucd' | 'utype' | 'datalinkId'
> & {
  readonly description?: string;
};

export interface ValueType extends ColumnMetadata {
  /** The NULL literal: fits wherever a value of any type does. */
  readonly isNull?: boolean;
  /** A stored geometry column shown as STC-S when selected as it is (ObsCore s_region). */
  readonly presentation?: StcsPresentation;
}

/** One column of a query result, as a TAP service describes it in the VOTable FIELD. */
export interface ResultColumn extends ColumnMetadata {
  readonly name: string;
  /**
   * Set when the database returns a DALI geometry (of shape `storedShape`) that the
   * service must send as STC-S text, as the FIELD (char, adql:REGION) says.
   */
  readonly stcsFrom?: 'point' | 'circle' | 'polygon';
  /** Set when the database returns the STC-S text stored beside a geometry (ASCII). */
  readonly stcsText?: true;
}

/** The broad kind of a value, which decides which operators and functions apply. */
export type ValueKind =
  | 'integer'
  | 'real'
  | 'string'
  | 'boolean'
  | 'timestamp'
  | 'point'
  | 'circle'
  | 'polygon'
  | 'interval'
  | 'moc'
  | 'array'
  | 'null';

const integerTypes: readonly VoDatatype[] = ['unsignedByte', 'short', 'int', 'long'];

export function kindOf(type: ValueType): ValueKind {
  if (type.isNull) return 'null';
  switch (type.xtype) {
    case 'point':
    case 'circle':
    case 'polygon':
    case 'timestamp':
    case 'interval':
    case 'moc':
      return type.xtype;
  }
  if (type.datatype === 'char' || type.datatype === 'unicodeChar') return 'string';
  if (type.datatype === 'boolean') return 'boolean';
  if (type.arraysize !== undefined && type.arraysize !== '1') return 'array';
  return integerTypes.includes(type.datatype) ? 'integer' : 'real';
}

export const isNumericKind = (k: ValueKind): boolean => k === 'integer' || k === 'real';
export const isGeometryKind = (k: ValueKind): boolean =>
  k === 'point' || k === 'circle' || k === 'polygon';

/** How a value of this kind is named in error messages. */
export function describeKind(k: ValueKind): string {
  switch (k) {
    case 'integer':
      return 'an integer';
    case 'real':
      return 'a floating-point number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'timestamp':
      return 'a timestamp';
    case 'point':
      return 'a POINT';
    case 'circle':
      return 'a CIRCLE';
    case 'polygon':
      return 'a POLYGON';
    case 'interval':
      return 'an interval';
    case 'moc':
      return 'a MOC';
    case 'array':
      return 'an array';
    case 'null':
      return 'NULL';
  }
}

export function typeOfColumn(column: ColumnDef): ValueType {
  return {
    datatype: column.datatype,
    arraysize: column.arraysize,
    xtype: column.xtype,
    unit: column.unit,
    ucd: column.ucd,
    utype: column.utype,
    description: column.description,
    ...(column.presentation ? { presentation: column.presentation } : {}),
    ...(column.datalinkId ? { datalinkId: true } : {}),
  };
}

export const types = {
  short: { datatype: 'short' } as ValueType,
  int: { datatype: 'int' } as ValueType,
  long: { datatype: 'long' } as ValueType,
  float: { datatype: 'float' } as ValueType,
  double: { datatype: 'double' } as ValueType,
  boolean: { datatype: 'boolean' } as ValueType,
  string: { datatype: 'char', arraysize: '*' } as ValueType,
  timestamp: { datatype: 'char', arraysize: '*', xtype: 'timestamp' } as ValueType,
  point: { datatype: 'double', arraysize: '2', xtype: 'point', unit: 'deg' } as ValueType,
  circle: { datatype: 'double', arraysize: '3', xtype: 'circle', unit: 'deg' } as ValueType,
  polygon: { datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg' } as ValueType,
  moc: { datatype: 'char', arraysize: '*', xtype: 'moc' } as ValueType,
  null: { datatype: 'char', arraysize: '*', isNull: true } as ValueType,
} as const;

const numericRank: Partial<Record<VoDatatype, number>> = {
  unsignedByte: 0,
  short: 1,
  int: 2,
  long: 3,
  float: 4,
  double: 5,
};

/** The type of arithmetic on two numbers: the wider integer, or double when floats mix. */
export function promoteNumeric(a: ValueType, b: ValueType): VoDatatype {
  if (a.isNull) return b.isNull ? 'double' : b.datatype;
  if (b.isNull) return a.datatype;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'integer' && kb === 'integer') {
    const wider = Math.max(numericRank[a.datatype] ?? 2, numericRank[b.datatype] ?? 2);
    return (['short', 'short', 'int', 'long'] as const)[wider] ?? 'long';
  }
  if (a.datatype === 'float' && b.datatype === 'float') return 'float';
  return 'double';
}

/** Keeps the metadata both sides agree on (e.g. the unit of a + b when both are in deg). */
export function commonMetadata(a: ValueType, b: ValueType): Pick<ValueType, 'unit' | 'ucd'> {
  return {
    unit: a.unit === b.unit ? a.unit : undefined,
    ucd: a.ucd === b.ucd ? a.ucd : undefined,
  };
}

export function toResultColumn(name: string, stored: ValueType): ResultColumn {
  const shape = stored.xtype;
  const presented =
    stored.presentation && (shape === 'point' || shape === 'circle' || shape === 'polygon');
  const type: ValueType = presented
    ? { ...presentedColumn({ name, ...stored, description: stored.description ?? '' }) }
    : stored;
  const column: {
    -readonly [K in keyof ResultColumn]: ResultColumn[K];
  } = { name, datatype: type.datatype };
  if (type.arraysize !== undefined) column.arraysize = type.arraysize;
  if (type.xtype !== undefined) column.xtype = type.xtype;
  if (type.unit !== undefined) column.unit = type.unit;
  if (type.ucd !== undefined) column.ucd = type.ucd;
  if (type.utype !== undefined) column.utype = type.utype;
  if (type.description !== undefined) column.description = type.description;
  if (type.datalinkId === true) column.datalinkId = true;
  if (presented) column.stcsFrom = shape;
  return Object.freeze(column);
}
