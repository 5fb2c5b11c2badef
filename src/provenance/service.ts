/**
 * The provenance endpoint without HTTP (in the spirit of the IVOA ProvSAP draft):
 * ID, DEPTH (1, 2, ... or ALL), DIRECTION (BACK or FORTH) and RESPONSEFORMAT
 * (PROV-JSON, PROV-XML, PROV-N, SVG) read and checked, the graph read from the
 * catalog, every record passed through the access gate, and the answer written.
 */
import type { AccessDecision, AccessRequest, Authorize } from '../datalink/index.js';
import { DaliError, type DaliParameters } from '../dali/index.js';
import type { Engine } from '../engine/types.js';
import { IdentifierNames, provDocument, type ProvNaming } from './document.js';
import type { ProvGraph } from './model.js';
import { provIds } from './records.js';
import { PROV_MEDIA_TYPES, type ProvFormat, serialize } from './serialize.js';
import { readGraph, type Traversal } from './store.js';
import { provSvg, provTextTree } from './views.js';

export type ResponseFormat = ProvFormat | 'SVG' | 'TEXT';

const FAULTS = {
  400: 'UsageFault',
  401: 'AuthenticationFault',
  403: 'AuthorizationFault',
  404: 'NotFoundFault',
};

/** A refused or malformed provenance request: the spine's DaliError with a fault name in front. */
export class ProvenanceError extends DaliError {
  constructor(message: string, status: 400 | 401 | 403 | 404, challenges?: readonly string[]) {
    super(status, `${FAULTS[status]}: ${message}`, challenges ? { challenges } : undefined);
    this.name = 'ProvenanceError';
  }
}

export interface ProvenanceRequest {
  readonly id: string;
  readonly traversal: Traversal;
  readonly format: ResponseFormat;
}

const FORMATS: Readonly<Record<string, ResponseFormat>> = {
  'prov-json': 'PROV-JSON',
  'application/json': 'PROV-JSON',
  json: 'PROV-JSON',
  'prov-xml': 'PROV-XML',
  'application/xml': 'PROV-XML',
  'text/xml': 'PROV-XML',
  xml: 'PROV-XML',
  'prov-n': 'PROV-N',
  'text/provenance-notation': 'PROV-N',
  svg: 'SVG',
  'image/svg+xml': 'SVG',
  text: 'TEXT',
  'text/plain': 'TEXT',
};

/** Reads the parameters of a provenance request. */
export function provenanceRequest(params: DaliParameters): ProvenanceRequest {
  const one = (name: string): string | undefined => {
    if (new Set(params.all(name)).size > 1) {
      throw new ProvenanceError(`give ${name} only once`, 400);
    }
    return params.get(name)?.trim();
  };
  const values = new Map<string, string>();
  for (const name of ['ID', 'DEPTH', 'DIRECTION', 'RESPONSEFORMAT']) {
    const value = one(name);
    if (value !== undefined) values.set(name, value);
  }
  const id = values.get('ID');
  if (id === undefined || id === '') {
    throw new ProvenanceError('ID is required: the identifier of a dataset or product', 400);
  }
  const depthText = values.get('DEPTH') ?? '1';
  let depth: number;
  if (depthText.toUpperCase() === 'ALL') depth = Infinity;
  else if (/^[1-9]\d{0,3}$/.test(depthText)) depth = Number(depthText);
  else
    throw new ProvenanceError(
      `DEPTH must be a positive whole number or ALL, not '${depthText}'`,
      400,
    );
  const directionText = (values.get('DIRECTION') ?? 'BACK').toUpperCase();
  if (directionText !== 'BACK' && directionText !== 'FORTH') {
    throw new ProvenanceError(
      `DIRECTION must be BACK or FORTH, not '${values.get('DIRECTION')}'`,
      400,
    );
  }
  const formatText = values.get('RESPONSEFORMAT') ?? 'PROV-JSON';
  const format = FORMATS[formatText.toLowerCase().split(';')[0]!.trim()];
  if (!format) {
    throw new ProvenanceError(
      `RESPONSEFORMAT must be PROV-JSON, PROV-XML, PROV-N or SVG, not '${formatText}'`,
      400,
    );
  }
  return { id, traversal: { depth, direction: directionText }, format };
}

/** Who may see a record that belongs to no dataset (a query result): the user who made it. */
export type UserOf = (request: AccessRequest) => Promise<string | undefined>;

export interface ProvenanceAnswer {
  readonly body: string;
  readonly contentType: string;
}

export interface ProvenanceServiceOptions {
  readonly engine: Engine;
  readonly authorize: Authorize;
  readonly userOf?: UserOf;
  /** The operator's view (the command line): every record, no gate. */
  readonly unrestricted?: boolean;
}

export class ProvenanceService {
  constructor(private readonly options: ProvenanceServiceOptions) {}

