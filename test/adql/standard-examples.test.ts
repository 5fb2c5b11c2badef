/**
 * Acceptance: the parser accepts the examples in the text of the ADQL 2.1 standard
 * (ivoa-std/ADQL, ADQL.tex) and rejects the invalid forms it describes.
 * Expression examples are wrapped in a minimal query. Two examples in the text carry a
 * trailing comma inside POINT(...)/POLYGON(...) (a typo), and §4.6 nests a subquery in
 * FROM without the correlation name the grammar requires (<derived_table>
 * <correlation_specification>); they are kept below as errata and checked in their
 * corrected form. The UDF names of §4.9 are examples of other services' functions:
 * they parse where they are declared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdqlError, parseAdql } from '../../src/adql/index.js';

const queries: readonly string[] = [
  // §2.2.1 subqueries
  `SELECT
        alpha_source.id
    FROM
        alpha_source
    WHERE
        alpha_sourceid >=5
    AND
        alpha_sourceid IN
            (
            SELECT id FROM alpha_source WHERE id < 10
            )`,
  `SELECT
        alpha_source.id
    FROM
        alpha_source,
        (
        SELECT alpha_source.id FROM alpha_source WHERE id < 10
        ) AS subsample
    WHERE
        alpha_source.id >=5
    AND
        alpha_source.id = subsample.id`,
  // §4.6 common table expressions: the WITH refactoring (the nested form is in errata)
  `WITH alpha_subset AS
        (
        SELECT
            *
        FROM
            alpha_source
        WHERE
            id % 10 = 0
        )

    SELECT
        ra,
        dec
    FROM
        alpha_subset
    WHERE
        ra > 10
    AND
        ra < 20`,
  // §3.2.1 TIMESTAMP comparisons (draft text), with the elided select list filled in
  `SELECT * FROM obs
    WHERE
        obstime > TIMESTAMP('2015-01-01')
    OR
        obstime
            BETWEEN
                TIMESTAMP('2014-01-01')
            AND
                TIMESTAMP('2014-01-02')`,
  // §4.2.4 predicate functions, with "table" and "..." made concrete
  `SELECT
        *
    FROM
        mytable
    WHERE
        1 = CONTAINS(
              POINT(25.0, -19.5),
              CIRCLE(25.4, -20.0, 10.0)
              )`,
  // §4.2.6 preferred crossmatch syntax
  `SELECT * FROM t1 JOIN t2 ON DISTANCE(
        t1.lon,
        t1.lat,
        t2.lon,
        t2.lat
        ) < 0.01`,
  `SELECT * FROM t1 JOIN t2 ON DISTANCE(
        t1.point,
        t2.point
        ) < 0.01`,
  // §2.2 simplified syntax, every clause
  `SELECT ALL TOP 10 a, b AS bb FROM s.t AS x LEFT OUTER JOIN u USING (a) NATURAL JOIN v CROSS JOIN w
     WHERE a > 1 GROUP BY a, b HAVING COUNT(*) > 2 ORDER BY 1 DESC, bb ASC OFFSET 5`,
  'SELECT DISTINCT * FROM t INNER JOIN u ON t.a = u.a RIGHT JOIN v ON v.b = u.b FULL OUTER JOIN w USING (c)',
  // §4.5 set operators
  'SELECT a FROM t UNION SELECT a FROM u',
  'SELECT a FROM t UNION ALL SELECT a FROM u EXCEPT ALL SELECT a FROM v INTERSECT SELECT a FROM w',
  '(SELECT TOP 5 a FROM t ORDER BY a) UNION (SELECT a FROM u) ORDER BY a OFFSET 1',
  // §4.7 type operations, §4.8 unit operations, conditional
  'SELECT CAST(a AS INTEGER), CAST(b AS DOUBLE PRECISION), CAST(c AS VARCHAR(10)), CAST(d AS CHAR), CAST(e AS TIMESTAMP), CAST(f AS SMALLINT), CAST(g AS BIGINT), CAST(h AS REAL) FROM t',
  "SELECT IN_UNIT(em_min, 'nm') FROM ivoa.obscore WHERE IN_UNIT(t_exptime, 'h') > 1",
  "SELECT COALESCE(obs_title, obs_id, 'none') FROM ivoa.obscore",
  // §4.4 string functions
  "SELECT LOWER(obs_id), UPPER(obs_id), obs_id || '-' || obs_collection FROM ivoa.obscore WHERE obs_id ILIKE 'hess%' AND obs_id NOT LIKE '%x'",
  // hexadecimal literals
  'SELECT * FROM t WHERE flags = 0x2F OR mask = 0xff',
  // comments and delimited identifiers
  `SELECT "size", "Mixed Case", "quote""inside" -- a comment with 'quotes'
     FROM "my schema"."my table" -- another
     WHERE "size" > 1`,
  // EXISTS, NOT IN, BETWEEN, IS NULL
  'SELECT * FROM t WHERE EXISTS (SELECT * FROM u WHERE u.a = t.a) AND a NOT IN (1, 2, 3) AND b NOT BETWEEN 1 AND 2 AND c IS NOT NULL AND d IS NULL',
  // user-defined functions
  "SELECT ivo_healpix_index(10, s_ra, s_dec) FROM ivoa.obscore WHERE 1 = ivo_hasword(obs_title, 'crab')",
];

/** Expression examples of the standard, each checked as `SELECT <expr> FROM t`. */
const expressions: readonly string[] = [
  'POINT(12.3, 45.6)',
  'CIRCLE(12.3, 45.6, 0.5)',
  'POLYGON(10.0, -10.5, 20.0, 20.5, 30.0, 30.5)',
  'AREA(POLYGON(10.0, -10.5, 20.0, 20.5, 30.0, 30.5))',
  'AREA(t1.footprint)',
  'BOX(25.4, -20.0, 10.0, 10.0)',
  'BOX(POINT(25.4, -20.0), 10.0, 10.0)',
  'BOX(t1.center, t1.width, t1.height)',
  'CENTROID(POLYGON(10.0, -10.5, 20.0, 20.5, 30.0, 30.5))',
  'CENTROID(t1.footprint)',
  'CIRCLE(25.4, -20.0, 10.0)',
  'CIRCLE(t1.center, t1.radius)',
  'CONTAINS(POINT(25.0, -19.5), CIRCLE(25.4, -20.0, 10.0))',
  'COORD1(POINT(25.0, -19.5))',
  'COORD1(t.center)',
  'COORD2(POINT(25.0, -19.5))',
  'COORD2(t.center)',
  'COORDSYS(POINT(25.0, -19.5))',
  'COORDSYS(t.footprint)',
  'DISTANCE(POINT(25.0, -19.5), POINT(25.4, -20.0))',
  'DISTANCE(25.0, -19.5, 25.4, -20.0)',
  'DISTANCE(t1.base, t2.target)',
  'INTERSECTS(CIRCLE(25.4, -20.0, 1), POLYGON(20.0, -15.0, 20.0, -5.0, 10.0, -5.0, 10.0, -15.0))',
  'POINT(25.0, -19.5)',
  'POINT(t.ra, t.dec)',
  'POLYGON(t2.toppoint, t2.bottomleft, t2.bottomright)',
  "POINT('ICRS', 25.0, -19.5)",
  "CIRCLE('', 25.4, -20.0, 10.0)",
  'ivo_nocasematch()',
  'ivo_hasword()',
  'ivo_hashlist_has()',
  'ivo_string_agg()',
  "LOWER('Francis Albert Augustus Charles Emmanuel')",
];

