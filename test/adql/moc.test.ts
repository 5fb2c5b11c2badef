/**
 * MOC-valued CONTAINS and INTERSECTS on rr.stc_spatial.coverage (RegTAP: POINT in the
 * first argument of CONTAINS, CIRCLEs and POLYGONs on either side, MOC(order, geometry)
 * and MOC('ascii') literals as pyvo and the standard's examples write them), on DuckDB
 * and PostgreSQL + pg_sphere, against answers computed with CDS's moc-wasm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdqlError, compileAdql } from '../../src/adql/index.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import { DuckDbEngine } from '../../src/engine/duckdb.js';
import type { Engine } from '../../src/engine/types.js';
import { alertsTable } from '../../src/alerts/index.js';
import { mocLibrary, type SpaceMoc } from '../../src/moc/index.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { rrStcSpatial } from '../../src/schema/regtap.js';
import type { PublishedSchema } from '../../src/schema/types.js';
import { openPostgresCorpus, requirePostgres, runSql } from './engines.js';

const schema: PublishedSchema = { tables: [rrStcSpatial] };
const library = await mocLibrary();

/** Coverages as a registry holds them (order 6), and one resource without any. */
const coverages: Readonly<Record<string, SpaceMoc | null>> = {
  'ivo://test/crab': library.MOC.fromCone(6, 83.63, 22.01, 3),
  'ivo://test/galactic-centre': library.MOC.fromCone(6, 266.4, -28.9, 5),
  'ivo://test/across-ra0': library.MOC.fromCone(6, 359.5, 10, 2),
  'ivo://test/all-sky': library.MOC.fromAscii('0/0-11'),
  'ivo://test/none': null,
};

// Emptiness by ranges (coverage percentages are too coarse); a.minus(b) of moc-wasm 0.11 came out empty.
const within = (a: SpaceMoc, b: SpaceMoc): boolean => a.and(b.not()).nRanges() === 0;
const meets = (a: SpaceMoc, b: SpaceMoc): boolean => a.and(b).nRanges() > 0;
const holdsPoint = (moc: SpaceMoc, ra: number, dec: number): boolean =>
  moc.filterCoos(Float64Array.from([ra, dec]))[0] === 1;

/** Each query and the resources moc-wasm says it must return. */
const cases: readonly { adql: string; expected: (moc: SpaceMoc) => boolean }[] = [
  {
    adql: '1 = CONTAINS(POINT(83.63, 22.01), coverage)',
    expected: (m) => holdsPoint(m, 83.63, 22.01),
  },
  {
    adql: "1 = CONTAINS(POINT('ICRS', 0.2, 10.5), coverage)",
    expected: (m) => holdsPoint(m, 0.2, 10.5),
  },
  { adql: 'CONTAINS(POINT(180, -80), coverage) = 1', expected: (m) => holdsPoint(m, 180, -80) },
  {
    adql: '1 = CONTAINS(MOC(6, POINT(266.4, -28.9)), coverage)',
    expected: (m) => holdsPoint(m, 266.4, -28.9),
  },
  {
    adql: '1 = CONTAINS(MOC(8, CIRCLE(83.63, 22.01, 0.5)), coverage)',
    expected: (m) => within(library.MOC.fromCone(8, 83.63, 22.01, 0.5), m),
  },
  {
    adql: "1 = CONTAINS(CIRCLE('ICRS', 266.4, -28.9, 1), coverage)",
    expected: (m) => within(library.MOC.fromCone(8, 266.4, -28.9, 1), m),
  },
  {
    adql: '1 = INTERSECTS(coverage, CIRCLE(270, -30, 1))',
    expected: (m) => meets(library.MOC.fromCone(8, 270, -30, 1), m),
  },
  {
    adql: '1 = INTERSECTS(CIRCLE(1, 10, 0.5), coverage)',
    expected: (m) => meets(library.MOC.fromCone(8, 1, 10, 0.5), m),
  },
  {
    adql: '1 = INTERSECTS(coverage, POLYGON(80, 20, 88, 20, 88, 25, 80, 25))',
    expected: (m) => meets(polygonMoc([80, 20, 88, 20, 88, 25, 80, 25]), m),
  },
  {
    adql: '1 = CONTAINS(POLYGON(83, 21.5, 84, 21.5, 84, 22.5, 83, 22.5), coverage)',
    expected: (m) => within(polygonMoc([83, 21.5, 84, 21.5, 84, 22.5, 83, 22.5]), m),
  },
  {
    adql: "1 = CONTAINS(coverage, MOC('0/0-11'))",
    expected: () => true,
  },
  {
    adql: `1 = CONTAINS(coverage, MOC('${ascii(library.MOC.fromCone(6, 83.63, 22.01, 3))}'))`,
    expected: (m) => within(m, library.MOC.fromCone(6, 83.63, 22.01, 3)),
  },
  {
    adql: '1 = CONTAINS(coverage, CIRCLE(266.4, -28.9, 10))',
    expected: (m) => within(m, library.MOC.fromCone(8, 266.4, -28.9, 10)),
  },
  {
    adql: "1 = INTERSECTS(coverage, MOC('3/1 4/700-703'))",
    expected: (m) => meets(library.MOC.fromAscii('3/1 4/700-703'), m),
  },
  {
    adql: '0 = INTERSECTS(coverage, CIRCLE(83.63, 22.01, 1))',
    expected: (m) => !meets(library.MOC.fromCone(8, 83.63, 22.01, 1), m),
  },
];

