/**
 * A provenance graph in the IVOA Provenance DM's terms (W3C PROV core plus
 * ActivityDescription and Parameter), as plain data. Identifiers are in stored form:
 * a publisher DID or a path under the service (see tables.ts).
 */

export type AgentType =
  'prov:Organization' | 'prov:Person' | 'prov:SoftwareAgent' | 'voprov:Instrument';

export interface ProvEntity {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
  readonly annotation?: string;
  readonly rights?: string;
  readonly location?: string;
  readonly contentType?: string;
  readonly generatedAt?: Date;
  /** The dataset whose rights govern this record. */
  readonly did?: string;
}

export interface ProvActivity {
  readonly id: string;
  readonly name?: string;
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly annotation?: string;
  readonly descriptionId?: string;
  readonly did?: string;
}

export interface ProvActivityDescription {
  readonly id: string;
  readonly name: string;
  readonly type?: string;
  readonly subtype?: string;
  readonly annotation?: string;
  readonly version?: string;
  readonly doculink?: string;
}

export interface ProvAgent {
  readonly id: string;
  readonly name: string;
  readonly type: AgentType;
  readonly annotation?: string;
  readonly email?: string;
}

export interface ProvUsed {
  readonly activityId: string;
  readonly entityId: string;
  readonly role?: string;
  readonly time?: Date;
  readonly did?: string;
}

export interface ProvGeneration {
  readonly entityId: string;
  readonly activityId: string;
  readonly role?: string;
  readonly time?: Date;
  readonly did?: string;
}

export interface ProvDerivation {
  readonly generatedEntityId: string;
  readonly usedEntityId: string;
  readonly activityId?: string;
  readonly did?: string;
}

export interface ProvAssociation {
  readonly activityId: string;
  readonly agentId: string;
  readonly role?: string;
  readonly did?: string;
}

export interface ProvAttribution {
  readonly entityId: string;
  readonly agentId: string;
  readonly role?: string;
  readonly did?: string;
}

export interface ProvParameter {
  readonly activityId: string;
  readonly name: string;
  readonly value: string;
  readonly unit?: string;
  readonly did?: string;
}

export interface ProvGraph {
  readonly entities: readonly ProvEntity[];
  readonly activities: readonly ProvActivity[];
  readonly descriptions: readonly ProvActivityDescription[];
  readonly agents: readonly ProvAgent[];
  readonly used: readonly ProvUsed[];
  readonly generations: readonly ProvGeneration[];
  readonly derivations: readonly ProvDerivation[];
  readonly associations: readonly ProvAssociation[];
  readonly attributions: readonly ProvAttribution[];
  readonly parameters: readonly ProvParameter[];
}

export type MutableGraph = { -readonly [K in keyof ProvGraph]: ProvGraph[K][number][] };

export function emptyGraph(): MutableGraph {
  return {
    entities: [],
    activities: [],
    descriptions: [],
    agents: [],
    used: [],
    generations: [],
    derivations: [],
    associations: [],
    attributions: [],
    parameters: [],
  };
}

/** Adds `more` to `graph`, keeping one record per element identifier. */
export function mergeInto(graph: MutableGraph, more: ProvGraph): void {
  const add = <T extends { readonly id: string }>(into: T[], from: readonly T[]): void => {
    const known = new Set(into.map((r) => r.id));
    for (const r of from) {
      if (known.has(r.id)) continue;
      into.push(r);
      known.add(r.id);
    }
  };
  add(graph.entities, more.entities);
  add(graph.activities, more.activities);
  add(graph.descriptions, more.descriptions);
  add(graph.agents, more.agents);
  graph.used.push(...more.used);
  graph.generations.push(...more.generations);
  graph.derivations.push(...more.derivations);
  graph.associations.push(...more.associations);
  graph.attributions.push(...more.attributions);
  graph.parameters.push(...more.parameters);
}
