/** `hearc rights set|show`: the access rights of observations, changed with who/when recorded. */
import { userInfo } from 'node:os';
import {
  isDataRights,
  type ObservationRights,
  RightsError,
  RightsStore,
  checkGroupName,
  publicRightsContradiction,
} from '../auth/index.js';
import { openEngine } from '../engine/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

export function formatRights(rights: readonly ObservationRights[]): string {
  const lines = ['obs_id\tcollection\tdata_rights\trelease_date\tgroup\toverridden'];
  for (const r of rights) {
    lines.push(
      [
        r.obsId ?? '',
        r.collection ?? '',
        r.dataRights,
        r.releaseDate?.toISOString() ?? '-',
        r.ownerGroup ?? '-',
        r.overridden ? 'yes' : 'no',
      ].join('\t'),
    );
  }
  return `${lines.join('\n')}\n`;
}

export const rightsCommand: Command = {
  name: 'rights',
  summary: 'show or set the access rights of observations (release date, owning group)',
  usage: `usage: hearc rights show [OBS_ID...] --db CATALOG [--collection NAME]
       hearc rights set OBS_ID... --db CATALOG [--release-date ISO|none] [--group NAME|none]
                        [--rights public|proprietary|secure] [--collection NAME] [--by USER]

'set' overrides what ingest configured (kept when the store is ingested again) and
records who changed what and when. A running 'hearc serve' applies changes at once,
but a DuckDB catalog has one writer: stop the server first, or use PostgreSQL.

options:
  --db CATALOG          catalog database (required)
  --collection NAME     only observations of this collection
  --release-date ISO    obs_release_date (UTC), or 'none' for never
  --group NAME          owning group (its members read the data before release), or 'none'
  --rights RIGHTS       data_rights: public, proprietary or secure (a future release
                        date or an owning group makes public data proprietary)
  --by USER             who makes the change (default: the system user)
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      collection: { type: 'string' },
      'release-date': { type: 'string' },
      group: { type: 'string' },
      rights: { type: 'string' },
      by: { type: 'string' },
    });
    const [action, ...obsIds] = positionals;
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    if (action !== 'show' && action !== 'set') throw new UsageError("give 'show' or 'set'");
    const collection = stringOption(values, 'collection');
    const engine = await openEngine(db);
    try {
      await engine.ensureTables(catalogTables);
      const store = new RightsStore(engine);
      if (action === 'show') {
        const listed = await store.list(obsIds, collection);
        io.stdout(formatRights(listed));
        const now = new Date();
        for (const rights of listed) {
          const contradiction =
            rights.dataRights === 'public' ? publicRightsContradiction(rights, now) : undefined;
          if (contradiction !== undefined) {
            io.stderr(
              `warning: observation ${rights.obsId ?? rights.did} is public (open to everyone) but has ${contradiction}, which protects nothing; make it proprietary with 'hearc rights set ${rights.obsId ?? ''} --rights proprietary'\n`,
            );
          }
        }
        return 0;
      }
      if (obsIds.length === 0) throw new UsageError('give the obs_id of at least one observation');
      const dateText = stringOption(values, 'release-date');
      let releaseDate: Date | null | undefined;
      if (dateText !== undefined) {
        releaseDate = dateText === 'none' ? null : new Date(dateText);
        if (releaseDate && Number.isNaN(releaseDate.getTime()))
          throw new UsageError(`--release-date '${dateText}' is not an ISO 8601 date`);
      }
      const groupText = stringOption(values, 'group');
      let ownerGroup: string | null | undefined;
      try {
        ownerGroup =
          groupText === undefined
            ? undefined
            : groupText === 'none'
              ? null
              : checkGroupName(groupText);
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
      }
      const rights = stringOption(values, 'rights');
      if (rights !== undefined && !isDataRights(rights))
        throw new UsageError(`--rights must be public, proprietary or secure (got '${rights}')`);
      if (releaseDate === undefined && ownerGroup === undefined && rights === undefined)
        throw new UsageError('give --release-date, --group or --rights');
      const by = stringOption(values, 'by') ?? userInfo().username;
      try {
        const changed = await store.set(
          obsIds,
          {
            ...(rights !== undefined ? { dataRights: rights } : {}),
            ...(releaseDate !== undefined ? { releaseDate } : {}),
            ...(ownerGroup !== undefined ? { ownerGroup } : {}),
          },
          { by, via: 'hearc rights set', at: new Date() },
          collection,
        );
        io.stdout(formatRights(changed));
        for (const rights of changed) {
          if (rights.implied !== undefined)
            io.stderr(`note: observation ${rights.obsId ?? rights.did}: ${rights.implied}\n`);
        }
        return 0;
      } catch (error) {
        if (!(error instanceof RightsError)) throw error;
        io.stderr(`error: ${error.message}\n`);
        return 1;
      }
    } finally {
      await engine.close();
    }
  },
};
