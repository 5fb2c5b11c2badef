/**
 * The provenance endpoint at `/provenance` (GET and POST form): ID, DEPTH, DIRECTION,
 * RESPONSEFORMAT (PROV-JSON, PROV-XML, PROV-N, SVG), through the access gate.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { DaliError } from '../dali/index.js';
import type { Authorize } from '../datalink/index.js';
import type { Engine } from '../engine/types.js';
import {
  type ProductProvenance,
  ProvenanceService,
  servicePrefix,
  type ProvNaming,
  type UserOf,
} from '../provenance/index.js';
import type { ServiceDescription } from '../service/index.js';
import { acceptForms, daliParameters, sendDaliError } from './dali.js';

export interface ProvenancePluginOptions {
  readonly engine: Engine;
  readonly authorize: Authorize;
  readonly service: ServiceDescription;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** The authenticated user of a request (query results are theirs). */
  readonly userOf?: UserOf;
  /** Records of products written behind their answers, waited for before answering. */
  readonly products?: ProductProvenance;
}

/** How provenance names things for the service answering `request`. */
export function provNamingFor(
  service: ServiceDescription,
  baseUrl: (request: FastifyRequest) => string,
  request: FastifyRequest,
): ProvNaming {
  return { baseUrl: baseUrl(request), prefix: servicePrefix(service.shortName) };
}

export const provenancePlugin: FastifyPluginAsync<ProvenancePluginOptions> = async (
  app,
  options,
) => {
  const service = new ProvenanceService({
    engine: options.engine,
    authorize: options.authorize,
    ...(options.userOf ? { userOf: options.userOf } : {}),
  });
  acceptForms(app);
  app.route({
    method: ['GET', 'POST'],
    url: '/provenance',
    handler: async (request, reply) => {
      try {
        await options.products?.settled();
        const answer = await service.answer(
          daliParameters(request),
          request,
          provNamingFor(options.service, options.baseUrl, request),
        );
        return reply.code(200).type(answer.contentType).send(answer.body);
      } catch (error) {
        if (!(error instanceof DaliError)) throw error;
        return sendDaliError(reply, error);
      }
    },
  });
};
