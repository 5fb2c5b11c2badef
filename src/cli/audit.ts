/** `hearc audit`: the audit trail kept in the catalog (refusals, reads of non-public data, ADQL on them). */
import { AuditTrail, describeAuditEvent } from '../auth/index.js';
import { openEngine } from '../engine/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'show the audit trail: refused accesses, reads of data not yet public',
  usage: `usage: hearc audit --db CATALOG [--since ISO-DATE] [--user USER] [--json]

Prints the events in time order, one a line: denied (who, dataset, path, why),
granted (a read of data that are not public), query (an ADQL query of an
identified caller on tables whose rows are under access rights) and withdrawn (a
dataset an operator withdrew with 'hearc withdraw').
  --since ISO-DATE  only events at or after this time (e.g. 2026-12-01 or 2026-12-01T10:00Z)
  --user USER       only this user's events
  --json            one JSON object per line
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      since: { type: 'string' },
      user: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const sinceText = stringOption(values, 'since');
    const since = sinceText !== undefined ? new Date(sinceText) : undefined;
    if (since !== undefined && Number.isNaN(since.getTime()))
      throw new UsageError(`--since must be an ISO 8601 date or time (got '${sinceText}')`);
    const user = stringOption(values, 'user');
    const engine = await openEngine(db);
    try {
      await engine.ensureTables(catalogTables);
      const events = await new AuditTrail(engine).list({
        ...(since ? { since } : {}),
        ...(user !== undefined ? { user } : {}),
      });
      for (const event of events) {
        io.stdout(
          values.json === true
            ? `${JSON.stringify(event)}\n`
            : `${event.at.toISOString()} ${describeAuditEvent(event)}\n`,
        );
      }
      return 0;
    } finally {
      await engine.close();
    }
  },
};
