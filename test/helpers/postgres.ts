/** A PostgreSQL database of its own for one test, dropped once the test file's tests have ended. */
import { after } from 'node:test';
import postgres from 'postgres';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';

export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';

const made: string[] = [];

// Dropped after every test of the file and its own clean-up: a test's `after` hooks run
// in the order they were added, so a drop added when the database is made would end the
// connections of a server the test still runs (and closes afterwards).
after(async () => {
  if (made.length === 0) return;
  const cleanup = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    for (const database of made.splice(0)) {
      await cleanup.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  } finally {
    await cleanup.end();
  }
});

/**
 * Creates `<prefix>_<pid>_<time>` on the local server and opens a catalog engine on it.
 * The test closes the engine; the database is dropped when the file's tests have ended.
 */
export async function freshPostgresCatalog(prefix: string, connections = 4): Promise<Engine> {
  const database = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  made.push(database);
  return openEngine(`${POSTGRES_SERVER}/${database}`, { connections });
}
