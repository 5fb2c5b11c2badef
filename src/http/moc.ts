/**
 * Coverage MOCs under stable URLs: `/moc/service.<ext>`, `/moc/<collection>.<ext>` and
 * `/moc/<collection>/<obs_id>.<ext>`, with `.fits` (MOC 2.0 FITS), `.json` or `.txt`
 * (ASCII) for the space MOC, `.time.fits` etc. for the time MOC and `.spacetime.fits` etc.
 * for the space-time MOC (the sky observed at each time).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Authorize } from '../datalink/index.js';
import {
  type CoverageCatalog,
  MOC_MEDIA_TYPES,
  type MocFile,
  type MocFormat,
} from '../moc/index.js';

export interface MocPluginOptions {
  readonly coverage: CoverageCatalog;
  /** The gate: an observation whose metadata the caller may not see has no MOC. */
  readonly authorize: Authorize;
}

/** The name of the whole service's MOCs (a collection of that name is shadowed). */
export const SERVICE_MOC_NAME = 'service';

const EXTENSIONS: Readonly<Record<string, MocFormat>> = {
  fits: 'fits',
  json: 'json',
  txt: 'ascii',
};
const TEXT = 'text/plain; charset=utf-8';

type MocDimension = 'space' | 'time' | 'spaceTime';

const DIMENSIONS: Readonly<Record<string, MocDimension>> = {
  '': 'space',
  '.time': 'time',
  '.spacetime': 'spaceTime',
};

interface MocRequestName {
  readonly name: string;
  readonly dimension: MocDimension;
  readonly format: MocFormat;
}

function parseFileName(file: string): MocRequestName | string {
  const match = /^(.+?)(\.time|\.spacetime)?\.([A-Za-z]+)$/.exec(file);
  const format = match ? EXTENSIONS[match[3]!.toLowerCase()] : undefined;
  if (!match || !format) {
    return `'${file}' is not a MOC file name: use <name>.fits, <name>.json or <name>.txt (space), <name>.time.fits, .time.json or .time.txt (time), <name>.spacetime.fits, .spacetime.json or .spacetime.txt (space-time)`;
  }
  return { name: match[1]!, dimension: DIMENSIONS[match[2] ?? '']!, format };
}

function send(
  reply: FastifyReply,
  mocs: Readonly<Record<MocDimension, MocFile>>,
  request: MocRequestName,
  fileName: string,
): FastifyReply {
  const body = mocs[request.dimension][request.format];
  return reply
    .header('Access-Control-Allow-Origin', '*')
    .header('Content-Disposition', `inline; filename="${fileName.replace(/["\\]/g, '_')}"`)
    .type(MOC_MEDIA_TYPES[request.format])
    .send(request.format === 'fits' ? Buffer.from(body as Uint8Array) : body);
}

export const mocPlugin: FastifyPluginAsync<MocPluginOptions> = async (app, options) => {
  app.get<{ Params: { file: string } }>('/moc/:file', async (request, reply) => {
    const parsed = parseFileName(request.params.file);
    if (typeof parsed === 'string') return reply.code(404).type(TEXT).send(`${parsed}\n`);
    const coverage = await options.coverage.current();
    const mocs =
      parsed.name === SERVICE_MOC_NAME ? coverage.service : coverage.collections.get(parsed.name);
    if (!mocs) {
      return reply.code(404).type(TEXT).send(`no collection '${parsed.name}' is published here\n`);
    }
    return send(reply, mocs, parsed, request.params.file);
  });

  app.get<{ Params: { collection: string; file: string } }>(
    '/moc/:collection/:file',
    async (request, reply) => {
      const { collection, file } = request.params;
      const parsed = parseFileName(file);
      if (typeof parsed === 'string') return reply.code(404).type(TEXT).send(`${parsed}\n`);
      const mocs = await options.coverage.observation(collection, parsed.name);
      const decision = mocs ? await options.authorize(request, mocs.did) : undefined;
      if (!mocs || (decision && !decision.allowed && decision.unpublished)) {
        return reply
          .code(404)
          .type(TEXT)
          .send(`no observation '${parsed.name}' is published in collection '${collection}'\n`);
      }
      return send(reply, mocs, parsed, `${collection}-${file}`);
    },
  );
};
