/**
 * The ObsCore catalog the TAP benchmarks query: the rows ingest makes for a few
 * simulated observations, repeated with positions, times and energies spread over
 * the sky, ten years and four decades of energy. Run alone, it fills a catalog that
 * several benchmark runs can share (bench/tap.ts --postgres-catalog):
 *
 *   node --import tsx bench/obscore-catalog.ts --db CATALOG [--rows 100000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openEngine } from '../src/engine/index.js';
import type { CatalogRow, Engine, SqlValue } from '../src/engine/types.js';
import { catalogTables } from '../src/ingest/catalog.js';
import { ingestDataStore } from '../src/ingest/ingest.js';
import { obscoreTable } from '../src/obscore/schema.js';
import { simulateDataStore } from '../src/sim/simulate.js';

/**
 * Deterministic pseudo-random numbers in [0, 1): the LCG of C's rand(), in exact 32-bit
 * arithmetic (the product in doubles lost its low bits and cycled after a few thousand
 * values: 1e5 rows held 6,573 distinct positions).
 */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state & 0x7fffffff) / 2147483648;
  };
}

/** ObsCore rows of a few simulated observations, as ingest makes them. */
export async function templateRows(dir: string): Promise<CatalogRow[]> {
  const store = join(dir, 'store');
  await simulateDataStore({ outDir: store, observations: 4, seed: 5, eventsPerObservation: 100 });
  const engine = await openEngine(join(dir, 'template.duckdb'));
  try {
    await engine.ensureTables(catalogTables);
    await ingestDataStore(engine, store, {
      authority: 'bench.hearc',
      collection: 'bench',
      accessMode: 'datalink',
      dataRights: 'public',
      releaseDate: new Date('2020-01-01T00:00:00Z'),
    });
    return await engine.selectRows(obscoreTable);
  } finally {
    await engine.close();
  }
}

/** `count` observations spread over the sky, ten years and four decades of energy. */
function* syntheticRows(template: readonly CatalogRow[], count: number): Generator<CatalogRow[]> {
  const random = randomSource(42);
  const mjd0 = 58_000;
  let batch: CatalogRow[] = [];
  for (let i = 0; i < count; i++) {
    const base = template[i % template.length] as CatalogRow;
    const ra = random() * 360;
    const dec = Math.asin(2 * random() - 1) * (180 / Math.PI) * 0.9;
    const half = 2.5;
    const dra = half / Math.cos((dec * Math.PI) / 180);
    const tMin = mjd0 + random() * 3650;
    const eMin = 10 ** (-1.5 + random() * 2) * 1e12; // eV
    const obsId = String(1_000_000 + i);
    const row: Record<string, SqlValue> = {
      ...base,
      obs_id: obsId,
      obs_publisher_did: `ivo://bench.hearc/bench?${obsId}`,
      s_ra: ra,
      s_dec: dec,
      s_region: [
        (ra - dra + 360) % 360,
        dec - half,
        (ra + dra) % 360,
        dec - half,
        (ra + dra) % 360,
        dec + half,
        (ra - dra + 360) % 360,
        dec + half,
      ],
      t_min: tMin,
      t_max: tMin + 0.02,
      em_min: 1.239841984e-6 / (eMin * 100),
      em_max: 1.239841984e-6 / eMin,
    };
    batch.push(row);
    if (batch.length === 5000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Fills the catalog and closes it; `adjust` changes rows before they are written (rights, say). */
export async function fillCatalog(
  engine: Engine,
  template: readonly CatalogRow[],
  rows: number,
  adjust: (row: CatalogRow) => CatalogRow = (row) => row,
) {
  await engine.ensureTables(catalogTables);
  await engine.transaction(async (tx) => {
    for (const batch of syntheticRows(template, rows)) {
      await tx.insertRows(obscoreTable, batch.map(adjust));
    }
  });
  await engine.close();
}

// Run alone: fill the catalog named by --db.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { db: { type: 'string' }, rows: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help === true || values.db === undefined) {
    console.log(
      'usage: node --import tsx bench/obscore-catalog.ts --db CATALOG [--rows 100000]\n\n' +
        'Fills CATALOG (a DuckDB file or a postgres:// URL of an existing database with\n' +
        'pg_sphere) with ObsCore rows spread over the sky, for bench/tap.ts --postgres-catalog.',
    );
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'hearc-obscore-catalog-'));
    try {
      const rows = Number(values.rows ?? 100_000);
      await fillCatalog(await openEngine(values.db), await templateRows(dir), rows);
      console.error(`${values.db}: ${rows} ObsCore rows`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
