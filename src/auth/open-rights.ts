/**
 * Rights filters that hide nothing, left out. Compiled ADQL reads a rights-bearing table
 * (hearc.events) through a filter: a semi-join of each row's key on the visible ObsCore
 * rows, 15-20 % of an events cone on DuckDB. When no row of the table is hidden from an
 * anonymous caller (so from no one: a group only adds rows, and time only releases
 * them), the filter returns the whole table and may be left out.
 *
 * That judgement holds for the catalog as it was: it is made at a mark (Engine.markOf
 * the table, ObsCore and the owning groups: DuckDB's commit counts, PostgreSQL's commit
 * log) and a query compiled without the filter carries it. The engine runs it only on a
 * snapshot that holds no later commit to those tables (QueryOptions.whenUnchanged); else
 * it runs the filtered query. So does every query until a judgement is made at the
 * current mark, and every query of tables the engine cannot check (a PostgreSQL table
 * with a partition on a shard).
 */
import { compileAdql, type RowVisibility, type SqlDialect } from '../adql/index.js';
import type { Engine } from '../engine/types.js';
import { type CommitMark, qualifiedName, type TableDef } from '../schema/types.js';

/** How long a judgement that the filter hides rows stands without a commit (releases come with time). */
const HIDING_RECHECK_MS = 10 * 60_000;
/** After a failed judgement, the next try waits this long. */
const FAILED_RECHECK_MS = 60_000;

interface Judgement {
  /** The mark judged at; undefined when the tables cannot be checked (then closed). */
  readonly commits: number | undefined;
  readonly open: boolean;
  /** The time it was judged at: a clock set back before it (a test's) makes it judged again. */
  readonly at: number;
  /** When a closed judgement is made again even without a commit. */
  readonly until: number;
}

export class OpenRights {
  private readonly judged = new Map<string, Judgement>();
  private readonly judging = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly clock: () => Date,
  ) {}

  /**
   * The commit counts at which the rights filter of `table` was judged to hide nothing,
   * when they are the counts now; undefined otherwise (a judgement at the counts now is
   * then begun, for the queries after this one).
   */
  openAt(
    table: TableDef,
    rights: RowVisibility['rights'],
    dialect: SqlDialect,
  ): CommitMark | undefined {
    const tables = [table, rights.observations, rights.owners].filter(
      (t, i, all) => all.findIndex((u) => qualifiedName(u) === qualifiedName(t)) === i,
    );
    const commits = this.engine.markOf(tables);
    const key = `${dialect.name}\n${qualifiedName(table)}`;
    const judgement = this.judged.get(key);
    const now = this.clock().getTime();
    if (
      judgement !== undefined &&
      judgement.commits === commits &&
      now >= judgement.at &&
      (judgement.open || now < judgement.until)
    ) {
      return judgement.open && commits !== undefined ? { tables, commits } : undefined;
    }
    if (!this.closed && !this.judging.has(key)) {
      const done = this.judge(key, table, tables, commits, rights, dialect).finally(() =>
        this.judging.delete(key),
      );
      this.judging.set(key, done);
    }
    return undefined;
  }

  /** Waits for the judgements under way. */
  async settled(): Promise<void> {
    await Promise.all(this.judging.values());
  }

  /** Begins no judgement more and waits for those under way (before the engine closes). */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  /**
   * Counts the rows an anonymous caller sees through the filter and all the rows, on a
   * snapshot with exactly the commits of `mark` (else it learns nothing, and the next
   * query asks again).
   */
  private async judge(
    key: string,
    table: TableDef,
    tables: readonly TableDef[],
    known: number | undefined,
    rights: RowVisibility['rights'],
    dialect: SqlDialect,
  ): Promise<void> {
    const now = this.clock();
    const record = (commits: number | undefined, open: boolean, recheckMs: number): void =>
      void this.judged.set(key, {
        commits,
        open,
        at: now.getTime(),
        until: now.getTime() + recheckMs,
      });
    // A mark not known yet (PostgreSQL: not read since this process wrote) is read first.
    const commits = known ?? (await this.engine.readMark(tables));
    if (commits === undefined) return record(undefined, false, HIDING_RECHECK_MS);
    const mark: CommitMark = { tables, commits };
    const count = `SELECT COUNT(*) AS n FROM ${qualifiedName(table)}`;
    const schema = { tables: [table] };
    const anonymous: RowVisibility = {
      filters: (t) => qualifiedName(t) === qualifiedName(table),
      rights,
      now,
      groups: [],
    };
    try {
      const visible = compileAdql(count, schema, dialect, { visibility: anonymous }).sql;
      const every = compileAdql(count, schema, dialect).sql;
      // The statement given has the alternative's columns and types (QueryOptions).
      const unknown = 'SELECT CAST(NULL AS BIGINT) AS visible, CAST(NULL AS BIGINT) AS every';
      const cursor = await this.engine.stream(unknown, {
        whenUnchanged: {
          sql: `SELECT (${visible}) AS visible, (${every}) AS every`,
          since: [mark],
        },
      });
      let row: readonly unknown[] | undefined;
      try {
        for await (const batch of cursor) row ??= batch[0];
      } finally {
        await cursor.close();
      }
      const [seen, all] = row ?? [];
      if (seen === null || seen === undefined || all === null || all === undefined) return;
      record(commits, String(seen) === String(all), HIDING_RECHECK_MS);
    } catch {
      // The filter stays; a catalog without the table yet, say, is judged again later.
      record(commits, false, FAILED_RECHECK_MS);
    }
  }
}
