/**
 * Who the service is: the one description of its identity, metadata and limits.
 * VOSI, TAPRegExt, DataLink/SODA descriptors, the registry record, the landing page
 * and provenance render it; none keeps its own copy of a title, a URL or a limit.
 */

/** A published collection (ObsCore obs_collection) as people should read it. */
export interface CollectionDescription {
  /** The obs_collection value. */
  readonly name: string;
  readonly title: string;
  readonly description?: string;
}

export interface ContactDescription {
  readonly name: string;
  readonly email?: string;
  readonly url?: string;
}

/** Limits of the service's protocols (TAPRegExt, UWS, uploads). */
export interface ServiceLimitsDescription {
  /** Rows a TAP query returns when MAXREC is not given. */
  readonly defaultMaxrec: number;
  /** The most rows any TAP result holds. */
  readonly hardMaxrec: number;
  /** Wall-clock limit of a sync query, s (then cancelled; the answer suggests async). */
  readonly syncTimeoutS: number;
  /** Default and largest execution duration of an async job, s. */
  readonly executionDurationS: number;
  readonly maxExecutionDurationS: number;
  /** Default and longest time an async job and its results are kept, s. */
  readonly destructionS: number;
  readonly maxDestructionS: number;
  /** TAP_UPLOAD: bytes per table, rows per table, tables per request. */
  readonly uploadMaxBytes: number;
  readonly uploadMaxRows: number;
  readonly uploadMaxTables: number;
  /** The largest result an async job may write, bytes. */
  readonly jobResultMaxBytes: number;
  /** Unfinished async jobs one user may have (anonymous callers share one count). */
  readonly activeJobsPerUser: number;
  /** Async jobs are refused while the results disk has less free space, bytes. */
  readonly jobsMinFreeBytes: number;
  /** Sky pixels (nx · ny) of the largest map an analysis job makes. */
  readonly analysisMaxPixels: number;
  /** Runs one synchronous analysis request may reduce (more go to /analysis/async). */
  readonly analysisSyncMaxRuns: number;
  /** Runs one analysis request may reduce (ID values, or the datasets its QUERY selects). */
  readonly analysisMaxRuns: number;
  /** Finished analysis products kept for identical requests (0: no cache). */
  readonly analysisCacheEntries: number;
}

/**
 * Whether TAP results (sync and async) go out compressed (brotli, gzip) when the client
 * accepts it: 'auto' for clients on other machines only, 'always', or 'never'.
 */
export type ResultCompression = (typeof RESULT_COMPRESSIONS)[number];
export const RESULT_COMPRESSIONS = ['auto', 'always', 'never'] as const;

export interface ServiceDescription {
  /** IVOA authority of the identifiers (ivo://<authority>/...). */
  readonly authority: string;
  /**
   * The public URL of the service without trailing slash (e.g. behind a proxy,
   * https://vo.example.org/hearc). When absent, URLs are made from each request.
   */
  readonly publicUrl?: string;
  /** Peers whose X-Forwarded-Host/Proto/Prefix headers are believed (IP addresses, or 'loopback'). */
  readonly trustedProxies: readonly string[];
  readonly title: string;
  readonly shortName: string;
  readonly description: string;
  readonly publisher: string;
  readonly creators: readonly string[];
  readonly contact: ContactDescription;
  /** Rights statement (licence text) and the licence's URL. */
  readonly rights: string;
  readonly licenceUrl?: string;
  /** A page about the service or the data. */
  readonly referenceUrl?: string;
  /** Subjects (Unified Astronomy Thesaurus terms). */
  readonly subjects: readonly string[];
  readonly collections: readonly CollectionDescription[];
  readonly limits: ServiceLimitsDescription;
  /** Private folder for cached products (mode 0700); default beside the catalog. */
  readonly cacheDir?: string;
  /**
   * Processes `hearc serve` answers with on a PostgreSQL catalog ('auto': one per CPU);
   * default 1. `--processes` overrides it.
   */
  readonly processes?: number | 'auto';
  /** TAP results compressed when the client accepts it (default 'auto'; ResultCompression). */
  readonly compressResults?: ResultCompression;
  /** Software identity, for VOSI, provenance and the Server header. */
  readonly software: { readonly name: string; readonly version: string };
}

export const DEFAULT_LIMITS_DESCRIPTION: ServiceLimitsDescription = {
  defaultMaxrec: 100_000,
  hardMaxrec: 10_000_000,
  syncTimeoutS: 60,
  executionDurationS: 3600,
  maxExecutionDurationS: 86_400,
  destructionS: 7 * 86_400,
  maxDestructionS: 30 * 86_400,
  uploadMaxBytes: 16 * 1024 * 1024,
  uploadMaxRows: 1_000_000,
  uploadMaxTables: 8,
  jobResultMaxBytes: 2 * 1024 ** 3,
  activeJobsPerUser: 20,
  jobsMinFreeBytes: 100 * 1024 ** 2,
  analysisMaxPixels: 1_000_000,
  analysisSyncMaxRuns: 10,
  analysisMaxRuns: 1000,
  analysisCacheEntries: 50,
};

/** The collection's description, or one made from its name. */
export function collectionOf(service: ServiceDescription, name: string): CollectionDescription {
  return (
    service.collections.find((c) => c.name === name) ?? {
      name,
      title: `${name} (${service.shortName})`,
    }
  );
}
