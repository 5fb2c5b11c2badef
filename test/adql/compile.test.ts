/**
 * The SQL the dialects generate: limits, quoting, the constructs that differ between
 * DuckDB and PostgreSQL, and the index-friendly geometry forms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AdqlError,
  adqlLanguageFeatures,
  compileAdql,
  parseAdql,
  userDefinedFunctions,
} from '../../src/adql/index.js';
import { duckDbDialect } from '../../src/engine/dialect/duckdb.js';
import { postgresDialect } from '../../src/engine/dialect/postgres.js';
import { observationRightsTable } from '../../src/auth/tables.js';
import { obscoreTable, publishedSchema } from '../../src/obscore/schema.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { testSchema } from './fixtures.js';

const duck = (adql: string, maxRows?: number): string =>
  compileAdql(adql, testSchema, duckDbDialect, { maxRows }).sql;
const pg = (adql: string, maxRows?: number): string =>
  compileAdql(adql, testSchema, postgresDialect, { maxRows }).sql;

test('TOP and the service limit combine into one LIMIT (the smaller), OFFSET is kept', () => {
  assert.match(duck('SELECT TOP 5 id FROM hearc.sample'), / LIMIT 5$/);
  assert.match(duck('SELECT TOP 5 id FROM hearc.sample', 3), / LIMIT 3$/);
  assert.match(duck('SELECT TOP 5 id FROM hearc.sample', 30), / LIMIT 5$/);
  assert.match(duck('SELECT id FROM hearc.sample', 30), / LIMIT 30$/);
  assert.doesNotMatch(duck('SELECT id FROM hearc.sample'), /LIMIT/);
  assert.match(
    duck('SELECT TOP 5 id FROM hearc.sample ORDER BY id OFFSET 10', 3),
    /ORDER BY "id" ASC NULLS LAST LIMIT 3 OFFSET 10$/,
  );
  assert.match(
    duck('SELECT id FROM hearc.sample UNION SELECT id FROM hearc.sample', 7),
    /\) LIMIT 7$/,
  );
  assert.match(duck('SELECT id FROM hearc.sample', 0), / LIMIT 0$/);
  assert.throws(() => duck('SELECT id FROM hearc.sample', -1), RangeError);
});

test('every identifier is quoted and every string literal escaped', () => {
  const sql = duck(
    `SELECT "name" AS "we""ird", 'it''s' AS s FROM hearc.sample AS "My Table" WHERE name = 'x''; DROP TABLE y; --'`,
  );
  assert.match(sql, /AS "we""ird"/);
  assert.match(sql, /'it''s'/);
  assert.match(sql, /= 'x''; DROP TABLE y; --'/);
  assert.match(sql, /FROM "hearc"\."sample" AS "t1"/);
  assert.doesNotMatch(sql, /My Table/);
});

test('SELECT * lists the published columns, never the table’s others', () => {
  const sql = duck('SELECT * FROM ivoa.obscore_hea');
  assert.equal(
    sql,
    'SELECT "t1"."obs_publisher_did" AS "obs_publisher_did", "t1"."energy_min" AS "energy_min", "t1"."energy_max" AS "energy_max", "t1"."ev_xel" AS "ev_xel", "t1"."event_type" AS "event_type" FROM "ivoa"."obscore_hea" AS "t1"',
  );
});

test('s_region selected as it is reads its stored STC-S text; wherever the geometry matters, the geometry', () => {
  const obscore = { tables: [obscoreTable] };
  const compile = (adql: string, dialect = duckDbDialect) => compileAdql(adql, obscore, dialect);
  const text = '"t1"."hearc_stcs_s_region" AS "s_region"';
  for (const dialect of [duckDbDialect, postgresDialect]) {
    const star = compile('SELECT * FROM ivoa.obscore', dialect);
    assert.ok(star.sql.includes(text), star.sql);
    const column = star.columns.find((c) => c.name === 's_region');
    assert.deepEqual(
      [column?.stcsText, column?.stcsFrom, column?.xtype],
      [true, undefined, 'adql:REGION'],
    );
  }
  assert.ok(
    compile('SELECT DISTINCT obs_id, s_region FROM ivoa.obscore ORDER BY obs_id').sql.includes(
      text,
    ),
  );
  for (const geometry of [
    'SELECT s_region, count(*) AS n FROM ivoa.obscore GROUP BY s_region',
    'SELECT s_region FROM ivoa.obscore ORDER BY s_region',
    'SELECT s_region FROM ivoa.obscore ORDER BY 1',
    'SELECT x.s_region FROM (SELECT s_region FROM ivoa.obscore) AS x',
    'SELECT s_region FROM ivoa.obscore UNION SELECT s_region FROM ivoa.obscore',
    'SELECT AREA(s_region) AS a FROM ivoa.obscore',
  ]) {
    const compiled = compile(geometry);
    assert.doesNotMatch(compiled.sql, /hearc_stcs/, geometry);
    assert.equal(compiled.columns[0]?.stcsText, undefined, geometry);
  }
  // The text column is not published: ADQL cannot name it.
  assert.throws(() => compile('SELECT hearc_stcs_s_region FROM ivoa.obscore'), AdqlError);
});

test('integer division truncates on both engines; decimals are doubles', () => {
  assert.match(duck('SELECT small / 2 FROM hearc.sample'), /\("t1"\."small" \/\/ NULLIF\(2, 0\)\)/);
  assert.match(pg('SELECT small / 2 FROM hearc.sample'), /\("t1"\."small" \/ NULLIF\(2, 0\)\)/);
  assert.match(duck('SELECT ra / 2 FROM hearc.sample'), /\("t1"\."ra" \/ NULLIF\(2, 0\)\)/);
  assert.match(duck('SELECT 2.5 FROM hearc.sample'), /CAST\(2\.5 AS DOUBLE\)/);
  assert.match(pg('SELECT 2.5 FROM hearc.sample'), /CAST\(2\.5 AS double precision\)/);
  assert.match(pg('SELECT 1e-300 FROM hearc.sample'), /CAST\(1E-300 AS double precision\)/);
});

test('LIKE has no escape character on either engine', () => {
  assert.match(pg("SELECT id FROM hearc.sample WHERE name LIKE 'a\\%'"), /LIKE 'a\\%' ESCAPE ''/);
  assert.doesNotMatch(duck("SELECT id FROM hearc.sample WHERE name LIKE 'a\\%'"), /ESCAPE/);
});

test('1 = CONTAINS(...) is a predicate; a constant cone adds a range prefilter that wraps at RA 0', () => {
  const sql = duck(
    'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(359.9, 10, 0.5))',
  );
  assert.match(sql, /"t1"\."dec" BETWEEN CAST\(9\.4999/);
  assert.match(sql, /"t1"\."ra" BETWEEN CAST\(359\.39/);
  assert.match(sql, /OR "t1"\."ra" BETWEEN CAST\(-0\.6/);
  assert.match(sql, /hearc_in_circle\("t1"\."ra", "t1"\."dec", CAST\(359\.9 AS DOUBLE\)/);
  assert.doesNotMatch(sql, /CAST\(hearc_in_circle/);
  // Near the pole the cone covers every RA: no RA window.
  const polar = duck(
    'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(0, 89.9, 0.5))',
  );
  assert.match(polar, /"t1"\."dec" BETWEEN/);
  assert.doesNotMatch(polar, /"t1"\."ra" BETWEEN/);
  // Not constant: only the exact test.
  assert.doesNotMatch(
    duck('SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), cone)'),
    /BETWEEN/,
  );
  assert.match(
    duck('SELECT id FROM hearc.sample WHERE 0 = CONTAINS(POINT(ra, dec), cone)'),
    /\(NOT hearc_in_circle/,
  );
  assert.match(
    duck('SELECT CONTAINS(POINT(ra, dec), cone) FROM hearc.sample'),
    /CAST\(hearc_in_circle\(.*\) AS INTEGER\)/,
  );
});

test('a constant POLYGON or BOX adds a declination band to the exact test', () => {
  const polygon = duck(
    'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON(0, 60, 90, 60, 45, 50))',
  );
  assert.match(
    polygon,
    /\("t1"\."dec" BETWEEN CAST\(49\.99999\d* AS DOUBLE\) AND CAST\(6\d\.\d+ AS DOUBLE\) AND hearc_in_polygon/,
  );
  assert.match(
    pg('SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), BOX(10, 20, 2, 2))'),
    /"t1"\."dec" BETWEEN CAST\(18\.9/,
  );
  // Around a pole the band reaches the pole.
  assert.match(
    duck(
      'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON(0, 80, 120, 80, 240, 80))',
    ),
    /"t1"\."dec" BETWEEN CAST\(79\.999999 AS DOUBLE\) AND CAST\(90\.000001 AS DOUBLE\)/,
  );
});

test('PostgreSQL uses pg_sphere operators with the column on the left', () => {
  assert.match(
    pg('SELECT id FROM hearc.sample WHERE 1 = CONTAINS(pos, CIRCLE(10, 20, 1))'),
    /WHERE \("t1"\."pos" <@ scircle\(spoint\(radians\(CAST\(10 AS double precision\)\), radians\(CAST\(20 AS double precision\)\)\), radians\(CAST\(1 AS double precision\)\)\)\)/,
  );
  assert.match(
    pg('SELECT id FROM hearc.sample WHERE 1 = INTERSECTS(footprint, cone)'),
    /\("t1"\."footprint" && "t1"\."cone"\)/,
  );
  assert.match(
    pg('SELECT id FROM hearc.sample WHERE 1 = INTERSECTS(cone, pos)'),
    /\("t1"\."pos" <@ "t1"\."cone"\)/,
  );
  const cone = pg(
    'SELECT id FROM hearc.sample WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 1))',
  );
  assert.match(
    cone,
    /"t1"\."dec" BETWEEN .* AND \(spoint\(radians\("t1"\."ra"\), radians\("t1"\."dec"\)\) <@ scircle/,
  );
});

test('DISTANCE(...) < r: a prefilter on DuckDB, an indexable <@ on PostgreSQL, always the exact test', () => {
  const adql =
    'SELECT s.id FROM hearc.sample AS s JOIN ivoa.obscore AS o ON DISTANCE(o.s_ra, o.s_dec, s.ra, s.dec) < 0.01';
  assert.match(
    duck(adql),
    /ON \(hearc_dist\("t2"\."s_ra", "t2"\."s_dec", "t1"\."ra", "t1"\."dec"\) < CAST\(0\.01 AS DOUBLE\)\)/,
  );
  assert.match(
    pg(adql),
    /ON \(\(spoint\(radians\("t2"\."s_ra"\), radians\("t2"\."s_dec"\)\) <@ scircle\(spoint\(radians\("t1"\."ra"\), radians\("t1"\."dec"\)\), radians\(CAST\(0\.01 AS double precision\)\)\)\) AND \(hearc_dist\(/,
  );
  const cone = 'SELECT id FROM hearc.sample WHERE DISTANCE(POINT(10, 20), POINT(ra, dec)) <= 1';
  assert.match(
    duck(cone),
    /\(\("t1"\."dec" BETWEEN .* AND \(hearc_dist\(.*\) <= CAST\(1 AS DOUBLE\)\)\)/,
  );
  assert.match(
    pg(cone),
    /\(spoint\(radians\("t1"\."ra"\), radians\("t1"\."dec"\)\) <@ scircle\(spoint\(radians\(CAST\(10 /,
  );
  // pg_sphere circles stop at 90 degrees: larger bounds stay plain comparisons.
  assert.doesNotMatch(
    pg('SELECT id FROM hearc.sample WHERE DISTANCE(pos, POINT(1, 2)) < 120'),
    /scircle/,
  );
});

test('ORDER BY puts NULLs last ascending and first descending on both engines', () => {
  for (const sql of [
    duck('SELECT id FROM hearc.sample ORDER BY ra, dec DESC'),
    pg('SELECT id FROM hearc.sample ORDER BY ra, dec DESC'),
  ]) {
    assert.match(sql, /ORDER BY "t1"\."ra" ASC NULLS LAST, "t1"\."dec" DESC NULLS FIRST$/);
  }
});

test('joins: USING and NATURAL become explicit conditions; FULL joins merge the key', () => {
  const sql = duck(
    'SELECT obs_publisher_did FROM ivoa.obscore FULL OUTER JOIN ivoa.obscore_hea USING (obs_publisher_did)',
  );
  assert.match(
    sql,
    /COALESCE\("t1"\."obs_publisher_did", "t2"\."obs_publisher_did"\) AS "obs_publisher_did"/,
  );
  assert.match(
    sql,
    /FULL OUTER JOIN "ivoa"\."obscore_hea" AS "t2" ON "t1"\."obs_publisher_did" = "t2"\."obs_publisher_did"/,
  );
  assert.match(
    duck('SELECT * FROM ivoa.obscore NATURAL JOIN ivoa.obscore_hea'),
    /INNER JOIN .* ON "t1"\."obs_publisher_did" = "t2"\."obs_publisher_did"/,
  );
});

test('every user-defined function compiles on both dialects', () => {
  const call: Record<string, string> = {
    ivo_healpix_index: 'ivo_healpix_index(5, ra, dec)',
    ivo_healpix_center: 'ivo_healpix_center(5, big)',
    ivo_hasword: "ivo_hasword(name, 'x')",
    ivo_hashlist_has: "ivo_hashlist_has(name, 'x')",
    ivo_nocasematch: "ivo_nocasematch(name, 'x%')",
    ivo_interval_overlaps: 'ivo_interval_overlaps(1, 2, ra, dec)',
    ivo_string_agg: "ivo_string_agg(name, ',')",
  };
  for (const f of userDefinedFunctions) {
    const adql = `SELECT ${call[f.name] ?? assert.fail(`no example call for ${f.name}`)} FROM hearc.sample`;
    assert.doesNotThrow(() => duck(adql), f.name);
    assert.doesNotThrow(() => pg(adql), f.name);
  }
});

test('the declared language features include every UDF signature in TAPRegExt form', () => {
  const udf = adqlLanguageFeatures.find((g) => g.type.endsWith('#features-udf'));
  assert.deepEqual(
    udf?.features.map((f) => f.form),
    userDefinedFunctions.map(
      (f) =>
        `${f.name}(${f.parameters.map((p) => `${p.name} ${p.adqlType}`).join(', ')}) -> ${f.returnTypeName}`,
    ),
  );
  assert.ok(udf?.features.every((f) => (f.description ?? '').length > 20));
  assert.equal(udf?.features[2]?.form, 'ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER');
  const geo = adqlLanguageFeatures.find(
    (g) => g.type === 'ivo://ivoa.net/std/TAPRegExt#features-adqlgeo',
  );
  assert.equal(geo?.features.length, 12);
});

test('an outer join without a join specification pairs every row on both engines', () => {
  for (const compile of [duck, pg]) {
    assert.match(
      compile('SELECT a.id FROM hearc.sample AS a LEFT OUTER JOIN ivoa.obscore AS o'),
      /\("hearc"\."sample" AS "t1" LEFT OUTER JOIN "ivoa"\."obscore" AS "t2" ON TRUE\)/,
    );
    assert.match(
      compile('SELECT a.id FROM (hearc.sample AS a FULL JOIN ivoa.obscore AS o)'),
      /FULL OUTER JOIN "ivoa"\."obscore" AS "t2" ON TRUE\)/,
    );
  }
});

test('an inner join without a join condition is refused; CROSS JOIN says so', () => {
  for (const query of [
    'SELECT a.id FROM hearc.sample AS a INNER JOIN ivoa.obscore AS o',
    'SELECT a.id FROM (hearc.sample AS a JOIN ivoa.obscore AS o)',
  ]) {
    assert.throws(() => duck(query), /needs a join condition: add ON <condition> or USING/);
  }
  assert.match(
    duck('SELECT a.id FROM hearc.sample AS a CROSS JOIN ivoa.obscore AS o'),
    /CROSS JOIN "ivoa"\."obscore" AS "t2"/,
  );
});

test('a NULL coordinate system is dropped like a string one on both engines', () => {
  for (const compile of [duck, pg]) {
    assert.equal(
      compile('SELECT POINT(NULL, ra, dec) FROM hearc.sample'),
      compile("SELECT POINT('ICRS', ra, dec) FROM hearc.sample"),
    );
    assert.equal(
      compile('SELECT CIRCLE(NULL, ra, dec, 1), BOX(NULL, ra, dec, 1, 2) FROM hearc.sample'),
      compile("SELECT CIRCLE('', ra, dec, 1), BOX('', ra, dec, 1, 2) FROM hearc.sample"),
    );
  }
});

test('a number followed by a name and a continued string compile as one value each', () => {
  for (const compile of [duck, pg]) {
    assert.match(compile('SELECT 89x FROM hearc.sample'), /^SELECT 89 AS "x" FROM/);
    assert.match(
      compile("SELECT id FROM hearc.sample WHERE name = 'qua' -- c\n'tsch' ORDER BY 1desc"),
      /= 'quatsch'\) ORDER BY 1 DESC/,
    );
  }
});

test('queries invalid by the grammar fail before any SQL is made, on both engines', () => {
  const invalid: readonly [string, RegExp][] = [
    ["SELECT s_region || 'x' FROM ivoa.obscore", /right operand|left operand/],
    ["SELECT POINT(s_ra, s_dec) || 'x' FROM ivoa.obscore", /'\|\|' joins strings/],
    ['SELECT * FROM hearc.sample WHERE pos = pos', /geometries cannot be compared/],
    ['SELECT nope(id) FROM hearc.sample', /unknown function 'nope'/],
    ['SELECT a.b.hearc.sample.id FROM hearc.sample', /has 5 parts/],
    ['SELECT * FROM (SELECT id FROM hearc.sample)', /needs a correlation name/],
    [
      'SELECT id FROM hearc.sample WHERE COUNT(*) > 1',
      /aggregate function COUNT cannot be used in WHERE/,
    ],
    ['SELECT CIRCLE(10, 0.5) FROM hearc.sample', /must be a POINT or a column, not a number/],
    [
      'SELECT * FROM hearc.sample WHERE id IN (WITH w AS (SELECT id FROM hearc.sample) SELECT id FROM w)',
      /WITH may only open the whole query/,
    ],
  ];
  for (const compile of [duck, pg]) {
    for (const [query, message] of invalid) {
      assert.throws(
        () => compile(query),
        (err: unknown) => {
          assert.ok(err instanceof AdqlError, query);
          assert.match(err.message, message, query);
          assert.match(err.message, /\(line \d+, column \d+\)$/, query);
          return true;
        },
      );
    }
  }
});

test('a geometry compared with = parses, and the schema refuses it on both engines', () => {
  const query = 'SELECT id FROM hearc.sample WHERE pos = POINT(10, 20)';
  assert.doesNotThrow(() => parseAdql(query));
  for (const compile of [duck, pg]) {
    assert.throws(() => compile(query), /geometries cannot be compared .*\(line 1, column \d+\)$/);
  }
});

test('a time window on ObsCore gets the range tests it implies (t_min <= b, t_max >= a)', () => {
  for (const sql of [
    pg('SELECT obs_id FROM ivoa.obscore WHERE t_min >= 53000 AND t_max <= 53007.5'),
    duck('SELECT obs_id FROM ivoa.obscore AS o WHERE 53007.5 >= o.t_max AND -1 < o.t_min'),
  ]) {
    assert.match(sql, /"t_min" <= (CAST\()?53007\.5/, sql);
    assert.match(sql, /"t_max" >= (53000|\(?-\s*1\)?)/, sql);
  }
  // Only with both bounds, and not across OR.
  assert.doesNotMatch(pg('SELECT obs_id FROM ivoa.obscore WHERE t_max <= 53007.5'), /"t_min" <=/);
  assert.doesNotMatch(
    pg('SELECT obs_id FROM ivoa.obscore WHERE t_min >= 53000 OR t_max <= 53007.5'),
    /"t_min" <=/,
  );
});

test('the rights filter compares release dates with now to the second, rounded down: one SQL text per second', () => {
  const compileAt = (iso: string): string =>
    compileAdql('SELECT COUNT(*) FROM hearc.events', servedSchema(publishedSchema), duckDbDialect, {
      visibility: {
        filters: () => true,
        rights: { observations: obscoreTable, owners: observationRightsTable },
        now: new Date(iso),
        groups: [],
      },
    }).sql;
  const early = compileAt('2030-01-01T12:00:00.100Z');
  assert.match(early, /obs_release_date" <= CAST\('2030-01-01 12:00:00\.000' AS TIMESTAMP\)/);
  assert.equal(compileAt('2030-01-01T12:00:00.999Z'), early);
  assert.notEqual(compileAt('2030-01-01T12:00:01.000Z'), early);
  // Before 1970 too: down, never up.
  assert.match(compileAt('1969-12-31T23:59:59.500Z'), /'1969-12-31 23:59:59\.000'/);
});
