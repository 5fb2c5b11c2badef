/** The job store that fits a catalog: shared PostgreSQL, or a catalog one process owns. */
import { isPostgresLocation } from './index.js';
import { DuckDbJobStore } from './job-store-duckdb.js';
import { PostgresJobStore } from './job-store-postgres.js';
import type { JobStore } from './job-store.js';
import type { Engine } from './types.js';

/**
 * `location` is the catalog as given to openEngine: with a `postgres://` URL the jobs
 * are shared between the nodes using that database; otherwise (DuckDB, or no location)
 * this process is taken to be the only one running jobs in the catalog.
 */
export function openJobStore(engine: Engine, location?: string): JobStore {
  return location !== undefined && isPostgresLocation(location) && engine.dialect === 'postgres'
    ? PostgresJobStore.open(location, engine)
    : new DuckDbJobStore(engine);
}

export type { JobParameter, JobQuery, JobStore, JobUpdate, StoredJob } from './job-store.js';
