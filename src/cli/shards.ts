/** `hearc shards add|list`: partitions of hearc.events on other PostgreSQL servers (postgres_fdw). */
import {
  addShard,
  EngineError,
  isPostgresLocation,
  openEngine,
  shardPlacements,
} from '../engine/index.js';
import { eventsTable } from '../events/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

/** '0-5,7' → [0, 1, 2, 3, 4, 5, 7]. */
export function parsePartitionList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`--partitions: '${part}' is not a number or a range like 0-5`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (hi < lo) throw new UsageError(`--partitions: the range '${part}' runs backwards`);
    for (let p = lo; p <= hi; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

export const shardsCommand: Command = {
  name: 'shards',
  summary: 'put partitions of hearc.events on other PostgreSQL servers (postgres_fdw)',
  usage: `usage: hearc shards add SHARD_URL --db COORDINATOR_URL [--partitions 0-5,7]
       hearc shards list --db COORDINATOR_URL

On a PostgreSQL catalog hearc.events is partitioned by HEALPix base cell (12
partitions, 0 to 11). 'add' moves the partitions named (default: all that are
still local) to the database at SHARD_URL (postgres://user@host:port/db; created
tables, no extension needed there) and attaches them as postgres_fdw foreign
tables: queries and ingest then reach them through the coordinator.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { db: { type: 'string' }, partitions: { type: 'string' } },
      true,
    );
    const [action, shardUrl, ...rest] = positionals;
    const db = stringOption(values, 'db');
    if (!db || !isPostgresLocation(db)) {
      throw new UsageError('--db must name the coordinator PostgreSQL catalog (postgres://…)');
    }
    // The catalog's tables (hearc.events partitioned) exist before shards are added.
    const engine = await openEngine(db, { connections: 1 });
    try {
      await engine.ensureTables(catalogTables);
    } finally {
      await engine.close();
    }
    if (action === 'list' && shardUrl === undefined) {
      io.stdout('partition\ttable\tshard\n');
      for (const p of await shardPlacements(db, eventsTable)) {
        io.stdout(`${p.partition}\t${p.name}\t${p.location ?? 'local'}\n`);
      }
      return 0;
    }
    if (action !== 'add' || shardUrl === undefined || rest.length > 0) {
      throw new UsageError(
        'expected: hearc shards add SHARD_URL --db URL, or hearc shards list --db URL',
      );
    }
    if (!isPostgresLocation(shardUrl))
      throw new UsageError(`'${shardUrl}' is not a postgres:// URL`);
    const listed = stringOption(values, 'partitions');
    const placements = await shardPlacements(db, eventsTable);
    const partitions = listed
      ? parsePartitionList(listed)
      : placements.filter((p) => !p.server).map((p) => p.partition);
    let report;
    try {
      report = await addShard(db, shardUrl, eventsTable, partitions);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      io.stderr(`error: ${error.message}\n`);
      return 1;
    }
    io.stdout(
      `partitions ${report.attached.join(', ') || 'none'} of hearc.events are on ${report.server} (${report.movedRows} events moved)\n`,
    );
    return 0;
  },
};
