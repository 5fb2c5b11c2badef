/**
 * Prepared statements kept per DuckDB connection, by SQL text. DuckDB parses, binds and
 * plans a statement on the calling (JS) thread; the same query text (a client's repeated
 * cone) then skips that work. Only what the caller marks is kept (compiled ADQL, which
 * reads tables only): DuckDB binds such a statement again when a table it reads changed,
 * but not one that reads the catalog through a table function (pragma_storage_info kept
 * across a rewrite failed with an internal error). Every kept statement also goes when
 * the catalog's generation moves (the engine counts its writes), and one that fails is
 * dropped. Only single statements are kept; the oldest used goes past `capacity`.
 */
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';

interface Kept {
  generation: number;
  readonly statements: Map<string, DuckDBPreparedStatement>;
}

export class PreparedStatements {
  private readonly byConnection = new WeakMap<DuckDBConnection, Kept>();

  constructor(private readonly capacity = 32) {}

  /**
   * The statement of `sql` on this connection, prepared now or kept from before at the
   * same catalog `generation`; undefined for several statements.
   */
  async get(
    connection: DuckDBConnection,
    sql: string,
    generation: number,
  ): Promise<DuckDBPreparedStatement | undefined> {
    let entry = this.byConnection.get(connection);
    if (entry === undefined) {
      entry = { generation, statements: new Map() };
      this.byConnection.set(connection, entry);
    } else if (entry.generation !== generation) {
      for (const statement of entry.statements.values()) statement.destroySync();
      entry.statements.clear();
      entry.generation = generation;
    }
    const kept = entry.statements;
    const found = kept.get(sql);
    if (found !== undefined) {
      // Most recently used last.
      kept.delete(sql);
      kept.set(sql, found);
      return found;
    }
    const extracted = await connection.extractStatements(sql);
    if (extracted.count !== 1) return undefined;
    const prepared = await extracted.prepare(0);
    kept.set(sql, prepared);
    if (kept.size > this.capacity) {
      const [oldest, statement] = kept.entries().next().value as [string, DuckDBPreparedStatement];
      kept.delete(oldest);
      statement.destroySync();
    }
    return prepared;
  }

  /** Drops the statement of `sql` (after it failed: prepared again next time). */
  drop(connection: DuckDBConnection, sql: string): void {
    const kept = this.byConnection.get(connection)?.statements;
    const statement = kept?.get(sql);
    if (statement === undefined) return;
    kept?.delete(sql);
    statement.destroySync();
  }
}
