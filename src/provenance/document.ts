/**
 * A provenance graph as a W3C PROV document for one answering service: identifiers
 * become qualified names (publisher DIDs under `ivo`, the service's own things under
 * its namespace, the service's public URL), and the Provenance DM's extra classes
 * map onto PROV as its serialisation section says (ActivityDescription and Parameter
 * become entities of those voprov types). PROV-JSON, PROV-XML and PROV-N are written
 * from this one list of records, so the three agree.
 */
import type { ProvGraph } from './model.js';

export const PROV_NS = 'http://www.w3.org/ns/prov#';
export const VOPROV_NS = 'http://www.ivoa.net/documents/ProvenanceDM/ns/voprov/';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema#';

/** An attribute value: text, a whole number, a qualified name, a URI or a time. */
export type ProvValue =
  string | number | { readonly qname: string } | { readonly uri: string } | { readonly time: Date };

export type RecordKind =
  | 'entity'
  | 'activity'
  | 'agent'
  | 'used'
  | 'wasGeneratedBy'
  | 'wasDerivedFrom'
  | 'wasAssociatedWith'
  | 'wasAttributedTo';

/** PROV-N's positional (formal) attributes of each kind, in order. */
export const FORMAL: Readonly<Record<RecordKind, readonly string[]>> = {
  entity: [],
  activity: ['prov:startTime', 'prov:endTime'],
  agent: [],
  used: ['prov:activity', 'prov:entity', 'prov:time'],
  wasGeneratedBy: ['prov:entity', 'prov:activity', 'prov:time'],
  wasDerivedFrom: [
    'prov:generatedEntity',
    'prov:usedEntity',
    'prov:activity',
    'prov:generation',
    'prov:usage',
  ],
  wasAssociatedWith: ['prov:activity', 'prov:agent', 'prov:plan'],
  wasAttributedTo: ['prov:entity', 'prov:agent'],
};

export interface ProvRecord {
  readonly kind: RecordKind;
  /** Qualified name of an element; relations are anonymous. */
  readonly id?: string;
  /** Formal attributes that are set (qualified names, or times). */
  readonly formal: Readonly<Record<string, string | Date>>;
  readonly attributes: readonly (readonly [string, ProvValue])[];
}

export interface ProvDocument {
  /** Prefix → namespace URI, in declaration order (prov first). */
  readonly prefixes: readonly (readonly [string, string])[];
  readonly records: readonly ProvRecord[];
}

/** How identifiers of this service read: its namespace prefix and public URL. */
export interface ProvNaming {
  /** Public URL of the answering service, without trailing slash. */
  readonly baseUrl: string;
  /** The service's namespace prefix (from its short name). */
  readonly prefix: string;
}

const RESERVED = new Set(['prov', 'voprov', 'xsd', 'xsi', 'ivo', 'xml', 'default']);

/** A namespace prefix for the service from its short name (an XML NCName, lower case). */
export function servicePrefix(shortName: string): string {
  const cleaned = shortName.toLowerCase().replace(/[^a-z0-9_-]+/g, '');
  const name = /^[a-z_]/.test(cleaned) ? cleaned : `s${cleaned}`;
  return name === 's' ? 'service' : RESERVED.has(name) ? `${name}-service` : name;
}

export class IdentifierNames {
  constructor(private readonly naming: ProvNaming) {}

  /** The qualified name of a stored identifier. */
  qname(id: string): string {
    if (id.startsWith('ivo://')) return `ivo:${id.slice('ivo://'.length)}`;
    if (id.startsWith('/')) return `${this.naming.prefix}:${id.slice(1)}`;
    return `${this.naming.prefix}:${encodeURIComponent(id)}`;
  }

  /** The URL (or DID) a stored identifier stands for. */
  absolute(id: string): string {
    return id.startsWith('/') ? `${this.naming.baseUrl}${id}` : id;
  }

  /** The stored identifier an ID parameter names: a DID, a URL of this service, or a path. */
  stored(given: string): string {
    const base = this.naming.baseUrl;
    if (given.startsWith(`${base}/`)) return given.slice(base.length);
    const qualified = /^([A-Za-z_][\w-]*):(?!\/\/)(.*)$/.exec(given);
    if (qualified?.[1] === this.naming.prefix) return `/${qualified[2]}`;
    if (qualified?.[1] === 'ivo') return `ivo://${qualified[2]}`;
    return given;
  }
}

const qn = (qname: string): ProvValue => ({ qname });

