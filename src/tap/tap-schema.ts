/**
 * TAP_SCHEMA (TAP 1.1 §4): the tables that describe the published tables, generated
 * from the catalog metadata and themselves queryable with ADQL.
 */
import type { CatalogRow, Engine } from '../engine/types.js';
import {
  type ColumnDef,
  columnDef,
  type PublishedSchema,
  presentedColumn,
  qualifiedName,
  type TableDef,
} from '../schema/types.js';
import { REGTAP_SCHEMA, REGTAP_UTYPE } from '../schema/regtap.js';
import { adqlName } from './xml.js';

const TAP_UTYPE = 'tap:';

function col(
  name: string,
  datatype: ColumnDef['datatype'],
  description: string,
  extra: Partial<ColumnDef> = {},
): ColumnDef {
  return columnDef(name, datatype, description, { std: true, principal: true, ...extra });
}

export const tapSchemasTable: TableDef = {
  schema: 'tap_schema',
  name: 'schemas',
  description: 'Schemas published in this service.',
  columns: [
    col('schema_name', 'char', 'Schema name, as used in queries.', {
      nullable: false,
      utype: `${TAP_UTYPE}schemas.schema_name`,
    }),
    col('utype', 'char', 'Data model element of the schema, if any.'),
    col('description', 'char', 'What the schema holds.'),
    col('schema_index', 'int', 'Recommended display order.', { principal: false }),
  ],
  primaryKey: ['schema_name'],
};

export const tapTablesTable: TableDef = {
  schema: 'tap_schema',
  name: 'tables',
  description: 'Tables published in this service.',
  columns: [
    col('schema_name', 'char', 'Schema the table belongs to.', { nullable: false }),
    col('table_name', 'char', 'Fully qualified table name, as used in queries.', {
      nullable: false,
    }),
    col('table_type', 'char', "'table' or 'view'.", { nullable: false }),
    col('utype', 'char', 'Data model element of the table, if any.'),
    col('description', 'char', 'What the table holds.'),
    col('table_index', 'int', 'Recommended display order.', { principal: false }),
  ],
  primaryKey: ['table_name'],
  foreignKeys: [
    {
      targetTable: 'tap_schema.schemas',
      columns: [{ from: 'schema_name', target: 'schema_name' }],
    },
  ],
};

export const tapColumnsTable: TableDef = {
  schema: 'tap_schema',
  name: 'columns',
  description: 'Columns of the published tables.',
  columns: [
    col('table_name', 'char', 'Fully qualified name of the table.', { nullable: false }),
    col('column_name', 'char', 'Column name, as used in queries.', { nullable: false }),
    col('utype', 'char', 'Data model element of the column, if any.'),
    col('ucd', 'char', 'Unified Content Descriptor of the column.'),
    col('unit', 'char', 'Unit of the values (VOUnit).'),
    col('description', 'char', 'What the column holds.'),
    col('datatype', 'char', 'VOTable datatype of the values.', { nullable: false }),
    col('arraysize', 'char', 'VOTable arraysize of the values.'),
    col('xtype', 'char', 'VOTable/DALI extended type of the values.'),
    col('size', 'int', 'Deprecated length of the values (TAP 1.0).', { principal: false }),
    col('principal', 'int', '1 when the column is among the most useful to show.', {
      nullable: false,
    }),
    col('indexed', 'int', '1 when queries on the column are fast.', { nullable: false }),
    col('std', 'int', '1 when the column is defined by a standard.', { nullable: false }),
    col('column_index', 'int', 'Recommended display order within the table.', { principal: false }),
  ],
  primaryKey: ['table_name', 'column_name'],
  foreignKeys: [
    { targetTable: 'tap_schema.tables', columns: [{ from: 'table_name', target: 'table_name' }] },
  ],
};

export const tapKeysTable: TableDef = {
  schema: 'tap_schema',
  name: 'keys',
  description: 'Foreign keys between published tables.',
  columns: [
    col('key_id', 'char', 'Identifier of the key.', { nullable: false }),
    col('from_table', 'char', 'Table holding the foreign key.', { nullable: false }),
    col('target_table', 'char', 'Table the key points at.', { nullable: false }),
    col('utype', 'char', 'Data model element of the key, if any.'),
    col('description', 'char', 'What the key means.'),
  ],
  primaryKey: ['key_id'],
  foreignKeys: [
    { targetTable: 'tap_schema.tables', columns: [{ from: 'from_table', target: 'table_name' }] },
    { targetTable: 'tap_schema.tables', columns: [{ from: 'target_table', target: 'table_name' }] },
  ],
};

export const tapKeyColumnsTable: TableDef = {
  schema: 'tap_schema',
  name: 'key_columns',
  description: 'Columns of the foreign keys.',
  columns: [
    col('key_id', 'char', 'Identifier of the key.', { nullable: false }),
    col('from_column', 'char', 'Column in the from_table.', { nullable: false }),
    col('target_column', 'char', 'Column in the target_table.', { nullable: false }),
  ],
  foreignKeys: [
    { targetTable: 'tap_schema.keys', columns: [{ from: 'key_id', target: 'key_id' }] },
  ],
};

