/** `hearc withdraw`: takes observations or a whole collection out of publication. */
import { userInfo } from 'node:os';
import { openEngine } from '../engine/index.js';
import { WithdrawError, withdrawObservations } from '../ingest/withdraw.js';
import { type Command, UsageError } from './command.js';
import { listOption, parseCommandArgs, stringOption } from './options.js';
import { publisherFor } from './registry.js';
import {
  serviceDescriptionFrom,
  serviceOptionSpec,
  serviceOptionsUsage,
} from './service-options.js';

export const withdrawCommand: Command = {
  name: 'withdraw',
  summary: 'withdraw observations or a whole collection from publication',
  usage: `usage: hearc withdraw --db CATALOG --collection NAME [--obs-id ID]... [--by USER]

Removes the observations (with --obs-id, repeatable) or the whole collection from
everything the service publishes (ivoa.obscore, ivoa.obscore_hea, hearc.irf,
hearc.events, rights, ingest state), in one transaction: all of it or, on any error,
nothing. Their provenance is kept, with the withdrawal recorded in it; the audit trail
records who withdrew what. When no observation of the collection is left, its registry
record becomes a deleted record in /oai and leaves the RegTAP tables. Ingesting the
store again publishes the observations again. While 'hearc serve' owns a DuckDB
catalog, the server runs this command (through its admin socket).

options:
  --db CATALOG          catalog database (required)
  --collection NAME     the collection (required)
  --obs-id ID           only this observation (repeatable; default: the whole collection)
  --by USER             who withdraws (default: the system user)
  --authority AUTH      IVOA authority of the registry records
${serviceOptionsUsage}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...serviceOptionSpec,
      db: { type: 'string' },
      collection: { type: 'string' },
      'obs-id': { type: 'string', multiple: true },
      by: { type: 'string' },
      authority: { type: 'string' },
    });
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument '${positionals[0]}': give --obs-id ID`);
    }
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const collection = stringOption(values, 'collection');
    if (!collection) throw new UsageError('--collection is required');
    const obsIds = listOption(values, 'obs-id');
    const service = serviceDescriptionFrom(values);
    const engine = await openEngine(db);
    try {
      const report = await withdrawObservations(engine, {
        collection,
        ...(obsIds.length > 0 ? { obsIds } : {}),
        by: stringOption(values, 'by') ?? userInfo().username,
        via: 'hearc withdraw',
        service,
      });
      // The registry's RegTAP rows follow the catalog, as after ingest.
      await publisherFor(engine, service, { closedLeftOut: true }).publishRegtap();
      for (const w of report.withdrawn) io.stdout(`withdrawn: ${collection} ${w.obsId}\n`);
      io.stdout(
        report.collectionWithdrawn
          ? `collection ${collection} withdrawn whole: its registry record is now a deleted record\n`
          : `withdrew ${report.withdrawn.length} observation(s) of collection ${collection}\n`,
      );
      return 0;
    } catch (error) {
      if (!(error instanceof WithdrawError)) throw error;
      io.stderr(`hearc withdraw: ${error.message}; nothing was withdrawn\n`);
      return 1;
    } finally {
      await engine.close();
    }
  },
};
