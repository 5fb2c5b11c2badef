/**
 * The provenance records hearc writes: for each published dataset (what its files'
 * headers tell about the processing that made them, and hearc's own ingest), and for
 * each product hearc derives on request (cutouts, previews, query results).
 * Identifiers are in stored form (tables.ts): DIDs and paths under the service.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CatalogRow } from '../engine/types.js';
import type { Header } from '../fits/index.js';
import type { ServiceDescription } from '../service/index.js';
import { EVENT_LIST_PRODUCT, irfProducts } from '../obscore/products.js';
import type {
  ProvActivityDescription,
  ProvAgent,
  ProvGraph,
  MutableGraph,
  ProvParameter,
} from './model.js';
import { emptyGraph } from './model.js';

const segment = encodeURIComponent;
const slug = (name: string): string =>
  name
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'unnamed';

/** Stored identifiers of the things hearc names itself. */
export const provIds = {
  product: (collection: string, obsId: string, name: string): string =>
    `/products/${segment(collection)}/${segment(obsId)}/${segment(name)}`,
  file: (collection: string, relativePath: string): string =>
    `/files/${segment(collection)}/${relativePath.split('/').map(segment).join('/')}`,
  activity: (kind: string, key: string): string => `/activity/${kind}/${key}`,
  description: (name: string): string => `/activitydescription/${name}`,
  agent: (kind: string, name: string): string => `/agent/${kind}/${slug(name)}`,
  service: '/agent/service',
  publisher: '/agent/publisher',
  /** A user as a pseudonym: provenance names who made a product without publishing who they are. */
  user: (user: string): string =>
    `/agent/user/${createHash('sha256').update(user).digest('hex').slice(0, 16)}`,
};

/** Who runs this service (from its service description). */
export interface ServiceAgents {
  readonly publisher: string;
  readonly contactEmail?: string;
  readonly title: string;
  readonly software: { readonly name: string; readonly version: string };
}

/** The agents' side of a service description. */
export function agentsOf(service: ServiceDescription): ServiceAgents {
  return {
    publisher: service.publisher,
    title: service.title,
    software: service.software,
    ...(service.contact.email !== undefined ? { contactEmail: service.contact.email } : {}),
  };
}

export function serviceAgents(service: ServiceAgents): ProvAgent[] {
  return [
    {
      id: provIds.publisher,
      name: service.publisher,
      type: 'prov:Organization',
      annotation: 'Publisher of the data',
      ...(service.contactEmail !== undefined ? { email: service.contactEmail } : {}),
    },
    {
      id: provIds.service,
      name: `${service.title} (${service.software.name} ${service.software.version})`,
      type: 'prov:SoftwareAgent',
      annotation: 'The service that publishes the data and makes products from them',
    },
  ];
}

const INGEST_DESCRIPTION = (service: ServiceAgents): ProvActivityDescription => ({
  id: provIds.description('ingest'),
  name: `${service.software.name} ingest`,
  type: 'Publication',
  annotation:
    'Reads a GADF/VODF data store and publishes each observation (ObsCore, high-energy extension, IRF components)',
  version: service.software.version,
});

const DL3_DESCRIPTION: ProvActivityDescription = {
  id: provIds.description('dl3-production'),
  name: 'DL3 production',
  type: 'Reduction',
  annotation:
    'Production of the DL3 files (event list and instrument response), as told by their FITS headers',
};

/** What ingest knows of one observation when it publishes it. */
export interface DatasetSource {
  readonly did: string;
  readonly collection: string;
  readonly obsId: string;
  readonly eventsHeader: Header;
  /** Relative paths (in the data store) of the files the observation was read from. */
  readonly files: readonly string[];
  /** The file holding the EVENTS HDU. */
  readonly eventsFile: string;
  /** The format the event file follows, as the reader detected it ('GADF 0.2', 'VODF 0.1 (draft)'). */
  readonly format?: string;
  /** hearc.irf rows of the observation. */
  readonly irfs: readonly CatalogRow[];
  readonly dataRights: string;
  /** Ingest settings worth recording (authority, collection, rights ...). */
  readonly configuration: Readonly<Record<string, string>>;
  readonly startedAt: Date;
  readonly endedAt: Date;
}