function ascii(moc: SpaceMoc): string {
  return String(moc.toAscii()).replace(/\s+/g, ' ').trim();
}

function polygonMoc(vertices: readonly number[]): SpaceMoc {
  return library.MOC.fromPolygon(8, Float64Array.from(vertices), false);
}

async function load(engine: Engine): Promise<Engine> {
  await engine.ensureTables(schema.tables);
  await engine.transaction((tx) =>
    tx.insertRows(
      rrStcSpatial,
      Object.entries(coverages).map(([ivoid, moc]) => ({
        ivoid,
        coverage: moc ? ascii(moc) : null,
        ref_system_name: null,
      })),
    ),
  );
  return engine;
}

const expectedIds = (expected: (moc: SpaceMoc) => boolean): string[] =>
  Object.entries(coverages)
    .filter(([, moc]) => moc !== null && expected(moc))
    .map(([ivoid]) => ivoid)
    .sort();

async function check(engine: Engine, dialect: typeof duckDbDialect): Promise<void> {
  for (const { adql, expected } of cases) {
    const query = `SELECT ivoid FROM rr.stc_spatial WHERE ${adql} ORDER BY ivoid`;
    const { sql } = compileAdql(query, schema, dialect);
    const { rows } = await runSql(engine, sql);
    assert.deepEqual(
      rows.map((r) => r[0]),
      expectedIds(expected),
      `${dialect.name}: ${adql}`,
    );
  }
  // The RegTAP example: a MOC literal, joined with the other coverage tables' columns.
  const { sql } = compileAdql(
    'SELECT COUNT(*) AS n FROM rr.stc_spatial WHERE 1=CONTAINS(MOC(8, CIRCLE(210.80, 54.35, 0.3)), coverage)',
    schema,
    dialect,
  );
  assert.deepEqual((await runSql(engine, sql)).rows, [[1]], `${dialect.name}: only the all-sky`);
}

test('MOC-valued CONTAINS and INTERSECTS on DuckDB agree with moc-wasm', async () => {
  const engine = await load(await DuckDbEngine.open(':memory:', { connections: 1 }));
  try {
    await check(engine, duckDbDialect);
  } finally {
    await engine.close();
  }
});

test('MOC-valued CONTAINS and INTERSECTS on PostgreSQL (pg_sphere smoc) agree with moc-wasm', async (t) => {
  if (!requirePostgres(t)) return;
  const engine = await load(await openPostgresCorpus('hearc_adql_moc_test'));
  try {
    await check(engine, postgresDialect);
  } finally {
    await engine.close();
  }
});

