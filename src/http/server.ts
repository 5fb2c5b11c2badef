/**
 * The HTTP server: Fastify with one plugin per protocol. Routes only wire modules
 * together; the work happens in the modules.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import multipart, { type MultipartFile } from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import {
  AccessControl,
  ALERT_PUBLISHERS,
  type AccessControlOptions,
  type AccessRequest,
  ANONYMOUS,
  type AuditEvent,
  AuditTrail,
  type Identity,
  describeAuditEvent,
} from '../auth/index.js';
import { engineDialect } from '../engine/dialects.js';
import type { Engine } from '../engine/types.js';
import { REGTAP_SCHEMA } from '../schema/regtap.js';
import type { PublishedSchema } from '../schema/types.js';
import { DEFAULT_CONNECTION_WAIT_MS, type ServiceLimits } from '../tap/query.js';
import { publishTapSchema } from '../tap/tap-schema.js';
import { DEFAULT_UPLOAD_LIMITS } from '../tap/upload.js';
import { sodaDatasetService } from '../soda/index.js';
import {
  baseUrlFor,
  cacheDirFor,
  collectGarbage,
  loadServiceDescription,
  loggableUrl,
  loggerOptions,
  type LogStyle,
  preparePrivateDir,
  privateTemporaryDir,
  type ServiceDescription,
  type ServiceLimitsDescription,
} from '../service/index.js';
import { ResourcePublisher } from '../registry/index.js';
import type { CapabilityOptions } from '../tap/capabilities.js';
import { type Job, JobFailure, jobLimitsFor, JobService, RESULT_ID } from '../uws/index.js';
import {
  hasProvenanceLink,
  ProductProvenance,
  provenanceUrl,
  type ProvNaming,
  jobResultIds,
  queryResultIds,
  servicePrefix,
  withQueryProvenance,
  withResultProvenance,
} from '../provenance/index.js';
import { selectedDatasetIds } from '../tap/selection.js';
import { tapJobExecutor } from '../tap/async-executor.js';
import {
  CoincidenceCatalog,
  coincidenceJobExecutor,
  prepareCoincidence,
  watchNewAlerts,
} from '../coincidence/index.js';
import {
  AnalysisCache,
  analysisDatasetServices,
  analysisJobExecutor,
  analysisResultServices,
  analysisStandardIds,
  DATASETS_RESULT,
  type AnalysisJobContext,
  DEFAULT_ANALYSIS_LIMITS,
  FITS_MEDIA_TYPE,
  MAPDATASET_RESULT,
  PER_RUN_PREFIX,
  PREVIEW_RESULT,
  YAML_MEDIA_TYPE,
  dl5Products,
  PLOT_RESULT,
} from '../analysis/index.js';
import { DatasetCatalog } from '../datalink/index.js';
import { analysisPlugin } from './analysis.js';
import { openJobStore } from '../engine/job-stores.js';
import { alertsPlugin, ALERTS_PATH } from './alerts.js';
import { coincidencePlugin } from './coincidence.js';
import { acceptForms, sendRequestError } from './dali.js';
import { dataAccessPlugin, dataLinkServiceFor } from './datalink.js';
import { HipsStore } from '../hips/index.js';
import { hipsPlugin } from './hips.js';
import { mocPlugin } from './moc.js';
import { previewPlugin } from './preview.js';
import { registryPlugin } from './registry.js';
import { provenancePlugin } from './provenance.js';
import { sodaPlugin } from './soda.js';
import { type AsyncJobOptions, uwsPlugin } from './uws.js';
import { tapSyncPlugin } from './tap.js';
import { registerCompression } from './compression.js';
import { vosiPlugin } from './vosi.js';
import { webPlugin } from './web.js';

const SERVER_HEADER = 'hearc';

export interface ServerOptions {
  readonly engine: Engine;
  /**
   * A long-running server (hearc serve): its start-up work runs in the background once it
   * answers (the rr tables, which a large catalog without stored MOCs takes minutes to
   * cover; the counts HiPS, the coincidence fields of view when the catalog holds alerts and
   * the catalog's rights, instead of on the first visitor's request). Otherwise the rr
   * tables are written before it answers.
   */
  readonly longRunning?: boolean;
  /** The tables served (published catalog + TAP_SCHEMA). */
  readonly schema: PublishedSchema;
  /**
   * Who the service is: identity, public URL (else URLs follow each request) and limits
   * (default: the built-in description, URLs from requests).
   */
  readonly service?: ServiceDescription;
  /** pino logging: false to silence (tests), true or 'json' for JSON lines, 'pretty' for people. */
  readonly logger?: boolean | LogStyle;
  /** Row and time limits of TAP queries (default: from the service description). */
  readonly limits?: ServiceLimits;
  /** Folder of the DataLink product cache (default: `products` in the deployment's cache folder). */
  readonly productCacheDir?: string;
  /** Async TAP jobs: store, results folder, workers (default: in the catalog, results in the cache folder). */
  readonly jobs?: AsyncJobOptions;
  /** Access rights: OIDC issuers, SSO token endpoint, clock (rights and API tokens come from the catalog). */
  readonly auth?: Omit<AccessControlOptions, 'engine' | 'onAudit'>;
  /** Folder of the built web portal (default: dist/web). */
  readonly webRoot?: string;
  /**
   * Another process of this deployment (the first of `hearc serve --processes N`) writes
   * TAP_SCHEMA and the rr tables and builds the counts HiPS (at start and when stale): this
   * one answers and runs jobs only (its log lines for people name its pid).
   */
  readonly follower?: boolean;
  /** Log lines for people name the process (one of several answering on the port). */
  readonly logPid?: boolean;
}