/** The PROV document of `graph` as this service names things. */
export function provDocument(graph: ProvGraph, naming: ProvNaming): ProvDocument {
  const names = new IdentifierNames(naming);
  const q = (id: string): string => names.qname(id);
  const records: ProvRecord[] = [];
  const element = (
    kind: RecordKind,
    id: string,
    attributes: (readonly [string, ProvValue | undefined])[],
    formal: Record<string, string | Date | undefined> = {},
  ): void => {
    records.push({
      kind,
      id,
      formal: Object.fromEntries(
        Object.entries(formal).filter((e): e is [string, string | Date] => e[1] !== undefined),
      ),
      attributes: attributes.filter((a): a is [string, ProvValue] => a[1] !== undefined),
    });
  };
  const relation = (
    kind: RecordKind,
    formal: Record<string, string | Date | undefined>,
    attributes: (readonly [string, ProvValue | undefined])[] = [],
  ): void => {
    records.push({
      kind,
      formal: Object.fromEntries(
        Object.entries(formal).filter((e): e is [string, string | Date] => e[1] !== undefined),
      ),
      attributes: attributes.filter((a): a is [string, ProvValue] => a[1] !== undefined),
    });
  };
  const time = (t: Date | undefined): ProvValue | undefined => (t ? { time: t } : undefined);
  const paramId = (activityId: string, name: string): string =>
    `${q(activityId)}/parameter/${name.replace(/[^A-Za-z0-9._-]+/g, '_')}`;

  for (const e of graph.entities) {
    element('entity', q(e.id), [
      ['prov:label', e.name],
      ['prov:type', qn('voprov:Entity')],
      ['prov:location', e.location !== undefined ? { uri: names.absolute(e.location) } : undefined],
      ['voprov:type', e.type],
      ['voprov:annotation', e.annotation],
      ['voprov:rights', e.rights],
      ['voprov:content_type', e.contentType],
      ['voprov:generatedAtTime', time(e.generatedAt)],
    ]);
  }
  for (const d of graph.descriptions) {
    element('entity', q(d.id), [
      ['prov:label', d.name],
      ['prov:type', qn('voprov:ActivityDescription')],
      ['voprov:type', d.type],
      ['voprov:subtype', d.subtype],
      ['voprov:annotation', d.annotation],
      ['voprov:version', d.version],
      ['voprov:doculink', d.doculink !== undefined ? { uri: d.doculink } : undefined],
    ]);
  }
  for (const p of graph.parameters) {
    element('entity', paramId(p.activityId, p.name), [
      ['prov:label', p.name],
      ['prov:type', qn('voprov:Parameter')],
      ['prov:value', p.value],
      ['voprov:unit', p.unit],
    ]);
  }
  for (const a of graph.activities) {
    element(
      'activity',
      q(a.id),
      [
        ['prov:label', a.name],
        ['voprov:annotation', a.annotation],
        ['voprov:activityDescription', a.descriptionId ? qn(q(a.descriptionId)) : undefined],
      ],
      { 'prov:startTime': a.startTime, 'prov:endTime': a.endTime },
    );
  }
  for (const a of graph.agents) {
    element('agent', q(a.id), [
      ['prov:label', a.name],
      ['prov:type', qn(a.type)],
      ['voprov:annotation', a.annotation],
      ['voprov:email', a.email],
    ]);
  }
  for (const u of graph.used) {
    relation(
      'used',
      { 'prov:activity': q(u.activityId), 'prov:entity': q(u.entityId), 'prov:time': u.time },
      [['prov:role', u.role]],
    );
  }
  for (const p of graph.parameters) {
    relation(
      'used',
      { 'prov:activity': q(p.activityId), 'prov:entity': paramId(p.activityId, p.name) },
      [['prov:role', 'parameter']],
    );
  }
  for (const g of graph.generations) {
    relation(
      'wasGeneratedBy',
      { 'prov:entity': q(g.entityId), 'prov:activity': q(g.activityId), 'prov:time': g.time },
      [['prov:role', g.role]],
    );
  }
  for (const d of graph.derivations) {
    relation('wasDerivedFrom', {
      'prov:generatedEntity': q(d.generatedEntityId),
      'prov:usedEntity': q(d.usedEntityId),
      'prov:activity': d.activityId !== undefined ? q(d.activityId) : undefined,
    });
  }
  for (const a of graph.associations) {
    relation(
      'wasAssociatedWith',
      { 'prov:activity': q(a.activityId), 'prov:agent': q(a.agentId) },
      [['prov:role', a.role]],
    );
  }
  for (const a of graph.attributions) {
    // PROV has no role on attributions; the Provenance DM puts it in voprov.
    relation('wasAttributedTo', { 'prov:entity': q(a.entityId), 'prov:agent': q(a.agentId) }, [
      ['voprov:role', a.role],
    ]);
  }
  const prefixes: [string, string][] = [
    ['prov', PROV_NS],
    ['voprov', VOPROV_NS],
    [naming.prefix, `${naming.baseUrl}/`],
    ['ivo', 'ivo://'],
  ];
  return { prefixes, records };
}
