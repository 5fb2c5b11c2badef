/**
 * The provenance graph in the catalog: records written through the engine's
 * transactions (in the same transaction as what they describe), and the part of the
 * graph around one identifier read back for answering.
 */
import type { CatalogRow, CatalogTransaction, Engine, SqlValue } from '../engine/types.js';
import type { TableDef } from '../schema/types.js';
import {
  emptyGraph,
  mergeInto,
  type AgentType,
  type MutableGraph,
  type ProvActivity,
  type ProvEntity,
  type ProvGraph,
} from './model.js';
import {
  activityDescriptionTable,
  activityTable,
  agentTable,
  entityTable,
  parameterTable,
  usedTable,
  wasAssociatedWithTable,
  wasAttributedToTable,
  wasDerivedFromTable,
  wasGeneratedByTable,
} from './tables.js';

const orNull = (v: string | Date | undefined): SqlValue => v ?? null;

/** The catalog rows of a graph, table by table (NULLs left out: fewer values to bind). */
export function graphRows(graph: ProvGraph): Map<TableDef, CatalogRow[]> {
  const rows = new Map<TableDef, CatalogRow[]>();
  for (const [table, list] of allGraphRows(graph)) {
    rows.set(
      table,
      list.map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null))),
    );
  }
  return rows;
}

function allGraphRows(graph: ProvGraph): Map<TableDef, CatalogRow[]> {
  const did = (r: { readonly did?: string }): SqlValue => r.did ?? null;
  return new Map<TableDef, CatalogRow[]>([
    [
      entityTable,
      graph.entities.map((e) => ({
        id: e.id,
        name: orNull(e.name),
        type: orNull(e.type),
        annotation: orNull(e.annotation),
        rights: orNull(e.rights),
        location: orNull(e.location),
        content_type: orNull(e.contentType),
        generated_at: orNull(e.generatedAt),
        obs_publisher_did: did(e),
      })),
    ],
    [
      activityTable,
      graph.activities.map((a) => ({
        id: a.id,
        name: orNull(a.name),
        start_time: orNull(a.startTime),
        end_time: orNull(a.endTime),
        annotation: orNull(a.annotation),
        activitydescription_id: orNull(a.descriptionId),
        obs_publisher_did: did(a),
      })),
    ],
    [
      activityDescriptionTable,
      graph.descriptions.map((d) => ({
        id: d.id,
        name: d.name,
        type: orNull(d.type),
        subtype: orNull(d.subtype),
        annotation: orNull(d.annotation),
        version: orNull(d.version),
        doculink: orNull(d.doculink),
      })),
    ],
    [
      agentTable,
      graph.agents.map((a) => ({
        id: a.id,
        name: a.name,
        type: a.type,
        annotation: orNull(a.annotation),
        email: orNull(a.email),
      })),
    ],
    [
      usedTable,
      graph.used.map((u) => ({
        activity_id: u.activityId,
        entity_id: u.entityId,
        role: orNull(u.role),
        time: orNull(u.time),
        obs_publisher_did: did(u),
      })),
    ],
    [
      wasGeneratedByTable,
      graph.generations.map((g) => ({
        entity_id: g.entityId,
        activity_id: g.activityId,
        role: orNull(g.role),
        time: orNull(g.time),
        obs_publisher_did: did(g),
      })),
    ],
    [
      wasDerivedFromTable,
      graph.derivations.map((d) => ({
        generated_entity_id: d.generatedEntityId,
        used_entity_id: d.usedEntityId,
        activity_id: orNull(d.activityId),
        obs_publisher_did: did(d),
      })),
    ],
    [
      wasAssociatedWithTable,
      graph.associations.map((a) => ({
        activity_id: a.activityId,
        agent_id: a.agentId,
        role: orNull(a.role),
        obs_publisher_did: did(a),
      })),
    ],
    [
      wasAttributedToTable,
      graph.attributions.map((a) => ({
        entity_id: a.entityId,
        agent_id: a.agentId,
        role: orNull(a.role),
        obs_publisher_did: did(a),
      })),
    ],
    [
      parameterTable,
      graph.parameters.map((p) => ({
        activity_id: p.activityId,
        name: p.name,
        value: p.value,
        unit: orNull(p.unit),
        obs_publisher_did: did(p),
      })),
    ],
  ]);
}