test('MOC() and MOC comparisons that cannot be compiled say why', () => {
  const compile = (adql: string) => () =>
    compileAdql(`SELECT ivoid FROM rr.stc_spatial WHERE ${adql}`, schema, duckDbDialect);
  assert.throws(compile("1 = CONTAINS(MOC('6/1-x'), coverage)"), (e: unknown) => {
    assert.ok(e instanceof AdqlError);
    assert.match(e.message, /not part of an ASCII MOC/);
    return true;
  });
  assert.throws(compile('1 = CONTAINS(MOC(30, POINT(1, 2)), coverage)'), /order of MOC/);
  assert.throws(
    compile("MOC('0/1') IS NOT NULL"),
    /MOC\(\) is a value only CONTAINS and INTERSECTS can compare/,
  );
  assert.throws(compile('1 = CONTAINS(coverage, POINT(1, 2))'), /POINT/);
  assert.throws(compile("1 = CONTAINS(MOC('x'), 1)"), /argument 2 of CONTAINS/);
});

/** ObsCore pointings joined to an alert's 90 % region: the ADQL form of the coincidence search. */
const alertSchema: PublishedSchema = { tables: [obscoreTable, alertsTable] };
const alertRegion = library.MOC.fromCone(10, 100, -20, 4);
const pointings: readonly [string, number, number][] = [
  ['centre', 100, -20],
  ['inside', 102.5, -21],
  ['edge-in', 100, -23.95],
  ['edge-out', 100, -24.1],
  ['far', 283.6, 22],
  ['pole', 0, -90],
];

/** A value for each column a table requires; the test reads only pointings and regions. */
const required = (table: typeof obscoreTable) =>
  Object.fromEntries(
    table.columns
      .filter((c) => c.nullable === false)
      .map((c) => [
        c.name,
        c.datatype === 'char' ? 'x' : c.xtype === 'timestamp' ? new Date(0) : 0,
      ]),
  );

async function loadAlertAndPointings(engine: Engine): Promise<Engine> {
  await engine.ensureTables(alertSchema.tables);
  await engine.transaction(async (tx) => {
    await tx.insertRows(
      obscoreTable,
      pointings.map(([obsId, ra, dec]) => ({
        ...required(obscoreTable),
        obs_id: obsId,
        obs_publisher_did: `ivo://test/obs?${obsId}`,
        obs_collection: 'test',
        dataproduct_type: 'event',
        calib_level: 2,
        s_ra: ra,
        s_dec: dec,
      })),
    );
    await tx.insertRows(alertsTable, [
      { ...required(alertsTable), alert_id: 'S1', revision: 1, moc90: ascii(alertRegion) },
      { ...required(alertsTable), alert_id: 'S2', revision: 1, moc90: null },
    ]);
  });
  return engine;
}

async function checkAlertJoin(engine: Engine, dialect: typeof duckDbDialect): Promise<void> {
  const expected = pointings
    .filter(([, ra, dec]) => holdsPoint(alertRegion, ra, dec))
    .map(([obsId]) => obsId)
    .sort();
  assert.deepEqual(expected, ['centre', 'edge-in', 'inside']);
  for (const alert of ['S1', 'S2']) {
    const { sql } = compileAdql(
      'SELECT o.obs_id FROM ivoa.obscore AS o JOIN hearc.alerts AS a ' +
        'ON 1 = CONTAINS(POINT(o.s_ra, o.s_dec), a.moc90) ' +
        `WHERE a.alert_id = '${alert}' ORDER BY o.obs_id`,
      alertSchema,
      dialect,
    );
    const { rows } = await runSql(engine, sql);
    assert.deepEqual(
      rows.map((r) => r[0]),
      alert === 'S1' ? expected : [],
      `${dialect.name}: ${alert}`,
    );
  }
}

test('pointings from the rows in an alert MOC column (ADQL coincidence) on DuckDB', async () => {
  const engine = await loadAlertAndPointings(
    await DuckDbEngine.open(':memory:', { connections: 1 }),
  );
  try {
    await checkAlertJoin(engine, duckDbDialect);
  } finally {
    await engine.close();
  }
});

test('pointings from the rows in an alert MOC column (ADQL coincidence) on PostgreSQL', async (t) => {
  if (!requirePostgres(t)) return;
  const engine = await loadAlertAndPointings(await openPostgresCorpus('hearc_adql_moc_alerts'));
  try {
    await checkAlertJoin(engine, postgresDialect);
  } finally {
    await engine.close();
  }
});
