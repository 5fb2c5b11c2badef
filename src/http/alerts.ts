/**
 * GET /alerts/<alert_id>/moc50.fits (or moc90; .fits, .json, .txt): an alert's credible
 * region as a MOC, for sky viewers (the portal's alert page, Aladin); REVISION picks one.
 *
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
  type CredibleLevel,
  credibleRegionFile,
  parseAlert,
  storeAlert,
} from '../alerts/index.js';
import type { AccessDecision, AccessRequest } from '../auth/index.js';
import { DaliError } from '../dali/index.js';
import type { Engine } from '../engine/index.js';
import { MOC_MEDIA_TYPES, type MocFormat } from '../moc/index.js';
import { daliParameters, requestDocuments, sendDaliError } from './dali.js';

/** The path multipart reading keeps file parts of as bytes (skymaps are binary). */
export const ALERTS_PATH = '/alerts';

/** The largest alert body taken (flat HEALPix maps of order 10 are ~100 MB; the multi-order ones a few). */
const ALERT_MAX_BYTES = 256 * 1024 * 1024;

export interface AlertsPluginOptions {
  readonly engine: Engine;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** The gate: may this request publish alerts? */
  readonly mayPublish: (request: AccessRequest) => Promise<AccessDecision>;
  /** Told of the alert revisions a request stored, after they are stored. */
  readonly onStored?: (stored: readonly { alertId: string; revision: number }[]) => void;
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

const MOC_FORMATS: Readonly<Record<string, MocFormat>> = {
  fits: 'fits',
  json: 'json',
  txt: 'ascii',
};

/** The level and format a MOC file name asks for (moc50.fits, moc90.json, …). */
function credibleFileName(file: string): { level: CredibleLevel; format: MocFormat } {
  const match = /^moc(50|90)\.([a-z]+)$/i.exec(file);
  const format = match ? MOC_FORMATS[match[2]!.toLowerCase()] : undefined;
  if (!match || !format) {
    throw new DaliError(
      404,
      `'${file}' is not a credible-region file: use moc50 or moc90 with .fits, .json or .txt`,
    );
  }
  return { level: Number(match[1]) as CredibleLevel, format };
}

function revisionOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) {
    throw new DaliError(400, `REVISION must be a positive integer, not '${text}'`);
  }
  return Number(text);
}

export const alertsPlugin: FastifyPluginAsync<AlertsPluginOptions> = async (app, options) => {
  await options.engine.ensureTables(alertTables);
  app.get<{ Params: { alertId: string; file: string } }>(
    `${ALERTS_PATH}/:alertId/:file`,
    async (request, reply) => {
      const { alertId, file } = request.params;
      try {
        const { level, format } = credibleFileName(file);
        const revision = revisionOf(daliParameters(request).get('REVISION'));
        const region = await credibleRegionFile(options.engine, alertId, level, revision);
        if (!region.found) throw new DaliError(404, region.reason);
        const body = region.file[format];
        const name = `${alertId}-r${region.revision}-${file}`.replace(/[^\w.+-]/g, '_');
        return reply
          .header('Content-Disposition', `inline; filename="${name}"`)
          .type(MOC_MEDIA_TYPES[format])
          .send(format === 'fits' ? Buffer.from(body as Uint8Array) : body);
      } catch (error) {
        if (error instanceof DaliError) return sendDaliError(reply, error);
        throw error;
      }
    },
  );
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
      options.onStored?.(stored);
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
