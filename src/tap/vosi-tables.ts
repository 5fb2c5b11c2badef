/**
 * VOSI 1.1 tables endpoint: the published tables as a VODataService 1.2 tableset,
 * with full column detail (detail=max, the default) or table names only (detail=min).
 */
import {
  presentedColumn,
  type PublishedSchema,
  qualifiedName,
  type TableDef,
} from '../schema/types.js';
import { element, escapeXml } from '../dali/index.js';
import { SCHEMA_UTYPES } from './tap-schema.js';
import { adqlName } from './xml.js';

export type TablesDetail = 'min' | 'max';

function columnXml(table: TableDef, stored: TableDef['columns'][number]): string {
  const column = presentedColumn(stored);
  const indent = '      ';
  const attrs = [
    column.arraysize ? ` arraysize="${escapeXml(column.arraysize)}"` : '',
    column.xtype ? ` extendedType="${escapeXml(column.xtype)}"` : '',
  ].join('');
  const flags = [
    column.indexed || table.primaryKey?.includes(column.name) ? 'indexed' : undefined,
    table.primaryKey?.includes(column.name) ? 'primary' : undefined,
    column.nullable === false ? undefined : 'nullable',
    column.std ? 'std' : undefined,
  ].filter((f): f is string => f !== undefined);
  return (
    `${indent}<column>\n` +
    element('name', adqlName(column.name), `${indent}  `) +
    element('description', column.description, `${indent}  `) +
    element('unit', column.unit, `${indent}  `) +
    element('ucd', column.ucd, `${indent}  `) +
    element('utype', column.utype, `${indent}  `) +
    `${indent}  <dataType xsi:type="vs:VOTableType"${attrs}>${column.datatype}</dataType>\n` +
    flags.map((f) => `${indent}  <flag>${f}</flag>\n`).join('') +
    `${indent}</column>\n`
  );
}

export function tableXml(table: TableDef, detail: TablesDetail, tag = 'table'): string {
  const indent = tag === 'table' ? '    ' : '';
  let xml = `${indent}<${tag}${tag === 'table' ? ' type="output"' : ''}>\n`;
  xml += element('name', qualifiedName(table), `${indent}  `);
  if (detail === 'max' || tag !== 'table') {
    xml += element('description', table.description, `${indent}  `);
    xml += element('utype', table.utype, `${indent}  `);
    for (const column of table.columns) xml += columnXml(table, column);
    for (const key of table.foreignKeys ?? []) {
      xml += `${indent}  <foreignKey>\n${element('targetTable', key.targetTable, `${indent}    `)}`;
      for (const pair of key.columns) {
        xml += `${indent}    <fkColumn>\n${element('fromColumn', pair.from, `${indent}      `)}${element('targetColumn', pair.target, `${indent}      `)}${indent}    </fkColumn>\n`;
      }
      xml +=
        element('description', key.description, `${indent}    `) + `${indent}  </foreignKey>\n`;
    }
  }
  return `${xml}${indent}</${tag}>\n`;
}

const NAMESPACES =
  'xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" ' +
  'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

export function tablesetDocument(
  served: PublishedSchema,
  detail: TablesDetail,
  schemaDescriptions: Readonly<Record<string, string>> = {},
): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<vosi:tableset ${NAMESPACES}>\n`;
  return `${head}${schemaElements(served, detail, schemaDescriptions)}</vosi:tableset>\n`;
}

/** The schema elements of a tableset (VOSI tables, registry records). */
export function schemaElements(
  served: PublishedSchema,
  detail: TablesDetail,
  schemaDescriptions: Readonly<Record<string, string>> = {},
): string {
  let xml = '';
  for (const schemaName of [...new Set(served.tables.map((t) => t.schema))]) {
    xml += `  <schema>\n${element('name', schemaName, '    ')}${element('description', schemaDescriptions[schemaName], '    ')}${element('utype', SCHEMA_UTYPES[schemaName], '    ')}`;
    for (const table of served.tables.filter((t) => t.schema === schemaName))
      xml += tableXml(table, detail);
    xml += '  </schema>\n';
  }
  return xml;
}

/** A single table document (VOSI 1.1 `/tables/<name>`), always with full detail. */
export function tableDocument(table: TableDef): string {
  const body = tableXml(table, 'max', 'vosi:table').replace(
    '<vosi:table>',
    `<vosi:table ${NAMESPACES}>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}
