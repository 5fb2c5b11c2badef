/**
 * The HTTP server: Fastify with one plugin per protocol. Routes only wire modules
 * together; the work happens in the modules.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import multipart, { type MultipartFile } from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { AccessControl, type AccessControlOptions, ANONYMOUS, mayRead } from '../auth/index.js';
import { sqlDialectFor } from '../engine/dialects.js';
import type { Engine } from '../engine/types.js';
import type { PublishedSchema } from '../schema/types.js';
import type { ServiceLimits } from '../tap/query.js';
import { publishTapSchema } from '../tap/tap-schema.js';
import { DEFAULT_UPLOAD_LIMITS } from '../tap/upload.js';
import { sodaDatasetService } from '../soda/index.js';
import {
  baseUrlFor,
  loadServiceDescription,
  type ServiceDescription,
  type ServiceLimitsDescription,
} from '../service/index.js';
import { JobFailure, jobLimitsFor, JobService } from '../uws/index.js';
import { tapJobExecutor } from '../tap/async-executor.js';
import { coincidenceJobExecutor } from '../coincidence/index.js';
import { openJobStore } from '../engine/job-stores.js';
import { coincidencePlugin } from './coincidence.js';
import { acceptForms, sendRequestError } from './dali.js';
import { dataAccessPlugin, dataLinkServiceFor } from './datalink.js';
import { previewPlugin } from './preview.js';
import { sodaPlugin } from './soda.js';
import { type AsyncJobOptions, uwsPlugin } from './uws.js';
import { tapSyncPlugin } from './tap.js';
import { vosiPlugin } from './vosi.js';

const SERVER_HEADER = 'hearc';

export interface ServerOptions {
  readonly engine: Engine;
  /** The tables served (published catalog + TAP_SCHEMA). */
  readonly schema: PublishedSchema;
  /**
   * Who the service is: identity, public URL (else URLs follow each request) and limits
   * (default: the built-in description, URLs from requests).
   */
  readonly service?: ServiceDescription;
  /** pino logging: false to silence (tests), true for JSON logs. */
  readonly logger?: boolean;
  /** Row and time limits of TAP queries (default: from the service description). */
  readonly limits?: ServiceLimits;
  /** Folder of the DataLink product cache (default: in the OS temporary folder). */
  readonly productCacheDir?: string;
  /** Async TAP jobs: store, results folder, workers (default: in the catalog, results in the OS temporary folder). */
  readonly jobs?: AsyncJobOptions;
  /** Access rights: OIDC issuers, SSO token endpoint, clock (rights and API tokens come from the catalog). */
  readonly auth?: Omit<AccessControlOptions, 'engine' | 'onGranted'>;
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

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const description = options.service ?? loadServiceDescription({ env: {} });
  const baseUrl = (request: FastifyRequest): string => baseUrlFor(description, request);
  // TAP_SCHEMA describes exactly what this server serves.
  await publishTapSchema(options.engine, options.schema);
  const app = Fastify({ logger: options.logger ?? false });
  // Forms are read as text and decoded by the spine (strict %-escapes).
  acceptForms(app);
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
    async onFile(part: MultipartFile & { value?: unknown }) {
      part.value = (await part.toBuffer()).toString('utf8');
    },
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Server', SERVER_HEADER);
  });
  const access = new AccessControl({
    engine: options.engine,
    ...options.auth,
    onGranted: (event) => app.log.info({ audit: event }, 'access to data not yet public'),
  });
  // Who the caller is, once per request; credentials that fail are refused everywhere.
  app.addHook('onRequest', async (request, reply) => {
    const who = await access.identify(request);
    if (!who.ok) {
      return reply
        .code(401)
        .header('WWW-Authenticate', access.challenges(who.reason))
        .type('text/plain; charset=utf-8')
        .send(`${who.reason}\n`);
    }
  });
  app.get('/health', async () => ({ status: 'ok' }));
  const baseDialect = sqlDialectFor(options.engine.dialect);
  const service = {
    engine: options.engine,
    schema: options.schema,
    dialect: access.dialectFor(baseDialect, ANONYMOUS),
    limits,
  };
  await app.register(tapSyncPlugin, {
    prefix: '/tap',
    service,
    serviceFor: async (request) => {
      const who = await access.identify(request);
      const identity = who.ok ? who.identity : ANONYMOUS;
      return {
        ...service,
        dialect: access.dialectFor(baseDialect, identity),
        serviceUrl: baseUrl(request),
      };
    },
  });
  // The one job system: each capability registers its executor (TAP async: one query).
  const settings = options.jobs ?? {};
  const ownResultsDir = settings.resultsDir === undefined;
  const resultsDir = settings.resultsDir ?? (await mkdtemp(join(tmpdir(), 'hearc-jobs-')));
  const tapJobs = tapJobExecutor(service, async (job) => {
    // A job runs with its owner's rights as they are when it runs.
    const who = await access.jobIdentity(job.ownerCredential);
    if (!who.ok) throw new JobFailure(`the job cannot run: ${who.reason}`);
    const serviceUrl = job.serviceUrl ?? description.publicUrl;
    return {
      ...service,
      dialect: access.dialectFor(baseDialect, who.identity),
      ...(serviceUrl !== undefined ? { serviceUrl } : {}),
    };
  });
  const coincidenceJobs = coincidenceJobExecutor(options.engine, {
    mayReadFor: async (job) => {
      const who = await access.jobIdentity(job.ownerCredential);
      if (!who.ok) throw new JobFailure(`the job cannot run: ${who.reason}`);
      return async (did) => {
        const rights = await access.rights.rightsOf(did);
        return rights !== undefined && mayRead(rights, who.identity, access.clock());
      };
    },
    serviceUrlFor: (job) => job.serviceUrl ?? description.publicUrl,
  });
  const jobs = new JobService({
    store: settings.store ?? openJobStore(options.engine),
    executors: { tap: tapJobs, coincidence: coincidenceJobs },
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
    if (ownResultsDir) await rm(resultsDir, { recursive: true, force: true });
  });
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
    jobs,
    capability: 'tap',
    jobsUrl: (request) => `${baseUrl(request)}/tap/async`,
    serviceUrl: baseUrl,
    owners: jobOwners,
  });
  await app.register(uwsPlugin, {
    prefix: '/coincidence',
    jobs,
    capability: 'coincidence',
    jobsUrl: (request) => `${baseUrl(request)}/coincidence/async`,
    serviceUrl: baseUrl,
    owners: jobOwners,
  });
  await app.register(vosiPlugin, {
    prefix: '/tap',
    engine: options.engine,
    schema: options.schema,
    // hearc API tokens are always accepted, OIDC bearer JWTs when issuers are configured.
    baseUrl,
    capabilities: {
      limits: service.limits,
      datalink: true,
      async: true,
      bearerTokens: true,
      jobs: {
        executionDuration: [jobs.limits.defaultExecutionDuration, jobs.limits.maxExecutionDuration],
        retention: [jobs.limits.defaultRetention, jobs.limits.maxRetention],
      },
    },
  });
  const dataAccess = {
    engine: options.engine,
    baseUrl,
    cacheDir: options.productCacheDir,
    authorize: access.authorize,
    services: [sodaDatasetService()],
  };
  // One DataLink service (catalog and product cache) for links, products and previews.
  const dataLink = dataLinkServiceFor(dataAccess);
  await app.register(dataAccessPlugin, { ...dataAccess, service: dataLink });
  await app.register(previewPlugin, { ...dataAccess, service: dataLink });
  await app.register(sodaPlugin, { engine: options.engine, authorize: access.authorize });
  await app.register(coincidencePlugin, {
    engine: options.engine,
    baseUrl,
    authorize: access.authorize,
  });
  return app;
}