  /** The graph `asked` names, as `request` may see it; throws ProvenanceError. */
  async graph(
    asked: ProvenanceRequest,
    request: AccessRequest,
    naming: ProvNaming,
  ): Promise<{ graph: ProvGraph; start: string }> {
    const start = new IdentifierNames(naming).stored(asked.id);
    const notFound = (): ProvenanceError =>
      new ProvenanceError(`${asked.id} has no provenance record in this service`, 404);
    const graph = await readGraph(this.options.engine, start, asked.traversal);
    if (!graph) throw notFound();
    if (this.options.unrestricted === true) return { start, graph };

    const decisions = new Map<string, AccessDecision>();
    const decide = async (did: string): Promise<AccessDecision> => {
      const known = decisions.get(did);
      if (known) return known;
      const decision = await this.options.authorize(request, did);
      decisions.set(did, decision);
      return decision;
    };
    // Records of no dataset (query results) belong to the user who made them, if any.
    const user = await this.options.userOf?.(request);
    const caller = user !== undefined ? provIds.user(user) : undefined;
    const owned = new Set(
      graph.activities
        .filter((a) => a.did === undefined)
        .filter((a) => {
          const users = graph.associations
            .filter((x) => x.activityId === a.id && x.agentId.startsWith('/agent/user/'))
            .map((x) => x.agentId);
          return users.length === 0 || (caller !== undefined && users.includes(caller));
        })
        .map((a) => a.id),
    );
    const ownedEntities = new Set(
      graph.generations.filter((g) => owned.has(g.activityId)).map((g) => g.entityId),
    );

    const startRecord =
      graph.entities.find((e) => e.id === start) ?? graph.activities.find((a) => a.id === start);
    if (startRecord?.did !== undefined) {
      const decision = await decide(startRecord.did);
      if (!decision.allowed && decision.unpublished) throw notFound();
      if (!decision.allowed) {
        throw new ProvenanceError(
          `access to the provenance of ${asked.id} denied: ${decision.reason}`,
          decision.challenges ? 401 : 403,
          decision.challenges,
        );
      }
    } else if (!owned.has(start) && !ownedEntities.has(start)) {
      throw notFound();
    }

    const byDid = async (did: string | undefined, mine: boolean): Promise<boolean> =>
      did !== undefined ? (await decide(did)).allowed : mine;
    const keep = async <T extends { readonly did?: string }>(
      rows: readonly T[],
      mine: (r: T) => boolean,
    ): Promise<T[]> => {
      const out: T[] = [];
      for (const r of rows) if (await byDid(r.did, mine(r))) out.push(r);
      return out;
    };
    const inOwned = (r: { readonly activityId?: string }): boolean =>
      r.activityId !== undefined && owned.has(r.activityId);
    const kept = {
      entities: await keep(graph.entities, (e) => ownedEntities.has(e.id)),
      activities: await keep(graph.activities, (a) => owned.has(a.id)),
      descriptions: graph.descriptions,
      agents: [],
      used: await keep(graph.used, inOwned),
      generations: await keep(graph.generations, inOwned),
      derivations: await keep(graph.derivations, inOwned),
      associations: await keep(graph.associations, inOwned),
      attributions: await keep(graph.attributions, (a) => ownedEntities.has(a.entityId)),
      parameters: await keep(graph.parameters, inOwned),
    };
    // Only the agents of what is shown (a user's pseudonym goes with their records).
    const agentIds = new Set([...kept.associations, ...kept.attributions].map((r) => r.agentId));
    return { start, graph: { ...kept, agents: graph.agents.filter((a) => agentIds.has(a.id)) } };
  }

  /** The answer to a provenance request, in the format asked for. */
  async answer(
    params: DaliParameters,
    request: AccessRequest,
    naming: ProvNaming,
  ): Promise<ProvenanceAnswer> {
    const asked = provenanceRequest(params);
    const { graph, start } = await this.graph(asked, request, naming);
    return render(graph, start, asked.format, naming);
  }
}

/** A graph in one of the response formats. */
export function render(
  graph: ProvGraph,
  start: string,
  format: ResponseFormat,
  naming: ProvNaming,
): ProvenanceAnswer {
  const names = new IdentifierNames(naming);
  const label = (id: string): string => names.absolute(id);
  if (format === 'SVG')
    return { body: provSvg(graph, start, label), contentType: PROV_MEDIA_TYPES.SVG };
  if (format === 'TEXT') {
    return { body: provTextTree(graph, start, label), contentType: 'text/plain; charset=utf-8' };
  }
  return {
    body: serialize(provDocument(graph, naming), format),
    contentType: PROV_MEDIA_TYPES[format],
  };
}

/** The URL of the provenance of a stored identifier, at the answering service. */
export function provenanceUrl(naming: ProvNaming, id: string): string {
  const names = new IdentifierNames(naming);
  return `${naming.baseUrl}/provenance?ID=${encodeURIComponent(names.absolute(id))}`;
}
