/**
 * Recording products hearc makes on request (cutouts, previews, query results): a
 * fresh identity before the product is made (so that the product can name its own
 * provenance), and the record written once it is made.
 */
import type { Engine } from '../engine/types.js';
import type { ServiceDescription } from '../service/index.js';
import type { ProvNaming } from './document.js';
import { agentsOf, derivedProvenance, type DerivedProduct, newProductIds } from './records.js';
import { provenanceUrl } from './service.js';
import { recordGraph } from './store.js';
import { entityTable } from './tables.js';

export interface PendingProduct {
  readonly entityId: string;
  readonly activityId: string;
  readonly startedAt: Date;
  /** Where its provenance will be, at the answering service. */
  readonly url: string;
}

export class ProductProvenance {
  /** Products known to have their record (made once, kept in a cache). */
  private readonly recorded = new Set<string>();

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
   * Writes the record of a cached product (a preview) unless it has one: its
   * identifiers are its own path, the same for every request.
   */
  async recordOnce(
    entityId: string,
    product: Omit<DerivedProduct, 'entityId' | 'activityId' | 'startedAt' | 'endedAt'>,
  ): Promise<void> {
    if (this.recorded.has(entityId)) return;
    const known = await this.engine.selectRows(entityTable, { column: 'id', values: [entityId] });
    if (known.length === 0) {
      const pending = {
        entityId,
        activityId: `/activity${entityId}`,
        startedAt: new Date(),
        url: '',
      };
      // Two first requests at once: the second one's record is refused by the key, as it should be.
      await this.record(pending, product).catch(async (error: unknown) => {
        const again = await this.engine.selectRows(entityTable, {
          column: 'id',
          values: [entityId],
        });
        if (again.length === 0) throw error;
      });
    }
    this.recorded.add(entityId);
  }

  /** Writes the record of a product that is made. */
  record(
    pending: PendingProduct,
    product: Omit<DerivedProduct, 'entityId' | 'activityId' | 'startedAt' | 'endedAt'>,
  ): Promise<void> {
    return recordGraph(
      this.engine,
      derivedProvenance(
        {
          ...product,
          entityId: pending.entityId,
          activityId: pending.activityId,
          startedAt: pending.startedAt,
          endedAt: new Date(),
        },
        agentsOf(this.service),
      ),
    );
  }
}
