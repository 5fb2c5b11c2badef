/**
 * TAP async (TAP 1.1 §2.2.2) as a UWS 1.1 job list at /tap/async: the routes only
 * translate HTTP to the job service. The plugin owns the service's lifecycle: jobs
 * are recovered and workers start when the server is ready, and stop when it closes.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { openJobStore } from '../engine/job-stores.js';
import type { JobQuery, JobStore } from '../engine/job-store.js';
import { VOTABLE_VERSION } from '../tap/formats.js';
import { TapError } from '../tap/params.js';
import type { QueryService } from '../tap/query.js';
import {
  isoInstant,
  isPhase,
  type Job,
  jobDocument,
  type JobLimits,
  jobLimitsFor,
  type JobOwner,
  jobListDocument,
  mayManage,
  type JobRequest,
  JobService,
  type JobTiming,
  parametersDocument,
  parseInstant,
  RESULT_ID,
  resultsDocument,
  tapJobExecutor,
  UwsError,
} from '../uws/index.js';
import { isJobId } from '../uws/results.js';
import { votableError } from '../votable/index.js';
import { sendRequestError, sendTapError } from './tap.js';

const XML = 'text/xml; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';
const VOTABLE = 'application/x-votable+xml';

export interface AsyncJobOptions {
  /** Where jobs are kept (default: a table in the served catalog, one process running jobs). */
  readonly store?: JobStore;
  /** Folder of result files (default: a fresh folder in the OS temporary folder). */
  readonly resultsDir?: string;
  /** Jobs run at once by this process (default 2). */
  readonly workers?: number;
  /** Default: execution duration from the service's query time limit; kept 7 days, at most 30. */
  readonly limits?: Partial<JobLimits>;
  readonly timing?: Partial<JobTiming>;
}

/** Who owns jobs and what they run with (access rights); without it every job is public. */
export interface JobOwners {
  /** The owner of the jobs `request` creates; undefined for anonymous callers (public jobs). */
  ownerOf(request: FastifyRequest): Promise<JobOwner | undefined>;
  /** The service as the job's owner may use it now; throws JobFailure when they may not. */
  serviceFor(job: Job): Promise<QueryService>;
  /** WWW-Authenticate values for an anonymous caller asking for a job that has an owner. */
  challenges(): readonly string[];
}

export interface TapAsyncOptions {
  readonly service: QueryService;
  /** Public URL of the job list, e.g. https://host/tap/async. */
  /** The URL of the job list, as the caller of `request` reaches it. */
  readonly jobsUrl: (request: FastifyRequest) => string;
  /** The public URL of the service as the caller of `request` reaches it (kept with a new job). */
  readonly serviceUrl?: (request: FastifyRequest) => string;
  readonly jobs?: AsyncJobOptions;
  readonly owners?: JobOwners;
}

/** Name/value pairs of the query string and form body, in order. */
function requestEntries(request: FastifyRequest): [string, string][] {
  const entries: [string, string][] = [];
  for (const source of [request.query, request.body]) {
    if (typeof source !== 'object' || source === null || Buffer.isBuffer(source)) continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string' || typeof v === 'number') entries.push([name, String(v)]);
      }
    }
  }
  return entries;
}

/** The single value of a case-insensitive parameter. */
function single(entries: JobRequest, name: string): string | undefined {
  const values = entries.filter(([n]) => n.toUpperCase() === name).map(([, v]) => v);
  if (new Set(values).size > 1) {
    throw new UwsError(400, `${name} was given ${values.length} times with different values`);
  }
  return values[0];
}

function required(entries: JobRequest, name: string): string {
  const value = single(entries, name);
  if (value === undefined) throw new UwsError(400, `${name} is required`);
  return value;
}

function jobListQuery(entries: JobRequest): JobQuery {
  const phases = entries.filter(([n]) => n.toUpperCase() === 'PHASE').map(([, v]) => v.trim());
  for (const phase of phases) {
    if (!isPhase(phase)) throw new UwsError(400, `PHASE '${phase}' is not a UWS execution phase`);
  }
  const afterText = single(entries, 'AFTER');
  const after = afterText === undefined ? undefined : parseInstant(afterText);
  if (afterText !== undefined && !after) {
    throw new UwsError(400, `AFTER must be an ISO 8601 instant (got '${afterText}')`);
  }
  const lastText = single(entries, 'LAST');
  if (lastText !== undefined && !/^\s*\d+\s*$/.test(lastText)) {
    throw new UwsError(400, `LAST must be a non-negative integer (got '${lastText}')`);
  }
  return {
    // UWS 1.1: without a PHASE filter, ARCHIVED jobs are left out (hearc archives none).
    ...(phases.length > 0 ? { phases } : {}),
    ...(after ? { after } : {}),
    ...(lastText !== undefined ? { last: Number(lastText) } : {}),
  };
}