/**
 * Writes `graph`, replacing what the catalog holds under the same element identifiers
 * (a re-ingested observation) and the relations of the same activities.
 */
export async function replaceGraph(
  tx: CatalogTransaction,
  graph: ProvGraph,
  options: { readonly fresh?: boolean } = {},
): Promise<void> {
  const ids = <T extends { readonly id: string }>(rows: readonly T[]): string[] =>
    rows.map((r) => r.id);
  // Shared elements (agents, descriptions) are replaced whatever happened before.
  await tx.deleteRows(agentTable, 'id', ids(graph.agents));
  await tx.deleteRows(activityDescriptionTable, 'id', ids(graph.descriptions));
  if (options.fresh !== true) {
    const activities = ids(graph.activities);
    await tx.deleteRows(entityTable, 'id', ids(graph.entities));
    await tx.deleteRows(activityTable, 'id', activities);
    for (const table of [
      usedTable,
      wasGeneratedByTable,
      wasDerivedFromTable,
      wasAssociatedWithTable,
      parameterTable,
    ]) {
      await tx.deleteRows(table, 'activity_id', activities);
    }
    await tx.deleteRows(wasAttributedToTable, 'entity_id', ids(graph.entities));
  }
  for (const [table, rows] of graphRows(graph)) await tx.insertRows(table, rows);
}

/** Writes the agents and activity descriptions of `graph` that the catalog lacks. */
export async function ensureShared(engine: Engine, graph: ProvGraph): Promise<void> {
  const missing = async <T extends { readonly id: string }>(
    table: TableDef,
    rows: readonly T[],
  ): Promise<T[]> => {
    if (rows.length === 0) return [];
    const known = await engine.selectRows(table, { column: 'id', values: rows.map((r) => r.id) });
    const have = new Set(known.map((r) => String(r.id)));
    return rows.filter((r) => !have.has(r.id));
  };
  const agents = await missing(agentTable, graph.agents);
  const descriptions = await missing(activityDescriptionTable, graph.descriptions);
  if (agents.length === 0 && descriptions.length === 0) return;
  const rows = graphRows({ ...emptyGraph(), agents, descriptions });
  try {
    await engine.transaction(async (tx) => {
      await tx.deleteRows(
        agentTable,
        'id',
        agents.map((a) => a.id),
      );
      await tx.deleteRows(
        activityDescriptionTable,
        'id',
        descriptions.map((d) => d.id),
      );
      await tx.insertRows(agentTable, rows.get(agentTable) ?? []);
      await tx.insertRows(activityDescriptionTable, rows.get(activityDescriptionTable) ?? []);
    });
  } catch {
    // Another request wrote them at the same time: they are there now.
  }
}

/**
 * Collects the graphs of many observations within one transaction and writes them in
 * batches (ingest): a few multi-row statements instead of many small ones.
 */
export class ProvenanceBatch {
  private pending = emptyGraph();
  private count = 0;
  private readonly written = new Set<string>();

  constructor(
    private readonly tx: CatalogTransaction,
    private readonly batchSize = 200,
  ) {}

