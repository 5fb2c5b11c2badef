/**
 * An OAI-PMH 2.0 publishing registry (IVOA Registry Interfaces): the six verbs over the
 * records of ResourcePublisher, in the oai_dc and ivo_vor formats, the ivo_managed set,
 * from/until on the records' datestamps, resumption tokens for long lists, and the OAI
 * error codes. The record of a collection withdrawn whole stays as a deleted record
 * (deletedRecord persistent): a header with status="deleted", dated by the withdrawal. Argument names are case-sensitive, as OAI-PMH says.
 */
import { createHash } from 'node:crypto';
import { element, xmlAttributes, xmlText } from '../dali/index.js';
import type { DeletedRecord, ResourcePublisher } from './publisher.js';
import { HARVEST_PAGE_SIZE, type ResourceRecord } from './records.js';

const OAI_NS = 'http://www.openarchives.org/OAI/2.0/';
const RI_NS = 'http://www.ivoa.net/xml/RegistryInterface/v1.0';
export const MANAGED_SET = 'ivo_managed';

const FORMATS = {
  ivo_vor: { schema: 'http://www.ivoa.net/xml/RegistryInterface/v1.0', namespace: RI_NS },
  oai_dc: {
    schema: 'http://www.openarchives.org/OAI/2.0/oai_dc.xsd',
    namespace: 'http://www.openarchives.org/OAI/2.0/oai_dc/',
  },
} as const;
type FormatName = keyof typeof FORMATS;

/** Arguments each verb takes (besides verb): required and optional. */
const VERBS: Readonly<Record<string, { required: string[]; optional: string[] }>> = {
  Identify: { required: [], optional: [] },
  ListMetadataFormats: { required: [], optional: ['identifier'] },
  ListSets: { required: [], optional: ['resumptionToken'] },
  GetRecord: { required: ['identifier', 'metadataPrefix'], optional: [] },
  ListIdentifiers: {
    required: ['metadataPrefix'],
    optional: ['from', 'until', 'set', 'resumptionToken'],
  },
  ListRecords: {
    required: ['metadataPrefix'],
    optional: ['from', 'until', 'set', 'resumptionToken'],
  },
};

export type OaiErrorCode =
  | 'badVerb'
  | 'badArgument'
  | 'idDoesNotExist'
  | 'cannotDisseminateFormat'
  | 'noRecordsMatch'
  | 'badResumptionToken'
  | 'noSetHierarchy'
  | 'noMetadataFormats';

export class OaiError extends Error {
  constructor(
    readonly code: OaiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OaiError';
  }
}

export interface OaiRequest {
  /** The endpoint's URL (<base>/oai) as the caller reached it. */
  readonly endpoint: string;
  /** The service's base URL for the records. */
  readonly baseUrl: string;
  /** Arguments with their names as sent; undefined when they could not be decoded. */
  readonly arguments: readonly (readonly [string, string])[] | string;
}

export interface OaiOptions {
  /** Records per ListRecords/ListIdentifiers answer (default HARVEST_PAGE_SIZE). */
  readonly pageSize?: number;
  readonly now?: () => Date;
}

