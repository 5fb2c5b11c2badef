/**
 * The {links} response as a VOTable (TABLEDATA, DataLink 1.1 §3.3) and the DALI error
 * document. Written here while src/votable is being built; the table is small and
 * its fields fixed, so switching to that writer later changes nothing outside this file.
 */
import type { DataLinkRow } from './links.js';

export const DATALINK_MEDIA_TYPE = 'application/x-votable+xml;content=datalink';
export const VOTABLE_MEDIA_TYPE = 'application/x-votable+xml';
export const DATALINK_STANDARD_ID = 'ivo://ivoa.net/std/DataLink#links-1.1';

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};

function xml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"]/g, (c) => ENTITIES[c] ?? c);
}

interface LinkField {
  readonly name: string;
  readonly datatype: 'char' | 'long';
  readonly ucd: string;
  readonly unit?: string;
  readonly description: string;
  readonly value: (row: DataLinkRow) => string | number | undefined;
}

const text = (
  name: string,
  ucd: string,
  description: string,
  value: (row: DataLinkRow) => string | undefined,
): LinkField => ({ name, datatype: 'char', ucd, description, value });

const FIELDS: readonly LinkField[] = [
  text('ID', 'meta.id;meta.main', 'Input identifier', (r) => r.id),
  text('access_url', 'meta.ref.url', 'Link to data or service', (r) => r.accessUrl),
  text(
    'service_def',
    'meta.ref',
    'Reference to a service descriptor resource',
    (r) => r.serviceDef,
  ),
  text(
    'error_message',
    'meta.code.error',
    'Error if an access_url cannot be created',
    (r) => r.errorMessage,
  ),
  text(
    'semantics',
    'meta.code',
    'Term from http://www.ivoa.net/rdf/datalink/core describing the link',
    (r) => r.semantics,
  ),
  text('description', 'meta.note', 'Human-readable description of the link', (r) => r.description),
  text(
    'content_type',
    'meta.code.mime',
    'Media type of what the link returns',
    (r) => r.contentType,
  ),
  {
    name: 'content_length',
    datatype: 'long',
    ucd: 'phys.size;meta.file',
    unit: 'byte',
    description: 'Size of what the link returns',
    value: (r) => r.contentLength,
  },
  text(
    'content_qualifier',
    'meta.code.class',
    'Nature of the target: hea-event-list, hea-event-bundle, or the IRF component (aeff, edisp, psf, bkgrate, rad_max)',
    (r) => r.contentQualifier,
  ),
];

function fieldElement(field: LinkField): string {
  const size = field.datatype === 'char' ? ' arraysize="*"' : '';
  const unit = field.unit ? ` unit="${field.unit}"` : '';
  return `      <FIELD name="${field.name}" datatype="${field.datatype}"${size}${unit} ucd="${field.ucd}">
        <DESCRIPTION>${xml(field.description)}</DESCRIPTION>
      </FIELD>\n`;
}

function cell(value: string | number | undefined): string {
  return value === undefined ? '<TD/>' : `<TD>${xml(String(value))}</TD>`;
}

function document(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
${body}</VOTABLE>
`;
}

export interface LinksDocumentOptions {
  /** True when IDs were left out because the request gave more than the service takes. */
  readonly overflow?: boolean;
}

/** The {links} response: a results RESOURCE with the table of links. */
export function linksDocument(
  rows: readonly DataLinkRow[],
  options: LinksDocumentOptions = {},
): string {
  const tableRows = rows
    .map((row) => `        <TR>${FIELDS.map((f) => cell(f.value(row))).join('')}</TR>\n`)
    .join('');
  const overflow = options.overflow
    ? '    <INFO name="QUERY_STATUS" value="OVERFLOW">more IDs were given than one request takes</INFO>\n'
    : '';
  return document(`  <RESOURCE type="results">
    <INFO name="QUERY_STATUS" value="OK"/>
    <INFO name="standardID" value="${DATALINK_STANDARD_ID}"/>
    <TABLE name="links">
${FIELDS.map(fieldElement).join('')}      <DATA>
        <TABLEDATA>
${tableRows}        </TABLEDATA>
      </DATA>
    </TABLE>
${overflow}  </RESOURCE>
`);
}

/** A DALI error document: `message` starts with the fault name (UsageFault: ...). */
export function errorDocument(message: string): string {
  return document(`  <RESOURCE type="results">
    <INFO name="QUERY_STATUS" value="ERROR">${xml(message)}</INFO>
  </RESOURCE>
`);
}
