/**
 * The shared corpus: ADQL queries run on DuckDB and on PostgreSQL + pg_sphere over the
 * same rows (rows.ts); both must give the same answer. `expect` pins the answer for
 * queries where it is known independently (checked on DuckDB, which always runs).
 * `ordered` queries are compared row by row; the others as sorted sets.
 */
export interface CorpusQuery {
  readonly name: string;
  readonly adql: string;
  readonly ordered?: boolean;
  /** The expected rows (numbers compared with a small tolerance). */
  readonly expect?: readonly (readonly unknown[])[];
}

const ids = (...values: number[]): number[][] => values.map((v) => [v]);

export const corpus: readonly CorpusQuery[] = [
  // ------------------------------------------- time windows (the compiler adds implied ranges)
  {
    name: 'time window: t_min >= a AND t_max <= b',
    adql: 'SELECT obs_id FROM ivoa.obscore WHERE t_min >= 53002 AND t_max <= 53005',
    expect: [['20002'], ['20003'], ['20004']],
  },
  {
    name: 'time window: bounds on the left, strict',
    adql: 'SELECT obs_id FROM ivoa.obscore AS o WHERE 53002 < o.t_min AND o.t_max < 53006.5',
    expect: [['20003'], ['20004'], ['20005'], ['20006']],
  },
  {
    name: 'time window: BETWEEN on t_min with an upper bound on t_max',
    adql: 'SELECT obs_id FROM ivoa.obscore WHERE t_min BETWEEN 53001 AND 53003 AND t_max <= 53002.5',
    expect: [['20001'], ['20002']],
  },
  // ---------------------------------------------------------------- basics
  { name: 'select all', adql: 'SELECT * FROM hearc.sample' },
  {
    name: 'projection and alias',
    adql: 'SELECT id, name AS "Label", ra + 1 AS ra1 FROM hearc.sample',
  },
  {
    name: 'TOP with ORDER BY; NULLs sort last ascending',
    adql: 'SELECT TOP 4 id, real_value FROM hearc.sample ORDER BY real_value',
    ordered: true,
    expect: [
      [6, -2.5],
      [4, -0.5],
      [7, 0],
      [10, 1e-3],
    ],
  },
  {
    name: 'NULLs first descending',
    adql: 'SELECT TOP 3 id FROM hearc.sample ORDER BY real_value DESC',
    ordered: true,
    expect: ids(3, 9, 5),
  },
  {
    name: 'OFFSET after ORDER BY',
    adql: 'SELECT id FROM hearc.sample ORDER BY id OFFSET 7',
    ordered: true,
    expect: ids(8, 9, 10),
  },
  {
    name: 'TOP and OFFSET',
    adql: 'SELECT TOP 2 id FROM hearc.sample ORDER BY id DESC OFFSET 1',
    ordered: true,
    expect: ids(9, 8),
  },
  { name: 'DISTINCT', adql: 'SELECT DISTINCT flag FROM hearc.sample' },
  {
    name: 'ORDER BY position and alias',
    adql: 'SELECT id AS k, small FROM hearc.sample ORDER BY 2 DESC, k',
    ordered: true,
  },
  { name: 'empty result', adql: 'SELECT id, name FROM hearc.sample WHERE id > 1000', expect: [] },

  // ---------------------------------------------------------------- numbers
  {
    name: 'integer division truncates toward zero',
    adql: 'SELECT id, small / 4, big / -3, -7 / 2, 7 / 2.0 FROM hearc.sample WHERE id IN (2, 5, 9)',
  },
  {
    name: 'MOD and % keep the sign of the dividend',
    adql: 'SELECT id, MOD(small, 3), small % 4, MOD(real_value, 2), MOD(-7.5, 2) FROM hearc.sample WHERE id IN (2, 6, 9)',
  },
  {
    name: 'division and MOD by zero are NULL',
    adql: 'SELECT id, small / (small - small), ra / (dec - dec), MOD(small, 0), MOD(real_value, 0.0), small % 0 FROM hearc.sample WHERE id = 1',
    expect: [[1, null, null, null, null, null]],
  },
  {
    name: 'ROUND half away from zero; TRUNCATE',
    adql: 'SELECT id, ROUND(real_value), ROUND(real_value, 1), ROUND(ra, -1), TRUNCATE(real_value), TRUNCATE(dec, 1) FROM hearc.sample',
  },
  {
    name: 'math functions',
    adql: 'SELECT id, ABS(small), CEILING(real_value), FLOOR(real_value), SQRT(ABS(dec)), POWER(2, small), EXP(real_value), LOG(ra + 1), LOG10(ra + 1), DEGREES(PI()), RADIANS(180) FROM hearc.sample',
  },
  {
    name: 'trigonometry',
    adql: 'SELECT id, SIN(RADIANS(dec)), COS(RADIANS(dec)), TAN(RADIANS(ra / 4)), ASIN(dec / 90), ACOS(dec / 90), ATAN(ra), ATAN2(dec, ra), COT(RADIANS(45)) FROM hearc.sample WHERE ra > 0',
  },
  {
    name: 'hexadecimal literals',
    adql: 'SELECT id FROM hearc.sample WHERE big = 0x58 OR small = 0X9',
    expect: ids(8, 9),
  },
  {
    name: 'literal types',
    adql: 'SELECT 1, 2.5, 1e3, -4, 3000000000 FROM hearc.sample WHERE id = 1',
    expect: [[1, 2.5, 1000, -4, 3000000000]],
  },
  {
    name: 'CAST',
    adql: "SELECT id, CAST(real_value AS INTEGER), CAST(big AS DOUBLE PRECISION), CAST(small AS REAL), CAST(id AS BIGINT), CAST(id AS SMALLINT), CAST(name AS VARCHAR(3)), CAST(name AS CHAR), CAST(id AS VARCHAR(10)), CAST('42' AS INTEGER) FROM hearc.sample",
  },
  {
    name: 'IN_UNIT',
    adql: "SELECT obs_id, IN_UNIT(t_exptime, 'h'), IN_UNIT(em_min, 'nm'), IN_UNIT(s_fov, 'arcmin') FROM ivoa.obscore",
  },

  // ---------------------------------------------------------------- strings
  {
    name: 'LOWER, UPPER, ||',
    adql: "SELECT id, LOWER(name), UPPER(name), name || '/' || LOWER(name) FROM hearc.sample",
  },
  {
    name: 'LIKE with % and _',
    adql: "SELECT id FROM hearc.sample WHERE name LIKE '_e%'",
    expect: ids(2, 7),
  },
  {
    name: 'LIKE is case-sensitive',
    adql: "SELECT id FROM hearc.sample WHERE name LIKE 'b%'",
    expect: [],
  },
  { name: 'ILIKE', adql: "SELECT id FROM hearc.sample WHERE name ILIKE 'b%'", expect: ids(2) },
  {
    name: 'backslash is not an escape character',
    adql: "SELECT id FROM hearc.sample WHERE name LIKE '%c\\d'",
    expect: ids(9),
  },
  {
    name: 'NOT LIKE and NULL',
    adql: "SELECT id FROM hearc.sample WHERE name NOT LIKE '%a%'",
    expect: ids(5, 8, 10),
  },
  {
    name: 'quotes in literals',
    adql: "SELECT id FROM hearc.sample WHERE name = 'O''Brien'",
    expect: ids(5),
  },
  {
    name: 'string comparison and ordering',
    adql: "SELECT id, name FROM hearc.sample WHERE name > 'B' ORDER BY name",
    ordered: true,
  },

  // ---------------------------------------------------------------- NULLs, booleans, timestamps
  {
    name: 'IS NULL / IS NOT NULL',
    adql: 'SELECT id FROM hearc.sample WHERE flag IS NULL OR ra IS NULL',
    expect: ids(3, 7),
  },
  {
    name: 'COALESCE',
    adql: "SELECT id, COALESCE(name, 'none'), COALESCE(small, big, 0) FROM hearc.sample",
  },
  {
    name: 'boolean compared with 1',
    adql: 'SELECT id FROM hearc.sample WHERE flag = 1',
    expect: ids(1, 4, 6, 9),
  },
  {
    name: 'boolean compared with FALSE',
    adql: 'SELECT id FROM hearc.sample WHERE flag = FALSE',
    expect: ids(2, 5, 8, 10),
  },
  {
    name: 'timestamps',
    adql: "SELECT id, obs_time FROM hearc.sample WHERE obs_time >= '2020-01-01' AND obs_time < '2021-01-01T00:00:00'",
  },
  {
    name: 'CAST to TIMESTAMP and BETWEEN',
    adql: "SELECT id FROM hearc.sample WHERE obs_time BETWEEN CAST('2019-01-01' AS TIMESTAMP) AND TIMESTAMP('2020-01-01T00:00:00')",
    expect: ids(1, 4, 10),
  },
  {
    name: 'timestamp compared with a string expression',
    adql: "SELECT id FROM hearc.sample WHERE obs_time = UPPER('2018-07-04T08:00:00')",
    expect: ids(7),
  },
  {
    name: 'NULL arithmetic',
    adql: 'SELECT id, small + NULL, real_value * 2 FROM hearc.sample WHERE id IN (3, 4)',
  },

  // ---------------------------------------------------------------- aggregates
  {
    name: 'aggregates',
    adql: 'SELECT COUNT(*), COUNT(name), COUNT(DISTINCT flag), SUM(small), SUM(real_value), AVG(small), MIN(name), MAX(obs_time), MIN(ra) FROM hearc.sample',
  },
  {
    name: 'GROUP BY and HAVING',
    adql: 'SELECT flag, COUNT(*) AS n, MAX(small) FROM hearc.sample GROUP BY flag HAVING COUNT(*) > 1 ORDER BY n DESC, flag',
    ordered: true,
  },
  {
    name: 'GROUP BY an expression',
    adql: 'SELECT small / 4 AS q, COUNT(*) FROM hearc.sample GROUP BY small / 4',
  },
  {
    name: 'aggregate of an empty set',
    adql: 'SELECT COUNT(*), SUM(small), MAX(name) FROM hearc.sample WHERE id < 0',
    expect: [[0, null, null]],
  },

  // ---------------------------------------------------------------- joins
  {
    name: 'inner join with ON',
    adql: 'SELECT o.obs_id, h.energy_min FROM ivoa.obscore AS o JOIN ivoa.obscore_hea AS h ON o.obs_publisher_did = h.obs_publisher_did',
  },
  {
    name: 'LEFT OUTER JOIN USING',
    adql: 'SELECT obs_publisher_did, obs_id, ev_xel FROM ivoa.obscore LEFT OUTER JOIN ivoa.obscore_hea USING (obs_publisher_did)',
  },
  {
    name: 'RIGHT JOIN USING keeps the right-hand key',
    adql: 'SELECT obs_publisher_did, obs_id FROM ivoa.obscore RIGHT JOIN ivoa.obscore_hea USING (obs_publisher_did)',
  },
  {
    name: 'FULL OUTER JOIN USING merges the key',
    adql: 'SELECT obs_publisher_did, s_ra, event_type FROM ivoa.obscore FULL OUTER JOIN ivoa.obscore_hea USING (obs_publisher_did)',
  },
  { name: 'NATURAL JOIN', adql: 'SELECT * FROM ivoa.obscore NATURAL JOIN ivoa.obscore_hea' },
  {
    name: 'CROSS JOIN and comma join',
    adql: 'SELECT a.id, b.id FROM hearc.sample AS a CROSS JOIN hearc.sample AS b, ivoa.obscore_hea AS h WHERE a.id < 3 AND b.id > 8 AND h.ev_xel > 6000',
  },
  {
    name: 'LEFT OUTER JOIN without a join specification keeps left rows (empty right side)',
    adql: 'SELECT a.id, b.id FROM hearc.sample AS a LEFT OUTER JOIN (SELECT id FROM hearc.sample WHERE id > 100) AS b WHERE a.id <= 2',
    expect: [
      [1, null],
      [2, null],
    ],
  },
  {
    name: 'RIGHT JOIN without a join specification pairs every row',
    adql: 'SELECT a.id, b.id FROM hearc.sample AS a RIGHT JOIN hearc.sample AS b WHERE a.id <= 2 AND b.id <= 2',
    expect: [
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
    ],
  },
  {
    name: 'FULL OUTER JOIN without a specification, parenthesised, joined again',
    adql: 'SELECT a.id, b.id, c.id FROM (hearc.sample AS a FULL OUTER JOIN (SELECT id FROM hearc.sample WHERE id > 100) AS b) LEFT JOIN hearc.sample AS c ON c.id = a.id + 1 WHERE a.id IN (1, 10)',
    expect: [
      [1, null, 2],
      [10, null, null],
    ],
  },
  {
    name: 'crossmatch with DISTANCE (preferred syntax)',
    adql: 'SELECT s.id, o.obs_id FROM hearc.sample AS s JOIN ivoa.obscore AS o ON DISTANCE(s.ra, s.dec, o.s_ra, o.s_dec) < 1',
    expect: [
      [4, '20004'],
      [5, '20004'],
      [5, '20005'],
      [4, '20005'],
    ],
  },
  {
    name: 'crossmatch with CONTAINS and a point column',
    adql: 'SELECT s.id, o.obs_id FROM hearc.sample AS s, ivoa.obscore AS o WHERE 1 = CONTAINS(s.pos, CIRCLE(o.s_ra, o.s_dec, 0.3))',
    expect: [
      [4, '20005'],
      [5, '20005'],
    ],
  },

  // ---------------------------------------------------------------- subqueries, sets, WITH
  {
    name: 'IN subquery',
    adql: 'SELECT obs_id FROM ivoa.obscore WHERE obs_publisher_did IN (SELECT obs_publisher_did FROM ivoa.obscore_hea)',
    expect: [['20001'], ['20002'], ['20003']],
  },
  {
    name: 'NOT IN list',
    adql: 'SELECT id FROM hearc.sample WHERE id NOT IN (1, 2, 3, 4, 5, 6)',
    expect: ids(7, 8, 9, 10),
  },
  {
    name: 'correlated EXISTS',
    adql: 'SELECT o.obs_id FROM ivoa.obscore AS o WHERE NOT EXISTS (SELECT * FROM ivoa.obscore_hea AS h WHERE h.obs_publisher_did = o.obs_publisher_did)',
  },
  {
    name: 'scalar subquery',
    adql: 'SELECT id, (SELECT MAX(big) FROM hearc.sample) - big FROM hearc.sample WHERE big > (SELECT AVG(big) FROM hearc.sample WHERE big < 1000)',
  },
  {
    name: 'derived table',
    adql: 'SELECT s.k, s.n FROM (SELECT flag AS k, COUNT(*) AS n FROM hearc.sample GROUP BY flag) AS s WHERE s.n >= 3',
  },
  {
    name: 'UNION removes duplicates',
    adql: 'SELECT flag FROM hearc.sample UNION SELECT flag FROM hearc.sample',
  },
  {
    name: 'UNION ALL with ORDER BY',
    adql: 'SELECT id FROM hearc.sample WHERE id < 3 UNION ALL SELECT id FROM hearc.sample WHERE id < 2 ORDER BY id',
    ordered: true,
    expect: ids(1, 1, 2),
  },
  {
    name: 'EXCEPT and INTERSECT',
    adql: 'SELECT id FROM hearc.sample EXCEPT SELECT id FROM hearc.sample WHERE id > 2 INTERSECT SELECT id FROM hearc.sample WHERE id < 5',
    expect: ids(1, 2, 5, 6, 7, 8, 9, 10),
  },
  {
    name: 'TOP inside a set operation',
    adql: '(SELECT TOP 1 id FROM hearc.sample ORDER BY id DESC) UNION (SELECT TOP 1 id FROM hearc.sample ORDER BY id)',
    expect: ids(1, 10),
  },
  {
    name: 'WITH and a column list',
    adql: 'WITH bright (k, e) AS (SELECT obs_publisher_did, energy_min FROM ivoa.obscore_hea WHERE energy_min < 5e11), n AS (SELECT COUNT(*) AS c FROM bright) SELECT k, e, c FROM bright, n',
  },

  // ---------------------------------------------------------------- geometry
  {
    name: 'cone search',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10.2, 20.2, 0.5))',
    expect: ids(1, 10),
  },
  {
    name: 'cone search across RA = 0/360 (centre at 0.01)',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(0.01, 0.01, 0.1))',
    expect: ids(4, 5),
  },
  {
    name: 'cone search across RA = 0/360 (centre at 359.99)',
    adql: "SELECT id FROM hearc.sample WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 359.99, 0, 0.07)) = 1",
    expect: ids(4, 5),
  },
  {
    // ADQL allows radii up to 180 degrees; pg_sphere's circles stop at 90.
    name: 'cone wider than a hemisphere',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(0, 90, 120))',
  },
  {
    name: 'point intersecting a circle of 179 degrees',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = INTERSECTS(POINT(ra, dec), CIRCLE(180, -89.9, 179))',
  },
  {
    name: 'cone at the north pole',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(0, 90, 0.2))',
    expect: ids(6, 7),
  },
  {
    name: 'cone over the south pole',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(180, -89.9, 0.65))',
    expect: ids(2),
  },
  {
    name: 'cone reaching the north pole',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(90, 89.85, 0.2))',
    expect: ids(6, 7),
  },
  {
    name: 'cone near the pole, wide in RA',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(150, 89.5, 0.45))',
    expect: ids(6),
  },
  {
    name: 'point on the circle boundary is inside',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20.5, 0.5))',
    expect: ids(1, 10),
  },
  {
    name: 'not in the cone',
    adql: 'SELECT id FROM hearc.sample WHERE 0 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 5))',
    expect: ids(2, 4, 5, 6, 7, 8, 9),
  },
  {
    name: 'point column in a circle column',
    adql: 'SELECT id, CONTAINS(pos, cone) FROM hearc.sample',
  },
  {
    name: 'point in polygon columns',
    adql: 'SELECT id, CONTAINS(pos, footprint) FROM hearc.sample',
  },
  {
    name: 'point in a polygon around the pole and across RA = 0',
    adql: 'SELECT s.id, f.id FROM hearc.sample AS s, hearc.sample AS f WHERE 1 = CONTAINS(POINT(s.ra, s.dec), f.footprint)',
  },
  {
    name: 'polygon literal across RA = 0/360',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON(359.5, -0.5, 0.5, -0.5, 0.5, 0.5, 359.5, 0.5))',
    expect: ids(4, 5),
  },
  {
    name: 'polygon of points (non-convex)',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON(POINT(0, 10), POINT(20, 10), POINT(20, 30), POINT(10.5, 20), POINT(0, 30)))',
    expect: ids(1),
  },
  {
    name: 'BOX',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), BOX(10.25, 20.25, 1, 1))',
    expect: ids(1, 10),
  },
  {
    name: 'BOX around a point column',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(pos, BOX(POINT(45, -30), 2, 2))',
    expect: ids(8),
  },
  {
    name: 'INTERSECTS circle with circle',
    adql: 'SELECT a.id, b.id FROM hearc.sample AS a, hearc.sample AS b WHERE a.id < b.id AND 1 = INTERSECTS(a.cone, b.cone)',
  },
  {
    name: 'INTERSECTS circle with polygon',
    adql: 'SELECT a.id, b.id, INTERSECTS(a.cone, b.footprint) FROM hearc.sample AS a, hearc.sample AS b WHERE a.id <= 5 AND b.id >= 5',
  },
  {
    name: 'INTERSECTS polygon with polygon',
    adql: 'SELECT a.id, b.id FROM hearc.sample AS a, hearc.sample AS b WHERE a.id < b.id AND 1 = INTERSECTS(a.footprint, b.footprint)',
  },
  {
    name: 'INTERSECTS with a point means CONTAINS',
    adql: 'SELECT id FROM hearc.sample WHERE 1 = INTERSECTS(CIRCLE(45, -30, 1), pos)',
    expect: ids(8),
  },
  {
    name: 'CONTAINS circle in circle',
    adql: 'SELECT a.id, b.id FROM hearc.sample AS a, hearc.sample AS b WHERE a.id <> b.id AND 1 = CONTAINS(a.cone, b.cone)',
  },
  {
    name: 'CONTAINS polygon in circle and circle in polygon',
    adql: 'SELECT id, CONTAINS(footprint, CIRCLE(10, 20, 2)), CONTAINS(CIRCLE(10, 20, 0.5), footprint), CONTAINS(footprint, CIRCLE(0, 90, 10)) FROM hearc.sample',
  },
  {
    name: 'CONTAINS polygon in polygon',
    adql: 'SELECT id, CONTAINS(footprint, POLYGON(8, 18, 12, 18, 12, 22, 8, 22)) FROM hearc.sample',
  },
  {
    name: 'DISTANCE, both forms',
    adql: 'SELECT id, DISTANCE(pos, POINT(10, 20)), DISTANCE(ra, dec, 0, 90), DISTANCE(POINT(ra, dec), POINT(ra + 180, -dec)) FROM hearc.sample',
  },
  {
    name: 'DISTANCE in WHERE and ORDER BY',
    adql: 'SELECT id, DISTANCE(POINT(ra, dec), POINT(0, 0)) AS d FROM hearc.sample WHERE DISTANCE(POINT(ra, dec), POINT(0, 0)) < 46 ORDER BY d',
    ordered: true,
  },
  {
    name: 'AREA',
    adql: 'SELECT id, AREA(cone), AREA(footprint), AREA(pos), AREA(CIRCLE(0, 0, 1)), AREA(BOX(0, 0, 1, 1)) FROM hearc.sample',
  },
  {
    name: 'CENTROID and COORD1/COORD2',
    adql: 'SELECT id, COORD1(CENTROID(cone)), COORD2(CENTROID(cone)), COORD1(CENTROID(footprint)), COORD2(CENTROID(footprint)), COORD1(pos), COORD2(pos) FROM hearc.sample WHERE id <> 6',
  },
  {
    name: 'geometry values in the result',
    adql: 'SELECT id, pos, cone, POINT(ra, dec), CIRCLE(ra, dec, 1), POLYGON(ra, dec, ra + 1, dec, ra, dec + 1) FROM hearc.sample WHERE id IN (1, 3, 8)',
  },
  { name: 'COORDSYS', adql: 'SELECT id, COORDSYS(pos) FROM hearc.sample' },
  {
    name: 'NULL geometry',
    adql: 'SELECT id, CONTAINS(pos, CIRCLE(0, 0, 90)), DISTANCE(pos, POINT(0, 0)) FROM hearc.sample WHERE pos IS NULL',
    expect: [[3, null, null]],
  },
  {
    name: 'region footprints of observations',
    adql: 'SELECT obs_id FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, CIRCLE(83.6, 22.0, 0.2))',
    expect: [['20001'], ['20002']],
  },
  {
    name: 'observations in a polygon across RA 0',
    adql: 'SELECT obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT(s_ra, s_dec), POLYGON(359, -1, 1, -1, 1, 1, 359, 1))',
    expect: [['20004'], ['20005']],
  },

  // ---------------------------------------------------------------- tokens to the letter
  {
    name: 'a number followed by a name is a value and its alias; 2desc orders',
    adql: 'SELECT id, 89x FROM hearc.sample WHERE id <= 3 ORDER BY 1desc',
    ordered: true,
    expect: [
      [3, 89],
      [2, 89],
      [1, 89],
    ],
  },
  {
    name: 'a string literal continued across a comment and a newline',
    adql: "SELECT id FROM hearc.sample WHERE name = 'al' -- first part\n  'pha' OR name = 'Be'\n'ta'",
    expect: ids(1, 2),
  },

  {
    name: 'geometry constructors with a NULL coordinate system',
    adql: 'SELECT id, COORD1(POINT(NULL, ra, dec)), COORD2(POINT(NULL, ra, dec)) FROM hearc.sample WHERE 1 = CONTAINS(POINT(NULL, ra, dec), CIRCLE(NULL, 10, 20, 1)) AND 1 = INTERSECTS(BOX(NULL, 10, 20, 2, 2), POLYGON(NULL, 9, 19, 11, 19, 10, 21))',
    expect: [
      [1, 10, 20],
      [10, 10.5, 20.5],
    ],
  },

  // ---------------------------------------------------------------- user-defined functions
  {
    name: 'ivo_healpix_index',
    adql: 'SELECT id, ivo_healpix_index(0, ra, dec), ivo_healpix_index(6, ra, dec), ivo_healpix_index(29, ra, dec) FROM hearc.sample',
  },
  {
    name: 'ivo_healpix_center',
    adql: 'SELECT id, ivo_healpix_center(3, ivo_healpix_index(3, ra, dec)) FROM hearc.sample WHERE id NOT IN (6, 7)',
  },
  {
    name: 'ivo_hasword',
    adql: "SELECT id, ivo_hasword(name, 'ray'), ivo_hasword(name, 'NEBULA'), ivo_hasword(name, 'j1745'), ivo_hasword(name, 'gamma ray') FROM hearc.sample",
  },
  {
    name: 'ivo_hashlist_has',
    adql: "SELECT id, ivo_hashlist_has('radio#gamma-ray', 'Gamma-Ray'), ivo_hashlist_has('radio#gamma-ray', 'gamma'), ivo_hashlist_has(name, name) FROM hearc.sample",
  },
  {
    name: 'ivo_string_agg of no values',
    adql: "SELECT ivo_string_agg(name, ',') FROM hearc.sample WHERE id < 0",
  },
  {
    name: 'ivo_nocasematch',
    adql: "SELECT id FROM hearc.sample WHERE 1 = ivo_nocasematch(name, 'c%')",
    expect: ids(6),
  },
  {
    name: 'ivo_interval_overlaps',
    adql: 'SELECT id, ivo_interval_overlaps(small, big, 5, 8) FROM hearc.sample',
  },
  {
    name: 'ivo_string_agg',
    adql: "SELECT flag, ivo_string_agg(name, ',') FROM hearc.sample WHERE id IN (1, 2, 7) GROUP BY flag",
  },
];
