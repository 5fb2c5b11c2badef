/**
 * Resolution against a published schema and result metadata: names and their case
 * rules, scopes (joins, CTEs, subqueries, uploads), and the description of every
 * result column (datatype, arraysize, xtype, unit, UCD).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdqlError, parseAdql, type ResultColumn, resolveAdql } from '../../src/adql/index.js';
import type { TableDef } from '../../src/schema/types.js';
import { testSchema } from './fixtures.js';

const columns = (adql: string, uploads?: readonly TableDef[]): readonly ResultColumn[] =>
  resolveAdql(parseAdql(adql), testSchema, { uploads }).columns;

const names = (adql: string): string[] => columns(adql).map((c) => c.name);

function rejects(adql: string, message: RegExp, uploads?: readonly TableDef[]): void {
  assert.throws(
    () => columns(adql, uploads),
    (err: unknown) => {
      assert.ok(err instanceof AdqlError, `not an AdqlError: ${String(err)}`);
      assert.match(err.message, message, adql);
      return true;
    },
  );
}

test('SELECT * lists the published columns with their metadata, in table order', () => {
  const cols = columns('SELECT * FROM ivoa.obscore_hea');
  assert.deepEqual(
    cols.map((c) => c.name),
    ['obs_publisher_did', 'energy_min', 'energy_max', 'ev_xel', 'event_type'],
  );
  assert.deepEqual(cols[1], {
    name: 'energy_min',
    datatype: 'double',
    unit: 'eV',
    description: 'energy_min column',
  });
});

test('expressions are described: datatype, arraysize, xtype, unit and UCD', () => {
  const cols =
    columns(`SELECT COUNT(*), DISTANCE(POINT(s_ra, s_dec), POINT(1, 2)), POINT(s_ra, s_dec),
      CIRCLE(s_ra, s_dec, 1), POLYGON(1, 2, 3, 4, 5, 6), BOX(1, 2, 3, 4), AREA(s_region), IN_UNIT(t_exptime, 'h'),
      ivo_healpix_index(8, s_ra, s_dec), obs_id || 'x', access_estsize / 2, AVG(s_ra), SUM(access_estsize),
      MAX(obs_release_date), CAST(s_ra AS REAL), CAST(obs_id AS VARCHAR(8)), CAST(obs_id AS CHAR(4)),
      COORD1(POINT(s_ra, s_dec)), ivo_healpix_center(8, 1), CONTAINS(POINT(1, 2), s_region), ABS(s_dec), 1.5, 7, 3000000000
    FROM ivoa.obscore GROUP BY s_ra, s_dec, s_region, t_exptime, obs_id, access_estsize`);
  // The description of the column without its name and free-text description.
  const pick = (i: number): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(cols[i] ?? {}).filter(([k]) => k !== 'name' && k !== 'description'),
    );
  assert.deepEqual(pick(0), { datatype: 'long', ucd: 'meta.number' });
  assert.deepEqual(pick(1), { datatype: 'double', unit: 'deg', ucd: 'pos.angDistance' });
  assert.deepEqual(pick(2), { datatype: 'double', arraysize: '2', xtype: 'point', unit: 'deg' });
  assert.deepEqual(pick(3), { datatype: 'double', arraysize: '3', xtype: 'circle', unit: 'deg' });
  assert.deepEqual(pick(4), { datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg' });
  assert.deepEqual(pick(5), { datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg' });
  assert.deepEqual(pick(6), { datatype: 'double', unit: 'deg**2', ucd: 'phys.angArea' });
  assert.deepEqual(pick(7), { datatype: 'double', unit: 'h', ucd: 'time.duration;obs.exposure' });
  assert.deepEqual(pick(8), { datatype: 'long', ucd: 'pos.healpix' });
  assert.deepEqual(pick(9), { datatype: 'char', arraysize: '*' });
  assert.deepEqual(pick(10), { datatype: 'long' });
  assert.deepEqual(pick(11), { datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' });
  assert.deepEqual(pick(12), { datatype: 'long', unit: 'kbyte' });
  assert.deepEqual(pick(13), { datatype: 'char', arraysize: '*', xtype: 'timestamp' });
  assert.deepEqual(pick(14), { datatype: 'float', unit: 'deg', ucd: 'pos.eq.ra;meta.main' });
  assert.deepEqual(pick(15), { datatype: 'char', arraysize: '8*' });
  assert.deepEqual(pick(16), { datatype: 'char', arraysize: '4' });
  assert.deepEqual(pick(17), { datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra' });
  assert.deepEqual(pick(18), { datatype: 'double', arraysize: '2', xtype: 'point', unit: 'deg' });
  assert.deepEqual(pick(19), { datatype: 'int' });
  assert.deepEqual(pick(20), { datatype: 'double', unit: 'deg', ucd: 'pos.eq.dec;meta.main' });
  assert.deepEqual(pick(21), { datatype: 'double' });
  assert.deepEqual(pick(22), { datatype: 'int' });
  assert.deepEqual(pick(23), { datatype: 'long' });
});

test('result names: aliases as written, defaults from columns and functions, made unique', () => {
  assert.deepEqual(
    names(
      'SELECT s_ra, s_ra, COUNT(*), COUNT(obs_id), s_dec AS "Dec", 1 + 1 FROM ivoa.obscore GROUP BY s_ra, s_dec',
    ),
    ['s_ra', 's_ra_2', 'count', 'count_2', 'Dec', 'expr'],
  );
  assert.deepEqual(names('SELECT o.S_RA, o."s_dec" FROM ivoa.obscore AS o'), ['s_ra', 's_dec']);
});

test('regular identifiers match case-insensitively, delimited ones exactly', () => {
  assert.deepEqual(names('SELECT S_Ra FROM IVOA.ObsCore'), ['s_ra']);
  assert.deepEqual(names('SELECT "s_ra" FROM "ivoa"."obscore"'), ['s_ra']);
  rejects(
    'SELECT "S_RA" FROM ivoa.obscore',
    /unknown column 'S_RA' in ivoa\.obscore; did you mean 's_ra'\?/,
  );
  rejects('SELECT s_ra FROM "IVOA"."obscore"', /unknown table 'IVOA\.obscore'/);
});

test('unknown names get a suggestion and a position', () => {
  rejects(
    'SELECT s_ra2 FROM ivoa.obscore',
    /unknown column 's_ra2' in ivoa\.obscore; did you mean 's_ra'\? \(line 1, column 8\)/,
  );
  rejects(
    'SELECT * FROM ivoa.obscor',
    /unknown table 'ivoa\.obscor'; did you mean 'ivoa\.obscore'\?/,
  );
  rejects(
    'SELECT * FROM nothing_like_it',
    /unknown table 'nothing_like_it'; the tables are ivoa\.obscore, ivoa\.obscore_hea, hearc\.sample/,
  );
  rejects(
    'SELECT x.s_ra FROM ivoa.obscore AS o',
    /unknown table 'x' in this query; did you mean 'o'\?/,
  );
  rejects('SELECT obscore.s_ra FROM ivoa.obscore AS o', /unknown table 'obscore'/);
  rejects(
    'SELECT ivo_hasword2(obs_id, 1) FROM ivoa.obscore',
    /unknown function 'ivo_hasword2' \(neither an ADQL function nor one this service declares\); did you mean 'ivo_hasword'\?/,
  );
  rejects(
    'SELECT wfau_align() FROM ivoa.obscore',
    /unknown function 'wfau_align' \(neither an ADQL function nor one this service declares\); the functions this service adds to ADQL are ivo_healpix_index/,
  );
});

test('tables can be named unqualified, by schema and table, or by alias', () => {
  assert.deepEqual(names('SELECT obscore.s_ra, ivoa.obscore.s_dec FROM obscore'), [
    's_ra',
    's_dec',
  ]);
  assert.deepEqual(names('SELECT o.s_ra FROM ivoa.obscore o'), ['s_ra']);
  rejects('SELECT * FROM cat.ivoa.obscore', /catalog names are not supported/);
});

test('ambiguous names are rejected, USING columns are not ambiguous', () => {
  rejects(
    'SELECT obs_publisher_did FROM ivoa.obscore AS o JOIN ivoa.obscore_hea AS h ON o.obs_publisher_did = h.obs_publisher_did',
    /column name 'obs_publisher_did' is ambiguous: it is in o and h; qualify it, e\.g\. o\.obs_publisher_did/,
  );
  assert.deepEqual(
    names(
      'SELECT obs_publisher_did FROM ivoa.obscore JOIN ivoa.obscore_hea USING (obs_publisher_did)',
    ),
    ['obs_publisher_did'],
  );
  assert.equal(
    names('SELECT * FROM ivoa.obscore NATURAL JOIN ivoa.obscore_hea').filter(
      (n) => n === 'obs_publisher_did',
    ).length,
    1,
  );
  rejects('SELECT * FROM ivoa.obscore, ivoa.obscore', /'obscore' is used twice in FROM/);
  rejects(
    'SELECT * FROM ivoa.obscore JOIN ivoa.obscore_hea USING (s_ra)',
    /USING column 's_ra' is not in the right table/,
  );
});

test('derived tables, CTEs and correlated subqueries have their own scopes', () => {
  assert.deepEqual(names('SELECT q.n FROM (SELECT COUNT(*) AS n FROM ivoa.obscore) AS q'), ['n']);
  assert.deepEqual(names('WITH a (k) AS (SELECT s_ra FROM ivoa.obscore) SELECT k FROM a'), ['k']);
  assert.deepEqual(
    names('WITH obscore AS (SELECT 1 AS one FROM ivoa.obscore_hea) SELECT one FROM obscore'),
    ['one'],
  );
  assert.deepEqual(
    names(
      'SELECT o.obs_id FROM ivoa.obscore AS o WHERE EXISTS (SELECT * FROM ivoa.obscore_hea AS h WHERE h.obs_publisher_did = o.obs_publisher_did)',
    ),
    ['obs_id'],
  );
  rejects(
    'WITH a (k, l) AS (SELECT s_ra FROM ivoa.obscore) SELECT k FROM a',
    /2 column names are given for a query with 1 columns/,
  );
  rejects('SELECT q.s_ra FROM (SELECT s_dec FROM ivoa.obscore) AS q', /unknown column 's_ra' in q/);
  rejects(
    'WITH a AS (SELECT 1 AS x FROM ivoa.obscore), a AS (SELECT 2 AS y FROM ivoa.obscore) SELECT * FROM a',
    /defined twice/,
  );
});

test('uploaded tables are reachable only for the query they come with', () => {
  const upload: TableDef = {
    schema: 'tap_upload',
    name: 'mine',
    description: 'uploaded',
    columns: [
      { name: 'ra', datatype: 'double', unit: 'deg', description: '' },
      { name: 'dec', datatype: 'double', unit: 'deg', description: '' },
    ],
  };
  const adql =
    'SELECT m.ra, o.obs_id FROM TAP_UPLOAD.mine AS m JOIN ivoa.obscore AS o ON 1 = CONTAINS(POINT(m.ra, m.dec), CIRCLE(o.s_ra, o.s_dec, 1))';
  assert.deepEqual(
    columns(adql, [upload]).map((c) => c.name),
    ['ra', 'obs_id'],
  );
  rejects(adql, /unknown table 'TAP_UPLOAD\.mine'/);
});

test('ORDER BY and GROUP BY may name result columns; positions are checked', () => {
  assert.deepEqual(names('SELECT s_ra AS x FROM ivoa.obscore ORDER BY x'), ['x']);
  assert.deepEqual(names('SELECT s_ra / 10 AS band, COUNT(*) FROM ivoa.obscore GROUP BY band'), [
    'band',
    'count',
  ]);
  rejects(
    'SELECT s_ra FROM ivoa.obscore ORDER BY 2',
    /ORDER BY position 2 is out of range: the result has 1 columns/,
  );
  rejects(
    'SELECT s_ra FROM ivoa.obscore UNION SELECT s_dec FROM ivoa.obscore ORDER BY s_dec',
    /ORDER BY after a set operation can only name a result column \(s_ra\)/,
  );
});

test('grouping and aggregate rules are checked with clear messages', () => {
  rejects(
    'SELECT s_ra, COUNT(*) FROM ivoa.obscore',
    /column s_ra in the select list must be listed in GROUP BY/,
  );
  rejects(
    'SELECT s_ra FROM ivoa.obscore GROUP BY s_dec',
    /column s_ra in the select list must be listed in GROUP BY/,
  );
  rejects('SELECT * FROM ivoa.obscore GROUP BY s_ra', /SELECT \* cannot be used with GROUP BY/);
  rejects(
    'SELECT s_ra FROM ivoa.obscore WHERE COUNT(*) > 1',
    /aggregate function COUNT cannot be used in WHERE; use HAVING/,
  );
  rejects('SELECT MAX(MIN(s_ra)) FROM ivoa.obscore', /cannot be nested/);
  assert.deepEqual(names('SELECT s_ra + 1, COUNT(*) FROM ivoa.obscore GROUP BY s_ra + 1'), [
    'expr',
    'count',
  ]);
  assert.deepEqual(names("SELECT ivo_string_agg(obs_id, ',') FROM ivoa.obscore"), [
    'ivo_string_agg',
  ]);
  rejects(
    'SELECT DISTINCT obs_id FROM ivoa.obscore ORDER BY s_ra',
    /with SELECT DISTINCT, ORDER BY can only use columns of the result/,
  );
  assert.deepEqual(
    names(
      'SELECT DISTINCT obs_id, s_ra + 1 AS x FROM ivoa.obscore ORDER BY obs_id, x, s_ra + 1, 2',
    ),
    ['obs_id', 'x'],
  );
});

test('types are checked where ADQL defines them', () => {
  rejects('SELECT * FROM ivoa.obscore WHERE obs_id = 5', /cannot compare a string with an integer/);
  rejects(
    'SELECT obs_id + 1 FROM ivoa.obscore',
    /the left operand of '\+' must be an integer or a floating-point number, not a string/,
  );
  rejects('SELECT * FROM ivoa.obscore WHERE s_region = s_region', /geometries cannot be compared/);
  rejects(
    'SELECT CONTAINS(s_ra, s_region) FROM ivoa.obscore',
    /argument 1 of CONTAINS must be a POINT, a CIRCLE, a POLYGON or a MOC, not a floating-point number/,
  );
  rejects(
    'SELECT CONTAINS(s_region, POINT(1, 2)) FROM ivoa.obscore',
    /the point is the first argument/,
  );
  rejects(
    'SELECT DISTANCE(s_region, POINT(1, 2)) FROM ivoa.obscore',
    /argument 1 of DISTANCE must be a POINT, not a POLYGON/,
  );
  rejects(
    "SELECT IN_UNIT(s_ra, 'm') FROM ivoa.obscore",
    /IN_UNIT: 'deg' cannot be converted to 'm'/,
  );
  rejects("SELECT IN_UNIT(ev_xel, 'm') FROM ivoa.obscore_hea", /its unit is not known/);
  rejects(
    "SELECT IN_UNIT(s_ra, 'furlong') FROM ivoa.obscore",
    /'furlong' is not a unit this service knows/,
  );
  rejects(
    'SELECT CAST(s_region AS POINT) FROM ivoa.obscore',
    /CAST to POINT is not supported for a POLYGON/,
  );
  rejects(
    "SELECT REGION('Circle ICRS 1 2 3') FROM ivoa.obscore",
    /REGION is deprecated and not supported/,
  );
  rejects(
    'SELECT ivo_healpix_index(1, 2) FROM ivoa.obscore',
    /ivo_healpix_index takes 3 arguments \(hpxOrder, ra, dec\), not 2/,
  );
  rejects(
    'SELECT s_ra FROM ivoa.obscore UNION SELECT obs_id FROM ivoa.obscore',
    /column 1 of UNION mixes a floating-point number with a string/,
  );
  rejects(
    'SELECT s_ra FROM ivoa.obscore WHERE s_ra IN (SELECT s_ra, s_dec FROM ivoa.obscore)',
    /the subquery of IN must return one column, not 2/,
  );
  rejects(
    'SELECT (SELECT s_ra, s_dec FROM ivoa.obscore) FROM ivoa.obscore',
    /must return one column, not 2/,
  );
  rejects(
    'SELECT POLYGON(s_ra, s_dec, 1, 2, 3) FROM ivoa.obscore',
    /POLYGON needs at least three vertices/,
  );
});

test('set operations take their metadata from the left-hand query', () => {
  const cols = columns(
    'SELECT s_ra AS x FROM ivoa.obscore UNION ALL SELECT energy_min FROM ivoa.obscore_hea',
  );
  assert.deepEqual(
    cols.map((c) => [c.name, c.unit]),
    [['x', 'deg']],
  );
  assert.equal(
    columns('SELECT ev_xel FROM ivoa.obscore_hea UNION SELECT s_ra FROM ivoa.obscore')[0]?.datatype,
    'double',
  );
});
