/**
 * Write transactions committed per catalog in this process: engines opened on the same
 * catalog (hearc serve and the admin commands it runs for the CLI) count each other's.
 */
const committed = new Map<string, number>();

export function countCommit(catalog: string): void {
  committed.set(catalog, (committed.get(catalog) ?? 0) + 1);
}

export function commitsTo(catalog: string): number {
  return committed.get(catalog) ?? 0;
}
