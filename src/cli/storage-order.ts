/**
 * The commands that keep a table in storage order on DuckDB (`hearc events`, `hearc
 * obscore`): 'cluster' rewrites it now, 'status' says what is in order.
 */
import {
  keepsOrderByRewrite,
  openEngine,
  type OrderedTable,
  rewriteInStorageOrder,
  storageOrder,
  storageOrderDue,
  type StorageOrdered,
} from '../engine/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

/** What one such command is about. */
export interface StorageOrderCommand {
  readonly name: string;
  /** The table, as published (schema.name). */
  readonly table: string;
  /** What its rows are called ('events', 'rows'). */
  readonly rows: string;
  /** Its order's name ('cell order'). */
  readonly order: string;
  readonly summary: string;
  /** Why and when the table is rewritten, for the usage text. */
  readonly explanation: string;
  /** What PostgreSQL does instead, for the message there. */
  readonly onPostgres: string;
  /** The table kept in order: what 'cluster' rewrites and 'status' reads. */
  readonly ordered: OrderedTable;
}

/** One line on a rewrite in order (after 'cluster' or an ingest). */
export function formatStorageOrdered(
  about: Pick<StorageOrderCommand, 'name' | 'table' | 'rows' | 'order'>,
  ordered: StorageOrdered | { readonly failed: string },
): string {
  if ('failed' in ordered) {
    return `warning: ${about.table} could not be rewritten in ${about.order} (${ordered.failed}); it is as it was, and 'hearc ${about.name} cluster' tries again\n`;
  }
  return `${about.table} rewritten in ${about.order}: ${ordered.rows} ${about.rows} in ${ordered.seconds.toFixed(1)} s\n`;
}

export function storageOrderCommand(about: StorageOrderCommand): Command {
  return {
    name: about.name,
    summary: about.summary,
    usage: `usage: hearc ${about.name} cluster --db CATALOG
       hearc ${about.name} status --db CATALOG

${about.explanation}

'cluster' rewrites it now, in one transaction: queries meanwhile see the table as it
was; a failure or an interruption leaves it so. It needs about as much free disk as
the table takes (DuckDB sorts in at most 512 MiB of memory and spills to its temp
directory). 'status' says what is in order and whether the next ingest rewrites it.
While 'hearc serve' owns the catalog, the server runs this command (through its
admin socket). On PostgreSQL ${about.onPostgres} instead.

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
        if (!keepsOrderByRewrite(engine)) {
          io.stderr(
            `hearc ${about.name}: on PostgreSQL ${about.onPostgres}; there is nothing to ${action}\n`,
          );
          return 1;
        }
        await engine.ensureTables(catalogTables);
        if (action === 'cluster') {
          io.stdout(
            formatStorageOrdered(about, await rewriteInStorageOrder(engine, about.ordered)),
          );
          return 0;
        }
        const order = await storageOrder(engine, about.ordered);
        const at = order.orderedAt ? ` (${order.orderedAt.toISOString()})` : '';
        io.stdout(
          `in ${about.order}: ${order.orderedRows} ${about.rows} at the last rewrite${at}\n` +
            `appended since: ${order.appendedRows} ${about.rows}\n` +
            `the next ingest rewrites it: ${storageOrderDue(order, about.ordered) ? 'yes' : 'no'}\n`,
        );
        return 0;
      } finally {
        await engine.close();
      }
    },
  };
}