/** §4.9's names for functions of other services: valid where a service declares them. */
const otherServicesFunctions = ['wfau_align', 'wfau_convert', 'gavo_align', 'gavo_convert'];

/** Condition examples, each checked as `SELECT * FROM t WHERE <condition>`. */
const conditions: readonly string[] = [
  '1 = CONTAINS(POINT(25.0, -19.5), CIRCLE(25.4, -20.0, 10.0))',
  '0 = CONTAINS(POINT(25.0, -19.5), CIRCLE(25.4, -20.0, 10.0))',
  '0 = CONTAINS(t1.center, t2.footprint)',
  '1 = INTERSECTS(CIRCLE(25.4, -20.0, 1), POLYGON(20.0, -15.0, 20.0, -5.0, 10.0, -5.0, 10.0, -15.0))',
  '0 = INTERSECTS(CIRCLE(25.4, -20.0, 1), POLYGON(20.0, -15.0, 20.0, -5.0, 10.0, -5.0, 10.0, -15.0))',
  '0 = INTERSECTS(t1.target, t2.footprint)',
  "'Francis' LIKE 'francis'",
  "'Francis' ILIKE 'francis'",
  'foo = 1',
  'foo = TRUE',
  'bar = 0',
  'bar = FALSE',
  'foo = true',
  'foo = True',
  'bar = false',
  'bar = False',
];

