/** `hearc events cluster|status`: hearc.events in global HEALPix cell order (DuckDB). */
import { openEngine } from '../engine/index.js';
import {
  eventsOrder,
  eventsOrderDue,
  type EventsOrdered,
  orderEvents,
  ordersEventsByRewrite,
} from '../events/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

/** One line on a rewrite of hearc.events in order (after `hearc events cluster` or an ingest). */
export function formatEventsOrdered(ordered: EventsOrdered | { readonly failed: string }): string {
  if ('failed' in ordered) {
    return `warning: hearc.events could not be rewritten in cell order (${ordered.failed}); it is as it was, and 'hearc events cluster' tries again\n`;
  }
  return `hearc.events rewritten in cell order: ${ordered.rows} events in ${ordered.seconds.toFixed(1)} s\n`;
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'keep hearc.events in global HEALPix cell order (DuckDB): cluster, status',
  usage: `usage: hearc events cluster --db CATALOG
       hearc events status --db CATALOG

On a DuckDB catalog, ingest appends hearc.events one buffer (about 2 million events)
at a time, each in HEALPix cell order; a cone query reads the row groups whose cells
it may touch, so the fewer sorted runs the table holds, the fewer it reads. After an
ingest, once the events appended since the last rewrite are as many as it rewrote
(the table has doubled) and more than one buffer, ingest rewrites the whole table in
(cell, arrival time) order: each event is rewritten about twice in all.

'cluster' rewrites it now, in one transaction: queries meanwhile see the table as it
was; a failure or an interruption leaves it so. It needs about as much free disk as
the table takes (DuckDB sorts in at most 512 MiB of memory and spills to its temp
directory). 'status' says what is in order and whether the next ingest rewrites it.
While 'hearc serve' owns the catalog, the server runs this command (through its
admin socket). On PostgreSQL hearc.events is partitioned by cell range instead.

options:
  --db CATALOG          catalog database (required)
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { db: { type: 'string' } });
    const [action, ...rest] = positionals;
    if ((action !== 'cluster' && action !== 'status') || rest.length > 0) {
      throw new UsageError("give 'cluster' or 'status'");
    }
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const engine = await openEngine(db);
    try {
      if (!ordersEventsByRewrite(engine)) {
        io.stderr(
          `hearc events: on PostgreSQL hearc.events is partitioned by HEALPix cell range; there is nothing to ${action}\n`,
        );
        return 1;
      }
      await engine.ensureTables(catalogTables);
      if (action === 'cluster') {
        io.stdout(formatEventsOrdered(await orderEvents(engine)));
        return 0;
      }
      const order = await eventsOrder(engine);
      const at = order.orderedAt ? ` (${order.orderedAt.toISOString()})` : '';
      io.stdout(
        `in cell order: ${order.orderedRows} events at the last rewrite${at}\n` +
          `appended since: ${order.appendedRows} events\n` +
          `the next ingest rewrites it: ${eventsOrderDue(order) ? 'yes' : 'no'}\n`,
      );
      return 0;
    } finally {
      await engine.close();
    }
  },
};
