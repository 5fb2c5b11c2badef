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

export interface PendingProduct {
  readonly entityId: string;
  readonly activityId: string;
  readonly startedAt: Date;
  /** Where its provenance will be, at the answering service. */
  readonly url: string;
}

export class ProductProvenance {
  constructor(
    private readonly engine: Engine,
    private readonly service: ServiceDescription,
  ) {}

  /** A product of `kind` about to be made. */
  begin(kind: string, naming: ProvNaming): PendingProduct {
    const ids = newProductIds(kind);
    return { ...ids, startedAt: new Date(), url: provenanceUrl(naming, ids.entityId) };
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