/** The §4.6 nested form as printed (no correlation name), and corrected. */
const nestedWithoutName = {
  printed: `SELECT ra, dec FROM (SELECT * FROM alpha_source WHERE id % 10 = 0) WHERE ra > 10 AND ra < 20`,
  corrected: `SELECT ra, dec FROM (SELECT * FROM alpha_source WHERE id % 10 = 0) AS alpha_subset WHERE ra > 10 AND ra < 20`,
};

/** The two examples with a stray trailing comma, and how they read when corrected. */
const errata: readonly { readonly printed: string; readonly corrected: string }[] = [
  { printed: 'CIRCLE(POINT(25.4, -20.0,), 10.0)', corrected: 'CIRCLE(POINT(25.4, -20.0), 10.0)' },
  {
    printed: 'POLYGON(t1.ra, t1.dec + 5, t1.ra - 5, t1.dec - 5, t1.ra - 5, t1.dec + 5,)',
    corrected: 'POLYGON(t1.ra, t1.dec + 5, t1.ra - 5, t1.dec - 5, t1.ra - 5, t1.dec + 5)',
  },
];

test('every query example of the standard parses', () => {
  for (const q of queries) assert.doesNotThrow(() => parseAdql(q), q);
});

test('every expression example of the standard parses in a select list', () => {
  for (const e of expressions) assert.doesNotThrow(() => parseAdql(`SELECT ${e} FROM t`), e);
});

test("other services' function names parse when declared, and only then", () => {
  for (const name of otherServicesFunctions) {
    const query = `SELECT ${name}(a) FROM t`;
    assert.doesNotThrow(() => parseAdql(query, { functions: otherServicesFunctions }), name);
    assert.throws(
      () => parseAdql(query),
      new RegExp(
        `unknown function '${name}' \\(neither an ADQL function nor one this service declares\\)`,
      ),
    );
  }
});

test('the nested subquery of §4.6 needs its correlation name', () => {
  assert.throws(
    () => parseAdql(nestedWithoutName.printed),
    /a subquery in FROM needs a correlation name: write \(SELECT \.\.\.\) AS name \(line 1, column 21\)/,
  );
  assert.doesNotThrow(() => parseAdql(nestedWithoutName.corrected));
});

test('every condition example of the standard parses in WHERE', () => {
  for (const c of conditions) assert.doesNotThrow(() => parseAdql(`SELECT * FROM t WHERE ${c}`), c);
});

test('the two printed examples with a trailing comma are rejected; their corrections parse', () => {
  for (const { printed, corrected } of errata) {
    assert.throws(
      () => parseAdql(`SELECT ${printed} FROM t`),
      /expected another argument of POINT after ','|expected another argument of POLYGON after ','/,
    );
    assert.doesNotThrow(() => parseAdql(`SELECT ${corrected} FROM t`));
  }
});

