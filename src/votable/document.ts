/**
 * The document-level parts of a TAP/DALI result VOTable: the VOTABLE root, one
 * RESOURCE type="results" opened by INFO name="QUERY_STATUS", the query echo,
 * COOSYS/TIMESYS, the TABLE head with its FIELDs, and the trailing INFO elements
 * that report an overflow or a late error after the TABLE (DALI 1.1 §4.4.1-4.4.2).
 * Also the small error document DALI and TAP ask for.
 */
import { VotableError } from './errors.js';
import { isXmlId, type FieldDescription } from './field.js';
import { checkResources, resourceElement, type MetaResource } from './resource.js';
import { xmlAttributes, xmlElement, xmlText } from '../dali/index.js';

export type VotableVersion = '1.4' | '1.5';

/** An INFO element: `value` is required by the schema, `content` is text for people. */
export interface InfoElement {
  readonly name: string;
  readonly value: string;
  readonly content?: string;
  readonly id?: string;
  readonly ucd?: string;
  readonly utype?: string;
  readonly unit?: string;
  readonly xtype?: string;
  readonly ref?: string;
}

/** A COOSYS element (VOTable 1.5 §3.5); `refposition` needs version 1.5. */
export interface CoordinateSystem {
  readonly id: string;
  /** A term of http://www.ivoa.net/rdf/refframe, e.g. ICRS. */
  readonly system: string;
  readonly equinox?: string;
  readonly epoch?: string;
  readonly refposition?: string;
}

/** A TIMESYS element (VOTable 1.4 §3.6). */
export interface TimeSystem {
  readonly id: string;
  /** A term of http://www.ivoa.net/rdf/timescale, e.g. TT or UTC. */
  readonly timescale: string;
  /** A term of http://www.ivoa.net/rdf/refposition, e.g. TOPOCENTER. */
  readonly refposition: string;
  /** Julian date of the origin, or MJD-origin / JD-origin. */
  readonly timeorigin?: string;
}

/** What goes around the table of a result document. */
export interface ResultDocumentOptions {
  /**
   * VOTABLE version attribute (default '1.5'). STILTS 3.4 (Debian 12) validates
   * only up to 1.4; the documents are otherwise the same unless COOSYS refposition is used.
   */
  readonly version?: VotableVersion;
  /** The query text, echoed as INFO name="QUERY". */
  readonly query?: string;
  /** More INFO elements for the results RESOURCE (after QUERY_STATUS and QUERY). */
  readonly infos?: readonly InfoElement[];
  readonly coordinateSystems?: readonly CoordinateSystem[];
  readonly timeSystems?: readonly TimeSystem[];
  /** TABLE name (default 'result'). */
  readonly tableName?: string;
  readonly tableDescription?: string;
  /** RESOURCEs after the results one, e.g. DataLink service descriptors; their PARAMs may ref the FIELDs. */
  readonly resources?: readonly MetaResource[];
}

const NAMESPACE = 'http://www.ivoa.net/xml/VOTable/v1.3';

export function infoElement(info: InfoElement): string {
  return xmlElement(
    'INFO',
    {
      ID: info.id,
      name: info.name,
      value: info.value,
      unit: info.unit,
      xtype: info.xtype,
      ref: info.ref,
      ucd: info.ucd,
      utype: info.utype,
    },
    info.content,
  );
}

function checkId(id: string, what: string): void {
  if (!isXmlId(id)) throw new VotableError(`${what} ID '${id}' is not an XML identifier`);
}

function coordinateSystemElement(coosys: CoordinateSystem, version: VotableVersion): string {
  checkId(coosys.id, 'COOSYS');
  if (coosys.refposition !== undefined && version === '1.4') {
    throw new VotableError('COOSYS refposition needs VOTable version 1.5');
  }
  return xmlElement('COOSYS', {
    ID: coosys.id,
    system: coosys.system,
    equinox: coosys.equinox,
    epoch: coosys.epoch,
    refposition: coosys.refposition,
  });
}

function timeSystemElement(timesys: TimeSystem): string {
  checkId(timesys.id, 'TIMESYS');
  return xmlElement('TIMESYS', {
    ID: timesys.id,
    timeorigin: timesys.timeorigin,
    timescale: timesys.timescale,
    refposition: timesys.refposition,
  });
}

