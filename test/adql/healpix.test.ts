/**
 * ivo_healpix_index / ivo_healpix_center (nested scheme) against astropy-healpix, on
 * DuckDB and on PostgreSQL: the same cells and centres on both engines.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { compileAdql, type SqlDialect } from '../../src/adql/index.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import type { Engine } from '../../src/engine/types.js';
import type { TableDef } from '../../src/schema/types.js';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { openDuckDbCorpus, openPostgresCorpus, requirePostgres, runSql } from './engines.js';
import { testSchema } from './fixtures.js';

/** [order, ra, dec, nested index, centre ra, centre dec], computed with astropy-healpix 0.6. */
const pinned: readonly (readonly [number, number, number, string, number, number])[] = [
  [10, 22.86435217072281, -90.0, '8388608', 45.0, -89.95431463934247],
  [10, 284.55231058851047, 41.8103148958, '3827353', 284.5458984375, 41.810314895778596],
  [10, 67.94798384292774, -41.8103148958, '8759961', 67.9833984375, -41.810314895778596],
  [8, 31.013996928326307, 40.985673430455364, '39222', 31.113281250000004, 41.01449966573052],
  [3, 181.10369854690632, 41.8103148958, '170', 185.62499999999997, 41.810314895778596],
  [29, 311.7229978679762, 90.0, '1152921504606846975', 315.0, 89.9999999128621],
  [16, 86.86482318756771, -83.50148956616447, '34427247345', 86.86909210815564, -83.50205884374897],
  [13, 173.5855254224517, -41.8103148958, '626615658', 173.5894775390625, -41.810314895778596],
  [0, 313.89206166373543, 80.87863072099191, '3', 315.0, 41.810314895778596],
  [13, 329.89587335789565, 62.06263682279902, '256601285', 329.89161849710985, 62.06154622427917],
];

type Case = readonly [order: number, ra: number, dec: number];

/** The positions to test, as a table (like a TAP upload) so that one query covers them all. */
const cases: TableDef = {
  schema: 'tap_upload',
  name: 'healpix_cases',
  description: 'positions',
  columns: [
    { name: 'k', datatype: 'int', description: 'case number' },
    { name: 'o', datatype: 'int', description: 'order' },
    { name: 'ra', datatype: 'double', description: 'ra' },
    { name: 'dec', datatype: 'double', description: 'dec' },
  ],
};

const healpixQuery =
  'SELECT k, ivo_healpix_index(o, ra, dec), ivo_healpix_center(o, ivo_healpix_index(o, ra, dec)) FROM TAP_UPLOAD.healpix_cases ORDER BY k';

async function compute(engine: Engine, dialect: SqlDialect, list: readonly Case[]) {
  await engine.ensureTables([cases]);
  await engine.transaction(async (tx) => {
    await tx.deleteRows(
      cases,
      'k',
      (await tx.selectRows(cases)).map((r) => r.k ?? null),
    );
    await tx.insertRows(
      cases,
      list.map(([o, ra, dec], k) => ({ k, o, ra, dec })),
    );
  });
  const sql = compileAdql(healpixQuery, testSchema, dialect, { uploads: [cases] }).sql;
  const { rows } = await runSql(engine, sql);
  return rows.map((row) => ({ ipix: String(row[1]), center: row[2] as number[] }));
}

function assertMatches(
  got: { ipix: string; center: readonly number[] },
  want: readonly [string, number, number],
  what: string,
): void {
  assert.equal(got.ipix, want[0], `${what}: index`);
  const [ra, dec] = got.center as [number, number];
  assert.ok(Math.abs(dec - want[2]) < 1e-9, `${what}: centre dec ${dec} vs ${want[2]}`);
  const dra = Math.abs(((ra - want[1] + 540) % 360) - 180);
  assert.ok(dra < 1e-9 || Math.abs(dec) > 89.99999, `${what}: centre ra ${ra} vs ${want[1]}`);
}

/** Deterministic pseudo-random cases: all orders, with extra weight at poles and at |z| = 2/3. */
function generatedCases(count: number): Case[] {
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const boundary = (Math.asin(2 / 3) * 180) / Math.PI;
  return Array.from({ length: count }, (_, i) => {
    const order = i % 30;
    const ra = random() * 360;
    const choice = i % 5;
    // Near (not exactly on: there rounding decides) the polar/equatorial boundary |z| = 2/3.
    const nearBoundary = boundary + (random() - 0.5) * 1e-3;
    const dec = [
      85 + random() * 5,
      -nearBoundary,
      nearBoundary,
      random() * 180 - 90,
      -85 - random() * 5,
    ][choice] as number;
    return [order, ra, dec] as const;
  });
}

let duckdb: Engine;
before(async () => {
  duckdb = await openDuckDbCorpus();
});
after(async () => {
  await duckdb?.close();
});

test('pinned astropy-healpix values on DuckDB', async () => {
  const got = await compute(
    duckdb,
    duckDbDialect,
    pinned.map(([o, ra, dec]) => [o, ra, dec]),
  );
  pinned.forEach(([o, ra, dec, ipix, cra, cdec], i) =>
    assertMatches(got[i]!, [ipix, cra, cdec], `order ${o} (${ra}, ${dec})`),
  );
});

test('DuckDB agrees with astropy-healpix on 600 positions', async (t) => {
  if (
    !requireChecker(t, 'astropy-healpix (Debian python3-astropy-healpix)', [
      PYTHON,
      '-c',
      'import astropy_healpix',
    ])
  )
    return;
  const positions = generatedCases(600);
  const script = `
import json, sys
import astropy.units as u
from astropy_healpix import core
out = []
for o, ra, dec in json.load(sys.stdin):
    ipix = int(core.lonlat_to_healpix(ra * u.deg, dec * u.deg, 2 ** o, order='nested'))
    lon, lat = core.healpix_to_lonlat(ipix, 2 ** o, order='nested')
    out.append([str(ipix), float(lon.to(u.deg).value), float(lat.to(u.deg).value)])
json.dump(out, sys.stdout)`;
  const run = spawnSync(PYTHON, ['-c', script], {
    input: JSON.stringify(positions),
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const reference = JSON.parse(run.stdout) as [string, number, number][];
  const got = await compute(duckdb, duckDbDialect, positions);
  positions.forEach((c, i) => assertMatches(got[i]!, reference[i]!, `case ${JSON.stringify(c)}`));
});

test('PostgreSQL gives the same cells and centres as DuckDB', async (t) => {
  if (!requirePostgres(t)) return;
  const pg = await openPostgresCorpus('hearc_adql_healpix');
  try {
    const positions = [
      ...pinned.map(([o, ra, dec]) => [o, ra, dec] as const),
      ...generatedCases(600),
    ];
    const fromPg = await compute(pg, postgresDialect, positions);
    const fromDuck = await compute(duckdb, duckDbDialect, positions);
    positions.forEach((c, i) => {
      const d = fromDuck[i]!;
      assertMatches(fromPg[i]!, [d.ipix, d.center[0]!, d.center[1]!], `case ${JSON.stringify(c)}`);
    });
  } finally {
    await pg.close();
  }
});
