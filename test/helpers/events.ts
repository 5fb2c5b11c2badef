/** What tests of hearc.events ask the DuckDB catalog directly: its rows whatever their order, and their storage order. */
import type { Engine } from '../../src/engine/index.js';

/** Rows of a query, bigints as numbers. */
export async function sqlRows(engine: Engine, sql: string): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of await engine.stream(sql)) out.push(...batch.map((r) => [...r]));
  return out.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** The rows of hearc.events, whatever their order: count and a sum of each row's hash (every column). */
export async function eventsDigest(engine: Engine): Promise<string> {
  const [[count, digest] = []] = await sqlRows(
    engine,
    'SELECT count(*), CAST(sum(CAST(hash(e) AS HUGEINT)) AS VARCHAR) FROM hearc.events AS e',
  );
  return `${String(count)} rows, ${String(digest)}`;
}

/** Places in storage order where (cell, time) goes down: 0 when the table is in global order. */
export async function descents(engine: Engine): Promise<number> {
  const [[n] = []] = await sqlRows(
    engine,
    `SELECT count(*) FILTER (WHERE healpix_index < pc OR (healpix_index = pc AND event_time < pt))
     FROM (SELECT healpix_index, event_time, lag(healpix_index) OVER (ORDER BY rowid) AS pc,
                  lag(event_time) OVER (ORDER BY rowid) AS pt FROM hearc.events)`,
  );
  return Number(n);
}