export function fieldElement(field: FieldDescription): string {
  const attributes = xmlAttributes({
    ID: field.id,
    name: field.name,
    datatype: field.datatype,
    arraysize: field.arraysize,
    xtype: field.xtype,
    unit: field.unit,
    ucd: field.ucd,
    utype: field.utype,
    ref: field.ref,
  });
  const description =
    field.description === undefined || field.description === ''
      ? ''
      : `<DESCRIPTION>${xmlText(field.description)}</DESCRIPTION>`;
  const values =
    field.nullValue === undefined ? '' : xmlElement('VALUES', { null: field.nullValue });
  const content = description + values;
  return content === '' ? `<FIELD${attributes}/>` : `<FIELD${attributes}>${content}</FIELD>`;
}

/** XML declaration and the opening VOTABLE tag. */
export function votableOpening(version: VotableVersion = '1.5'): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<VOTABLE version="${version}" xmlns="${NAMESPACE}"` +
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
    ` xsi:schemaLocation="${NAMESPACE} http://www.ivoa.net/xml/VOTable/votable-${version}.xsd">\n`
  );
}

/** Names of the QUERY_STATUS values of DALI 1.1 §4.4. */
export type QueryStatus = 'OK' | 'ERROR' | 'OVERFLOW';

export function queryStatusInfo(status: QueryStatus, message?: string): string {
  return infoElement({ name: 'QUERY_STATUS', value: status, content: message }) + '\n';
}

/** Everything before the first data row: root, RESOURCE, INFOs, TABLE, FIELDs and DATA opening. */
export function resultOpening(
  fields: readonly FieldDescription[],
  dataOpening: string,
  options: ResultDocumentOptions,
): string {
  const version = options.version ?? '1.5';
  const ids = new Set<string>();
  const declare = (id: string | undefined): void => {
    if (id === undefined) return;
    if (ids.has(id)) throw new VotableError(`ID '${id}' is used twice in the document`);
    ids.add(id);
  };
  let head = votableOpening(version) + '<RESOURCE type="results">\n' + queryStatusInfo('OK');
  if (options.query !== undefined)
    head += infoElement({ name: 'QUERY', value: options.query }) + '\n';
  for (const info of options.infos ?? []) {
    declare(info.id);
    head += infoElement(info) + '\n';
  }
  for (const coosys of options.coordinateSystems ?? []) {
    declare(coosys.id);
    head += coordinateSystemElement(coosys, version) + '\n';
  }
  for (const timesys of options.timeSystems ?? []) {
    declare(timesys.id);
    head += timeSystemElement(timesys) + '\n';
  }
  head += `<TABLE${xmlAttributes({ name: options.tableName ?? 'result' })}>\n`;
  if (options.tableDescription)
    head += `<DESCRIPTION>${xmlText(options.tableDescription)}</DESCRIPTION>\n`;
  for (const field of fields) {
    declare(field.id);
    if (field.ref !== undefined && !ids.has(field.ref)) {
      throw new VotableError(
        `ref '${field.ref}' names no COOSYS, TIMESYS or INFO of the document`,
        {
          field: field.name,
        },
      );
    }
    head += fieldElement(field) + '\n';
  }
  checkResources(options.resources ?? [], ids);
  return head + `<DATA>${dataOpening}`;
}

/** Everything after the last data row: closes DATA and TABLE, then reports overflow or error. */
export function resultClosing(
  dataClosing: string,
  ending: {
    readonly overflow: boolean;
    readonly errorMessage?: string;
    readonly resources?: readonly MetaResource[];
  },
): string {
  let tail = `${dataClosing}</DATA>\n</TABLE>\n`;
  if (ending.errorMessage !== undefined) tail += queryStatusInfo('ERROR', ending.errorMessage);
  else if (ending.overflow) tail += queryStatusInfo('OVERFLOW');
  tail += '</RESOURCE>\n';
  for (const resource of ending.resources ?? []) tail += resourceElement(resource);
  return tail + '</VOTABLE>\n';
}

export interface ErrorDocumentOptions {
  /** DALI allows only ERROR here; the option keeps call sites explicit. */
  readonly queryStatus?: 'ERROR';
  readonly version?: VotableVersion;
  /** Echo of the query, as in a result. */
  readonly query?: string;
  readonly infos?: readonly InfoElement[];
}

/**
 * A DALI error document: RESOURCE type="results" holding INFO name="QUERY_STATUS"
 * value="ERROR" whose content is the message (what pyvo shows in DALQueryError).
 */
export function votableError(message: string, options: ErrorDocumentOptions = {}): string {
  let body = votableOpening(options.version) + '<RESOURCE type="results">\n';
  body += queryStatusInfo(options.queryStatus ?? 'ERROR', message === '' ? 'error' : message);
  if (options.query !== undefined)
    body += infoElement({ name: 'QUERY', value: options.query }) + '\n';
  for (const info of options.infos ?? []) body += infoElement(info) + '\n';
  return body + '</RESOURCE>\n</VOTABLE>\n';
}