/** Invalid forms the standard describes, with what the error must say. */
const invalid: readonly { readonly query: string; readonly message: RegExp }[] = [
  { query: 'SELECT size FROM t', message: /SIZE, which is a reserved word.*"size"/ },
  { query: 'SELECT * FROM distance', message: /DISTANCE, which is a reserved word/ },
  { query: 'SELECT a AS select FROM t', message: /reserved word/ },
  { query: 'SELECT _ra FROM t', message: /identifiers must start with a letter/ },
  { query: 'SELECT a FROM _t', message: /identifiers must start with a letter/ },
  { query: 'SELECT * FROM 2do', message: /expected a table name, found number 2/ },
  { query: 'SELECT FROM t', message: /missing select list/ },
  { query: 'SELECT a', message: /missing FROM clause/ },
  { query: '', message: /the query is empty/ },
  { query: 'SELECT TOP -1 a FROM t', message: /a whole number after TOP/ },
  { query: 'SELECT a FROM t LIMIT 10', message: /SELECT TOP n/ },
  { query: "SELECT a FROM t WHERE b = 'unterminated", message: /unterminated string literal/ },
  { query: 'SELECT "unterminated FROM t', message: /unterminated delimited identifier/ },
  { query: 'SELECT "" FROM t', message: /must not be empty/ },
  { query: 'SELECT DISTANCE(1, 2, 3) FROM t', message: /DISTANCE takes 2 or 4 arguments, not 3/ },
  { query: 'SELECT a FROM t WHERE (a = 1', message: /'\)' to close the parenthesis/ },
  { query: 'SELECT a FROM t WHERE a = 1)', message: /unbalanced '\)'/ },
  { query: 'SELECT a FROM t WHERE a', message: /WHERE needs a condition/ },
  { query: 'SELECT a = 1 FROM t', message: /a condition cannot be used as a value/ },
  { query: 'SELECT a FROM t WHERE a = 1 = 2', message: /comparisons cannot be chained/ },
  { query: 'SELECT a FROM t; SELECT b FROM t', message: /after the end of the query/ },
  {
    query: 'SELECT a FROM t WHERE a = 1 AND',
    message: /expected a value, found the end of the query/,
  },
  { query: 'SELECT a FROM t NATURAL JOIN u USING (a)', message: /NATURAL JOIN takes no USING/ },
  { query: 'SELECT a FROM t WHERE a LIKE b ESCAPE c', message: /ESCAPE/ },
  { query: "SELECT 'a' 'b FROM t", message: /unterminated string literal/ },
  { query: 'SELECT a FROM t WHERE a ~ 1', message: /unexpected character '~'/ },
  { query: 'SELECT POINT(1) FROM t', message: /POINT takes a longitude and a latitude/ },
  {
    query: 'SELECT POLYGON(1, 2, 3, 4) FROM t',
    message: /POLYGON needs at least three vertices|POLYGON/,
  },
  { query: 'SELECT CAST(a AS TEXT) FROM t', message: /expected a type/ },
  { query: 'WITH x AS (SELECT a FROM t)', message: /expected SELECT after the WITH queries/ },
  // accepted before, invalid by the grammar
  {
    query: "SELECT POINT(1, 2) || 'x' FROM t",
    message: /'\|\|' joins strings, but its left operand is a POINT/,
  },
  {
    query: "SELECT 'x' || CIRCLE(1, 2, 3) || 'y' FROM t",
    message: /'\|\|' joins strings, but its right operand is a CIRCLE/,
  },
  {
    query: "SELECT s || REGION('Circle ICRS 1 2 3') FROM t",
    message: /right operand is a REGION/,
  },
  {
    query: "SELECT CENTROID(c) || 'x' FROM t",
    message: /left operand is a POINT \(CENTROID\)/,
  },
  { query: 'SELECT foo(a) FROM t', message: /unknown function 'foo'/ },
  { query: 'SELECT * FROM t WHERE 1 = gavo_match(a)', message: /unknown function 'gavo_match'/ },
  { query: 'SELECT a FROM t ORDER BY ivo_nope(a)', message: /unknown function 'ivo_nope'/ },
  { query: 'SELECT sqr(a) FROM t', message: /unknown function 'sqr'.*did you mean 'sqrt'\?/ },
  {
    query: 'SELECT a.b.c.d.e FROM t',
    message:
      /'a\.b\.c\.d\.e' has 5 parts, but a column name has at most 4 \(catalog\.schema\.table\.column\)/,
  },
  {
    query: 'SELECT * FROM a.b.c.d',
    message: /'a\.b\.c\.d' has 4 parts, but a table name has at most 3 \(catalog\.schema\.table\)/,
  },
  { query: 'SELECT a.b.c.d.* FROM t', message: /'a\.b\.c\.d' has 4 parts/ },
  { query: 'SELECT "a".b."c".d.e FROM t', message: /'"a"\.b\."c"\.d\.e' has 5 parts/ },
  {
    query: 'SELECT * FROM (SELECT a FROM t)',
    message:
      /a subquery in FROM needs a correlation name: write \(SELECT \.\.\.\) AS name \(line 1, column 15\)/,
  },
  {
    query: 'SELECT * FROM t JOIN (SELECT a FROM u) USING (a)',
    message: /a subquery in FROM needs a correlation name/,
  },
  // SQL-92 §7.6: no set function in WHERE (outside a subquery).
  {
    query: 'SELECT a FROM t WHERE SUM(a) > 3',
    message: /aggregate function SUM cannot be used in WHERE; use HAVING/,
  },
  {
    query: 'SELECT a FROM t WHERE 1 = CONTAINS(CENTROID(MAX(p)), c)',
    message: /aggregate function MAX cannot be used in WHERE/,
  },
  // <coord_value> is a column or a point, never a bare number or string.
  {
    query: "SELECT CIRCLE('ICRS', 10, 0.5) FROM t",
    message:
      /CIRCLE takes .*: a centre given as one value must be a POINT or a column, not a number/,
  },
  {
    query: "SELECT BOX('ICRS', 'x', 2, 3) FROM t",
    message: /BOX takes .*must be a POINT or a column, not a string/,
  },
  {
    query: 'SELECT POINT(NULL, NULL, 1, 2) FROM t',
    message: /POINT takes a longitude and a latitude .* not 4 values/,
  },
  // WITH anywhere but at the start of the whole query
  ...[
    'SELECT * FROM t WHERE a IN (WITH x AS (SELECT a FROM t) SELECT a FROM x)',
    'SELECT * FROM (WITH x AS (SELECT a FROM t) SELECT a FROM x) AS y',
    'SELECT a FROM t UNION WITH x AS (SELECT a FROM t) SELECT a FROM x',
    'SELECT a FROM t UNION (WITH x AS (SELECT a FROM t) SELECT a FROM x)',
    'WITH x AS (WITH y AS (SELECT a FROM t) SELECT a FROM y) SELECT a FROM x',
    'SELECT * FROM t WHERE EXISTS (WITH x AS (SELECT a FROM t) SELECT a FROM x)',
    '(WITH x AS (SELECT a FROM t) SELECT a FROM x)',
  ].map((query) => ({ query, message: /WITH may only open the whole query/ })),
];