  /** Adds a graph; `replaces` says whether earlier records of its elements may exist. */
  async add(graph: ProvGraph, replaces: boolean): Promise<void> {
    if (replaces) {
      await this.flush();
      await replaceGraph(this.tx, graph);
      return;
    }
    // Shared agents and descriptions are written once per run.
    const fresh: ProvGraph = {
      ...graph,
      agents: graph.agents.filter((a) => !this.written.has(a.id)),
      descriptions: graph.descriptions.filter((d) => !this.written.has(d.id)),
    };
    for (const r of [...fresh.agents, ...fresh.descriptions]) this.written.add(r.id);
    mergeInto(this.pending, fresh);
    if (++this.count >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.count === 0 && this.pending.agents.length === 0) return;
    const graph = this.pending;
    this.pending = emptyGraph();
    this.count = 0;
    await replaceGraph(this.tx, graph, { fresh: true });
  }
}

/** How far to follow the graph from the starting point. */
export interface Traversal {
  /** Activity steps to follow (Infinity: all). */
  readonly depth: number;
  /** BACK: towards what it came from; FORTH: towards what was made from it. */
  readonly direction: 'BACK' | 'FORTH';
}

type Row = CatalogRow;
const s = (v: SqlValue | undefined): string | undefined =>
  v === null || v === undefined ? undefined : String(v);
const d = (v: SqlValue | undefined): Date | undefined => (v instanceof Date ? v : undefined);
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function entityOf(r: Row): ProvEntity {
  return defined({
    id: String(r.id),
    name: s(r.name),
    type: s(r.type),
    annotation: s(r.annotation),
    rights: s(r.rights),
    location: s(r.location),
    contentType: s(r.content_type),
    generatedAt: d(r.generated_at),
    did: s(r.obs_publisher_did),
  });
}

function activityOf(r: Row): ProvActivity {
  return defined({
    id: String(r.id),
    name: s(r.name),
    startTime: d(r.start_time),
    endTime: d(r.end_time),
    annotation: s(r.annotation),
    descriptionId: s(r.activitydescription_id),
    did: s(r.obs_publisher_did),
  });
}