function sendUwsError(reply: FastifyReply, error: UwsError): FastifyReply {
  return reply.code(error.status).type(TEXT).send(`${error.message}\n`);
}

export const tapAsyncPlugin: FastifyPluginAsync<TapAsyncOptions> = async (app, options) => {
  const { service, jobsUrl, owners } = options;
  const ownerOf = async (request: FastifyRequest): Promise<JobOwner | undefined> =>
    owners ? owners.ownerOf(request) : undefined;
  const settings = options.jobs ?? {};
  const ownResultsDir = settings.resultsDir === undefined;
  const resultsDir = settings.resultsDir ?? (await mkdtemp(join(tmpdir(), 'hearc-jobs-')));
  const jobs = new JobService({
    store: settings.store ?? openJobStore(service.engine),
    executor: tapJobExecutor(service, owners ? (job) => owners.serviceFor(job) : undefined),
    resultsDir,
    limits: { ...jobLimitsFor(service.limits.timeoutMs / 1000), ...settings.limits },
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
    ...(settings.timing ? { timing: settings.timing } : {}),
    logError: (err, context) => app.log.error({ err }, context),
  });
  app.addHook('onReady', () => jobs.start());
  app.addHook('onClose', async () => {
    await jobs.stop();
    if (ownResultsDir) await rm(resultsDir, { recursive: true, force: true });
  });

  app.setErrorHandler(sendRequestError);
  const jobUrl = (request: FastifyRequest, jobId: string): string => `${jobsUrl(request)}/${jobId}`;
  const seeJob = (request: FastifyRequest, reply: FastifyReply, job: Job): FastifyReply =>
    reply.redirect(jobUrl(request, job.jobId), 303);

  type JobRequestParams = { Params: { jobId: string } };

  /** Runs a handler on an existing job, turning UWS errors into responses. */
  const withJob =
    (handle: (job: Job, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (request: FastifyRequest<JobRequestParams>, reply: FastifyReply) => {
      try {
        const { jobId } = request.params;
        const job = isJobId(jobId) ? await jobs.get(jobId) : undefined;
        if (!job) throw new UwsError(404, `there is no job ${jobId}`);
        const owner = await ownerOf(request);
        if (!mayManage(job, owner?.id)) {
          const refusal = `job ${jobId} belongs to another user`;
          if (owner) throw new UwsError(403, refusal);
          reply.header('WWW-Authenticate', owners?.challenges() ?? []);
          throw new UwsError(401, refusal);
        }
        return await handle(job, request, reply);
      } catch (error) {
        if (error instanceof UwsError) return sendUwsError(reply, error);
        throw error;
      }
    };

  app.post('/async', async (request, reply) => {
    try {
      const created = await jobs.create(
        requestEntries(request),
        await ownerOf(request),
        options.serviceUrl?.(request),
      );
      return seeJob(request, reply, created);
    } catch (error) {
      if (error instanceof UwsError) {
        return sendTapError(reply, new TapError(error.status, error.message));
      }
      throw error;
    }
  });

  app.get('/async', async (request, reply) => {
    try {
      const visibleTo = owners ? ((await ownerOf(request))?.id ?? null) : undefined;
      const query = jobListQuery(requestEntries(request));
      const list = await jobs.list(visibleTo === undefined ? query : { ...query, visibleTo });
      return reply.type(XML).send(jobListDocument(list, jobsUrl(request)));
    } catch (error) {
      if (error instanceof UwsError) return sendUwsError(reply, error);
      throw error;
    }
  });

  app.get<JobRequestParams>(
    '/async/:jobId',
    withJob(async (job, request, reply) => {
      const entries = requestEntries(request);
      const wait = single(entries, 'WAIT');
      let current: Job | undefined = job;
      if (wait !== undefined) {
        if (!/^\s*-?\d+\s*$/.test(wait)) {
          throw new UwsError(400, `WAIT must be a whole number of seconds (got '${wait}')`);
        }
        const phase = single(entries, 'PHASE');
        if (phase !== undefined && !isPhase(phase)) {
          throw new UwsError(400, `PHASE '${phase}' is not a UWS execution phase`);
        }
        const gone = new AbortController();
        reply.raw.on('close', () => gone.abort());
        current = await jobs.wait(job.jobId, Number(wait), phase, gone.signal);
        if (!current) throw new UwsError(404, `job ${job.jobId} was deleted`);
      }
      return reply.type(XML).send(jobDocument(current, jobUrl(request, job.jobId)));
    }),
  );

  const deleteJob = async (
    job: Job,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    await jobs.delete(job.jobId);
    return reply.redirect(jobsUrl(request), 303);
  };
  app.delete<JobRequestParams>(
    '/async/:jobId',
    withJob((job, request, reply) => deleteJob(job, request, reply)),
  );
  app.post<JobRequestParams>(
    '/async/:jobId',
    withJob(async (job, request, reply) => {
      const entries = requestEntries(request);
      const action = single(entries, 'ACTION');
      if (action !== undefined) {
        if (action.toUpperCase() !== 'DELETE') {
          throw new UwsError(400, `ACTION '${action}' is not supported; use ACTION=DELETE`);
        }
        return deleteJob(job, request, reply);
      }
      // Parameters posted to the job itself update a PENDING job (UWS 1.1 §2.1.11).
      if (entries.length === 0) throw new UwsError(400, 'nothing to do: give ACTION=DELETE');
      return seeJob(request, reply, await jobs.setParameters(job.jobId, entries));
    }),
  );

  const text = (value: (job: Job) => string) =>
    withJob(async (job, _request, reply) => reply.type(TEXT).send(value(job)));
  app.get<JobRequestParams>(
    '/async/:jobId/phase',
    text((job) => job.phase),
  );
  app.get<JobRequestParams>(
    '/async/:jobId/executionduration',
    text((job) => String(job.executionDuration)),
  );
  app.get<JobRequestParams>(
    '/async/:jobId/destruction',
    text((job) => isoInstant(job.destruction)),
  );
  // hearc makes no estimate of when a job will end: the quote is empty ("don't know").
  app.get<JobRequestParams>(
    '/async/:jobId/quote',
    text(() => ''),
  );
  app.get<JobRequestParams>(
    '/async/:jobId/owner',
    text((job) => job.ownerId ?? ''),
  );

  app.post<JobRequestParams>(
    '/async/:jobId/phase',
    withJob(async (job, request, reply) => {
      const phase = required(requestEntries(request), 'PHASE').trim().toUpperCase();
      if (phase === 'RUN') return seeJob(request, reply, await jobs.run(job.jobId));
      if (phase === 'ABORT') return seeJob(request, reply, await jobs.abort(job.jobId));
      throw new UwsError(400, `PHASE=${phase} is not supported; use PHASE=RUN or PHASE=ABORT`);
    }),
  );
  app.post<JobRequestParams>(
    '/async/:jobId/executionduration',
    withJob(async (job, request, reply) => {
      const value = required(requestEntries(request), 'EXECUTIONDURATION');
      return seeJob(request, reply, await jobs.setExecutionDuration(job.jobId, value));
    }),
  );
  app.post<JobRequestParams>(
    '/async/:jobId/destruction',
    withJob(async (job, request, reply) => {
      const value = required(requestEntries(request), 'DESTRUCTION');
      return seeJob(request, reply, await jobs.setDestruction(job.jobId, value));
    }),
  );

  app.get<JobRequestParams>(
    '/async/:jobId/parameters',
    withJob(async (job, _request, reply) => reply.type(XML).send(parametersDocument(job))),
  );
  app.post<JobRequestParams>(
    '/async/:jobId/parameters',
    withJob(async (job, request, reply) =>
      seeJob(request, reply, await jobs.setParameters(job.jobId, requestEntries(request))),
    ),
  );

  app.get<JobRequestParams>(
    '/async/:jobId/results',
    withJob(async (job, request, reply) =>
      reply.type(XML).send(resultsDocument(job, jobUrl(request, job.jobId))),
    ),
  );
  app.get<JobRequestParams>(
    `/async/:jobId/results/${RESULT_ID}`,
    withJob(async (job, _request, reply) => {
      if (job.phase !== 'COMPLETED' || job.resultType === null) {
        throw new UwsError(404, `job ${job.jobId} has no result: it is ${job.phase}`);
      }
      const file = createReadStream(jobs.results.resultPath(job.jobId));
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', reject);
      }).catch(() => {
        throw new UwsError(404, `the result of job ${job.jobId} is gone`);
      });
      return reply.type(job.resultType).send(file);
    }),
  );

  app.get<JobRequestParams>(
    '/async/:jobId/error',
    withJob(async (job, _request, reply) => {
      if (job.phase !== 'ERROR') {
        throw new UwsError(404, `job ${job.jobId} has no error: it is ${job.phase}`);
      }
      const message = job.errorMessage ?? 'the job failed';
      return reply.type(VOTABLE).send(votableError(message, { version: VOTABLE_VERSION }));
    }),
  );
};