/** Valid by the grammar, rejected before. */
const validByTheGrammar: readonly string[] = [
  'SELECT * FROM t LEFT JOIN u',
  'SELECT * FROM t LEFT OUTER JOIN u',
  'SELECT * FROM t RIGHT JOIN u',
  'SELECT * FROM t RIGHT OUTER JOIN u',
  'SELECT * FROM t FULL JOIN u',
  'SELECT * FROM t FULL OUTER JOIN u WHERE t.a = 1',
  'SELECT * FROM (t LEFT OUTER JOIN u)',
  'SELECT * FROM (t LEFT JOIN u) JOIN v USING (a)',
  'SELECT * FROM t FULL JOIN (u RIGHT JOIN v) ON t.a = v.a',
  'SELECT * FROM ((t NATURAL JOIN u)) LEFT JOIN v',
  'SELECT POINT(NULL, ra, dec) FROM t',
  'SELECT * FROM t WHERE 1 = CONTAINS(POINT(NULL, ra, dec), CIRCLE(NULL, 10, 20, 1))',
  'SELECT BOX(NULL, 1, 2, 3, 4), POLYGON(NULL, 1, 2, 3, 4, 5, 6) FROM t',
  'SELECT a.b.c.d FROM a.b.c',
  'SELECT a.b.c.* FROM a.b.c',
  'WITH x AS (SELECT a FROM t), y AS (SELECT a FROM x) SELECT a FROM y UNION SELECT a FROM x',
  'SELECT * FROM (SELECT a FROM t) AS s',
  'SELECT * FROM (SELECT a FROM t) s',
  "SELECT * FROM t WHERE s = 'x' || s2",
  'SELECT * FROM t WHERE pos IS NULL',
  // Aggregates are fine in a subquery of WHERE, and in HAVING.
  'SELECT a FROM t WHERE a > (SELECT AVG(a) FROM t)',
  'SELECT a FROM t GROUP BY a HAVING COUNT(*) > 2',
  // A centre given as one value: a column, a POINT, CENTROID or a UDF.
  'SELECT CIRCLE(p, 1), CIRCLE(POINT(1, 2), 1), BOX(CENTROID(c), 1, 2) FROM t',
  // <comparison_predicate>, BETWEEN and IN take any <value_expression>, geometries too:
  // whether two geometries can be compared is a question of types, asked with a schema.
  "SELECT * FROM t WHERE CIRCLE('ICRS', 10, 20, 0.5) = c",
  'SELECT * FROM t WHERE p <> POINT(5, 6)',
  'SELECT * FROM t WHERE CENTROID(BOX(NULL, 1, 2, 3, 4)) = p',
  'SELECT * FROM t WHERE p BETWEEN POINT(0, 0) AND POINT(1, 1)',
  'SELECT * FROM t WHERE c IN (CIRCLE(1, 2, 3), POLYGON(1, 2, 3, 4, 5, 6))',
];

