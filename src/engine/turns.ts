/**
 * One transaction used by two callers at once: statements run one at a time (a
 * connection runs one statement at a time), and a waiting foreground statement goes
 * before waiting background ones, so that bulk appends queued behind the scenes never
 * hold up the caller that decides what comes next.
 */
import type { CatalogTransaction } from './types.js';

export interface TransactionTurns {
  /** The transaction for the caller that waits on each statement. */
  readonly foreground: CatalogTransaction;
  /** The same transaction for work queued behind the scenes (bulk appends). */
  readonly background: CatalogTransaction;
}

export function takeTurns(tx: CatalogTransaction): TransactionTurns {
  const waiting: { readonly foreground: (() => void)[]; readonly background: (() => void)[] } = {
    foreground: [],
    background: [],
  };
  let busy = false;
  const next = (): void => {
    const start = waiting.foreground.shift() ?? waiting.background.shift();
    busy = start !== undefined;
    start?.();
  };
  const inTurn =
    (lane: keyof typeof waiting) =>
    <T>(work: () => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        waiting[lane].push(() => void work().then(resolve, reject).finally(next));
        if (!busy) next();
      });
  const view = (turn: <T>(work: () => Promise<T>) => Promise<T>): CatalogTransaction => ({
    insertRows: (table, rows) => turn(() => tx.insertRows(table, rows)),
    appendColumns: (table, batch) => turn(() => tx.appendColumns(table, batch)),
    deleteRows: (table, column, values) => turn(() => tx.deleteRows(table, column, values)),
    selectRows: (table, where) => turn(() => tx.selectRows(table, where)),
  });
  return { foreground: view(inTurn('foreground')), background: view(inTurn('background')) };
}
