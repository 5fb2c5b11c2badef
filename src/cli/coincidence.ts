/** `hearc coincidence`: the observations that looked at an alert's localisation during its window. */
import {
  CoincidenceCatalog,
  coincidenceQuery,
  everyoneReads,
  runCoincidence,
} from '../coincidence/index.js';
import { DaliError, DaliParameters } from '../dali/index.js';
import { openEngine } from '../engine/index.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

export const coincidenceCommand: Command = {
  name: 'coincidence',
  summary: "list the observations that covered an alert's localisation during its time window",
  usage: `usage: hearc coincidence --db CATALOG --alert ALERT_ID [--revision N] [--before DAYS] [--after DAYS]
       hearc coincidence --db CATALOG --pos "CIRCLE ra dec radius" --time MJD|"MJD MJD"

Searches the published observations whose field of view (s_region) and good time
intervals meet the alert's localisation (hearc.alerts; see 'hearc alerts ingest')
within BEFORE days before and AFTER days after the event (default 1 and 1), and
prints them as CSV ranked by the localisation probability inside the field of view:
obs_publisher_did, obs_id, prob, dt (days from the event to the nearest GTI) and
livetime (s) in the window. Run on the catalog, it sees every observation.

options:
  --db CATALOG          catalog database (required)
  --alert ID            alert_id in hearc.alerts (its latest revision, or --revision)
  --pos REGION          an ad-hoc region instead: CIRCLE ra dec radius (deg, ICRS)
  --time T              with --pos: the event time (MJD), or an interval searched whole
  --before, --after     days searched before and after the event`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      alert: { type: 'string' },
      revision: { type: 'string' },
      pos: { type: 'string' },
      time: { type: 'string' },
      before: { type: 'string' },
      after: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    const params: Record<string, string> = {};
    for (const name of ['alert', 'revision', 'pos', 'time', 'before', 'after']) {
      const value = stringOption(values, name);
      if (value !== undefined) params[name.toUpperCase()] = value;
    }
    const engine = await openEngine(db);
    try {
      const query = await coincidenceQuery(engine, DaliParameters.fromRecord(params));
      const result = await runCoincidence(new CoincidenceCatalog(engine), query, everyoneReads);
      io.stdout('obs_publisher_did,obs_id,prob,dt,livetime\n');
      for (const c of result.visible) {
        io.stdout(`${c.observation.did},${c.observation.obsId},${c.prob},${c.dt},${c.livetime}\n`);
      }
      return 0;
    } catch (error) {
      if (!(error instanceof DaliError)) throw error;
      // Parameter names as the command line spells them.
      io.stderr(
        `error: ${error.message.replace(/\b(ALERT|REVISION|POS|TIME|BEFORE|AFTER)\b/g, (m) => `--${m.toLowerCase()}`)}\n`,
      );
      return 1;
    } finally {
      await engine.close();
    }
  },
};