export const tapSchemaTables: readonly TableDef[] = [
  tapSchemasTable,
  tapTablesTable,
  tapColumnsTable,
  tapKeysTable,
  tapKeyColumnsTable,
];

export const SCHEMA_DESCRIPTIONS: Readonly<Record<string, string>> = {
  ivoa: 'IVOA standard data models: ObsCore 1.1 and its high-energy extension.',
  hearc: 'hearc tables: instrument response components of each observation.',
  provenance:
    'Provenance of the published datasets and derived products (IVOA Provenance DM 1.0, ProvTAP).',
  tap_schema: 'Metadata of the tables published in this service (TAP 1.1).',
  rr: 'The registry records of this service, its collections and any harvested registries (RegTAP 1.1 relational registry).',
};

/** Data models of whole schemas (TAP_SCHEMA.schemas.utype, tableset schema utype). */
export const SCHEMA_UTYPES: Readonly<Record<string, string>> = {
  [REGTAP_SCHEMA]: REGTAP_UTYPE,
};

/** The service's tables: the published catalog plus TAP_SCHEMA itself. */
export function servedSchema(published: PublishedSchema): PublishedSchema {
  return { tables: [...published.tables, ...tapSchemaTables] };
}

export interface TapSchemaRows {
  readonly schemas: CatalogRow[];
  readonly tables: CatalogRow[];
  readonly columns: CatalogRow[];
  readonly keys: CatalogRow[];
  readonly keyColumns: CatalogRow[];
}

const flag = (value: boolean | undefined): number => (value ? 1 : 0);

export function tapSchemaRows(served: PublishedSchema): TapSchemaRows {
  const schemaNames = [...new Set(served.tables.map((t) => t.schema))];
  const rows: TapSchemaRows = { schemas: [], tables: [], columns: [], keys: [], keyColumns: [] };
  schemaNames.forEach((name, i) =>
    rows.schemas.push({
      schema_name: name,
      utype: SCHEMA_UTYPES[name] ?? null,
      description: SCHEMA_DESCRIPTIONS[name] ?? null,
      schema_index: i,
    }),
  );
  served.tables.forEach((table, tableIndex) => {
    const tableName = qualifiedName(table);
    rows.tables.push({
      schema_name: table.schema,
      table_name: tableName,
      table_type: 'table',
      utype: table.utype ?? null,
      description: table.description,
      table_index: tableIndex,
    });
    table.columns.forEach((stored, columnIndex) => {
      const column = presentedColumn(stored);
      rows.columns.push({
        table_name: tableName,
        column_name: adqlName(column.name),
        utype: column.utype ?? null,
        ucd: column.ucd ?? null,
        unit: column.unit ?? null,
        description: column.description,
        datatype: column.datatype,
        arraysize: column.arraysize ?? null,
        xtype: column.xtype ?? null,
        size: column.arraysize && /^\d+$/.test(column.arraysize) ? Number(column.arraysize) : null,
        principal: flag(column.principal),
        indexed: flag(column.indexed || table.primaryKey?.includes(column.name)),
        std: flag(column.std),
        column_index: columnIndex,
      });
    });
    table.foreignKeys?.forEach((key, keyIndex) => {
      const keyId = `${tableName}:fk${keyIndex}`;
      rows.keys.push({
        key_id: keyId,
        from_table: tableName,
        target_table: key.targetTable,
        utype: null,
        description: key.description ?? null,
      });
      for (const pair of key.columns)
        rows.keyColumns.push({ key_id: keyId, from_column: pair.from, target_column: pair.target });
    });
  });
  return rows;
}

/** Rewrites TAP_SCHEMA in the catalog to describe `served`, in one transaction. */
export async function publishTapSchema(engine: Engine, served: PublishedSchema): Promise<void> {
  await engine.ensureTables(tapSchemaTables);
  const rows = tapSchemaRows(served);
  await engine.transaction(async (tx) => {
    const pairs: [TableDef, CatalogRow[], string][] = [
      [tapKeyColumnsTable, rows.keyColumns, 'key_id'],
      [tapKeysTable, rows.keys, 'key_id'],
      [tapColumnsTable, rows.columns, 'table_name'],
      [tapTablesTable, rows.tables, 'table_name'],
      [tapSchemasTable, rows.schemas, 'schema_name'],
    ];
    for (const [table, , key] of pairs) {
      const existing = await tx.selectRows(table);
      await tx.deleteRows(table, key, [...new Set(existing.map((r) => r[key] ?? null))]);
    }
    for (const [table, tableRows] of [...pairs].reverse()) await tx.insertRows(table, tableRows);
  });
}