interface ListState {
  readonly verb: string;
  readonly metadataPrefix: FormatName;
  readonly from?: string;
  readonly until?: string;
  readonly offset: number;
  /** Digest of the record list the token pages through: a change invalidates the token. */
  readonly list: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** An OAI date argument as a full UTC datestamp; `end` makes a day its last second. */
function datestampOf(name: string, value: string, end: boolean): string {
  const full = DAY.test(value) ? `${value}T${end ? '23:59:59' : '00:00:00'}Z` : value;
  if ((!DAY.test(value) && !SECOND.test(value)) || Number.isNaN(Date.parse(full))) {
    throw new OaiError(
      'badArgument',
      `${name} '${value}' is not a UTC date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)`,
    );
  }
  return full;
}

function isFormat(prefix: string): prefix is FormatName {
  return Object.hasOwn(FORMATS, prefix);
}

/** What /oai answers for: a record, or a deleted one (a header with status="deleted" only). */
type OaiItem =
  (ResourceRecord & { readonly deleted?: false }) | (DeletedRecord & { readonly deleted: true });

function listDigest(items: readonly OaiItem[]): string {
  const hash = createHash('sha256');
  for (const r of items) hash.update(`${r.identifier}\t${r.datestamp}\t${r.deleted === true}\n`);
  return hash.digest('hex').slice(0, 16);
}

function encodeToken(state: ListState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeToken(token: string): ListState {
  const bad = (): OaiError =>
    new OaiError(
      'badResumptionToken',
      `the resumption token '${token}' is not one this registry gave`,
    );
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const s = state as Partial<ListState> | null;
  if (
    !s ||
    typeof s !== 'object' ||
    typeof s.verb !== 'string' ||
    typeof s.metadataPrefix !== 'string' ||
    !isFormat(s.metadataPrefix) ||
    typeof s.offset !== 'number' ||
    !Number.isInteger(s.offset) ||
    s.offset < 0 ||
    typeof s.list !== 'string' ||
    (s.from !== undefined && typeof s.from !== 'string') ||
    (s.until !== undefined && typeof s.until !== 'string')
  ) {
    throw bad();
  }
  return s as ListState;
}

function dublinCore(record: ResourceRecord): string {
  const dc = record.dc;
  const field = (name: string, value: string): string => element(`dc:${name}`, value, '        ');
  return (
    '      <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n' +
    field('title', dc.title) +
    dc.creators.map((c) => field('creator', c)).join('') +
    dc.subjects.map((s) => field('subject', s)).join('') +
    field('description', dc.description) +
    field('publisher', dc.publisher) +
    field('date', dc.date) +
    field('type', dc.type) +
    field('identifier', dc.identifier) +
    '      </oai_dc:dc>\n'
  );
}

function headerXml(record: OaiItem): string {
  return (
    (record.deleted ? '    <header status="deleted">\n' : '    <header>\n') +
    element('identifier', record.identifier, '      ') +
    element('datestamp', record.datestamp, '      ') +
    element('setSpec', MANAGED_SET, '      ') +
    '    </header>\n'
  );
}

function recordXml(record: OaiItem, prefix: FormatName): string {
  if (record.deleted) return `  <record>\n${headerXml(record)}  </record>\n`;
  const metadata = prefix === 'oai_dc' ? dublinCore(record) : record.xml;
  return `  <record>\n${headerXml(record)}    <metadata>\n${metadata}    </metadata>\n  </record>\n`;
}

/** The items of one state of the records, and the lists (by from and until) made of them. */
interface ItemsMemo {
  readonly records: readonly ResourceRecord[];
  readonly deleted: readonly DeletedRecord[];
  readonly items: readonly OaiItem[];
  readonly lists: Map<string, { readonly matching: readonly OaiItem[]; readonly digest: string }>;
}

export class OaiRepository {
  private readonly pageSize: number;
  private readonly now: () => Date;
  /** Kept while the records stay the same, so that each page of a long list costs a page. */
  private memo: ItemsMemo | undefined;

  constructor(
    private readonly publisher: ResourcePublisher,
    options: OaiOptions = {},
  ) {
    this.pageSize = options.pageSize ?? HARVEST_PAGE_SIZE;
    this.now = options.now ?? (() => new Date());
  }

  /** The OAI-PMH document answering `request` (errors included: OAI answers them with 200). */
  async answer(request: OaiRequest): Promise<string> {
    const args = new Map<string, string>();
    let requestAttributes: Record<string, string> = {};
    try {
      if (typeof request.arguments === 'string')
        throw new OaiError('badArgument', request.arguments);
      const verbs = request.arguments.filter(([name]) => name === 'verb');
      const verb = verbs[0]?.[1];
      if (verbs.length !== 1 || verb === undefined || !Object.hasOwn(VERBS, verb)) {
        throw new OaiError(
          'badVerb',
          verbs.length > 1
            ? 'verb is given more than once'
            : verb === undefined
              ? 'the verb argument is missing'
              : `'${verb}' is not an OAI-PMH verb (Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers, ListRecords)`,
        );
      }
      const spec = VERBS[verb]!;
      for (const [name, value] of request.arguments) {
        if (name === 'verb') continue;
        if (!spec.required.includes(name) && !spec.optional.includes(name)) {
          throw new OaiError('badArgument', `${verb} takes no argument '${name}'`);
        }
        if (args.has(name)) throw new OaiError('badArgument', `${name} is given more than once`);
        args.set(name, value);
      }
      const token = args.get('resumptionToken');
      if (token !== undefined && args.size > 1) {
        throw new OaiError(
          'badArgument',
          'resumptionToken is exclusive: give no other argument with it',
        );
      }
      if (token === undefined) {
        for (const name of spec.required) {
          if (!args.has(name))
            throw new OaiError('badArgument', `${verb} needs the argument ${name}`);
        }
      }
      requestAttributes = Object.fromEntries([['verb', verb], ...args]);
      const body = await this.verb(verb, args, request.baseUrl);
      return this.document(request.endpoint, requestAttributes, body);
    } catch (error) {
      if (!(error instanceof OaiError)) throw error;
      // With badVerb or badArgument the request element carries no attributes.
      const attributes =
        error.code === 'badVerb' || error.code === 'badArgument' ? {} : requestAttributes;
      return this.document(
        request.endpoint,
        attributes,
        `  <error code="${error.code}">${xmlText(error.message)}</error>\n`,
      );
    }
  }

  private document(endpoint: string, attributes: Record<string, string>, body: string): string {
    const date = `${this.now().toISOString().slice(0, 19)}Z`;
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<OAI-PMH xmlns="${OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n` +
      `  <responseDate>${date}</responseDate>\n` +
      `  <request${xmlAttributes(attributes)}>${xmlText(endpoint)}</request>\n` +
      body +
      '</OAI-PMH>\n'
    );
  }

  private async verb(verb: string, args: Map<string, string>, baseUrl: string): Promise<string> {
    const [records, deleted] = await Promise.all([
      this.publisher.records(baseUrl),
      this.publisher.deletedRecords(),
    ]);
    if (this.memo?.records !== records || this.memo.deleted !== deleted) {
      this.memo = {
        records,
        deleted,
        items: [...records, ...deleted.map((d) => ({ ...d, deleted: true as const }))],
        lists: new Map(),
      };
    }
    const { items } = this.memo;
    const find = (identifier: string): OaiItem => {
      const record = items.find((r) => r.identifier.toLowerCase() === identifier.toLowerCase());
      if (!record) {
        throw new OaiError('idDoesNotExist', `no record has the identifier '${identifier}'`);
      }
      return record;
    };
    switch (verb) {
      case 'Identify':
        return this.identify(records, items, baseUrl);
      case 'ListMetadataFormats': {
        const identifier = args.get('identifier');
        if (identifier !== undefined) find(identifier);
        let xml = '  <ListMetadataFormats>\n';
        for (const [prefix, format] of Object.entries(FORMATS)) {
          xml += `    <metadataFormat>\n${element('metadataPrefix', prefix, '      ')}${element('schema', format.schema, '      ')}${element('metadataNamespace', format.namespace, '      ')}    </metadataFormat>\n`;
        }
        return `${xml}  </ListMetadataFormats>\n`;
      }
      case 'ListSets': {
        if (args.has('resumptionToken')) {
          throw new OaiError(
            'badResumptionToken',
            'ListSets answers in one page: it gives no resumption token',
          );
        }
        return `  <ListSets>\n    <set>\n${element('setSpec', MANAGED_SET, '      ')}${element('setName', 'Resources managed by this registry', '      ')}    </set>\n  </ListSets>\n`;
      }
      case 'GetRecord': {
        const prefix = this.format(args.get('metadataPrefix')!);
        const record = find(args.get('identifier')!);
        return `  <GetRecord>\n${recordXml(record, prefix)}  </GetRecord>\n`;
      }
      default:
        return this.list(verb, args, this.memo);
    }
  }

  private format(prefix: string): FormatName {
    if (!isFormat(prefix)) {
      throw new OaiError(
        'cannotDisseminateFormat',
        `metadataPrefix '${prefix}' is not served here (ivo_vor or oai_dc)`,
      );
    }
    return prefix;
  }

  private identify(
    records: readonly ResourceRecord[],
    items: readonly OaiItem[],
    baseUrl: string,
  ): string {
    const service = this.publisher.service;
    const registry = records.find((r) => r.kind === 'registry');
    const earliest =
      items.map((r) => r.datestamp).sort()[0] ?? `${this.now().toISOString().slice(0, 19)}Z`;
    // OAI-PMH needs an address; RFC 5321 says every mail domain has a postmaster.
    const email = service.contact.email ?? `postmaster@${new URL(baseUrl).hostname}`;
    return (
      '  <Identify>\n' +
      element('repositoryName', `${service.title}: publishing registry`, '    ') +
      element('baseURL', `${baseUrl}/oai`, '    ') +
      element('protocolVersion', '2.0', '    ') +
      element('adminEmail', email, '    ') +
      element('earliestDatestamp', earliest, '    ') +
      // Records of withdrawn collections are kept as deleted, in the catalog, for good.
      element('deletedRecord', 'persistent', '    ') +
      element('granularity', 'YYYY-MM-DDThh:mm:ssZ', '    ') +
      (registry ? `    <description>\n${registry.xml}    </description>\n` : '') +
      '  </Identify>\n'
    );
  }

  private list(verb: string, args: Map<string, string>, memo: ItemsMemo): string {
    const token = args.get('resumptionToken');
    let state: ListState;
    if (token !== undefined) {
      state = decodeToken(token);
      if (state.verb !== verb) {
        throw new OaiError(
          'badResumptionToken',
          `the resumption token belongs to ${state.verb}, not ${verb}`,
        );
      }
    } else {
      const from = args.get('from');
      const until = args.get('until');
      if (from !== undefined && until !== undefined && DAY.test(from) !== DAY.test(until)) {
        throw new OaiError('badArgument', 'from and until must have the same granularity');
      }
      const set = args.get('set');
      state = {
        verb,
        metadataPrefix: this.format(args.get('metadataPrefix')!),
        ...(from !== undefined ? { from: datestampOf('from', from, false) } : {}),
        ...(until !== undefined ? { until: datestampOf('until', until, true) } : {}),
        offset: 0,
        list: '',
      };
      if (state.from !== undefined && state.until !== undefined && state.from > state.until) {
        throw new OaiError('badArgument', `from (${from}) is later than until (${until})`);
      }
      if (set !== undefined && set !== MANAGED_SET) {
        throw new OaiError(
          'noRecordsMatch',
          `no record is in set '${set}' (the only set is ${MANAGED_SET})`,
        );
      }
    }
    const { from, until } = state;
    const key = `${from ?? ''}/${until ?? ''}`;
    let list = memo.lists.get(key);
    if (list === undefined) {
      const matching = memo.items.filter(
        (r) =>
          (from === undefined || r.datestamp >= from) &&
          (until === undefined || r.datestamp <= until),
      );
      list = { matching, digest: listDigest(matching) };
      if (memo.lists.size >= 16) memo.lists.clear(); // harvesters ask few from/until pairs
      memo.lists.set(key, list);
    }
    const { matching, digest } = list;
    if (token !== undefined && (state.list !== digest || state.offset >= matching.length)) {
      throw new OaiError(
        'badResumptionToken',
        'the records changed since the list began (or the token is spent): start the list again',
      );
    }
    if (matching.length === 0) {
      throw new OaiError('noRecordsMatch', 'no record matches these from, until and set arguments');
    }
    const page = matching.slice(state.offset, state.offset + this.pageSize);
    const next = state.offset + page.length;
    let xml = `  <${verb}>\n`;
    for (const record of page) {
      xml +=
        verb === 'ListRecords'
          ? recordXml(record, state.metadataPrefix)
          : headerXml(record).replace(/^ {4}/gm, '  ');
    }
    if (state.offset > 0 || next < matching.length) {
      const attributes = xmlAttributes({
        completeListSize: String(matching.length),
        cursor: String(state.offset),
      });
      const value =
        next < matching.length ? encodeToken({ ...state, offset: next, list: digest }) : '';
      xml += `    <resumptionToken${attributes}>${value}</resumptionToken>\n`;
    }
    return `${xml}  </${verb}>\n`;
  }
}
