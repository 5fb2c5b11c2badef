/**
 * POST /alerts: automated feeds publish alerts (a GCN JSON notice, a VOEvent, a HEALPix
 * skymap in FITS) as the request body, its Content-Type naming the format, or as the
 * parts of a multipart form. Only members of the alert publishers' group may; each
 * document goes the way of `hearc alerts ingest` (the same reading, validation and
 * revision history), and a request with one bad document stores none.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  AlertError,
  alertFormatOfMediaType,
  alertTables,
  parseAlert,
  storeAlert,
} from '../alerts/index.js';
import type { AccessDecision, AccessRequest } from '../auth/index.js';
import { DaliError } from '../dali/index.js';
import type { Engine } from '../engine/index.js';
import { requestDocuments, sendDaliError } from './dali.js';

/** The path multipart reading keeps file parts of as bytes (skymaps are binary). */
export const ALERTS_PATH = '/alerts';

/** The largest alert body taken (flat HEALPix maps of order 10 are ~100 MB; the multi-order ones a few). */
const ALERT_MAX_BYTES = 256 * 1024 * 1024;

export interface AlertsPluginOptions {
  readonly engine: Engine;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** The gate: may this request publish alerts? */
  readonly mayPublish: (request: AccessRequest) => Promise<AccessDecision>;
}

/** An alert document of the request, with the format its Content-Type declares. */
function alertDocumentsOf(request: FastifyRequest) {
  return requestDocuments(request).map((document) => {
    if (document.contentType === undefined) return { ...document, declared: undefined };
    const declared = alertFormatOfMediaType(document.contentType);
    if (declared === undefined && !/^application\/octet-stream\b/i.test(document.contentType)) {
      throw new DaliError(
        415,
        `Content-Type '${document.contentType || '(none)'}' is not an alert format: use application/json (GCN notice), application/xml (VOEvent), application/fits (HEALPix skymap), application/octet-stream (any of them, recognised by its content) or multipart/form-data`,
      );
    }
    return { ...document, declared };
  });
}

export const alertsPlugin: FastifyPluginAsync<AlertsPluginOptions> = async (app, options) => {
  await options.engine.ensureTables(alertTables);
  // Alert bodies are read as bytes, whatever their type (multipart keeps its own parser).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: ALERT_MAX_BYTES },
    (_r, body, done) => done(null, body),
  );
  app.route({
    method: 'POST',
    url: ALERTS_PATH,
    bodyLimit: ALERT_MAX_BYTES,
    // Refused before the body is read.
    onRequest: async (request, reply) => {
      const decision = await options.mayPublish(request);
      if (decision.allowed) return;
      const status = decision.challenges ? 401 : 403;
      return sendDaliError(
        reply,
        new DaliError(status, decision.reason, {
          ...(decision.challenges ? { challenges: decision.challenges } : {}),
        }),
      );
    },
    handler: async (request, reply) => {
      let alerts;
      try {
        // Every document is read before any is stored: one bad document stores none.
        alerts = alertDocumentsOf(request).map((d) => parseAlert(d.bytes, d.name, d.declared));
      } catch (error) {
        if (error instanceof AlertError)
          return sendDaliError(reply, new DaliError(400, error.message));
        if (error instanceof DaliError) return sendDaliError(reply, error);
        throw error;
      }
      const stored = [];
      for (const alert of alerts) {
        try {
          stored.push(await storeAlert(options.engine, alert));
        } catch (error) {
          if (!(error instanceof AlertError)) throw error;
          // A revision conflict: the documents before it are stored, and said so.
          return sendDaliError(
            reply,
            new DaliError(
              409,
              `${error.message}${stored.length > 0 ? ` (stored before it: ${stored.map((s) => `${s.alertId} revision ${s.revision}`).join(', ')})` : ''}`,
            ),
          );
        }
      }
      const base = options.baseUrl(request);
      const answer = stored.map((s) => ({
        alert_id: s.alertId,
        revision: s.revision,
        status: s.status,
        coincidence: `${base}/coincidence?ALERT=${encodeURIComponent(s.alertId)}`,
      }));
      const added = stored.some((s) => s.status === 'added');
      return reply.code(added ? 201 : 200).send({ alerts: answer });
    },
  });
};
