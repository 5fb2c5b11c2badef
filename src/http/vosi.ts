import type { FastifyPluginAsync } from 'fastify';
import type { Engine } from '../engine/types.js';
import { obscoreTable } from '../obscore/schema.js';

const XML = 'text/xml; charset=utf-8';

function availabilityDocument(available: boolean, note: string): string {
  const escaped = note.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">
  <vosi:available>${available}</vosi:available>
  <vosi:note>${escaped}</vosi:note>
</vosi:availability>
`;
}

/** VOSI 1.1 endpoints of the TAP service (availability now; capabilities and tables with TAP). */
export const vosiPlugin: FastifyPluginAsync<{ engine: Engine }> = async (app, { engine }) => {
  app.get('/availability', async (_request, reply) => {
    let available = true;
    let note = 'hearc is accepting queries';
    try {
      await engine.selectRows(obscoreTable, { column: 'obs_publisher_did', values: [] });
    } catch (err) {
      available = false;
      note = `the catalog cannot be read: ${err instanceof Error ? err.message : String(err)}`;
    }
    return reply.type(XML).send(availabilityDocument(available, note));
  });
};
