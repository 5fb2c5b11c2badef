/**
 * Recording products hearc makes on request (cutouts, previews, query results): a
 * fresh identity before the product is made (so that the product can name its own
 * provenance), and the record written once it is made. Records are written behind
 * the answer, many in one transaction, so that a product is not kept waiting for its
 * record; the provenance endpoint waits for the records still on their way.
 */
import type { Engine } from '../engine/types.js';
import type { ServiceDescription } from '../service/index.js';
import type { ProvNaming } from './document.js';
import { emptyGraph, mergeInto, type ProvGraph } from './model.js';
import { agentsOf, derivedProvenance, type DerivedProduct, newProductIds } from './records.js';
import { provenanceUrl } from './service.js';
import { ensureShared, replaceGraph } from './store.js';
import { entityTable } from './tables.js';

export interface PendingProduct {
  readonly entityId: string;
  readonly activityId: string;
  readonly startedAt: Date;
  /** Where its provenance will be, at the answering service. */
  readonly url: string;
}

export type ProductDescription = Omit<
  DerivedProduct,
  'entityId' | 'activityId' | 'startedAt' | 'endedAt'
>;

interface Queued {
  readonly graph: ProvGraph;
  readonly done: (error?: unknown) => void;
}

export class ProductProvenance {
  /** Products known to have their record (made once, kept in a cache). */
  private readonly recorded = new Set<string>();
  private queue: Queued[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly service: ServiceDescription,
  ) {}

  /** A product of `kind` about to be made. */
  begin(kind: string, naming: ProvNaming): PendingProduct {
    const ids = newProductIds(kind);
    return { ...ids, startedAt: new Date(), url: provenanceUrl(naming, ids.entityId) };
  }

  /**
   * Queues the record of a product that is made; the promise settles once it is in
   * the catalog (callers that answer first need not wait for it).
   */
  record(pending: PendingProduct, product: ProductDescription): Promise<void> {
    const graph = derivedProvenance(
      {
        ...product,
        entityId: pending.entityId,
        activityId: pending.activityId,
        startedAt: pending.startedAt,
        endedAt: new Date(),
      },
      agentsOf(this.service),
    );
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ graph, done: (error) => (error ? reject(error) : resolve()) });
      this.writing ??= this.writeQueued().finally(() => (this.writing = undefined));
    });
  }

  /** Resolves when every record queued so far is written. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Writes the record of a cached product (a preview) unless it has one: its
   * identifiers are its own path, the same for every request.
   */
  async recordOnce(entityId: string, product: ProductDescription): Promise<void> {
    if (this.recorded.has(entityId)) return;
    this.recorded.add(entityId);
    const known = await this.engine.selectRows(entityTable, { column: 'id', values: [entityId] });
    if (known.length > 0) return;
    const pending = {
      entityId,
      activityId: `/activity${entityId}`,
      startedAt: new Date(),
      url: '',
    };
    await this.record(pending, product).catch((error: unknown) => {
      this.recorded.delete(entityId);
      throw error;
    });
  }

  /** Writes what is queued, a batch per transaction, until nothing is left. */
  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const graph = emptyGraph();
      for (const queued of batch) mergeInto(graph, queued.graph);
      try {
        await ensureShared(this.engine, graph);
        await this.engine.transaction((tx) =>
          replaceGraph(tx, { ...graph, agents: [], descriptions: [] }, { fresh: true }),
        );
        for (const queued of batch) queued.done();
      } catch (error) {
        for (const queued of batch) queued.done(error);
      }
    }
  }
}
