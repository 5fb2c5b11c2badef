/**
 * `hearc withdraw`: takes observations (or a whole collection) out of publication, the
 * inverse of ingest and like it in one transaction: every row that belongs to the
 * datasets (ObsCore, the HE extension, IRFs, events: the tables that belong to a dataset,
 * then rights and ingest state) goes; their provenance stays, with the withdrawal
 * recorded in it; the audit trail says who withdrew what; and a withdrawal record keeps
 * what the registry needs to answer for a collection that is gone (a deleted record).
 * Ingesting the store again publishes them again.
 */
import { auditRow, auditTable, observationRightsTable } from '../auth/index.js';
import type { CatalogRow, CatalogTransaction, Engine } from '../engine/types.js';
import { ingestStateTable, obscoreTable, withdrawnObservationTable } from '../obscore/schema.js';
import {
  agentsOf,
  emptyGraph,
  mergeInto,
  replaceGraph,
  withdrawalProvenance,
} from '../provenance/index.js';
import type { TableDef } from '../schema/types.js';
import { loadServiceDescription, type ServiceDescription } from '../service/index.js';
import { catalogTables } from './catalog.js';

/** Thrown when nothing can be withdrawn as asked; the catalog is left as it was. */
export class WithdrawError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WithdrawError';
  }
}

export interface WithdrawRequest {
  readonly collection: string;
  /** Only these observations (default: the whole collection). */
  readonly obsIds?: readonly string[];
  /** Who withdraws (an operator's user name). */
  readonly by: string;
  /** Through what (recorded in the audit trail). */
  readonly via?: string;
  readonly at?: Date;
  /** Who publishes (provenance agents; default: the built-in description). */
  readonly service?: ServiceDescription;
}

export interface WithdrawReport {
  readonly collection: string;
  readonly withdrawn: readonly { readonly obsId: string; readonly did: string }[];
  /** True when no observation of the collection is left: its registry record is deleted. */
  readonly collectionWithdrawn: boolean;
  readonly at: Date;
}

/** Tables whose rows belong to one dataset (foreign key to ivoa.obscore), children first. */
function datasetTables(): TableDef[] {
  const children = catalogTables.filter((t) =>
    t.foreignKeys?.some((fk) => fk.targetTable === 'ivoa.obscore'),
  );
  return [...children, obscoreTable, ingestStateTable, observationRightsTable];
}

/** The observations of `request` among the collection's rows; names what is unknown. */
async function chosenRows(tx: CatalogTransaction, request: WithdrawRequest): Promise<CatalogRow[]> {
  const rows = await tx.selectRows(obscoreTable, {
    column: 'obs_collection',
    values: [request.collection],
  });
  if (rows.length === 0) {
    const published = [
      ...new Set((await tx.selectRows(obscoreTable)).map((r) => String(r.obs_collection))),
    ].sort();
    throw new WithdrawError(
      `collection '${request.collection}' has no published observation (${
        published.length > 0 ? `published: ${published.join(', ')}` : 'the catalog publishes none'
      })`,
    );
  }
  if (request.obsIds === undefined) return rows;
  if (request.obsIds.length === 0) throw new WithdrawError('give at least one obs_id');
  const byObsId = new Map(rows.map((r) => [String(r.obs_id), r]));
  const unknown = request.obsIds.filter((id) => !byObsId.has(id));
  if (unknown.length > 0) {
    throw new WithdrawError(
      `observation${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ${
        unknown.length > 1 ? 'are' : 'is'
      } not published in collection '${request.collection}'`,
    );
  }
  return [...new Set(request.obsIds)].map((id) => byObsId.get(id) as CatalogRow);
}

/** Withdraws the observations of `request` in one transaction; nothing changes on error. */
export async function withdrawObservations(
  engine: Engine,
  request: WithdrawRequest,
): Promise<WithdrawReport> {
  await engine.ensureTables(catalogTables);
  const at = request.at ?? new Date();
  const agents = agentsOf(request.service ?? loadServiceDescription({ env: {} }));
  return engine.transaction(async (tx) => {
    const rows = await chosenRows(tx, request);
    const withdrawn = rows.map((r) => ({
      obsId: String(r.obs_id),
      did: String(r.obs_publisher_did),
    }));
    const dids = withdrawn.map((w) => w.did);
    for (const table of datasetTables()) await tx.deleteRows(table, 'obs_publisher_did', dids);
    const left = await tx.selectRows(obscoreTable, {
      column: 'obs_collection',
      values: [request.collection],
    });
    await tx.deleteRows(withdrawnObservationTable, 'obs_publisher_did', dids);
    await tx.insertRows(
      withdrawnObservationTable,
      withdrawn.map((w) => ({
        obs_publisher_did: w.did,
        obs_collection: request.collection,
        obs_id: w.obsId,
        withdrawn_at: at,
        withdrawn_by: request.by,
      })),
    );
    // The datasets' provenance stays; the withdrawal joins it (one activity per dataset).
    const provenance = emptyGraph();
    for (const w of withdrawn) {
      const withdrawal = { ...w, collection: request.collection, at, by: request.by };
      mergeInto(provenance, withdrawalProvenance(withdrawal, agents));
    }
    await replaceGraph(tx, provenance, { fresh: true });
    await tx.insertRows(
      auditTable,
      withdrawn.map((w) =>
        auditRow({
          at,
          kind: 'withdrawn',
          user: request.by,
          via: 'operator',
          did: w.did,
          path: request.via ?? 'hearc withdraw',
          reason: `withdrawn from collection ${request.collection}`,
        }),
      ),
    );
    return {
      collection: request.collection,
      withdrawn,
      collectionWithdrawn: left.length === 0,
      at,
    };
  });
}