/** The part of the graph `traversal` reaches from `id` (an entity or an activity); undefined when unknown. */
export async function readGraph(
  engine: Engine,
  id: string,
  traversal: Traversal,
): Promise<ProvGraph | undefined> {
  const select = (table: TableDef, column: string, values: Iterable<string>): Promise<Row[]> => {
    const list = [...new Set(values)];
    return list.length === 0
      ? Promise.resolve([])
      : engine.selectRows(table, { column, values: list });
  };
  const graph = emptyGraph();
  const seenEntities = new Set<string>();
  const seenActivities = new Set<string>();
  const agentIds = new Set<string>();
  const descriptionIds = new Set<string>();

  const addEntities = async (ids: Iterable<string>): Promise<string[]> => {
    const fresh = [...ids].filter((i) => !seenEntities.has(i));
    for (const i of fresh) seenEntities.add(i);
    const rows = await select(entityTable, 'id', fresh);
    graph.entities.push(...rows.map(entityOf));
    const attributions = await select(wasAttributedToTable, 'entity_id', fresh);
    for (const r of attributions) {
      graph.attributions.push(
        defined({
          entityId: String(r.entity_id),
          agentId: String(r.agent_id),
          role: s(r.role),
          did: s(r.obs_publisher_did),
        }),
      );
      agentIds.add(String(r.agent_id));
    }
    return rows.map((r) => String(r.id));
  };
  const addActivities = async (ids: Iterable<string>): Promise<string[]> => {
    const fresh = [...ids].filter((i) => !seenActivities.has(i));
    for (const i of fresh) seenActivities.add(i);
    const rows = await select(activityTable, 'id', fresh);
    graph.activities.push(...rows.map(activityOf));
    for (const r of rows)
      if (r.activitydescription_id) descriptionIds.add(String(r.activitydescription_id));
    for (const r of await select(wasAssociatedWithTable, 'activity_id', fresh)) {
      graph.associations.push(
        defined({
          activityId: String(r.activity_id),
          agentId: String(r.agent_id),
          role: s(r.role),
          did: s(r.obs_publisher_did),
        }),
      );
      agentIds.add(String(r.agent_id));
    }
    for (const r of await select(parameterTable, 'activity_id', fresh)) {
      graph.parameters.push(
        defined({
          activityId: String(r.activity_id),
          name: String(r.name),
          value: String(r.value ?? ''),
          unit: s(r.unit),
          did: s(r.obs_publisher_did),
        }),
      );
    }
    return rows.map((r) => String(r.id));
  };

  const usedOf = (r: Row) =>
    defined({
      activityId: String(r.activity_id),
      entityId: String(r.entity_id),
      role: s(r.role),
      time: d(r.time),
      did: s(r.obs_publisher_did),
    });
  const generationOf = (r: Row) =>
    defined({
      entityId: String(r.entity_id),
      activityId: String(r.activity_id),
      role: s(r.role),
      time: d(r.time),
      did: s(r.obs_publisher_did),
    });
  const derivationOf = (r: Row) =>
    defined({
      generatedEntityId: String(r.generated_entity_id),
      usedEntityId: String(r.used_entity_id),
      activityId: s(r.activity_id),
      did: s(r.obs_publisher_did),
    });

  let entities = await addEntities([id]);
  let activities: string[] = [];
  if (entities.length === 0) {
    activities = await addActivities([id]);
    if (activities.length === 0) return undefined;
  }
  for (let step = 0; step < traversal.depth; step++) {
    // From the frontier's entities to the activities one step away.
    if (traversal.direction === 'BACK') {
      const generations = (await select(wasGeneratedByTable, 'entity_id', entities)).map(
        generationOf,
      );
      graph.generations.push(...generations);
      graph.derivations.push(
        ...(await select(wasDerivedFromTable, 'generated_entity_id', entities)).map(derivationOf),
      );
      activities = [...activities, ...(await addActivities(generations.map((g) => g.activityId)))];
      const used = (await select(usedTable, 'activity_id', activities)).map(usedOf);
      graph.used.push(...used);
      entities = await addEntities(used.map((u) => u.entityId));
    } else {
      const used = (await select(usedTable, 'entity_id', entities)).map(usedOf);
      graph.used.push(...used);
      graph.derivations.push(
        ...(await select(wasDerivedFromTable, 'used_entity_id', entities)).map(derivationOf),
      );
      activities = [...activities, ...(await addActivities(used.map((u) => u.activityId)))];
      const generations = (await select(wasGeneratedByTable, 'activity_id', activities)).map(
        generationOf,
      );
      graph.generations.push(...generations);
      entities = await addEntities(generations.map((g) => g.entityId));
    }
    activities = [];
    if (entities.length === 0) break;
  }
  const agents = await select(agentTable, 'id', agentIds);
  graph.agents.push(
    ...agents.map((r) =>
      defined({
        id: String(r.id),
        name: String(r.name),
        type: String(r.type) as AgentType,
        annotation: s(r.annotation),
        email: s(r.email),
      }),
    ),
  );
  const descriptions = await select(activityDescriptionTable, 'id', descriptionIds);
  graph.descriptions.push(
    ...descriptions.map((r) =>
      defined({
        id: String(r.id),
        name: String(r.name),
        type: s(r.type),
        subtype: s(r.subtype),
        annotation: s(r.annotation),
        version: s(r.version),
        doculink: s(r.doculink),
      }),
    ),
  );
  return dedupeRelations(graph);
}

/** One copy of each relation (the same one can be reached from two sides). */
function dedupeRelations(graph: MutableGraph): ProvGraph {
  const unique = <T>(rows: readonly T[]): T[] => {
    const seen = new Set<string>();
    return rows.filter((r) => {
      const key = JSON.stringify(r);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return {
    ...graph,
    used: unique(graph.used),
    generations: unique(graph.generations),
    derivations: unique(graph.derivations),
    associations: unique(graph.associations),
    attributions: unique(graph.attributions),
    parameters: unique(graph.parameters),
  };
}
