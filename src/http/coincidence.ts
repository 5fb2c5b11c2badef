/**
 * GET/POST /coincidence: the observations that looked at an alert's localisation during
 * its window (ALERT, BEFORE, AFTER; or POS and TIME), as a VOTable ranked by probability
 * (BINARY2, or as RESPONSEFORMAT asks: votable/b, votable/td).
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AccessRequest } from '../auth/index.js';
import { DaliError } from '../dali/index.js';
import { alertTables } from '../alerts/index.js';
import {
  type CoincidenceCatalog,
  coincidenceQuery,
  coincidenceSerialization,
  coincidenceVotable,
  everyoneReads,
  runCoincidence,
} from '../coincidence/index.js';
import { acceptForms, daliParameters, sendDaliError, VOTABLE } from './dali.js';

export interface CoincidencePluginOptions {
  /** The catalog searched, shared with the coincidence jobs. */
  readonly catalog: CoincidenceCatalog;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** The rights gate over a list of datasets (default: everything published is public). */
  readonly readableAmong?: (
    request: AccessRequest,
    dids: readonly string[],
  ) => Promise<ReadonlySet<string>>;
}

export const coincidencePlugin: FastifyPluginAsync<CoincidencePluginOptions> = async (
  app,
  options,
) => {
  const readableAmong = options.readableAmong ?? ((_request, dids) => everyoneReads(dids));
  // A catalog that never saw an alert answers 'no such alert', not a missing table.
  await options.catalog.engine.ensureTables(alertTables);
  acceptForms(app);
  app.route({
    method: ['GET', 'POST'],
    url: '/coincidence',
    handler: async (request, reply) => {
      let result;
      let serialization;
      try {
        const params = daliParameters(request);
        serialization = coincidenceSerialization(params.get('RESPONSEFORMAT'));
        const query = await coincidenceQuery(options.catalog.engine, params);
        result = await runCoincidence(options.catalog, query, (dids) =>
          readableAmong(request, dids),
        );
      } catch (error) {
        if (!(error instanceof DaliError)) throw error;
        return sendDaliError(reply, error);
      }
      return reply
        .code(200)
        .type(VOTABLE)
        .send(Readable.from(coincidenceVotable(result, options.baseUrl(request), serialization)));
    },
  });
};
