/**
 * Write transactions committed per catalog in this process, in all and per table written:
 * engines opened on the same catalog (hearc serve and the admin commands it runs for the
 * CLI) count each other's. A cache of some tables asks about those tables only, so that
 * writes elsewhere (the audit trail, job records) leave it valid.
 *
 * A write is counted after its COMMIT has returned, so for a moment a commit is in the
 * catalog and not yet in the count: `commitsUnderWay` covers that moment (from before
 * COMMIT is sent until the write is counted; a write without a transaction of its own,
 * from before its first statement), for readers that must know that what they read, or
 * kept, holds no commit the count misses.
 */
const committed = new Map<string, number>();
const underWay = new Map<string, number>();

/** `table` is the qualified name of a table written (schema.name). */
const tableKey = (catalog: string, table: string): string => `${catalog}\n${table}`;

function countCommit(catalog: string, tables: Iterable<string>): void {
  committed.set(catalog, (committed.get(catalog) ?? 0) + 1);
  for (const table of tables) {
    const key = tableKey(catalog, table);
    committed.set(key, (committed.get(key) ?? 0) + 1);
  }
}

/** Commits to the catalog, or (with `tables`) commits that wrote one of these tables. */
export function commitsTo(catalog: string, tables?: readonly string[]): number {
  if (tables === undefined) return committed.get(catalog) ?? 0;
  let sum = 0;
  for (const table of tables) sum += committed.get(tableKey(catalog, table)) ?? 0;
  return sum;
}

/**
 * Marks a commit to the catalog as under way. The function returned ends the mark (the
 * first call only): given the tables the commit wrote, it counts the commit first; without
 * them, the write is not counted (DDL, a checkpoint).
 */
export function beginCommit(catalog: string): (written?: Iterable<string>) => void {
  underWay.set(catalog, (underWay.get(catalog) ?? 0) + 1);
  let ended = false;
  return (written) => {
    if (ended) return;
    ended = true;
    try {
      if (written !== undefined) countCommit(catalog, written);
    } finally {
      const left = (underWay.get(catalog) ?? 1) - 1;
      if (left > 0) underWay.set(catalog, left);
      else underWay.delete(catalog);
    }
  };
}

/** Commits to the catalog sent by this process and not yet counted by `commitsTo`. */
export function commitsUnderWay(catalog: string): number {
  return underWay.get(catalog) ?? 0;
}