/** TAP limits from the service description's. */
export function tapLimitsOf(limits: ServiceLimitsDescription): ServiceLimits {
  return {
    defaultMaxrec: limits.defaultMaxrec,
    hardMaxrec: limits.hardMaxrec,
    timeoutMs: limits.syncTimeoutS * 1000,
    upload: {
      ...DEFAULT_UPLOAD_LIMITS,
      maxBytes: limits.uploadMaxBytes,
      maxRows: limits.uploadMaxRows,
      maxTables: limits.uploadMaxTables,
    },
  };
}

/** The analysis capabilities' standardIDs as VOSI declares them. */
function analysisCapabilities(authority: string): NonNullable<CapabilityOptions['analysis']> {
  const ids = analysisStandardIds(authority);
  return {
    standardId: ids.mapdataset,
    spectrumStandardId: ids.spectrum,
    lightCurveStandardId: ids.lightcurve,
  };
}

/**
 * What the service offers, as its VOSI capabilities and its registry records declare it:
 * hearc API tokens are always accepted, OIDC bearer JWTs when issuers are configured.
 */
export function capabilityOptionsFor(
  limits: ServiceLimits,
  jobLimits: JobTimeLimits,
  authority?: string,
): Omit<CapabilityOptions, 'baseUrl'> {
  return {
    limits,
    datalink: true,
    ...(authority !== undefined ? { analysis: analysisCapabilities(authority) } : {}),
    async: true,
    bearerTokens: true,
    jobs: {
      executionDuration: [jobLimits.defaultExecutionDuration, jobLimits.maxExecutionDuration],
      retention: [jobLimits.defaultRetention, jobLimits.maxRetention],
    },
  };
}

/** Execution duration and retention of async jobs, default and hard, s. */
export interface JobTimeLimits {
  readonly defaultExecutionDuration: number;
  readonly maxExecutionDuration: number;
  readonly defaultRetention: number;
  readonly maxRetention: number;
}

/** The job time limits the service description sets. */
export function jobTimeLimitsOf(limits: ServiceLimitsDescription): JobTimeLimits {
  return {
    defaultExecutionDuration: limits.executionDurationS,
    maxExecutionDuration: limits.maxExecutionDurationS,
    defaultRetention: limits.destructionS,
    maxRetention: limits.maxDestructionS,
  };
}

/**
 * The deployment's private cache folder (service description, else beside the catalog)
 * and its subfolders; an in-memory catalog gets a private temporary one, removed on close.
 */
