/** `hearc alerts ingest FILE…`: GCN notices, VOEvents and HEALPix skymaps into hearc.alerts. */
import { AlertError, alertTables, readAlertFile, storeAlert } from '../alerts/index.js';
import { openEngine } from '../engine/index.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'ingest multi-messenger alerts (GCN JSON, VOEvent, HEALPix skymaps) into hearc.alerts',
  usage: `usage: hearc alerts ingest FILE... --db CATALOG

Reads each FILE — a GCN notice in the unified JSON schema (validated against
@nasa-gcn/schema), a VOEvent 2.0 document, or a HEALPix skymap in FITS (multi-order
NUNIQ as LIGO/Virgo/KAGRA publish, or a flat NESTED map) — and stores it in
hearc.alerts with its localisation (probability map, 50 % and 90 % credible MOCs).
A new revision of a stored alert is added beside the older ones; the same document
again changes nothing. A file that cannot be read is reported (exit code 1) and the
others are still stored.

options:
  --db CATALOG          catalog database (required)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { db: { type: 'string' } });
    const [action, ...files] = positionals;
    if (action !== 'ingest') throw new UsageError(`unknown action '${action ?? ''}' (use: ingest)`);
    if (files.length === 0) throw new UsageError('give at least one alert file');
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const engine = await openEngine(db);
    let failed = 0;
    try {
      await engine.ensureTables(alertTables);
      for (const file of files) {
        try {
          const done = await storeAlert(engine, await readAlertFile(file));
          io.stdout(`${done.status} ${done.alertId} revision ${done.revision} (${file})\n`);
        } catch (error) {
          if (!(error instanceof AlertError)) throw error;
          failed++;
          io.stderr(`error: ${error.message}\n`);
        }
      }
    } finally {
      await engine.close();
    }
    return failed > 0 ? 1 : 0;
  },
};
