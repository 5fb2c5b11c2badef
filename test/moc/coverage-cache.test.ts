/**
 * The coverage is kept in the catalog between starts: a second CoverageCatalog on an
 * unchanged catalog gives the same MOCs, byte for byte in every form, without the
 * observations' stored space MOCs (deleted here: a computation would store them again);
 * an ingest, a withdrawal or a hidden observation released makes it computed again. On
 * DuckDB and PostgreSQL; a catalog without the table (older) or read-only still serves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { type Engine, openEngine } from '../../src/engine/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { withdrawObservations } from '../../src/ingest/withdraw.js';
import {
  type CatalogCoverage,
  type Coverage,
  CoverageCatalog,
  type CoverageCatalogOptions,
  coverageCacheTable,
  type MocFile,
  observationCoverageTable,
} from '../../src/moc/index.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requirePostgres } from '../adql/engines.js';
import { withoutChecksums } from '../helpers/fits-edit.js';
import { freshPostgresCatalog } from '../helpers/postgres.js';
import { twoCollectionCatalog } from '../registry/fixtures.js';

const identifiers = {
  service: () => 'ivo://test.hearc/tap',
  collection: (name: string) => `ivo://test.hearc/${name}`,
};

/** Every form of a MOC (FITS without its checksum cards, which hold the time of writing). */
const files = (file: MocFile) => ({
  fits: withoutChecksums(file.fits).toString('base64'),
  json: file.json,
  ascii: file.ascii,
});

/** Everything a coverage tells, every MOC in every form. */
function told(coverage: Coverage) {
  const { space, time, spaceTime, ...rest } = coverage;
  return { ...rest, space: files(space), time: files(time), spaceTime: files(spaceTime) };
}

function everything(coverage: CatalogCoverage) {
  return {
    state: coverage.state,
    service: told(coverage.service),
    collections: [...coverage.collections].map(([name, c]) => [name, told(c)]),
    withdrawn: [...coverage.withdrawn],
  };
}

async function coverageOf(
  engine: Engine,
  options: CoverageCatalogOptions = {},
): Promise<CatalogCoverage> {
  return new CoverageCatalog(engine, { identifiers, ...options }).current();
}

async function storedMocs(engine: Engine): Promise<number> {
  return (await engine.selectRows(observationCoverageTable)).length;
}

/** Deletes the observations' stored space MOCs: a coverage computed now stores them again. */
async function deleteStoredMocs(engine: Engine): Promise<void> {
  const dids = (await engine.selectRows(observationCoverageTable)).map((r) =>
    String(r.obs_publisher_did),
  );
  await engine.transaction((tx) =>
    tx.deleteRows(observationCoverageTable, 'obs_publisher_did', dids),
  );
}

/**
 * The coverage of the catalog as it is now, from a first CoverageCatalog (computed, the
 * MOCs of the observations stored) and from a second one (loaded: the stored MOCs deleted
 * in between stay deleted); asserts that both tell the same.
 */
async function computedThenLoaded(
  engine: Engine,
  what: string,
  options: CoverageCatalogOptions = {},
): Promise<CatalogCoverage> {
  const computed = await coverageOf(engine, options);
  assert.ok((await storedMocs(engine)) > 0, `${what}: the observations' MOCs are stored`);
  await deleteStoredMocs(engine);
  const loaded = await coverageOf(engine, options);
  assert.equal(await storedMocs(engine), 0, `${what}: computed again instead of loaded`);
  assert.deepEqual(everything(loaded), everything(computed), what);
  return loaded;
}

async function catalogOn(t: TestContext, engineName: 'duckdb' | 'postgres') {
  return twoCollectionCatalog(
    t,
    engineName === 'postgres' ? () => freshPostgresCatalog('coverage_cache') : undefined,
  );
}

for (const engineName of ['duckdb', 'postgres'] as const) {
  test(`${engineName}: a second start loads the coverage the first computed; a change of the catalog computes it again`, async (t) => {
    if (engineName === 'postgres' && !requirePostgres(t)) return;
    const { engine, dir } = await catalogOn(t, engineName);
    t.after(() => engine.close());

    const first = await computedThenLoaded(engine, 'as ingested');
    assert.deepEqual([...first.collections.keys()], ['north', 'south']);
    assert.equal(first.service.observations, 6);
    assert.match(first.service.spaceTime.ascii, /^t\d+\/\d+.* s\d+\/\d+/, 'sky at some times');
    assert.ok((await engine.selectRows(coverageCacheTable)).length >= 3);

    // Another observation ingested (a collection of its own).
    await simulateDataStore({
      outDir: join(dir, 'east'),
      observations: 1,
      seed: 4,
      eventsPerObservation: 100,
      targets: [{ name: 'C', ra: 90, dec: 10 }],
    });
    const report = await ingestDataStore(engine, join(dir, 'east'), {
      authority: 'test.hearc',
      collection: 'east',
      accessMode: 'datalink',
      dataRights: 'public',
    });
    assert.deepEqual(report.failed, []);
    const ingested = await computedThenLoaded(engine, 'one more ingested');
    assert.deepEqual([...ingested.collections.keys()], ['east', 'north', 'south']);
    assert.equal(ingested.service.observations, 7);
    assert.notEqual(ingested.service.space.ascii, first.service.space.ascii);

    // One observation withdrawn.
    const [gone] = await engine.selectRows(obscoreTable, {
      column: 'obs_collection',
      values: ['north'],
    });
    await withdrawObservations(engine, {
      collection: 'north',
      obsIds: [String(gone?.obs_id)],
      by: 'ada',
    });
    const withdrawn = await computedThenLoaded(engine, 'one withdrawn');
    assert.equal(withdrawn.collections.get('north')?.observations, 2);
    assert.deepEqual([...withdrawn.withdrawn.keys()], ['north']);

    // A whole collection hidden (proprietary metadata), then released.
    const south = (
      await engine.selectRows(obscoreTable, { column: 'obs_collection', values: ['south'] })
    ).map((row) => String(row.obs_publisher_did));
    const hiding = { hidden: async () => new Set(south) };
    const hidden = await computedThenLoaded(engine, 'south hidden', hiding);
    assert.deepEqual([...hidden.collections.keys()], ['east', 'north']);
    // Told of before, south is gone while hidden: its record is a deleted one.
    assert.deepEqual([...hidden.withdrawn.keys()], ['north', 'south']);
    const released = await computedThenLoaded(engine, 'south released');
    assert.deepEqual(everything(released), everything(withdrawn));
  });
}

test('a catalog without the stored coverage (older) or read-only still serves its coverage', async (t) => {
  const { engine, db } = await twoCollectionCatalog(t);
  const computed = await coverageOf(engine);
  await engine.dropTables([coverageCacheTable]);
  await engine.close();

  const readOnly = await openEngine(db, { readOnly: true });
  const errors: unknown[] = [];
  try {
    const served = await coverageOf(readOnly, { onStoreError: (error) => errors.push(error) });
    assert.deepEqual(everything(served), everything(computed));
  } finally {
    await readOnly.close();
  }
  assert.ok(errors.length > 0, 'the coverage that could not be stored is told of');

  const older = await openEngine(db);
  t.after(() => older.close());
  assert.deepEqual(everything(await coverageOf(older)), everything(computed));
  assert.ok((await older.selectRows(coverageCacheTable)).length >= 3, 'stored this time');
});
