/**
 * Published-catalog metadata: the one description of every table and column that
 * hearc serves. The catalog DDL (engine), ADQL name resolution and result
 * annotation (adql) and TAP_SCHEMA / VOSI tables (tap) are all derived from it.
 *
 * This is a leaf module with no dependencies, so that `adql`, `engine`, `obscore`
 * and `tap` can share the types without reaching into each other.
 */

/** VOTable primitive datatypes (VOTable 1.4 §2.1). */
export type VoDatatype =
  | 'boolean'
  | 'unsignedByte'
  | 'short'
  | 'int'
  | 'long'
  | 'char'
  | 'unicodeChar'
  | 'float'
  | 'double';

/**
 * DALI 1.1 xtypes we use. Geometry values are DALI arrays of doubles in degrees:
 * point [ra, dec], circle [ra, dec, radius], polygon [ra1, dec1, ra2, dec2, ...].
 * 'moc' is a MOC 2.0 ASCII string, 'interval' a pair [lo, hi].
 */
export type VoXtype = 'timestamp' | 'point' | 'circle' | 'polygon' | 'moc' | 'interval';

export interface ColumnDef {
  /** Lower-case regular ADQL identifier. */
  readonly name: string;
  readonly datatype: VoDatatype;
  /** VOTable arraysize: undefined for a scalar, '*' or 'n*' or 'n' for arrays/strings. */
  readonly arraysize?: string;
  readonly xtype?: VoXtype;
  readonly unit?: string;
  readonly ucd?: string;
  readonly utype?: string;
  readonly description: string;
  /** TAP_SCHEMA.columns flags. */
  readonly principal?: boolean;
  readonly indexed?: boolean;
  readonly std?: boolean;
  /** False when a value is always present (NOT NULL in the catalog). */
  readonly nullable?: boolean;
}

export interface ForeignKeyDef {
  readonly targetTable: string; // qualified, e.g. 'ivoa.obscore'
  readonly columns: readonly { readonly from: string; readonly target: string }[];
  readonly description?: string;
}

export interface TableDef {
  /** Schema name, lower case (e.g. 'ivoa', 'hearc', 'tap_schema'). */
  readonly schema: string;
  /** Table name without schema, lower case. */
  readonly name: string;
  readonly description: string;
  readonly utype?: string;
  readonly columns: readonly ColumnDef[];
  /** Column names forming the primary key, if any. */
  readonly primaryKey?: readonly string[];
  readonly foreignKeys?: readonly ForeignKeyDef[];
  /**
   * Name of the observation key column used to apply access rights to this table's
   * rows (`obs_publisher_did` for ObsCore-like tables). Undefined for public tables.
   */
  readonly rightsKey?: string;
}

/** The set of published tables, in display order. */
export interface PublishedSchema {
  readonly tables: readonly TableDef[];
}

export function qualifiedName(table: TableDef): string {
  return `${table.schema}.${table.name}`;
}

export function findTable(schema: PublishedSchema, qualified: string): TableDef | undefined {
  const wanted = qualified.toLowerCase();
  return schema.tables.find((t) => qualifiedName(t) === wanted);
}