const HEADER_KEYS = [
  'CREATOR',
  'ORIGIN',
  'DATE',
  'TELESCOP',
  'INSTRUME',
  'HDUDOC',
  'HDUVERS',
  'HDUCLASS',
  'HDUCLAS1',
  'EV_CLASS',
  'CREADATE',
  'SOFTWARE',
  'SOFTVER',
];

/** A FITS DATE value (yyyy-mm-dd[Thh:mm:ss[.s]], UTC) as a Date, if it is one. */
function fitsDate(value: string | undefined): Date | undefined {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value)) {
    return undefined;
  }
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : `${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The provenance of one published dataset: files, processing, ingest, agents. */
export function datasetProvenance(source: DatasetSource, service: ServiceAgents): ProvGraph {
  const { did, collection, obsId, eventsHeader: header } = source;
  const graph: MutableGraph = emptyGraph();
  const key = `${segment(collection)}/${segment(obsId)}`;
  const value = (k: string): string | undefined => {
    const v = header.getString(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const eventsProduct = provIds.product(collection, obsId, EVENT_LIST_PRODUCT);
  graph.entities.push({
    id: did,
    name: `Event list of observation ${obsId}`,
    type: 'hea-event-list',
    annotation: 'Published dataset: the EVENTS and GTI HDUs of the observation',
    rights: source.dataRights,
    location: eventsProduct,
    contentType: 'application/fits',
    generatedAt: source.endedAt,
    did,
  });
  const irfs = irfProducts(source.irfs).map(({ row, productName }) => ({
    id: provIds.product(collection, obsId, productName),
    component: String(row.component),
    hduName: String(row.hdu_name ?? ''),
    hduClass: String(row.hdu_class ?? ''),
    file: String(row.file_path ?? ''),
  }));
  for (const irf of irfs) {
    graph.entities.push({
      id: irf.id,
      name: `${irf.component} of observation ${obsId}`,
      type: 'response-function',
      annotation: `Instrument response component: HDU ${irf.hduName} (${irf.hduClass})`,
      rights: source.dataRights,
      location: irf.id,
      contentType: 'application/fits',
      generatedAt: source.endedAt,
      did,
    });
  }
  for (const file of source.files) {
    graph.entities.push({
      id: provIds.file(collection, file),
      name: file,
      type: 'file',
      annotation:
        file === source.eventsFile && source.format !== undefined
          ? `Original file of the data store (event list in ${source.format})`
          : 'Original file of the data store',
      rights: source.dataRights,
      location: provIds.file(collection, file),
      did,
    });
  }

  // The processing that made the files, as far as their headers tell.
  const dl3 = provIds.activity('dl3', key);
  const created = fitsDate(value('DATE')) ?? fitsDate(value('CREADATE'));
  const creator = value('CREATOR') ?? value('SOFTWARE');
  graph.activities.push({
    id: dl3,
    name: `DL3 production of observation ${obsId}${creator ? ` (${creator})` : ''}`,
    ...(created ? { endTime: created } : {}),
    annotation: 'What the headers of the event list tell about how its files were made',
    descriptionId: DL3_DESCRIPTION.id,
    did,
  });
  graph.descriptions.push(DL3_DESCRIPTION);
  const parameter = (activityId: string, name: string, v: string): ProvParameter => ({
    activityId,
    name,
    value: v,
    did,
  });
  for (const k of HEADER_KEYS) {
    const v = value(k);
    if (v !== undefined) graph.parameters.push(parameter(dl3, k, v));
  }
  for (const file of source.files) {
    graph.generations.push({
      entityId: provIds.file(collection, file),
      activityId: dl3,
      ...(created ? { time: created } : {}),
      did,
    });
  }
  const agents = new Map<string, ProvAgent>();
  const associate = (agent: ProvAgent, role: string): void => {
    agents.set(agent.id, agent);
    graph.associations.push({ activityId: dl3, agentId: agent.id, role, did });
  };
  if (creator) {
    associate(
      { id: provIds.agent('software', creator), name: creator, type: 'prov:SoftwareAgent' },
      'software',
    );
  }
  const origin = value('ORIGIN');
  if (origin) {
    associate(
      { id: provIds.agent('organization', origin), name: origin, type: 'prov:Organization' },
      'operator',
    );
  }
  const telescope = value('TELESCOP');
  const instrumentName = [telescope, value('INSTRUME')].filter((v) => v !== undefined).join(' ');
  let instrument: ProvAgent | undefined;
  if (instrumentName !== '') {
    instrument = {
      id: provIds.agent('instrument', instrumentName),
      name: instrumentName,
      type: 'voprov:Instrument',
      annotation: 'Telescope and instrument (TELESCOP, INSTRUME)',
    };
    associate(instrument, 'instrument');
  }

  // hearc's ingest: the files in, the published dataset and its components out.
  const ingest = provIds.activity('ingest', key);
  graph.activities.push({
    id: ingest,
    name: `Publication of observation ${obsId}`,
    startTime: source.startedAt,
    endTime: source.endedAt,
    descriptionId: provIds.description('ingest'),
    did,
  });
  graph.descriptions.push(INGEST_DESCRIPTION(service));
  for (const [name, v] of Object.entries(source.configuration)) {
    graph.parameters.push(parameter(ingest, name, v));
  }
  for (const file of source.files) {
    graph.used.push({
      activityId: ingest,
      entityId: provIds.file(collection, file),
      role: 'data store file',
      time: source.startedAt,
      did,
    });
  }
  const outputs = [
    { id: did, file: source.eventsFile, role: 'event list' },
    ...irfs.map((irf) => ({ id: irf.id, file: irf.file, role: irf.component })),
  ];
  for (const out of outputs) {
    graph.generations.push({
      entityId: out.id,
      activityId: ingest,
      role: out.role,
      time: source.endedAt,
      did,
    });
    if (source.files.includes(out.file)) {
      graph.derivations.push({
        generatedEntityId: out.id,
        usedEntityId: provIds.file(collection, out.file),
        activityId: ingest,
        did,
      });
    }
  }
  const [publisher, serviceAgent] = serviceAgents(service) as [ProvAgent, ProvAgent];
  graph.associations.push(
    { activityId: ingest, agentId: serviceAgent.id, role: 'software', did },
    { activityId: ingest, agentId: publisher.id, role: 'publisher', did },
  );
  graph.attributions.push({ entityId: did, agentId: publisher.id, role: 'publisher', did });
  if (instrument) {
    graph.attributions.push({ entityId: did, agentId: instrument.id, role: 'instrument', did });
  }
  graph.agents.push(publisher, serviceAgent, ...agents.values());
  return graph;
}

const WITHDRAWAL_DESCRIPTION = (service: ServiceAgents): ProvActivityDescription => ({
  id: provIds.description('withdrawal'),
  name: `${service.software.name} withdraw`,
  type: 'Withdrawal',
  annotation:
    'Removes a published dataset from everything the service serves; its provenance records are kept',
  version: service.software.version,
});

/** What an operator withdrew, when, and who they are. */
export interface Withdrawal {
  readonly did: string;
  readonly collection: string;
  readonly obsId: string;
  readonly at: Date;
  /** The operator (recorded as a pseudonym, like users). */
  readonly by: string;
}

/**
 * The provenance of a withdrawal. Provenance DM 1.0 has no invalidation relation (PROV's
 * wasInvalidatedBy is not among its classes), so the end of a dataset's publication is
 * an activity that used the dataset (role 'withdrawn') and ended when it was withdrawn,
 * associated with the operator and the service. The dataset's own records stay as they
 * were: they tell what was published.
 */
export function withdrawalProvenance(withdrawal: Withdrawal, service: ServiceAgents): ProvGraph {
  const { did, at } = withdrawal;
  const graph: MutableGraph = emptyGraph();
  const activityId = provIds.activity(
    'withdrawal',
    `${segment(withdrawal.collection)}/${segment(withdrawal.obsId)}/${at.getTime()}`,
  );
  graph.activities.push({
    id: activityId,
    name: `Withdrawal of observation ${withdrawal.obsId}`,
    startTime: at,
    endTime: at,
    annotation: `Observation ${withdrawal.obsId} of collection ${withdrawal.collection} is no longer published`,
    descriptionId: provIds.description('withdrawal'),
    did,
  });
  graph.descriptions.push(WITHDRAWAL_DESCRIPTION(service));
  graph.used.push({ activityId, entityId: did, role: 'withdrawn', time: at, did });
  const [publisher, serviceAgent] = serviceAgents(service) as [ProvAgent, ProvAgent];
  const operator: ProvAgent = {
    id: provIds.user(withdrawal.by),
    name: 'operator',
    type: 'prov:Person',
    annotation: 'An operator of the service (pseudonymous)',
  };
  graph.agents.push(publisher, serviceAgent, operator);
  graph.associations.push(
    { activityId, agentId: operator.id, role: 'operator', did },
    { activityId, agentId: serviceAgent.id, role: 'software', did },
  );
  return graph;
}

/** A product hearc made on request from published datasets. */
export interface DerivedProduct {
  /** 'cutout', 'preview', 'tap-result' ... (also the kind of activity). */
  readonly kind: string;
  /** Stored identifier of the product and of the activity that made it (unique). */
  readonly entityId: string;
  readonly activityId: string;
  readonly name: string;
  readonly annotation: string;
  readonly contentType?: string;
  /** Where to get it again (a service path), if anywhere. */
  readonly location?: string;
  /** Input entities (DIDs or stored ids) and their roles. */
  readonly inputs: readonly { readonly id: string; readonly role: string }[];
  readonly parameters: readonly {
    readonly name: string;
    readonly value: string;
    readonly unit?: string;
  }[];
  /** The authenticated user who asked for it. */
  readonly user?: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  /** The dataset whose rights govern the record (undefined: many or none). */
  readonly did?: string;
}

const DERIVED_DESCRIPTIONS: Readonly<Record<string, Omit<ProvActivityDescription, 'id'>>> = {
  cutout: {
    name: 'SODA cutout',
    type: 'Cutout',
    annotation: 'Events of one event list within a sky region, time range, energy range (SODA 1.0)',
  },
  preview: {
    name: 'Preview',
    type: 'Visualisation',
    annotation: 'A picture made from an event list',
  },
  mapdataset: {
    name: 'Map dataset reduction',
    type: 'Reduction',
    annotation:
      'Counts, exposure, background and safe mask of event lists binned and stacked on a sky grid (gammapy MapDataset, DL4)',
  },
  'tap-result': {
    name: 'TAP query',
    type: 'Query',
    annotation: 'Result of an ADQL query (TAP 1.1 async)',
  },
};

/** The record of one derived product: its activity, inputs, parameters and agents. */
export function derivedProvenance(product: DerivedProduct, service: ServiceAgents): ProvGraph {
  const graph = emptyGraph();
  const did = product.did;
  const scoped = <T extends object>(o: T): T => (did !== undefined ? { ...o, did } : o);
  const description = DERIVED_DESCRIPTIONS[product.kind];
  const descriptionId = provIds.description(product.kind);
  if (description) {
    graph.descriptions.push({
      id: descriptionId,
      ...description,
      version: `${service.software.name} ${service.software.version}`,
    });
  }
  graph.entities.push(
    scoped({
      id: product.entityId,
      name: product.name,
      type: product.kind,
      annotation: product.annotation,
      generatedAt: product.endedAt,
      ...(product.contentType !== undefined ? { contentType: product.contentType } : {}),
      ...(product.location !== undefined ? { location: product.location } : {}),
    }),
  );
  graph.activities.push(
    scoped({
      id: product.activityId,
      name: `${description?.name ?? product.kind} ${product.name}`,
      startTime: product.startedAt,
      endTime: product.endedAt,
      ...(description ? { descriptionId } : {}),
    }),
  );
  for (const input of product.inputs) {
    graph.used.push(
      scoped({
        activityId: product.activityId,
        entityId: input.id,
        role: input.role,
        time: product.startedAt,
      }),
    );
    graph.derivations.push(
      scoped({
        generatedEntityId: product.entityId,
        usedEntityId: input.id,
        activityId: product.activityId,
      }),
    );
  }
  graph.generations.push(
    scoped({
      entityId: product.entityId,
      activityId: product.activityId,
      role: product.kind,
      time: product.endedAt,
    }),
  );
  for (const p of product.parameters)
    graph.parameters.push(scoped({ activityId: product.activityId, ...p }));
  const [, serviceAgent] = serviceAgents(service) as [ProvAgent, ProvAgent];
  graph.agents.push(serviceAgent);
  graph.associations.push(
    scoped({ activityId: product.activityId, agentId: serviceAgent.id, role: 'software' }),
  );
  if (product.user !== undefined) {
    const user: ProvAgent = {
      id: provIds.user(product.user),
      name: 'authenticated user',
      type: 'prov:Person',
      annotation: 'A user of the service (pseudonymous)',
    };
    graph.agents.push(user);
    graph.associations.push(
      scoped({ activityId: product.activityId, agentId: user.id, role: 'user' }),
    );
  }
  return graph;
}

/** Fresh identifiers of a product hearc makes now, and of the activity making it. */
export function newProductIds(kind: string): {
  readonly entityId: string;
  readonly activityId: string;
} {
  const id = randomUUID();
  return { entityId: `/${kind}/${id}`, activityId: provIds.activity(kind, id) };
}

/** The W3C PROV-AQ Link header value pointing at a product's provenance. */
export function hasProvenanceLink(url: string): string {
  return `<${url}>; rel="http://www.w3.org/ns/prov#has_provenance"`;
}

/** What a SODA cutout was made of and how. */
export interface CutoutMade {
  readonly did: string;
  readonly fileName: string;
  /** The cut parameters as given (without ID). */
  readonly parameters: readonly (readonly [string, string])[];
  readonly eventsRead: number;
  readonly eventsKept: number;
  readonly user?: string;
}

/** The record of a cutout: its parameters with their units, the event list it came from. */
export function cutoutProduct(
  cutout: CutoutMade,
): Omit<DerivedProduct, 'entityId' | 'activityId' | 'startedAt' | 'endedAt'> {
  const query = new URLSearchParams([
    ['ID', cutout.did],
    ...cutout.parameters.map(([n, v]): [string, string] => [n, v]),
  ]);
  return {
    kind: 'cutout',
    name: cutout.fileName,
    annotation: `SODA cutout of ${cutout.did}: ${cutout.eventsKept} of ${cutout.eventsRead} events`,
    contentType: 'application/fits',
    location: `/soda?${query.toString()}`,
    inputs: [{ id: cutout.did, role: 'event list' }],
    parameters: [
      ...cutout.parameters.map(([name, value]) => ({
        name,
        value,
        ...(CUTOUT_UNITS[name] !== undefined ? { unit: CUTOUT_UNITS[name] } : {}),
      })),
      { name: 'events_kept', value: String(cutout.eventsKept) },
    ],
    did: cutout.did,
    ...(cutout.user !== undefined ? { user: cutout.user } : {}),
  };
}

/** Units of the SODA cutout parameters, recorded with their values. */
const CUTOUT_UNITS: Readonly<Record<string, string>> = {
  POS: 'deg',
  CIRCLE: 'deg',
  POLYGON: 'deg',
  TIME: 'd',
  BAND: 'm',
  ENERGY: 'TeV',
};
