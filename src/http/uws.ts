/**
 * UWS 1.1 job lists of any capability (TAP async at /tap/async, later SODA, analysis):
 * the routes only translate HTTP to the one job service, which runs each job with the
 * executor its capability registered. Nothing here knows what a job does. Parameters
 * are read and errors written through the spine (./dali.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DaliError, type DaliParameters } from '../dali/index.js';
import type { JobQuery, JobStore } from '../engine/job-store.js';
import {
  isoInstant,
  isPhase,
  type Job,
  jobDocument,
  type JobLimits,
  type JobOwner,
  jobListDocument,
  mayManage,
  type JobService,
  type JobTiming,
  parametersDocument,
  parseInstant,
  RESULT_ID,
  type ResultNames,
  resultsDocument,
} from '../uws/index.js';
import { isJobId } from '../uws/results.js';
import type { ResultCompression } from '../service/index.js';
import { sendCompressible } from './compression.js';
import {
  daliErrorDocument,
  daliParameters,
  sendDaliError,
  sendRequestError,
  VOTABLE,
} from './dali.js';

const XML = 'text/xml; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

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

/** Who owns jobs (access rights); without it every job is public. */
export interface JobOwners {
  /** The owner of the jobs `request` creates; undefined for anonymous callers. */
  ownerOf(request: FastifyRequest): Promise<JobOwner | undefined>;
  /** WWW-Authenticate values for an anonymous caller asking for a job that has an owner. */
  challenges(): readonly string[];
}

export interface UwsPluginOptions {
  /** The one job system of the server. */
  readonly jobs: JobService;
  /** The capability whose jobs this job list holds (e.g. 'tap'). */
  readonly capability: string;
  /** The URL of the job list, as the caller of `request` reaches it. */
  readonly jobsUrl: (request: FastifyRequest) => string;
  /** The public URL of the service as the caller of `request` reaches it (kept with a new job). */
  readonly serviceUrl?: (request: FastifyRequest) => string;
  readonly owners?: JobOwners;
  /** The result ids of this capability's jobs (default: one result, 'result'). */
  readonly results?: ResultNames;
  /** The Link header sent with a job's main result (e.g. its provenance, W3C PROV-AQ). */
  readonly mainResultLink?: (request: FastifyRequest, jobId: string) => string;
  /** Whether result files go out compressed when the client accepts it (default 'auto'). */
  readonly compression?: ResultCompression;
}

function jobListQuery(params: DaliParameters): JobQuery {
  const phases = params.all('PHASE').map((v) => v.trim());
  for (const phase of phases) {
    if (!isPhase(phase)) throw new DaliError(400, `PHASE '${phase}' is not a UWS execution phase`);
  }
  const afterText = params.get('AFTER');
  const after = afterText === undefined ? undefined : parseInstant(afterText);
  if (afterText !== undefined && !after) {
    throw new DaliError(400, `AFTER must be an ISO 8601 instant (got '${afterText}')`);
  }
  const lastText = params.get('LAST');
  if (lastText !== undefined && !/^\s*\d+\s*$/.test(lastText)) {
    throw new DaliError(400, `LAST must be a non-negative integer (got '${lastText}')`);
  }
  return {
    // UWS 1.1: without a PHASE filter, ARCHIVED jobs are left out (hearc archives none).
    ...(phases.length > 0 ? { phases } : {}),
    ...(after ? { after } : {}),
    ...(lastText !== undefined ? { last: Number(lastText) } : {}),
  };
}

/** Job resources answer errors as text (UWS); creating a job answers DALI error documents. */
const asText = { format: 'text' } as const;

