/**
 * The {links} response as a VOTable (TABLEDATA, DataLink 1.1 §3.3) and the DALI error
 * document, both written by the votable module. Version 1.4, which every validator
 * in use (STILTS 3.4 votlint, astropy 5.2) knows.
 */
import { type FieldDescription, type Row, votableError, writeVotable } from '../votable/index.js';
import { type DataLinkRow, LINKS_ID_FIELD } from './links.js';

export const DATALINK_MEDIA_TYPE = 'application/x-votable+xml;content=datalink';
export const VOTABLE_MEDIA_TYPE = 'application/x-votable+xml';
export const DATALINK_STANDARD_ID = 'ivo://ivoa.net/std/DataLink#links-1.1';

const VERSION = '1.4';

const text = (name: string, ucd: string, description: string): FieldDescription => ({
  name,
  datatype: 'char',
  arraysize: '*',
  ucd,
  description,
});

/** The columns of DataLink 1.1 §3.2, in the standard's order, then content_qualifier. */
const LINK_FIELDS: readonly FieldDescription[] = [
  { ...text('ID', 'meta.id;meta.main', 'Input identifier'), id: LINKS_ID_FIELD },
  text('access_url', 'meta.ref.url', 'Link to data or service'),
  text('service_def', 'meta.ref', 'Reference to a service descriptor resource'),
  text('error_message', 'meta.code.error', 'Error if an access_url cannot be created'),
  text('semantics', 'meta.code', 'Term from http://www.ivoa.net/rdf/datalink/core'),
  text('description', 'meta.note', 'Human-readable description of the link'),
  text('content_type', 'meta.code.mime', 'Media type of what the link returns'),
  {
    name: 'content_length',
    datatype: 'long',
    unit: 'byte',
    ucd: 'phys.size;meta.file',
    description: 'Size of what the link returns',
  },
  text(
    'content_qualifier',
    'meta.code.class',
    'Nature of the target: hea-event-list, hea-event-bundle, or an IRF component (aeff, edisp, psf, bkgrate, rad_max)',
  ),
];

function linkRow(link: DataLinkRow): Row {
  return [
    link.id,
    link.accessUrl,
    link.serviceDef,
    link.errorMessage,
    link.semantics,
    link.description,
    link.contentType,
    link.contentLength,
    link.contentQualifier,
  ];
}

export interface LinksDocumentOptions {
  /** True when IDs were left out because the request gave more than the service takes. */
  readonly overflow?: boolean;
}

/** The {links} response: a results RESOURCE with the table of links, then the service descriptors. */
export async function linksDocument(
  links: readonly DataLinkRow[],
  options: LinksDocumentOptions = {},
): Promise<string> {
  const chunks: Buffer[] = [];
  const document = writeVotable(LINK_FIELDS, [links.map(linkRow)], {
    serialization: 'TABLEDATA',
    version: VERSION,
    tableName: 'links',
    infos: [{ name: 'standardID', value: DATALINK_STANDARD_ID }],
    overflow: options.overflow ?? false,
    resources: links.flatMap((link) => (link.descriptor ? [link.descriptor] : [])),
  });
  for await (const chunk of document) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A DALI error document: `message` starts with the fault name (UsageFault: ...). */
export function errorDocument(message: string): string {
  return votableError(message, { version: VERSION });
}
