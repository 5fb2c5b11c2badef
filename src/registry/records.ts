/**
 * VOResource 1.1 records of what hearc publishes, made from the service description
 * and the catalog's coverage (nothing hand-written): the service (vs:CatalogService
 * with its TAP, DataLink, SODA and VOSI capabilities and its tableset), one
 * vs:CatalogResource per collection (with an auxiliary TAP capability, as the IVOA note
 * on discovering data collections advises), the publishing registry (vg:Registry) and
 * the naming authority (vg:Authority). Coverage follows VODataService 1.2: a MOC,
 * MJD intervals, energies in J and messengers as wavebands.
 */
import { element, xmlAttributes, xmlText } from '../dali/index.js';
import type { CatalogCoverage, Coverage } from '../moc/index.js';
import { tickToJd } from '../moc/index.js';
import type { PublishedSchema } from '../schema/types.js';
import { collectionOf, type ServiceDescription } from '../service/index.js';
import { capabilityElements, type CapabilityOptions } from '../tap/capabilities.js';
import { SCHEMA_DESCRIPTIONS } from '../tap/tap-schema.js';
import { schemaElements } from '../tap/vosi-tables.js';
import { ResourceIdentifiers } from './identifiers.js';

export const NAMESPACES = {
  ri: 'http://www.ivoa.net/xml/RegistryInterface/v1.0',
  vr: 'http://www.ivoa.net/xml/VOResource/v1.0',
  vs: 'http://www.ivoa.net/xml/VODataService/v1.1',
  vg: 'http://www.ivoa.net/xml/VORegistry/v1.0',
  tr: 'http://www.ivoa.net/xml/TAPRegExt/v1.0',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

/** Planck constant times the speed of light, J m (both exact in the SI). */
const HC_J_M = 6.62607015e-34 * 299_792_458;
const MJD_OFFSET = 2_400_000.5;
/** Good time intervals closer than this (days) are one temporal interval of a record. */
const TEMPORAL_MERGE_DAYS = 0.5;
/** Records a ListRecords/ListIdentifiers answer holds before a resumption token. */
export const HARVEST_PAGE_SIZE = 100;

/** VODataService 1.2 wavebands (IVOA messenger vocabulary) of ObsCore-HEA messengers. */
const WAVEBANDS: Readonly<Record<string, string>> = {
  photon: 'Gamma-ray',
  'gamma-ray': 'Gamma-ray',
  neutrino: 'Neutrino',
};

export type RecordKind = 'service' | 'collection' | 'registry' | 'authority';

/** Dublin Core of a record (OAI-PMH oai_dc). */
export interface DublinCore {
  readonly title: string;
  readonly creators: readonly string[];
  readonly subjects: readonly string[];
  readonly description: string;
  readonly publisher: string;
  readonly date: string;
  readonly type: string;
  readonly identifier: string;
}

export interface ResourceRecord {
  readonly kind: RecordKind;
  readonly identifier: string;
  /** When the record last changed (UTC, seconds: OAI-PMH datestamp granularity). */
  readonly datestamp: string;
  /** The ri:Resource element, namespaces declared on it. */
  readonly xml: string;
  readonly dc: DublinCore;
}

export interface RecordSources {
  readonly service: ServiceDescription;
  readonly coverage: CatalogCoverage;
  /** The service's base URL for this answer. */
  readonly baseUrl: string;
  /** The tables served (TAP_SCHEMA included). */
  readonly schema: PublishedSchema;
  readonly capabilities: Omit<CapabilityOptions, 'baseUrl'>;
  /** The date used while the catalog is empty (e.g. when the server started). */
  readonly fallbackDate: string;
}

/** An ISO date at second precision, as VOResource and OAI-PMH want it. */
export function utcSeconds(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

const tag = (name: string, text: string, indent: string): string => element(name, text, indent);

function curationXml(service: ServiceDescription, updated: string): string {
  const contact = service.contact;
  return (
    '  <curation>\n' +
    tag('publisher', service.publisher, '    ') +
    service.creators
      .map((c) => `    <creator>\n${tag('name', c, '      ')}    </creator>\n`)
      .join('') +
    `    <date role="Updated">${updated}</date>\n` +
    `    <contact>\n${tag('name', contact.name, '      ')}${element('email', contact.email, '      ')}    </contact>\n` +
    '  </curation>\n'
  );
}

interface ContentOptions {
  readonly subjects: readonly string[];
  readonly description: string;
  readonly referenceUrl: string;
  readonly type: string;
  readonly relationship?: {
    readonly type: string;
    readonly resources: readonly { id: string; title: string }[];
  };
}

function contentXml(options: ContentOptions): string {
  const subjects = options.subjects.length > 0 ? options.subjects : ['gamma-ray-astronomy'];
  let xml = '  <content>\n';
  for (const subject of subjects) xml += tag('subject', subject, '    ');
  xml += tag('description', options.description, '    ');
  xml += tag('referenceURL', options.referenceUrl, '    ');
  xml += tag('type', options.type, '    ');
  xml += tag('contentLevel', 'Research', '    ');
  const relation = options.relationship;
  if (relation && relation.resources.length > 0) {
    xml += `    <relationship>\n${tag('relationshipType', relation.type, '      ')}`;
    for (const r of relation.resources) {
      xml += `      <relatedResource${xmlAttributes({ 'ivo-id': r.id })}>${xmlText(r.title)}</relatedResource>\n`;
    }
    xml += '    </relationship>\n';
  }
  return `${xml}  </content>\n`;
}

function rightsXml(service: ServiceDescription): string {
  return `  <rights${xmlAttributes({ rightsURI: service.licenceUrl })}>${xmlText(service.rights)}</rights>\n`;
}

/** MJD intervals of merged good time intervals, joined across short gaps. */
export function temporalIntervals(coverage: Coverage): [number, number][] {
  const intervals: [number, number][] = [];
  for (const [start, end] of coverage.timeRanges) {
    const mjd: [number, number] = [tickToJd(start) - MJD_OFFSET, tickToJd(end) - MJD_OFFSET];
    const last = intervals[intervals.length - 1];
    if (last && mjd[0] - last[1] < TEMPORAL_MERGE_DAYS) last[1] = Math.max(last[1], mjd[1]);
    else intervals.push(mjd);
  }
  return intervals;
}

/** Energies (J) of the coverage's wavelength range: the shortest wavelength is the highest energy. */
export function spectralInterval(coverage: Coverage): [number, number] | undefined {
  const range = coverage.wavelength;
  return range ? [HC_J_M / range[1], HC_J_M / range[0]] : undefined;
}

export function wavebandsOf(coverage: Coverage): string[] {
  return [
    ...new Set(coverage.messengers.map((m) => WAVEBANDS[m.toLowerCase()]).filter(Boolean)),
  ] as string[];
}

/**
 * The coverage element; `footprint` is the URL of the full space MOC (/moc serves it
 * with its time and space-time MOCs beside it).
 */
function coverageXml(coverage: Coverage, footprint: string): string {
  let xml = '  <coverage>\n';
  xml += `    <spatial>${coverage.spaceSummary}</spatial>\n`;
  for (const [a, b] of temporalIntervals(coverage)) {
    xml += `    <temporal>${a.toFixed(6)} ${b.toFixed(6)}</temporal>\n`;
  }
  const spectral = spectralInterval(coverage);
  if (spectral)
    xml += `    <spectral>${spectral[0].toPrecision(8)} ${spectral[1].toPrecision(8)}</spectral>\n`;
  xml += `    <footprint ivo-id="ivo://ivoa.net/std/moc">${xmlText(footprint)}</footprint>\n`;
  for (const band of wavebandsOf(coverage)) xml += tag('waveband', band, '    ');
  return `${xml}  </coverage>\n`;
}

function simpleCapability(standardId: string, url: string, use = 'base'): string {
  return (
    `  <capability standardID="${standardId}">\n` +
    `    <interface xsi:type="vs:ParamHTTP" role="std">\n` +
    `      <accessURL use="${use}">${xmlText(url)}</accessURL>\n` +
    '    </interface>\n  </capability>\n'
  );
}

function resourceOpen(type: string, created: string, updated: string): string {
  const ns = Object.entries(NAMESPACES)
    .map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`)
    .join('');
  // xmlns="": the record's unqualified elements stay so inside an OAI-PMH answer.
  return `<ri:Resource xmlns=""${ns} xsi:type="${type}" created="${created}" updated="${updated}" status="active" version="1.1">\n`;
}

function header(title: string, shortName: string | undefined, identifier: string): string {
  return (
    tag('title', title, '  ') +
    element('shortName', shortName?.slice(0, 16), '  ') +
    tag('identifier', identifier, '  ')
  );
}

/** A record whose XML is rendered when read: a page of a long list renders its own records only. */
function lazyRecord(fields: Omit<ResourceRecord, 'xml'>, xml: () => string): ResourceRecord {
  return {
    ...fields,
    get xml() {
      return xml();
    },
  };
}

/** Every record hearc publishes: authority, registry, service, then the collections by name. */
export function resourceRecords(sources: RecordSources): ResourceRecord[] {
  const { service, coverage, baseUrl } = sources;
  const ids = ResourceIdentifiers.of(service);
  const date = (iso: string | undefined): string => utcSeconds(iso ?? sources.fallbackDate);
  const serviceUpdated = date(coverage.service.updated);
  const serviceCreated = date(coverage.service.created);
  const referenceUrl = service.referenceUrl ?? `${baseUrl}/`;
  const collections = [...coverage.collections].map(([name, c]) => ({
    name,
    coverage: c,
    description: collectionOf(service, name),
    id: ids.collection(name),
  }));
  const dc = (
    title: string,
    description: string,
    identifier: string,
    type: string,
    updated: string,
  ): DublinCore => ({
    title,
    creators: service.creators,
    subjects: service.subjects,
    description,
    publisher: service.publisher,
    date: updated,
    type,
    identifier,
  });
  const records: ResourceRecord[] = [];

  const authorityTitle = `The ${service.authority} naming authority`;
  const authorityDescription = `The IVOA naming authority ${service.authority}, under which ${service.publisher} registers the resources of ${service.title}.`;
  records.push(
    lazyRecord(
      {
        kind: 'authority',
        identifier: ids.authority(),
        datestamp: serviceUpdated,
        dc: dc(authorityTitle, authorityDescription, ids.authority(), 'Authority', serviceUpdated),
      },
      () =>
        resourceOpen('vg:Authority', serviceCreated, serviceUpdated) +
        header(authorityTitle, undefined, ids.authority()) +
        curationXml(service, serviceUpdated) +
        contentXml({
          subjects: ['virtual-observatories'],
          description: authorityDescription,
          referenceUrl,
          type: 'Organisation',
        }) +
        tag('managingOrg', service.publisher, '  ') +
        '</ri:Resource>\n',
    ),
  );

  const registryTitle = `${service.title}: publishing registry`;
  const registryDescription = `The OAI-PMH publishing registry of ${service.title}: the records of the service, its collections and its authority.`;
  records.push(
    lazyRecord(
      {
        kind: 'registry',
        identifier: ids.registry(),
        datestamp: serviceUpdated,
        dc: dc(registryTitle, registryDescription, ids.registry(), 'Registry', serviceUpdated),
      },
      () =>
        resourceOpen('vg:Registry', serviceCreated, serviceUpdated) +
        header(registryTitle, undefined, ids.registry()) +
        curationXml(service, serviceUpdated) +
        contentXml({
          subjects: ['virtual-observatories'],
          description: registryDescription,
          referenceUrl,
          type: 'Registry',
        }) +
        '  <capability standardID="ivo://ivoa.net/std/Registry" xsi:type="vg:Harvest">\n' +
        '    <interface xsi:type="vg:OAIHTTP" role="std" version="1.0">\n' +
        `      <accessURL use="base">${xmlText(`${baseUrl}/oai`)}</accessURL>\n` +
        '    </interface>\n' +
        `    <maxRecords>${HARVEST_PAGE_SIZE}</maxRecords>\n` +
        '  </capability>\n' +
        '  <full>false</full>\n' +
        tag('managedAuthority', service.authority, '  ') +
        '</ri:Resource>\n',
    ),
  );

  records.push(
    lazyRecord(
      {
        kind: 'service',
        identifier: ids.service(),
        datestamp: serviceUpdated,
        dc: dc(service.title, service.description, ids.service(), 'Service', serviceUpdated),
      },
      () =>
        resourceOpen('vs:CatalogService', serviceCreated, serviceUpdated) +
        header(service.title, service.shortName, ids.service()) +
        curationXml(service, serviceUpdated) +
        contentXml({
          subjects: service.subjects,
          description: service.description,
          referenceUrl,
          type: 'Archive',
          relationship: {
            type: 'IsServiceFor',
            resources: collections.map((c) => ({ id: c.id, title: c.description.title })),
          },
        }) +
        rightsXml(service) +
        capabilityElements({ ...sources.capabilities, baseUrl }) +
        simpleCapability('ivo://ivoa.net/std/SODA#sync-1.0', `${baseUrl}/soda`) +
        coverageXml(coverage.service, `${baseUrl}/moc/service.fits`) +
        `  <tableset>\n${schemaElements(sources.schema, 'max', SCHEMA_DESCRIPTIONS)}  </tableset>\n` +
        '</ri:Resource>\n',
    ),
  );

  const dataTables: PublishedSchema = {
    tables: sources.schema.tables.filter((t) => t.schema === 'ivoa'),
  };
  for (const c of collections) {
    const updated = date(c.coverage.updated);
    const created = date(c.coverage.created);
    const description =
      c.description.description ??
      `${c.description.title}: ${c.coverage.observations} observations published by ${service.title} in ivoa.obscore (obs_collection '${c.name}').`;
    records.push(
      lazyRecord(
        {
          kind: 'collection',
          identifier: c.id,
          datestamp: updated,
          dc: dc(c.description.title, description, c.id, 'Dataset', updated),
        },
        () =>
          resourceOpen('vs:CatalogResource', created, updated) +
          header(c.description.title, undefined, c.id) +
          curationXml(service, updated) +
          contentXml({
            subjects: service.subjects,
            description,
            referenceUrl,
            type: 'Archive',
            relationship: {
              type: 'IsServedBy',
              resources: [{ id: ids.service(), title: service.title }],
            },
          }) +
          rightsXml(service) +
          simpleCapability('ivo://ivoa.net/std/TAP#aux', `${baseUrl}/tap`) +
          coverageXml(c.coverage, `${baseUrl}/moc/${encodeURIComponent(c.name)}.fits`) +
          `  <tableset>\n${schemaElements(dataTables, 'min', SCHEMA_DESCRIPTIONS)}  </tableset>\n` +
          '</ri:Resource>\n',
      ),
    );
  }
  return records;
}
