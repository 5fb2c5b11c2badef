import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Engine } from '../engine/types.js';
import { findTable, type PublishedSchema } from '../schema/types.js';
import { capabilitiesDocument, type CapabilityOptions } from '../tap/capabilities.js';
import { examplesDocument } from '../tap/examples.js';
import { SCHEMA_DESCRIPTIONS, tapSchemasTable } from '../tap/tap-schema.js';
import { tableDocument, tablesetDocument } from '../tap/vosi-tables.js';
import { DaliError, escapeXml } from '../dali/index.js';
import { daliParameters, sendDaliError } from './dali.js';

const XML = 'text/xml; charset=utf-8';

function availabilityDocument(available: boolean, note: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">
  <vosi:available>${available}</vosi:available>
  <vosi:note>${escapeXml(note)}</vosi:note>
</vosi:availability>
`;
}

/** How long availability waits for the catalog to answer a read. */
const AVAILABILITY_WAIT_MS = 5000;

/**
 * Whether a query sent now would run: not when every catalog connection is busy
 * (queries would queue), nor when the catalog cannot be read within a few seconds.
 */
async function catalogAvailability(engine: Engine): Promise<{ available: boolean; note: string }> {
  const usage = engine.usage();
  if (usage.busy >= usage.connections) {
    return {
      available: false,
      note: `busy: all ${usage.connections} catalog connections are in use and ${usage.waiting} queries are waiting; try again shortly`,
    };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    // A real read (an empty filter would never reach the database): TAP_SCHEMA's schemas.
    await Promise.race([
      engine.selectRows(tapSchemasTable),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${AVAILABILITY_WAIT_MS / 1000} s`)),
          AVAILABILITY_WAIT_MS,
        );
      }),
    ]);
    return { available: true, note: 'hearc is accepting queries' };
  } catch (err) {
    return {
      available: false,
      note: `the catalog cannot be read: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

export interface VosiOptions {
  readonly engine: Engine;
  readonly schema: PublishedSchema;
  readonly capabilities: Omit<CapabilityOptions, 'baseUrl'>;
  /** The service's public URL as the caller of `request` reaches it. */
  readonly baseUrl: (request: FastifyRequest) => string;
}

/** VOSI 1.1 endpoints of the TAP service: availability and tables. */
export const vosiPlugin: FastifyPluginAsync<VosiOptions> = async (
  app,
  { engine, schema, capabilities, baseUrl },
) => {
  // One document per public URL the service is reached under (a handful at most).
  const capabilitiesXml = new Map<string, string>();
  const capabilitiesFor = (base: string): string => {
    let xml = capabilitiesXml.get(base);
    if (xml === undefined) {
      xml = capabilitiesDocument({ ...capabilities, baseUrl: base });
      if (capabilitiesXml.size < 64) capabilitiesXml.set(base, xml);
    }
    return xml;
  };
  const examplesXhtml = examplesDocument();
  app.get('/capabilities', async (request, reply) =>
    reply.type(XML).send(capabilitiesFor(baseUrl(request))),
  );
  app.get('/examples', async (_request, reply) =>
    reply.type('application/xhtml+xml; charset=utf-8').send(examplesXhtml),
  );

  app.get('/availability', async (_request, reply) => {
    const { available, note } = await catalogAvailability(engine);
    return reply.type(XML).send(availabilityDocument(available, note));
  });

  app.get('/tables', async (request, reply) => {
    const detail = daliParameters(request).get('detail') ?? 'max';
    if (detail !== 'min' && detail !== 'max') {
      return sendDaliError(
        reply,
        new DaliError(400, `detail must be 'min' or 'max' (got '${detail}')`),
        { format: 'text' },
      );
    }
    return reply.type(XML).send(tablesetDocument(schema, detail, SCHEMA_DESCRIPTIONS));
  });

  app.get<{ Params: { name: string } }>('/tables/:name', async (request, reply) => {
    const table = findTable(schema, request.params.name);
    if (!table) {
      const missing = new DaliError(
        404,
        `no table named '${request.params.name}' is published here`,
      );
      return sendDaliError(reply, missing, { format: 'text' });
    }
    return reply.type(XML).send(tableDocument(table));
  });
};
