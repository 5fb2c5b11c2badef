/** The records of this service as they are now: the catalog's coverage rendered per answer. */
import type { Engine } from '../engine/types.js';
import { type CatalogCoverage, CoverageCatalog } from '../moc/index.js';
import type { PublishedSchema } from '../schema/types.js';
import type { ServiceDescription } from '../service/index.js';
import type { CapabilityOptions } from '../tap/capabilities.js';
import { ResourceIdentifiers } from './identifiers.js';
import { type ResourceRecord, resourceRecords, utcSeconds } from './records.js';
import { regtapRows, writeRegtapRows } from './regtap.js';

export interface RegistryOptions {
  readonly service: ServiceDescription;
  readonly engine: Engine;
  /** The tables served (TAP_SCHEMA included). */
  readonly schema: PublishedSchema;
  readonly capabilities: Omit<CapabilityOptions, 'baseUrl'>;
  /** Observations left out of every coverage (hidden proprietary metadata), as of now. */
  readonly hidden?: () => Promise<ReadonlySet<string>>;
  /**
   * Rewrite the rr rows in the background whenever the coverage is found to have changed
   * (rights set, a release date passed, data ingested elsewhere); errors go here.
   */
  readonly republishRegtap?: { readonly onError: (error: unknown) => void };
  /** Told when what a coverage computed (space MOCs, the coverage kept for the next start) cannot be stored. */
  readonly onCoverageStoreError?: (error: unknown) => void;
}

/** A record that was published and is no more (a collection withdrawn whole): OAI-PMH's deleted record. */
export interface DeletedRecord {
  readonly identifier: string;
  /** When it was deleted (UTC, seconds). */
  readonly datestamp: string;
}

export class ResourcePublisher {
  readonly coverage: CoverageCatalog;
  /** Dates of records while the catalog is still empty. */
  private readonly startedAt = new Date().toISOString();
  /** The rr rewrites, one after the other. */
  private publishing: Promise<void> = Promise.resolve();
  /**
   * The records of the last coverage and base URL asked for: an OAI-PMH list pages
   * through 1e4 of them without making them again per page (their XML stays lazy).
   */
  private lastRecords:
    { coverage: CatalogCoverage; baseUrl: string; records: ResourceRecord[] } | undefined;
  private lastDeleted: { coverage: CatalogCoverage; records: DeletedRecord[] } | undefined;

  constructor(private readonly options: RegistryOptions) {
    const republish = options.republishRegtap;
    this.coverage = new CoverageCatalog(options.engine, {
      identifiers: ResourceIdentifiers.of(options.service),
      ...(options.hidden ? { hidden: options.hidden } : {}),
      ...(options.onCoverageStoreError ? { onStoreError: options.onCoverageStoreError } : {}),
      ...(republish
        ? {
            onChange: (coverage: CatalogCoverage) => {
              this.publishing = this.publishing
                .then(() => this.writeRegtap(coverage))
                .catch(republish.onError);
            },
          }
        : {}),
    });
  }

  get service(): ServiceDescription {
    return this.options.service;
  }

  /** Every record, with URLs under `baseUrl`. */
  async records(baseUrl: string): Promise<readonly ResourceRecord[]> {
    const coverage = await this.coverage.current();
    const last = this.lastRecords;
    if (last?.coverage === coverage && last.baseUrl === baseUrl) return last.records;
    const records = this.recordsOf(coverage, baseUrl);
    this.lastRecords = { coverage, baseUrl, records };
    return records;
  }

  /** The records of collections withdrawn whole, kept as deleted (persistent, from the catalog). */
  async deletedRecords(): Promise<readonly DeletedRecord[]> {
    const coverage = await this.coverage.current();
    if (this.lastDeleted?.coverage === coverage) return this.lastDeleted.records;
    const ids = ResourceIdentifiers.of(this.options.service);
    const records = [...coverage.withdrawn]
      .filter(([collection]) => !coverage.collections.has(collection))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([collection, at]) => ({
        identifier: ids.collection(collection),
        datestamp: utcSeconds(at),
      }));
    this.lastDeleted = { coverage, records };
    return records;
  }

  private recordsOf(coverage: CatalogCoverage, baseUrl: string): ResourceRecord[] {
    return resourceRecords({
      service: this.options.service,
      coverage,
      baseUrl,
      schema: this.options.schema,
      capabilities: this.options.capabilities,
      fallbackDate: this.startedAt,
    });
  }

  /**
   * Rewrites this service's rows of the RegTAP tables (rr) from its records as they are
   * now. Run where the catalog or the description changes (server start, ingest), never
   * on the request path. URLs are stored as paths of the service ('/tap'); queries see
   * them under the URL of the service answering.
   */
  async publishRegtap(): Promise<void> {
    // The catalog as it is now, its state read afresh; /oai and /moc read the state again
    // on their next answer and reuse this coverage if nothing changed.
    await this.writeRegtap(await this.coverage.current({ fresh: true }));
  }

  /**
   * publishRegtap without waiting for it, after the rewrites already started: a server
   * answers while the coverage of a large catalog is computed. Errors go to `onError`.
   */
  publishRegtapInBackground(onError: (error: unknown) => void): void {
    this.publishing = this.publishing.then(() => this.publishRegtap()).catch(onError);
  }

  /** Waits for the rr rewrites started so far (tests, shutdown). */
  async settled(): Promise<void> {
    await this.publishing;
  }

  private async writeRegtap(coverage: CatalogCoverage): Promise<void> {
    const records = this.recordsOf(coverage, '');
    await writeRegtapRows(this.options.engine, regtapRows(records.map((r) => r.xml)), {
      replaceAll: true,
    });
  }
}