async function cacheFolders(description: ServiceDescription, options: ServerOptions) {
  const configured = cacheDirFor(description, options.engine.location);
  const root = configured ? await preparePrivateDir(configured) : await privateTemporaryDir();
  const folder = (given: string | undefined, name: string): Promise<string> =>
    preparePrivateDir(given ?? join(root, name));
  return {
    products: await folder(options.productCacheDir, 'products'),
    cutouts: await folder(undefined, 'cutouts'),
    analysis: await folder(undefined, 'analysis'),
    jobs: await folder(options.jobs?.resultsDir, 'jobs'),
    spill: await folder(undefined, 'spill'),
    root,
    dispose: () => (configured ? Promise.resolve() : rm(root, { recursive: true, force: true })),
  };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const description = options.service ?? loadServiceDescription({ env: {} });
  const baseUrl = (request: FastifyRequest): string => baseUrlFor(description, request);
  // TAP_SCHEMA describes exactly what this server serves (written once per deployment start).
  if (options.follower !== true) await publishTapSchema(options.engine, options.schema);
  const cache = await cacheFolders(description, options);
  const logger = options.logger ?? false;
  const app = Fastify({
    logger:
      logger === false
        ? false
        : loggerOptions(logger === true ? 'json' : logger, options.logPid === true),
    // One line per request, written when it is answered (below), instead of two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', async (request, reply) => {
    const url = loggableUrl(request.url);
    const ms = Math.round(reply.elapsedTime);
    request.log.info(
      { method: request.method, url, status: reply.statusCode, ms },
      `${request.method} ${url} ${reply.statusCode} ${ms} ms`,
    );
  });
  // Forms are read as text and decoded by the spine (strict %-escapes).
  acceptForms(app);
  // Before the routes that may compress their answers (TAP results).
  await registerCompression(app);
  const compression = description.compressResults ?? 'auto';
  app.setErrorHandler(sendRequestError);
  const limits = options.limits ?? tapLimitsOf(description.limits);
  const uploadLimits = limits.upload ?? DEFAULT_UPLOAD_LIMITS;
  // DALI UPLOAD parts: read (up to the limit) into text parameters, next to the form fields.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: {
      fileSize: uploadLimits.maxBytes,
      files: uploadLimits.maxTables,
      fields: 100,
      fieldSize: 1024 * 1024,
    },
    async onFile(this: FastifyRequest, part: MultipartFile & { value?: unknown }) {
      const bytes = await part.toBuffer();
      // Alert parts may be binary skymaps: kept as bytes there, text everywhere else.
      part.value = this.url.split('?')[0] === ALERTS_PATH ? bytes : bytes.toString('utf8');
    },
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('Server', SERVER_HEADER);
  });
  // Refusals and reads of data not yet public: logged, and kept in the catalog (hearc audit).
  const trail = new AuditTrail(options.engine);
  let written: Promise<void> | undefined;
  const audit = (event: AuditEvent): void => {
    app.log.info({ audit: event }, `audit: ${describeAuditEvent(event)}`);
    // Events of one turn share a write: a failure is logged once.
    const write = trail.record(event);
    if (write === written) return;
    written = write;
    write.catch((err: unknown) => app.log.error({ err }, 'audit trail not written'));
  };
  const access = new AccessControl({ engine: options.engine, ...options.auth, onAudit: audit });
  // A judgement of the rights filters reads the catalog: it ends before the engine closes.
  app.addHook('onClose', () => access.openRights?.close());
  // Who the caller is, once per request; credentials that fail are refused everywhere.
  app.addHook('onRequest', async (request, reply) => {
    const who = await access.identify(request);
    if (!who.ok) {
      audit({
        at: access.clock(),
        kind: 'denied',
        via: 'credentials',
        path: loggableUrl(request.url),
        reason: who.reason,
      });
      return reply
        .code(401)
        .header('WWW-Authenticate', access.challenges(who.reason))
        .type('text/plain; charset=utf-8')
        .send(`${who.reason}\n`);
    }
  });
  app.get('/health', async () => ({ status: 'ok' }));
  const baseDialect = engineDialect(options.engine);
  // Sync queries wait a bounded time for a connection and spool what slow clients read.
  const { connectionWaitMs = DEFAULT_CONNECTION_WAIT_MS, ...queryLimits } = limits;
  // The analysis services' own standardIDs, under the service's authority.
  const analysisIds = analysisStandardIds(description.authority);
  const service = {
    engine: options.engine,
    schema: options.schema,
    dialect: access.dialectFor(baseDialect, ANONYMOUS),
    limits: queryLimits,
    tmpDir: cache.spill,
    resultServices: analysisResultServices(analysisIds),
  };
  const sync = { limits: { ...queryLimits, connectionWaitMs }, spillDir: cache.spill };
  await app.register(tapSyncPlugin, {
    prefix: '/tap',
    compression,
    service: { ...service, ...sync },
    serviceFor: async (request) => {
      const who = await access.identify(request);
      const identity = who.ok ? who.identity : ANONYMOUS;
      return {
        ...service,
        ...sync,
        dialect: access.dialectFor(baseDialect, identity, request.url),
        serviceUrl: baseUrl(request),
      };
    },
  });
  // The one job system: each capability registers its executor (TAP async: one query).
  const settings = options.jobs ?? {};
  const resultsDir = cache.jobs;
  const tapJobs = tapJobExecutor(service, async (job) => {
    // A job runs with its owner's rights as they are when it runs.
    const who = await access.jobIdentity(job.ownerCredential);
    if (!who.ok) throw new JobFailure(`the job cannot run: ${who.reason}`);
    const serviceUrl = job.serviceUrl ?? description.publicUrl;
    return {
      ...service,
      dialect: access.dialectFor(baseDialect, who.identity, `/tap/async/${job.jobId}`),
      ...(serviceUrl !== undefined ? { serviceUrl } : {}),
    };
  });
  /** Which datasets a job's owner may read, judged when the job runs. */
  const ownerReadable = async (
    job: Job,
  ): Promise<(dids: readonly string[]) => Promise<ReadonlySet<string>>> => {
    const who = await access.jobIdentity(job.ownerCredential);
    if (!who.ok) throw new JobFailure(`the job cannot run: ${who.reason}`);
    return (dids) => access.readableBy(who.identity, dids);
  };
  // One coincidence catalog (fields of view, skymap indexes) for the endpoint and its jobs.
  const coincidenceCatalog = new CoincidenceCatalog(options.engine);
  const coincidenceJobs = coincidenceJobExecutor(coincidenceCatalog, {
    readableFor: ownerReadable,
    serviceUrlFor: (job) => job.serviceUrl ?? description.publicUrl,
  });
  const analysisLimits = {
    ...DEFAULT_ANALYSIS_LIMITS,
    maxPixels: description.limits.analysisMaxPixels,
    maxRuns: description.limits.analysisMaxRuns,
  };
  // QUERY selections compiled like TAP queries, with the rights of who asks.
  const analysisSelector =
    (identity: Identity, path: string) => (adql: string, max: number, signal?: AbortSignal) =>
      selectedDatasetIds(
        { ...service, dialect: access.dialectFor(baseDialect, identity, path) },
        adql,
        max,
        signal,
      );
  const analysisCache =
    description.limits.analysisCacheEntries > 0
      ? {
          store: new AnalysisCache(
            join(cache.analysis, 'products'),
            description.limits.analysisCacheEntries,
          ),
          software: `${description.software.name} ${description.software.version}`,
        }
      : undefined;
  const analysisContext: AnalysisJobContext = {
    catalog: new DatasetCatalog(options.engine),
    limits: analysisLimits,
    workDir: cache.analysis,
    ...(analysisCache ? { cache: analysisCache } : {}),
    selectorFor: async (job) => {
      const who = await access.jobIdentity(job.ownerCredential);
      if (!who.ok) throw new JobFailure(`the job cannot run: ${who.reason}`);
      return analysisSelector(who.identity, `/analysis/async/${job.jobId}`);
    },
    gateFor: async (job) => {
      const readable = await ownerReadable(job);
      return async (did) =>
        (await readable([did])).has(did)
          ? { allowed: true }
          : { allowed: false, reason: 'the job owner may not read this dataset' };
    },
  };
  const analysisJobs = analysisJobExecutor(analysisContext);
  // Spectra and light curves: an executor, a job list and a sync route each.
  const dl5 = dl5Products(analysisContext);
  // Each async result records its provenance (the ADQL text, the owner).
  const products = new ProductProvenance(options.engine, description);
  const provNaming = (request: FastifyRequest): ProvNaming => ({
    baseUrl: baseUrl(request),
    prefix: servicePrefix(description.shortName),
  });
  const resultProvenance = withQueryProvenance(
    tapJobs,
    products,
    async (job) => {
      const who = await access.jobIdentity(job.ownerCredential);
      return who.ok ? who.identity.user : undefined;
    },
    (jobId) => `/tap/async/${jobId}/results/${RESULT_ID}`,
  );
  const jobs = new JobService({
    store: settings.store ?? openJobStore(options.engine),
    executors: {
      tap: resultProvenance,
      coincidence: coincidenceJobs,
      analysis: withResultProvenance(analysisJobs, products, {
        kind: 'mapdataset',
        annotation: 'Map dataset (gammapy MapDataset, DL4) reduced from event lists',
        ownerOf: async (job) => {
          const who = await access.jobIdentity(job.ownerCredential);
          return who.ok ? who.identity.user : undefined;
        },
        resultPath: (jobId) => `/analysis/async/${jobId}/results/${MAPDATASET_RESULT}`,
      }),
      ...Object.fromEntries(
        dl5.map((product) => [
          product.kind,
          withResultProvenance(product.executor, products, {
            kind: product.kind,
            annotation: product.annotation,
            ownerOf: async (job) => {
              const who = await access.jobIdentity(job.ownerCredential);
              return who.ok ? who.identity.user : undefined;
            },
            resultPath: (jobId) =>
              `/analysis/${product.kind}/async/${jobId}/results/${product.kind}`,
          }),
        ]),
      ),
    },
    resultsDir,
    limits: {
      ...jobLimitsFor(description.limits.syncTimeoutS),
      defaultExecutionDuration: description.limits.executionDurationS,
      maxExecutionDuration: description.limits.maxExecutionDurationS,
      defaultRetention: description.limits.destructionS,
      maxRetention: description.limits.maxDestructionS,
      maxResultBytes: description.limits.jobResultMaxBytes,
      maxActiveJobsPerOwner: description.limits.activeJobsPerUser,
      minFreeBytes: description.limits.jobsMinFreeBytes,
      ...settings.limits,
    },
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
    ...(settings.timing ? { timing: settings.timing } : {}),
    logError: (err, context) => app.log.error({ err }, context),
  });
  app.addHook('onReady', () => jobs.start());
  app.addHook('onClose', async () => {
    await jobs.stop();
    await cache.dispose();
  });
  /** An async job's main result names its provenance (W3C PROV-AQ), recorded when it completed. */
  const provenanceLink =
    (entityOf: (jobId: string) => string) =>
    (request: FastifyRequest, jobId: string): string =>
      hasProvenanceLink(provenanceUrl(provNaming(request), entityOf(jobId)));
  // Jobs belong to their creator.
  const jobOwners = {
    ownerOf: async (request: FastifyRequest) => {
      const who = await access.identify(request);
      return who.ok ? access.jobOwner(who.identity) : undefined;
    },
    challenges: () => access.challenges(),
  };
  await app.register(uwsPlugin, {
    prefix: '/tap',
    compression,
    jobs,
    capability: 'tap',
    jobsUrl: (request) => `${baseUrl(request)}/tap/async`,
    serviceUrl: baseUrl,
    owners: jobOwners,
    mainResultLink: provenanceLink((jobId) => queryResultIds(jobId).entityId),
  });
  await app.register(uwsPlugin, {
    prefix: '/coincidence',
    compression,
    jobs,
    capability: 'coincidence',
    jobsUrl: (request) => `${baseUrl(request)}/coincidence/async`,
    serviceUrl: baseUrl,
    owners: jobOwners,
  });
  await app.register(uwsPlugin, {
    prefix: '/analysis',
    jobs,
    capability: 'analysis',
    jobsUrl: (request) => `${baseUrl(request)}/analysis/async`,
    serviceUrl: baseUrl,
    owners: jobOwners,
    mainResultLink: provenanceLink((jobId) => jobResultIds('mapdataset', jobId).entityId),
    results: {
      main: MAPDATASET_RESULT,
      extra: [{ id: PREVIEW_RESULT, contentType: 'image/png' }],
      byPrefix: [
        { prefix: PER_RUN_PREFIX, contentType: FITS_MEDIA_TYPE },
        { prefix: DATASETS_RESULT, contentType: YAML_MEDIA_TYPE },
      ],
    },
  });
  for (const product of dl5) {
    await app.register(uwsPlugin, {
      prefix: `/analysis/${product.kind}`,
      jobs,
      capability: product.kind,
      jobsUrl: (request) => `${baseUrl(request)}/analysis/${product.kind}/async`,
      serviceUrl: baseUrl,
      owners: jobOwners,
      mainResultLink: provenanceLink((jobId) => jobResultIds(product.kind, jobId).entityId),
      results: {
        main: product.kind,
        extra: [
          { id: product.fitsResult, contentType: FITS_MEDIA_TYPE },
          { id: PLOT_RESULT, contentType: 'image/png' },
        ],
      },
    });
  }
  await app.register(vosiPlugin, {
    prefix: '/tap',
    engine: options.engine,
    schema: options.schema,
    baseUrl,
    capabilities: capabilityOptionsFor(service.limits, jobs.limits, description.authority),
  });
  const dataAccess = {
    engine: options.engine,
    baseUrl,
    cacheDir: cache.products,
    authorize: access.authorize,
    services: [sodaDatasetService(), ...analysisDatasetServices(analysisIds)],
  };
  // One DataLink service (catalog and product cache) for links, products and previews.
  const dataLink = dataLinkServiceFor(dataAccess);
  await app.register(dataAccessPlugin, { ...dataAccess, service: dataLink });
  await app.register(previewPlugin, {
    ...dataAccess,
    service: dataLink,
    provenance: { products, naming: provNaming },
  });
  // Products name their provenance; records of query results belong to their user.
  const userOf = async (request: AccessRequest): Promise<string | undefined> => {
    const who = await access.identify(request);
    return who.ok ? who.identity.user : undefined;
  };
  await app.register(sodaPlugin, {
    engine: options.engine,
    authorize: access.authorize,
    workDir: cache.cutouts,
    provenance: { products, naming: provNaming, userOf },
  });
  await app.register(provenancePlugin, {
    engine: options.engine,
    authorize: access.authorize,
    service: description,
    baseUrl,
    userOf,
    products,
  });
  // One process rewrites the rr tables (two rewriting at once would both insert every row).
  const servesRegtap =
    options.follower !== true && options.schema.tables.some((t) => t.schema === REGTAP_SCHEMA);
  const publisher = new ResourcePublisher({
    service: description,
    engine: options.engine,
    schema: options.schema,
    capabilities: capabilityOptionsFor(limits, jobs.limits, description.authority),
    hidden: access.hiddenFromPublic,
    // RegTAP rows follow the records: written now (description and catalog as they are at
    // start), by ingest, and in the background when the coverage changed (rights, releases).
    ...(servesRegtap
      ? {
          republishRegtap: {
            onError: (error: unknown) =>
              app.log.error({ err: error }, 'cannot rewrite the rr tables'),
          },
        }
      : {}),
    onCoverageStoreError: (error: unknown) =>
      app.log.warn({ err: error }, 'cannot store what the coverage computed in the catalog'),
  });
  /** The work a long-running server starts once it answers (see collectGarbage below). */
  const startUp: Promise<unknown>[] = [];
  const regtapError = (error: unknown): void =>
    app.log.error({ err: error }, 'cannot write the rr tables');
  if (servesRegtap && options.longRunning === true) {
    publisher.publishRegtapInBackground(regtapError);
    startUp.push(publisher.settled());
  } else if (servesRegtap) {
    await publisher.publishRegtap();
  }
  // A background rr rewrite finishes before the catalog closes.
  app.addHook('onClose', () => publisher.settled());
  await app.register(mocPlugin, { coverage: publisher.coverage, authorize: access.authorize });
  await app.register(registryPlugin, { publisher, baseUrl });
  // Counts HiPS of the public events, built in the cache folder when missing or stale.
  const hips = new HipsStore({
    engine: options.engine,
    service: description,
    cacheDir: cache.root,
    // One of several processes on a catalog: the first builds, the others serve its files
    // (two builds in one cache folder at once would trip over each other's renames).
    autoBuild: options.follower !== true,
    ...(options.auth?.clock ? { clock: options.auth.clock } : {}),
    onError: (err) => app.log.error({ err }, 'the counts HiPS were not rebuilt'),
  });
  await app.register(hipsPlugin, { store: hips, baseUrl });
  if (options.longRunning === true && options.follower !== true) {
    // Not waited for: the server answers meanwhile.
    app.addHook('onReady', async () => void startUp.push(hips.prepare()));
  }
  await app.register(webPlugin, {
    service: description,
    baseUrl,
    ...(options.webRoot !== undefined ? { root: options.webRoot } : {}),
    ...(options.auth?.issuers ? { issuers: options.auth.issuers } : {}),
  });
  await app.register(alertsPlugin, {
    engine: options.engine,
    baseUrl,
    mayPublish: (request) => access.authorizeGroup(request, ALERT_PUBLISHERS, 'publishing alerts'),
    // An alert from a feed is searched at once in the background, so that the first
    // /coincidence asked of it finds its skymap indexed and its probabilities worked out.
    ...(options.longRunning === true
      ? {
          onStored: (stored) => {
            for (const { alertId } of stored) {
              coincidenceCatalog
                .inBackground(prepareCoincidence(options.engine, coincidenceCatalog, alertId))
                .catch((err: unknown) =>
                  app.log.warn({ err, alertId }, 'the alert was not prepared'),
                );
            }
          },
        }
      : {}),
  });
  await app.register(analysisPlugin, {
    engine: options.engine,
    authorize: access.authorize,
    limits: analysisLimits,
    syncMaxRuns: description.limits.analysisSyncMaxRuns,
    workDir: cache.analysis,
    ...(analysisCache ? { cache: analysisCache } : {}),
    selectorFor: async (request) => {
      const who = await access.identify(request);
      return analysisSelector(who.ok ? who.identity : ANONYMOUS, request.url);
    },
    provenance: { products, naming: provNaming, userOf },
  });
  let stopWatching: (() => Promise<void>) | undefined;
  if (options.longRunning === true) {
    app.addHook('onReady', async () => {
      // The rights a coincidence answer of the whole catalog is judged with.
      startUp.push(
        access.rights
          .prepare()
          .catch((err: unknown) => app.log.error({ err }, 'the rights were not prepared')),
      );
      // Alerts stored by other paths (the admin socket, other processes) are prepared too.
      const watch = watchNewAlerts(options.engine, coincidenceCatalog, {
        onError: (err: unknown) => app.log.debug({ err }, 'new alerts were not looked at'),
        onPrepared: (alertId) => app.log.debug({ alertId }, 'alert prepared for /coincidence'),
      });
      stopWatching = watch.stop;
      // The fields of view (some 300 MB for 1e5 observations) are built now only for a
      // catalog with alerts; else by the first alert prepared, or the first search.
      startUp.push(
        watch.ready.then(async (alerts) => {
          if (alerts === 0) return;
          await coincidenceCatalog
            .fieldsOfView()
            .catch((err: unknown) =>
              app.log.error({ err }, 'the fields of view were not prepared'),
            );
        }),
      );
    });
  }
  // The watch stopped, then the work begun in the background: nothing reads the engine once closed.
  app.addHook('onClose', async () => {
    await stopWatching?.();
    await coincidenceCatalog.settled();
  });
  await app.register(coincidencePlugin, {
    catalog: coincidenceCatalog,
    baseUrl,
    readableAmong: access.readableAmong,
  });
  if (options.longRunning === true) {
    // Registered last, so run after the hooks that start the start-up work: once it is
    // all done, one full collection gives back the memory its garbage holds (an idle
    // server would keep it until requests come).
    app.addHook('onReady', async () => {
      void Promise.allSettled(startUp).then(() => collectGarbage());
    });
  }
  return app;
}
