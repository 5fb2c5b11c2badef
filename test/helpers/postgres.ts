/** A PostgreSQL database of its own for one test, dropped when the test ends. */
import type { TestContext } from 'node:test';
import postgres from 'postgres';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';

export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';

/** Creates `<prefix>_<pid>_<time>` on the local server and opens a catalog engine on it. */
export async function freshPostgresCatalog(
  t: Pick<TestContext, 'after'>,
  prefix: string,
  connections = 4,
): Promise<Engine> {
  const database = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  t.after(async () => {
    const cleanup = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
    try {
      await cleanup.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } finally {
      await cleanup.end();
    }
  });
  return openEngine(`${POSTGRES_SERVER}/${database}`, { connections });
}
