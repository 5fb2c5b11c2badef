/** The OAI-PMH publishing registry at `/oai` (GET and POST form). */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { DaliError } from '../dali/index.js';
import { OaiRepository, type ResourcePublisher } from '../registry/index.js';
import { acceptForms, exactParameters } from './dali.js';

export interface RegistryPluginOptions {
  readonly publisher: ResourcePublisher;
  /** The service's public URL as the caller of `request` reaches it. */
  readonly baseUrl: (request: FastifyRequest) => string;
}

export const registryPlugin: FastifyPluginAsync<RegistryPluginOptions> = async (app, options) => {
  const repository = new OaiRepository(options.publisher);
  acceptForms(app);
  app.route({
    method: ['GET', 'POST'],
    url: '/oai',
    handler: async (request, reply) => {
      const baseUrl = options.baseUrl(request);
      let args: [string, string][] | string;
      try {
        args = exactParameters(request);
      } catch (error) {
        // OAI-PMH answers a malformed request as badArgument, in its own document.
        if (!(error instanceof DaliError)) throw error;
        args = error.message;
      }
      const xml = await repository.answer({ endpoint: `${baseUrl}/oai`, baseUrl, arguments: args });
      return reply.type('text/xml; charset=utf-8').send(xml);
    },
  });
};