export const uwsPlugin: FastifyPluginAsync<UwsPluginOptions> = async (app, options) => {
  const { jobs, capability, jobsUrl, owners } = options;
  const results = options.results ?? { main: RESULT_ID };
  const prefixes = results.byPrefix ?? [];
  const typeOfFound = (id: string): string | undefined =>
    prefixes.find((p) => id.startsWith(p.prefix))?.contentType;
  /** The results of `job`: the fixed ones and those it wrote under a known prefix. */
  const namesOf = async (job: Job): Promise<ResultNames> => {
    if (prefixes.length === 0 || job.phase !== 'COMPLETED') return results;
    const fixed = new Set([results.main, ...(results.extra ?? []).map((e) => e.id)]);
    const found = (await jobs.results.extraIds(job.jobId)).flatMap((id) => {
      const contentType = fixed.has(id) ? undefined : typeOfFound(id);
      return contentType ? [{ id, contentType }] : [];
    });
    return { ...results, extra: [...(results.extra ?? []), ...found] };
  };
  const ownerOf = async (request: FastifyRequest): Promise<JobOwner | undefined> =>
    owners ? owners.ownerOf(request) : undefined;

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
        const found = isJobId(jobId) ? await jobs.get(jobId) : undefined;
        const job = found?.capability === capability ? found : undefined;
        if (!job) throw new DaliError(404, `there is no job ${jobId}`);
        const owner = await ownerOf(request);
        if (!mayManage(job, owner?.id)) {
          const refusal = `job ${jobId} belongs to another user`;
          if (owner) throw new DaliError(403, refusal);
          reply.header('WWW-Authenticate', owners?.challenges() ?? []);
          throw new DaliError(401, refusal);
        }
        return await handle(job, request, reply);
      } catch (error) {
        if (error instanceof DaliError) return sendDaliError(reply, error, asText);
        throw error;
      }
    };

  app.post('/async', async (request, reply) => {
    try {
      const created = await jobs.create(
        capability,
        [...daliParameters(request).pairs()],
        await ownerOf(request),
        options.serviceUrl?.(request),
      );
      return seeJob(request, reply, created);
    } catch (error) {
      if (error instanceof DaliError) return sendDaliError(reply, error);
      throw error;
    }
  });

  app.get('/async', async (request, reply) => {
    try {
      const owner = await ownerOf(request);
      const query = jobListQuery(daliParameters(request));
      // Each caller lists their own jobs; anonymous jobs are reached by their URL only.
      const list = owner ? await jobs.list({ ...query, capability, ownedBy: owner.id }) : [];
      return reply.type(XML).send(jobListDocument(list, jobsUrl(request)));
    } catch (error) {
      if (error instanceof DaliError) return sendDaliError(reply, error, asText);
      throw error;
    }
  });

  app.get<JobRequestParams>(
    '/async/:jobId',
    withJob(async (job, request, reply) => {
      const params = daliParameters(request);
      const wait = params.get('WAIT');
      let current: Job | undefined = job;
      if (wait !== undefined) {
        if (!/^\s*-?\d+\s*$/.test(wait)) {
          throw new DaliError(400, `WAIT must be a whole number of seconds (got '${wait}')`);
        }
        const phase = params.get('PHASE');
        if (phase !== undefined && !isPhase(phase)) {
          throw new DaliError(400, `PHASE '${phase}' is not a UWS execution phase`);
        }
        const gone = new AbortController();
        reply.raw.on('close', () => gone.abort());
        current = await jobs.wait(job.jobId, Number(wait), phase, gone.signal);
        if (!current) throw new DaliError(404, `job ${job.jobId} was deleted`);
      }
      const names = await namesOf(current);
      return reply.type(XML).send(jobDocument(current, jobUrl(request, job.jobId), names));
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
      const params = daliParameters(request);
      const action = params.get('ACTION');
      if (action !== undefined) {
        if (action.toUpperCase() !== 'DELETE') {
          throw new DaliError(400, `ACTION '${action}' is not supported; use ACTION=DELETE`);
        }
        return deleteJob(job, request, reply);
      }
      // Parameters posted to the job itself update a PENDING job (UWS 1.1 §2.1.11).
      const entries = [...params.pairs()];
      if (entries.length === 0) throw new DaliError(400, 'nothing to do: give ACTION=DELETE');
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
  // The job's own estimate of when it will end; empty ("don't know") when it gave none.
  app.get<JobRequestParams>(
    '/async/:jobId/quote',
    text((job) => job.report?.quote ?? ''),
  );
  app.get<JobRequestParams>(
    '/async/:jobId/owner',
    text((job) => job.ownerId ?? ''),
  );

  app.post<JobRequestParams>(
    '/async/:jobId/phase',
    withJob(async (job, request, reply) => {
      const phase = daliParameters(request).required('PHASE').trim().toUpperCase();
      if (phase === 'RUN') return seeJob(request, reply, await jobs.run(job.jobId));
      if (phase === 'ABORT') return seeJob(request, reply, await jobs.abort(job.jobId));
      throw new DaliError(400, `PHASE=${phase} is not supported; use PHASE=RUN or PHASE=ABORT`);
    }),
  );
  app.post<JobRequestParams>(
    '/async/:jobId/executionduration',
    withJob(async (job, request, reply) => {
      const value = daliParameters(request).required('EXECUTIONDURATION');
      return seeJob(request, reply, await jobs.setExecutionDuration(job.jobId, value));
    }),
  );
  app.post<JobRequestParams>(
    '/async/:jobId/destruction',
    withJob(async (job, request, reply) => {
      const value = daliParameters(request).required('DESTRUCTION');
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
      seeJob(
        request,
        reply,
        await jobs.setParameters(job.jobId, [...daliParameters(request).pairs()]),
      ),
    ),
  );

  app.get<JobRequestParams>(
    '/async/:jobId/results',
    withJob(async (job, request, reply) =>
      reply.type(XML).send(resultsDocument(job, jobUrl(request, job.jobId), await namesOf(job))),
    ),
  );
  /** Streams a result file of a completed job (404 when it has none or it is gone). */
  const sendResult = async (
    job: Job,
    reply: FastifyReply,
    path: string,
    type: string,
    link?: string,
  ): Promise<FastifyReply> => {
    if (job.phase !== 'COMPLETED' || job.resultType === null) {
      throw new DaliError(404, `job ${job.jobId} has no result: it is ${job.phase}`);
    }
    const file = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', reject);
    }).catch(() => {
      throw new DaliError(404, `the result of job ${job.jobId} is gone`);
    });
    if (link !== undefined) reply.header('Link', link);
    // Its size is known: clients can show progress (dropped when the answer is compressed).
    const { size } = await stat(path);
    reply.header('Content-Length', size);
    return sendCompressible(reply.type(type), file, options.compression);
  };
  app.get<JobRequestParams>(
    `/async/:jobId/results/${results.main}`,
    withJob(async (job, request, reply) =>
      sendResult(
        job,
        reply,
        jobs.results.resultPath(job.jobId),
        job.resultType ?? '',
        options.mainResultLink?.(request, job.jobId),
      ),
    ),
  );
  for (const extra of results.extra ?? []) {
    app.get<JobRequestParams>(
      `/async/:jobId/results/${extra.id}`,
      withJob(async (job, _request, reply) =>
        sendResult(job, reply, jobs.results.extraPath(job.jobId, extra.id), extra.contentType),
      ),
    );
  }

  if (prefixes.length > 0) {
    app.get<{ Params: { jobId: string; resultId: string } }>(
      '/async/:jobId/results/:resultId',
      async (request, reply) => {
        const { resultId } = request.params;
        const handler = withJob(async (job, _request, res) => {
          const contentType = typeOfFound(resultId);
          if (contentType === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(resultId)) {
            throw new DaliError(404, `job ${job.jobId} has no result ${resultId}`);
          }
          return sendResult(job, res, jobs.results.extraPath(job.jobId, resultId), contentType);
        });
        return handler(request, reply);
      },
    );
  }

  app.get<JobRequestParams>(
    '/async/:jobId/error',
    withJob(async (job, _request, reply) => {
      if (job.phase !== 'ERROR') {
        throw new DaliError(404, `job ${job.jobId} has no error: it is ${job.phase}`);
      }
      const message = job.errorMessage ?? 'the job failed';
      return reply.type(VOTABLE).send(daliErrorDocument(message));
    }),
  );
};
