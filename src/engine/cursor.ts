/**
 * The part of query execution both engines share: the timeout and abort signal that
 * cancel a query in the database, and a Cursor that re-batches rows, stops at
 * maxRows and always frees its connection.
 */
import {
  EngineError,
  errorMessage,
  QueryCancelledError,
  type Cursor,
  type QueryOptions,
  type SqlColumnBatch,
  type SqlValue,
} from './types.js';

export type PositionalRow = readonly SqlValue[];

export const DEFAULT_BATCH_SIZE = 2048;

const CANCEL_REPEAT_MS = 100;

/**
 * Watches one query's timeout and abort signal. When either fires it calls the
 * database's cancel action (DuckDB interrupt, PostgreSQL cancel request) and
 * remembers why, so that the error the database then raises becomes a
 * QueryCancelledError.
 */
export class QueryGuard {
  private readonly controller = new AbortController();
  private reason: 'timeout' | 'aborted' | undefined;
  private cancelInDatabase: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.cancel('aborted');

  constructor(private readonly options: QueryOptions) {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) this.cancel('aborted');
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    if (timeoutMs !== undefined && !this.reason) {
      this.timer = setTimeout(() => this.cancel('timeout'), Math.max(0, timeoutMs));
    }
  }

  /** Aborted when the query is cancelled: for waits outside the database (pool queues). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Sets how to stop the statement in the database; runs it now if already cancelled. */
  onCancel(cancelInDatabase: () => void): void {
    this.cancelInDatabase = cancelInDatabase;
    if (this.reason) this.cancelUntilDisposed();
  }

  get cancelled(): boolean {
    return this.reason !== undefined;
  }

  throwIfCancelled(): void {
    if (this.reason) throw this.cancelledError(this.reason);
  }

  /** The error to report for a failure of the query: cancellation wins over the database's message. */
  failure(error: unknown): Error {
    if (this.reason) return this.cancelledError(this.reason);
    if (error instanceof QueryCancelledError || error instanceof EngineError) return error;
    return new EngineError(errorMessage(error), { cause: error });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearInterval(this.retry);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  private cancel(reason: 'timeout' | 'aborted'): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort();
    if (this.cancelInDatabase) this.cancelUntilDisposed();
  }

  /**
   * A cancel that reaches the database just before the statement starts is lost
   * (both DuckDB and PostgreSQL ignore it on an idle connection), so it is repeated
   * until the query has ended and the guard is disposed.
   */
  private cancelUntilDisposed(): void {
    const cancel = this.cancelInDatabase;
    if (!cancel || this.retry) return;
    cancel();
    this.retry = setInterval(cancel, CANCEL_REPEAT_MS).unref();
  }

  private cancelledError(reason: 'timeout' | 'aborted'): QueryCancelledError {
    return reason === 'timeout'
      ? new QueryCancelledError(
          `query cancelled: it ran longer than ${this.options.timeoutMs} ms`,
          reason,
        )
      : new QueryCancelledError('query cancelled: the request was aborted', reason);
  }
}

/** Rows of one running query as the database hands them over, in batches of any size. */
export interface RowSource {
  readonly columnNames: readonly string[];
  /** The next rows, or undefined once the result is exhausted. */
  next(): Promise<PositionalRow[] | undefined>;
  /** The next rows by column (all columns equally long), when the database hands them so. */
  nextColumns?(): Promise<SqlValue[][] | undefined>;
  /** Stops the query if it is still running and frees its connection; called once. */
  finish(exhausted: boolean): Promise<void>;
}

export function guardedCursor(source: RowSource, guard: QueryGuard, options: QueryOptions): Cursor {
  return new GuardedCursor(source, guard, options);
}

class GuardedCursor implements Cursor {
  readonly columnNames: readonly string[];
  private readonly batchSize: number;
  private remaining: number;
  private pending: PositionalRow[] = [];
  private exhausted = false;
  private closing: Promise<void> | undefined;
  private iterating = false;

  constructor(
    private readonly source: RowSource,
    private readonly guard: QueryGuard,
    options: QueryOptions,
  ) {
    this.columnNames = source.columnNames;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.remaining = options.maxRows ?? Number.POSITIVE_INFINITY;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<readonly PositionalRow[]> {
    if (this.iterating) throw new EngineError('a query cursor can be iterated only once');
    this.iterating = true;
    try {
      for (;;) {
        const batch = await this.nextBatch();
        if (batch.length === 0) return;
        yield batch;
      }
    } finally {
      await this.close();
    }
  }

  async *columnBatches(): AsyncGenerator<SqlColumnBatch> {
    if (this.iterating) throw new EngineError('a query cursor can be iterated only once');
    this.iterating = true;
    try {
      for (;;) {
        const columns = await this.nextColumns();
        if (columns === undefined) return;
        let rowCount = columns[0]?.length ?? 0;
        if (rowCount > this.remaining) {
          rowCount = this.remaining;
          for (let c = 0; c < columns.length; c++) columns[c]!.length = rowCount;
        }
        this.remaining -= rowCount;
        if (rowCount > 0) yield { rowCount, columns };
        if (this.remaining === 0) return;
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.guard.dispose();
      await this.source.finish(this.exhausted);
    })();
    return this.closing;
  }

  /** One batch of the database by column; undefined once exhausted. */
  private async nextColumns(): Promise<SqlValue[][] | undefined> {
    this.guard.throwIfCancelled();
    if (this.exhausted || this.closing) return undefined;
    let columns: SqlValue[][] | undefined;
    try {
      if (this.source.nextColumns) columns = await this.source.nextColumns();
      else {
        const rows = await this.source.next();
        columns = rows && columnsOfRows(rows, this.columnNames.length);
      }
    } catch (error) {
      throw this.guard.failure(error);
    }
    // An interrupted DuckDB stream can end quietly: never pass a cut result off as complete.
    this.guard.throwIfCancelled();
    if (columns === undefined) this.exhausted = true;
    return columns;
  }

  private async nextBatch(): Promise<PositionalRow[]> {
    // Past its deadline a query yields nothing more, even rows already fetched.
    this.guard.throwIfCancelled();
    while (this.pending.length < this.batchSize && this.pending.length < this.remaining) {
      if (this.exhausted || this.closing) break;
      this.guard.throwIfCancelled();
      let rows: PositionalRow[] | undefined;
      try {
        rows = await this.source.next();
      } catch (error) {
        throw this.guard.failure(error);
      }
      // An interrupted DuckDB stream can end quietly: never pass a cut result off as complete.
      this.guard.throwIfCancelled();
      if (rows === undefined) this.exhausted = true;
      else for (const row of rows) this.pending.push(row);
    }
    const size = Math.min(this.batchSize, this.remaining, this.pending.length);
    const batch = this.pending.splice(0, size);
    this.remaining -= batch.length;
    return batch;
  }
}

/** Rows as columns. */
function columnsOfRows(rows: readonly PositionalRow[], columnCount: number): SqlValue[][] {
  const columns: SqlValue[][] = [];
  for (let c = 0; c < columnCount; c++) {
    const column = new Array<SqlValue>(rows.length);
    for (let r = 0; r < rows.length; r++) column[r] = rows[r]![c]!;
    columns.push(column);
  }
  return columns;
}
