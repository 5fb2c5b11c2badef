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
export type VoXtype =
  'timestamp' | 'point' | 'circle' | 'polygon' | 'moc' | 'interval' | 'adql:REGION';

/**
 * A geometry column shown to clients as an STC-S string (VOTable char, xtype
 * adql:REGION, as ObsCore 1.1 defines s_region) while it is stored and queried as the
 * DALI geometry its xtype names, so that ADQL geometry functions stay fast.
 */
export interface StcsPresentation {
  readonly as: 'stc-s';
}

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
  /** Shown to clients differently from how it is stored (see StcsPresentation). */
  readonly presentation?: StcsPresentation;
  /**
   * Stored as a path relative to the service ('/datalink?ID=...'); queries see the
   * absolute URL, made from the public URL of the service answering them.
   * 'if-relative': only values starting with '/' are such paths; others are kept as stored.
   */
  readonly servicePath?: boolean | 'if-relative';
  /** Values are dataset identifiers the service's DataLink endpoint resolves (ID). */
  readonly datalinkId?: boolean;
  /**
   * Few distinct values over many rows (an event's list, repeated on each of its events):
   * stored as a dictionary where the engine lets a table say so (DuckDB), without trying
   * other encodings on every row group it writes.
   */
  readonly lowCardinality?: boolean;
  /**
   * Texts that results read whole and queries never search (s_region's STC-S): stored
   * uncompressed where the engine lets a table say so (DuckDB), so that a scan copies
   * them instead of decoding them.
   */
  readonly textStorage?: 'uncompressed';
  /**
   * Numbers that results read whole more than queries scan them (ObsCore's: a result of
   * a few rows from many vectors): stored uncompressed where the engine lets a table say
   * so (DuckDB), so that a scan copies the rows it needs instead of decompressing the
   * vectors that hold them whole. Only a column the engine stores as a scalar number
   * (columnStorage) is affected; on others the hint does nothing.
   */
  readonly numberStorage?: 'uncompressed';
}

/** A column definition; strings get arraysize '*' unless `extra` says otherwise. */
export function columnDef(
  name: string,
  datatype: VoDatatype,
  description: string,
  extra: Partial<ColumnDef> = {},
): ColumnDef {
  return {
    name,
    datatype,
    description,
    ...(datatype === 'char' || datatype === 'unicodeChar' ? { arraysize: '*' } : {}),
    ...extra,
  };
}

/** The column as clients see it in TAP_SCHEMA, VOSI tables and results. */
export function presentedColumn(column: ColumnDef): ColumnDef {
  if (column.presentation?.as !== 'stc-s') return column;
  const { unit: _unit, presentation: _presentation, ...rest } = column;
  return { ...rest, datatype: 'char', arraysize: '*', xtype: 'adql:REGION' };
}

/** Decimals that numberText writes without V8's general double printer. */
const SHORT_DECIMALS = 1e6;

/**
 * `value` in millionths, k with k / 1e6 === value, when that decimal is what String()
 * writes: at most six decimals and a magnitude under 1e9. The decimal k / 1e6 that
 * parses back to `value` is then the shortest one that does (two such decimals are 1e-6
 * apart, more than the rounding interval of a double below 1e9). NaN otherwise (and for
 * zero, whose sign String() drops).
 */
function shortMillionths(value: number): number {
  const k = Math.round(value * SHORT_DECIMALS);
  return k / SHORT_DECIMALS !== value || k > 1e15 || k < -1e15 || value === 0 ? NaN : k;
}

/** The text String(value) gives, several times faster for the numbers catalogs hold (shortMillionths). */
export function numberText(value: number): string {
  const k = shortMillionths(value);
  if (Number.isNaN(k)) return String(value);
  const magnitude = k < 0 ? -k : k;
  const whole = Math.floor(magnitude / SHORT_DECIMALS);
  const sign = k < 0 ? '-' : '';
  let fraction = magnitude - whole * SHORT_DECIMALS;
  if (fraction === 0) return `${sign}${whole}`;
  let digits = 6;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  const text = `${fraction}`;
  return `${sign}${whole}.${'00000'.slice(0, digits - text.length)}${text}`;
}

