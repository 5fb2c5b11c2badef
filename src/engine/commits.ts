/**
 * Write transactions committed per catalog in this process, in all and per table written:
 * engines opened on the same catalog (hearc serve and the admin commands it runs for the
 * CLI) count each other's. A cache of some tables asks about those tables only, so that
 * writes elsewhere (the audit trail, job records) leave it valid.
 */
const committed = new Map<string, number>();

/** `table` is the qualified name of a table written (schema.name). */
const tableKey = (catalog: string, table: string): string => `${catalog}\n${table}`;

export function countCommit(catalog: string, tables: Iterable<string> = []): void {
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