test('forms valid by the grammar parse', () => {
  for (const q of validByTheGrammar) assert.doesNotThrow(() => parseAdql(q), q);
});

test('invalid forms are rejected with a positioned, specific message', () => {
  for (const { query, message } of invalid) {
    assert.throws(
      () => parseAdql(query),
      (err: unknown) => {
        assert.ok(err instanceof AdqlError, `${query}: not an AdqlError: ${String(err)}`);
        assert.match(err.message, message, query);
        assert.match(err.message, /\(line \d+, column \d+\)$/);
        return true;
      },
    );
  }
});

/** How a literal ends and what follows it (SQL-92 tokens: the longest literal wins). */
function selectList(query: string): unknown[] {
  const body = parseAdql(query).body;
  if (body.kind !== 'select') return [];
  return body.items.map((item) => {
    if (item.kind !== 'derivedColumn') return item.kind;
    const e = item.expr;
    const value = e.kind === 'number' ? e.text : e.kind === 'string' ? `'${e.value}'` : e.kind;
    return item.alias ? [value, item.alias.name] : value;
  });
}

test('a number immediately followed by a name is the number, then the name', () => {
  assert.deepEqual(selectList('SELECT 89x FROM t'), [['89', 'x']]);
  assert.deepEqual(selectList('SELECT 1e, 0x, 0x1fg, 1.5e3x, 2.y FROM t'), [
    ['1', 'e'],
    ['0', 'x'],
    ['0x1f', 'g'],
    ['1.5e3', 'x'],
    ['2.', 'y'],
  ]);
  const q = parseAdql('SELECT a FROM t ORDER BY 2desc');
  assert.equal(q.orderBy[0]?.descending, true);
  assert.equal(q.orderBy[0]?.expr.kind === 'number' && q.orderBy[0].expr.text, '2');
});

test('string literals continue across whitespace, newlines and comments', () => {
  assert.deepEqual(selectList("SELECT 'qua' -- c\n'tsch' FROM t"), ["'quatsch'"]);
  assert.deepEqual(selectList("SELECT 'a''b'  \n\t 'c' -- x\n -- y\n 'd' AS w, 'e' FROM t"), [
    ["'a'bcd'", 'w'],
    "'e'",
  ]);
  // A quote right after a closing quote is a doubled quote, not a continuation.
  assert.deepEqual(selectList("SELECT 'it''s' FROM t"), ["'it's'"]);
});

test('error positions count lines and columns from 1', () => {
  try {
    parseAdql('SELECT a\nFROM t\nWHERE   size = 1');
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof AdqlError);
    assert.equal(err.line, 3);
    assert.equal(err.column, 9);
  }
});

test('keywords are case-insensitive; identifiers keep their spelling', () => {
  const q = parseAdql('select Ra from T where Dec between 1 and 2');
  assert.equal(q.body.kind, 'select');
  if (q.body.kind !== 'select') return;
  const item = q.body.items[0];
  assert.equal(
    item?.kind === 'derivedColumn' && item.expr.kind === 'column' ? item.expr.parts[0]?.name : '',
    'Ra',
  );
});

test('the syntax tree is frozen', () => {
  const q = parseAdql('SELECT a FROM t WHERE a > 1');
  assert.ok(Object.isFrozen(q));
  assert.ok(Object.isFrozen(q.body));
  if (q.body.kind === 'select') {
    assert.ok(Object.isFrozen(q.body.items));
    assert.ok(Object.isFrozen(q.body.where));
  }
});