/** Where stcsOf writes a geometry's text before it becomes one string (grown as needed). */
let stcsScratch = Buffer.allocUnsafeSlow(1024);

const STCS_PREFIX = {
  point: Buffer.from('POSITION ICRS '),
  circle: Buffer.from('CIRCLE ICRS '),
  polygon: Buffer.from('POLYGON ICRS '),
};

/** Writes the digits of a whole number 0 <= n < 2^31 at `at` (int32 arithmetic); returns where they end. */
function writeWhole(out: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = (rest / 10) | 0) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    const next = (n / 10) | 0;
    out[i] = 48 + n - next * 10;
    n = next;
  }
  return at + digits;
}

/** Writes numberText(value) at `at` (ASCII); returns where it ends. */
function writeNumberText(out: Buffer, at: number, value: number): number {
  const k = shortMillionths(value);
  if (Number.isNaN(k)) {
    const text = String(value);
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    return at;
  }
  const magnitude = k < 0 ? -k : k;
  const whole = Math.floor(magnitude / SHORT_DECIMALS);
  if (k < 0) out[at++] = 45; // '-'
  // |k| <= 1e15, so whole <= 1e9 and fraction < 1e6: int32 arithmetic from here.
  at = writeWhole(out, at, whole);
  let fraction = (magnitude - whole * SHORT_DECIMALS) | 0;
  if (fraction === 0) return at;
  let digits = 6;
  for (let next = (fraction / 10) | 0; next * 10 === fraction; next = (fraction / 10) | 0) {
    fraction = next;
    digits--;
  }
  out[at++] = 46; // '.'
  for (let i = at + digits - 1; i >= at; i--) {
    const next = (fraction / 10) | 0;
    out[i] = 48 + fraction - next * 10;
    fraction = next;
  }
  return at + digits;
}

/**
 * STC-S text of a DALI geometry (degrees, ICRS): POSITION, CIRCLE or POLYGON. This runs
 * once per result row with a geometry (s_region: 32 numbers), so the text is written as
 * bytes and made one flat string, not joined from a string per number.
 */
export function stcsOf(shape: VoXtype | undefined, values: ArrayLike<number>): string {
  const prefix =
    shape === 'point'
      ? STCS_PREFIX.point
      : shape === 'circle'
        ? STCS_PREFIX.circle
        : STCS_PREFIX.polygon;
  // String(double) is at most 25 characters, and one space between numbers.
  const most = prefix.length + values.length * 26;
  if (most > stcsScratch.length) stcsScratch = Buffer.allocUnsafeSlow(2 * most);
  const out = stcsScratch;
  let at = prefix.copy(out, 0);
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out[at++] = 32;
    at = writeNumberText(out, at, values[i] as number);
  }
  return out.toString('latin1', 0, at);
}

/**
 * The hidden column beside a geometry presented as STC-S that holds its STC-S text
 * (`stcsOf` of the stored geometry), written by the engine with every row: results read
 * the text instead of printing up to dozens of doubles per row. Never published: ADQL,
 * TAP_SCHEMA and VOSI see only `table.columns`; the engine stores `storedColumns`.
 */
export function stcsTextColumn(column: ColumnDef): ColumnDef | undefined {
  if (column.presentation?.as !== 'stc-s') return undefined;
  return {
    name: `hearc_stcs_${column.name}`,
    datatype: 'char',
    arraysize: '*',
    description: `Internal: ${column.name} as STC-S text.`,
    textStorage: 'uncompressed',
  };
}

/** The columns the catalog stores for `table`: its published columns, then their STC-S texts. */
export function storedColumns(table: TableDef): readonly ColumnDef[] {
  const texts = table.columns.flatMap((c) => stcsTextColumn(c) ?? []);
  return texts.length === 0 ? table.columns : [...table.columns, ...texts];
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
  /**
   * Writes to this table decide who sees what without it having a `rightsKey` (the
   * owning groups): PostgreSQL logs them so that a snapshot can tell them (engine/commit-log.ts),
   * as it logs writes to tables with a `rightsKey`.
   */
  readonly logCommits?: boolean;
  /**
   * A column holding the HEALPix nested index at `order` of each row's (ra, dec): the
   * ADQL compiler adds a cell-range test on it before exact cone tests on those columns.
   */
  readonly healpixIndex?: {
    readonly column: string;
    readonly order: number;
    readonly ra: string;
    readonly dec: string;
  };
  /**
   * Column pairs that bound an interval on every row (low <= high where both are set,
   * e.g. ObsCore's t_min/t_max): from a window `low >= a AND high <= b` the ADQL compiler
   * adds the range tests it implies (`low <= b`, `high >= a`), which an index on either
   * column answers.
   */
  readonly intervals?: readonly { readonly low: string; readonly high: string }[];
  /**
   * Where the engine partitions the table (PostgreSQL's declarative partitioning): by
   * ranges of one integer column, `count` equal ranges of [0, end). Partitions may
   * then live on other servers (postgres_fdw shards).
   */
  readonly partitions?: {
    readonly column: string;
    readonly count: number;
    readonly end: number;
  };
}

/**
 * `table` seen through some of its columns, in their table order: reading only these
 * (selectRows) keeps a scan of a large catalog small.
 */
export function tableColumns(table: TableDef, names: readonly string[]): TableDef {
  const wanted = new Set(names);
  const columns = table.columns.filter((c) => wanted.has(c.name));
  if (columns.length !== wanted.size) {
    const missing = names.filter((n) => !columns.some((c) => c.name === n));
    throw new Error(`${table.schema}.${table.name} has no column ${missing.join(', ')}`);
  }
  return { ...table, columns };
}

/** The set of published tables, in display order. */
export interface PublishedSchema {
  readonly tables: readonly TableDef[];
}

/** What Engine.markOf(tables) was at some moment: the commits that wrote one of them, as the engine can check them in a snapshot. */
export interface CommitMark {
  readonly tables: readonly TableDef[];
  readonly commits: number;
}

/**
 * A statement valid only on a snapshot that holds no commit to the marked tables beyond
 * the counts marked (compiled ADQL without its rights filters, while they hide nothing).
 * Its result has the columns, and the types, of the statement it stands in for.
 */
export interface UnchangedAlternative {
  readonly sql: string;
  readonly since: readonly CommitMark[];
}

export function qualifiedName(table: TableDef): string {
  return `${table.schema}.${table.name}`;
}

export function findTable(schema: PublishedSchema, qualified: string): TableDef | undefined {
  const wanted = qualified.toLowerCase();
  return schema.tables.find((t) => qualifiedName(t) === wanted);
}

/**
 * Tables whose rows belong to one ObsCore dataset (the HE extension, IRFs, events): the
 * key column, its foreign key to ivoa.obscore, and the rights that follow the dataset's.
 */
export function datasetKeyColumn(description: string, extra: Partial<ColumnDef> = {}): ColumnDef {
  return columnDef('obs_publisher_did', 'char', description, {
    ucd: 'meta.ref.ivoid',
    datalinkId: true,
    nullable: false,
    principal: true,
    indexed: true,
    ...extra,
  });
}

export function belongsToDataset(description: string): Pick<TableDef, 'foreignKeys' | 'rightsKey'> {
  return {
    foreignKeys: [
      {
        targetTable: 'ivoa.obscore',
        columns: [{ from: 'obs_publisher_did', target: 'obs_publisher_did' }],
        description,
      },
    ],
    rightsKey: 'obs_publisher_did',
  };
}
