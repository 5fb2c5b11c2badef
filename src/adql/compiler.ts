/**
 * SQL generation: one visitor over the resolved ADQL tree. Each database dialect
 * (src/engine/dialect/*) is a small subclass that overrides what differs: geometry,
 * a few functions and operators, type names, and the user-defined functions.
 *
 * Every identifier in the output is quoted and every literal escaped by this class;
 * nothing the user typed reaches the SQL except through those two paths.
 */
import { storedColumns, type TableDef, type UnchangedAlternative } from '../schema/types.js';
import type {
  AggregateCall,
  BoxConstructor,
  Cast,
  CircleConstructor,
  ColumnReference,
  Comparison,
  Expression,
  FromItem,
  FunctionCall,
  Like,
  NumberLiteral,
  OrderItem,
  PointConstructor,
  PolygonConstructor,
  Query,
  QueryBody,
  SelectCore,
} from './ast.js';
import { integerLiteralValue } from './annotate.js';
import { AdqlError } from './errors.js';
import type { ColumnBinding, QueryAnnotations, ResolvedQuery } from './resolve.js';
import { isNumericKind, kindOf, type ValueKind, type ValueType } from './types.js';
import { type CellRanges, coneCellRanges, coneInteriorCellRanges } from './healpix.js';
import {
  asciiCellRanges,
  cellRangesAscii,
  circleCellRanges,
  GEOMETRY_MOC_ORDER,
  MOC_COMPILE_DEPTH,
  mergeCellRanges,
  pointCellRanges,
  polygonCellRanges,
} from './moc.js';
import { boxCorners, polygonDeclinationBand } from './sphere.js';
import { conversionFactor } from './units.js';
import { findUserDefinedFunction } from './udfs.js';

export interface CompileOptions {
  /** The most rows the service returns (TAP MAXREC); combined with TOP as the LIMIT. */
  readonly maxRows?: number;
  /** Access rights: the rows of rights-bearing tables this caller may see. */
  readonly visibility?: RowVisibility;
  /** Public URL of the service answering: columns stored as service paths become URLs under it. */
  readonly serviceUrl?: string;
}

/**
 * Which rows of tables with a `rightsKey` a query may see. Every reference to such a
 * table compiles to a filtered derived table, so joins, subqueries, aggregates and
 * uploads never meet a hidden row. A key is visible when its ObsCore row is public,
 * proprietary with obs_release_date <= now (to the second, rounded down), or owned by
 * one of `groups`.
 */
export interface RowVisibility {
  /** Whether this table's rows are filtered (e.g. not the metadata tables). */
  readonly filters: (table: TableDef) => boolean;
  /** ivoa.obscore (data_rights, obs_release_date) and the table of owning groups (owner_group). */
  readonly rights: { readonly observations: TableDef; readonly owners: TableDef };
  readonly now: Date;
  readonly groups: readonly string[];
}

/** A database flavour of SQL that resolved ADQL can be compiled to. */
export interface SqlDialect {
  readonly name: string;
  compile(resolved: ResolvedQuery, options?: CompileOptions): string;
  /**
   * The same query without the rights filters `compile` put in, with the commit counts
   * under which they hide nothing (a dialect wrapped with access rights, auth/access.ts);
   * undefined when they may hide rows or no table of the query is filtered.
   */
  compileUnfiltered?(
    resolved: ResolvedQuery,
    options?: CompileOptions,
  ): UnchangedAlternative | undefined;
}

/** SQL type names the compiler casts to; dialects name them their way. */
export type SqlType =
  'smallint' | 'integer' | 'bigint' | 'real' | 'double' | 'varchar' | 'timestamp' | 'boolean';

/** A region predicate: CONTAINS(a, b) or INTERSECTS(a, b) with the kinds of both sides. */
export interface RegionTest {
  readonly op: 'CONTAINS' | 'INTERSECTS';
  readonly a: Expression;
  readonly b: Expression;
  readonly aKind: ValueKind;
  readonly bKind: ValueKind;
}

/** `DISTANCE(...) < radius` (or `<=`), found in either order. */
export interface DistanceBound {
  readonly points: readonly [PointOperand, PointOperand];
  readonly radius: Expression;
  readonly op: '<' | '<=';
  /** The comparison as written, for the exact test. */
  readonly distance: FunctionCall;
}

/** One side of DISTANCE: a point value, or a longitude/latitude pair (the 4-argument form). */
export type PointOperand =
  | { readonly kind: 'point'; readonly point: Expression }
  | { readonly kind: 'coordinates'; readonly ra: Expression; readonly dec: Expression };

function distanceBound(e: Comparison): DistanceBound | undefined {
  const isDistance = (x: Expression): x is FunctionCall =>
    x.kind === 'call' && !x.udf && x.name === 'DISTANCE';
  let distance: FunctionCall;
  let radius: Expression;
  let op: '<' | '<=';
  if ((e.op === '<' || e.op === '<=') && isDistance(e.left))
    [distance, radius, op] = [e.left, e.right, e.op];
  else if ((e.op === '>' || e.op === '>=') && isDistance(e.right)) {
    [distance, radius, op] = [e.right, e.left, e.op === '>' ? '<' : '<='];
  } else return undefined;
  const a = distance.args as readonly Expression[];
  const points: [PointOperand, PointOperand] =
    a.length === 2
      ? [
          { kind: 'point', point: a[0] as Expression },
          { kind: 'point', point: a[1] as Expression },
        ]
      : [
          { kind: 'coordinates', ra: a[0] as Expression, dec: a[1] as Expression },
          { kind: 'coordinates', ra: a[2] as Expression, dec: a[3] as Expression },
        ];
  return { points, radius, op, distance };
}

/**
 * `1 = CONTAINS(a, b)`, `INTERSECTS(a, b) = 0` and friends, in either order: the call, and
 * whether the comparison holds when the call does (is 1).
 */
function regionCall(e: Comparison): { call: FunctionCall; holds: boolean } | undefined {
  if (e.op !== '=' && e.op !== '<>') return undefined;
  const pick = (call: Expression, literal: Expression) => {
    if (call.kind !== 'call' || call.udf) return undefined;
    if (call.name !== 'CONTAINS' && call.name !== 'INTERSECTS') return undefined;
    if (literal.kind !== 'number' || literal.numberKind !== 'integer') return undefined;
    const value = integerLiteralValue(literal);
    if (value !== 0n && value !== 1n) return undefined;
    return { call, holds: (value === 1n) === (e.op === '=') };
  };
  return pick(e.right, e.left) ?? pick(e.left, e.right);
}

/** The rows a SELECT returns at most: its TOP and the service's limit, the smaller. */
export function rowLimit(top: number | undefined, limit: number | undefined): number | undefined {
  return top === undefined ? limit : limit === undefined ? top : Math.min(top, limit);
}

/** The terms of a condition's top-level AND (the condition itself when it is no AND). */
export function conjuncts(where: Expression): readonly Expression[] {
  return where.kind === 'logical' && where.op === 'AND' ? where.operands : [where];
}

/** The longitude and latitude of a point as written in the query (e.g. POINT(ra, dec)). */
export interface PointCoordinates {
  readonly ra: Expression;
  readonly dec: Expression;
}

/** The longitude and latitude of a point written as a pair or as POINT(ra, dec). */
function writtenCoordinates(p: PointOperand): PointCoordinates | undefined {
  if (p.kind === 'coordinates') return p;
  return p.point.kind === 'pointConstructor' ? p.point : undefined;
}

/** A point as two SQL expressions in degrees (longitude not normalised). */
export interface PointSql {
  readonly ra: string;
  readonly dec: string;
}

export abstract class SqlCompiler {
  protected readonly annotations: QueryAnnotations;

  constructor(
    protected readonly resolved: ResolvedQuery,
    protected readonly options: CompileOptions = {},
  ) {
    this.annotations = resolved.annotations;
  }

  /** The SQL of the whole statement. */
  compile(): string {
    const maxRows = this.options.maxRows;
    if (maxRows !== undefined && (!Number.isSafeInteger(maxRows) || maxRows < 0)) {
      throw new RangeError(`maxRows must be a non-negative integer, not ${maxRows}`);
    }
    return this.query(this.resolved.ast, maxRows);
  }

  // ------------------------------------------------------------ quoting

  quoteIdentifier(name: string): string {
    return `"${name.replaceAll('"', '""')}"`;
  }

  quoteString(value: string): string {
    if (value.includes('\u0000')) {
      throw new AdqlError('string literals cannot contain the NUL character', this.resolved.ast.at);
    }
    return `'${value.replaceAll("'", "''")}'`;
  }

  /** A double-precision constant, never a decimal/numeric one. */
  protected doubleLiteral(value: number): string {
    if (!Number.isFinite(value)) throw new Error(`internal: non-finite constant ${value}`);
    return `CAST(${numberText(value)} AS ${this.typeName('double')})`;
  }

  protected abstract typeName(type: SqlType): string;

  // ------------------------------------------------------------ queries

  protected query(q: Query, limit?: number): string {
    const ctes = q.with.map((w) => {
      const name = this.annotations.ctes.get(w) as string;
      return `${this.quoteIdentifier(name)} AS (${this.query(w.query)})`;
    });
    const withClause = ctes.length > 0 ? `WITH ${ctes.join(', ')} ` : '';
    const orderBy = this.orderBy(q.orderBy);
    const body = q.body;
    if (body.kind === 'select') {
      const rows = rowLimit(body.top, limit);
      return `${withClause}${this.selectCore(body)}${orderBy}${this.limitOffset(rows, q.offset)}`;
    }
    if (body.kind === 'setop') {
      return `${withClause}${this.setOperation(body)}${orderBy}${this.limitOffset(limit, q.offset)}`;
    }
    const inner = this.quoteIdentifier('q');
    return `${withClause}SELECT * FROM (${this.query(body)}) AS ${inner}${orderBy}${this.limitOffset(limit, q.offset)}`;
  }

  protected limitOffset(limit: number | undefined, offset: number | undefined): string {
    return `${limit === undefined ? '' : ` LIMIT ${limit}`}${offset === undefined ? '' : ` OFFSET ${offset}`}`;
  }

  private body(body: QueryBody): string {
    switch (body.kind) {
      case 'select':
        return `${this.selectCore(body)}${this.limitOffset(body.top, undefined)}`;
      case 'setop':
        return this.setOperation(body);
      case 'query':
        return this.query(body);
    }
  }

  private setOperation(op: Extract<QueryBody, { kind: 'setop' }>): string {
    return `(${this.body(op.left)}) ${op.op}${op.all ? ' ALL' : ''} (${this.body(op.right)})`;
  }

  protected orderBy(items: readonly OrderItem[]): string {
    if (items.length === 0) return '';
    // NULLs sort as the largest value on every engine (PostgreSQL's rule).
    const terms = items.map(
      (i) => `${this.expression(i.expr)} ${i.descending ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`,
    );
    return ` ORDER BY ${terms.join(', ')}`;
  }

  /** The SELECT list of `core`, each output named. */
  protected selectItems(core: SelectCore): string[] {
    return this.annotations.outputsOf(core).map((o) => {
      const text = this.annotations.stcsTexts.get(o);
      const value = text
        ? this.binding(text)
        : o.expr
          ? this.expression(o.expr)
          : this.binding(o.binding as ColumnBinding);
      return `${value} AS ${this.quoteIdentifier(o.name)}`;
    });
  }

  protected selectCore(core: SelectCore): string {
    const items = this.selectItems(core);
    let sql = `SELECT ${core.distinct ? 'DISTINCT ' : ''}${items.join(', ')}`;
    sql += ` FROM ${core.from.map((f) => this.fromItem(f)).join(', ')}`;
    if (core.where) sql += ` WHERE ${this.whereCondition(core.where)}`;
    if (core.groupBy.length > 0)
      sql += ` GROUP BY ${core.groupBy.map((g) => this.expression(g)).join(', ')}`;
    if (core.having) sql += ` HAVING ${this.condition(core.having)}`;
    return sql;
  }

  protected fromItem(item: FromItem): string {
    switch (item.kind) {
      case 'table': {
        const r = this.annotations.relations.get(item);
        if (!r) throw new Error('internal: unresolved table');
        const source =
          r.source.kind === 'table'
            ? this.tableSource(r.source.table)
            : this.quoteIdentifier(r.source.kind === 'cte' ? r.source.name : r.alias);
        return `${source} AS ${this.quoteIdentifier(r.alias)}`;
      }
      case 'derivedTable': {
        const r = this.annotations.relations.get(item);
        if (!r) throw new Error('internal: unresolved subquery');
        return `(${this.query(item.query)}) AS ${this.quoteIdentifier(r.alias)}`;
      }
      case 'join': {
        const left = this.fromItem(item.left);
        const right = this.fromItem(item.right);
        const pairs = this.annotations.joinPairs.get(item);
        if (item.type === 'CROSS' || (item.type === 'INNER' && !item.on && !pairs)) {
          return `(${left} CROSS JOIN ${right})`;
        }
        // An outer join without ON or USING pairs every row (ADQL's join specification is optional).
        const on = pairs
          ? pairs.map(([l, r]) => `${this.binding(l)} = ${this.binding(r)}`).join(' AND ')
          : item.on
            ? this.condition(item.on)
            : 'TRUE';
        const type = item.type === 'INNER' ? 'INNER' : `${item.type} OUTER`;
        return `(${left} ${type} JOIN ${right} ON ${on})`;
      }
    }
  }

  /** A WHERE clause's condition, with the range tests it implies (impliedBounds). */
  protected whereCondition(where: Expression): string {
    return `${this.condition(where)}${this.impliedBounds(where)}`;
  }

  protected tableName(table: TableDef): string {
    return `${this.quoteIdentifier(table.schema)}.${this.quoteIdentifier(table.name)}`;
  }

  /** The rows the caller may see, with service paths made into URLs of the answering service. */
  protected tableSource(table: TableDef): string {
    const rows = this.visibleRows(table);
    const base = this.options.serviceUrl;
    if (base === undefined || !table.columns.some((c) => c.servicePath)) return rows;
    const q = (name: string): string => this.quoteIdentifier(name);
    const columns = storedColumns(table).map((c) => {
      if (!c.servicePath) return q(c.name);
      const url = `${this.quoteString(base)} || ${q(c.name)}`;
      return c.servicePath === 'if-relative'
        ? `CASE WHEN ${q(c.name)} LIKE '/%' THEN ${url} ELSE ${q(c.name)} END AS ${q(c.name)}`
        : `${url} AS ${q(c.name)}`;
    });
    return `(SELECT ${columns.join(', ')} FROM ${rows} AS ${q('hearc_stored')})`;
  }

  /** The table, or only the rows of it the caller may see (RowVisibility). */
  protected visibleRows(table: TableDef): string {
    const keys = this.visibleKeys(table);
    if (keys === undefined || table.rightsKey === undefined) return this.tableName(table);
    return `(SELECT * FROM ${this.tableName(table)} WHERE ${this.quoteIdentifier(table.rightsKey)} IN (${keys}))`;
  }

  /**
   * The rights keys (`TableDef.rightsKey`) of the rows of `table` the caller may see, as a
   * subquery; undefined when its rows are not filtered.
   */
  protected visibleKeys(table: TableDef): string | undefined {
    const visibility = this.options.visibility;
    if (!visibility || table.rightsKey === undefined || !visibility.filters(table)) {
      return undefined;
    }
    const q = (name: string): string => this.quoteIdentifier(name);
    const { observations, owners } = visibility.rights;
    const key = observations.rightsKey ?? 'obs_publisher_did';
    const [o, w] = [q('hearc_rights_obs'), q('hearc_rights_owner')];
    // To the second, rounded down: a release shows at most a second late, never early,
    // and the query's text repeats within the second, so that what the engines keep per
    // SQL text (DuckDB's prepared statements, PostgreSQL's result types) is used again.
    const iso = new Date(Math.floor(visibility.now.getTime() / 1000) * 1000).toISOString();
    const now = `CAST(${this.quoteString(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`)} AS ${this.typeName('timestamp')})`;
    const open = [
      `${o}.${q('data_rights')} = 'public'`,
      `(${o}.${q('data_rights')} = 'proprietary' AND ${o}.${q('obs_release_date')} <= ${now})`,
    ];
    if (visibility.groups.length > 0) {
      const groups = visibility.groups.map((g) => this.quoteString(g)).join(', ');
      open.push(`${w}.${q('owner_group')} IN (${groups})`);
    }
    return (
      `SELECT ${o}.${q(key)} FROM ${this.tableName(observations)} AS ${o}` +
      ` LEFT OUTER JOIN ${this.tableName(owners)} AS ${w} ON ${w}.${q(key)} = ${o}.${q(key)}` +
      ` WHERE ${open.join(' OR ')}`
    );
  }

  protected binding(b: ColumnBinding): string {
    switch (b.kind) {
      case 'relationColumn':
        return `${this.quoteIdentifier(b.relation)}.${this.quoteIdentifier(b.column)}`;
      case 'outputName':
        return this.quoteIdentifier(b.name);
      case 'merged':
        if (b.joinType === 'FULL')
          return `COALESCE(${this.binding(b.left)}, ${this.binding(b.right)})`;
        return this.binding(b.joinType === 'RIGHT' ? b.right : b.left);
    }
  }

  // ------------------------------------------------------------ expressions

  protected typeOf(e: Expression): ValueType {
    return this.annotations.typeOf(e);
  }

  protected kind(e: Expression): ValueKind {
    return kindOf(this.typeOf(e));
  }

  /** A boolean SQL condition. */
  protected condition(e: Expression): string {
    return this.expression(e);
  }

  expression(e: Expression): string {
    switch (e.kind) {
      case 'number':
        return this.numberLiteral(e);
      case 'string':
        return this.quoteString(e.value);
      case 'boolean':
        return e.value ? 'TRUE' : 'FALSE';
      case 'null':
        return 'NULL';
      case 'column':
        return this.columnReference(e);
      case 'unary':
        return e.op === '-' ? `(- ${this.expression(e.operand)})` : this.expression(e.operand);
      case 'binary':
        return this.binary(e.op, e.left, e.right);
      case 'call':
        return e.udf ? this.userDefinedFunction(e) : this.builtinFunction(e);
      case 'aggregate':
        return this.aggregate(e);
      case 'cast':
        return this.cast(e);
      case 'pointConstructor':
        return this.point(e);
      case 'circleConstructor':
        return this.circle(e);
      case 'boxConstructor':
        return this.box(e);
      case 'polygonConstructor':
        return this.polygon(e);
      case 'regionConstructor':
        throw new AdqlError('REGION is not supported', e.at);
      case 'scalarSubquery':
        return `(${this.query(e.query)})`;
      case 'comparison':
        return this.comparison(e);
      case 'between':
        return `(${this.expression(e.value)}${e.negated ? ' NOT' : ''} BETWEEN ${this.comparable(e.low, e.value)} AND ${this.comparable(e.high, e.value)})`;
      case 'in': {
        const list = e.query
          ? this.query(e.query)
          : (e.list ?? []).map((x) => this.comparable(x, e.value)).join(', ');
        return `(${this.expression(e.value)}${e.negated ? ' NOT' : ''} IN (${list}))`;
      }
      case 'like':
        return this.like(e);
      case 'nullTest':
        return `(${this.expression(e.value)} IS${e.negated ? ' NOT' : ''} NULL)`;
      case 'exists':
        return `(EXISTS (${this.query(e.query)}))`;
      case 'logical':
        return `(${e.operands.map((o) => this.condition(o)).join(` ${e.op} `)})`;
      case 'not':
        return `(NOT ${this.condition(e.operand)})`;
    }
  }

  protected numberLiteral(e: NumberLiteral): string {
    if (e.numberKind === 'decimal' || e.numberKind === 'real')
      return this.doubleLiteral(Number(e.text));
    const type = this.typeOf(e);
    if (type.datatype === 'double') return this.doubleLiteral(Number(e.text));
    const value = integerLiteralValue(e);
    return value < 0n ? `(${value})` : String(value);
  }

  protected columnReference(e: ColumnReference): string {
    const b = this.annotations.columns.get(e);
    if (!b) throw new Error(`internal: unresolved column at ${e.at.line}:${e.at.column}`);
    return this.binding(b);
  }

  /** A value compared with `other`: integer 0/1 become FALSE/TRUE next to a boolean. */
  protected comparable(e: Expression, other: Expression): string {
    if (this.kind(other) === 'boolean' && this.kind(e) === 'integer') {
      if (e.kind === 'number') return integerLiteralValue(e) === 0n ? 'FALSE' : 'TRUE';
      return `CAST(${this.expression(e)} AS ${this.typeName('boolean')})`;
    }
    // An ISO 8601 string next to a timestamp is read as one (a literal would be anyway).
    if (this.kind(other) === 'timestamp' && this.kind(e) === 'string' && e.kind !== 'string') {
      return `CAST(${this.expression(e)} AS ${this.typeName('timestamp')})`;
    }
    return this.expression(e);
  }

  protected comparison(e: Comparison): string {
    const region = this.regionComparison(e);
    if (region !== undefined) return region;
    const bound = distanceBound(e);
    const within = bound ? this.distanceWithin(bound) : undefined;
    if (within !== undefined) return within;
    return `(${this.comparable(e.left, e.right)} ${e.op} ${this.comparable(e.right, e.left)})`;
  }

  /**
   * `1 = CONTAINS(a, b)`, `INTERSECTS(a, b) = 0` and friends compile to a direct predicate,
   * which databases can use an index or a range scan for.
   */
  private regionComparison(e: Comparison): string | undefined {
    const found = regionCall(e);
    if (found === undefined) return undefined;
    const predicate = this.region(this.regionTest(found.call));
    return found.holds ? predicate : `(NOT ${predicate})`;
  }

  private regionTest(call: FunctionCall): RegionTest {
    const [a, b] = call.args as [Expression, Expression];
    let test: RegionTest = {
      op: call.name as RegionTest['op'],
      a,
      b,
      aKind: this.kind(a),
      bKind: this.kind(b),
    };
    // ADQL 2.1 §4.2.14: INTERSECTS with a POINT means CONTAINS with the point first.
    if (test.op === 'INTERSECTS' && test.bKind === 'point' && test.aKind !== 'point') {
      test = { op: 'CONTAINS', a: b, b: a, aKind: 'point', bKind: test.aKind };
    } else if (test.op === 'INTERSECTS' && test.aKind === 'point')
      test = { ...test, op: 'CONTAINS' };
    return test;
  }

  protected binary(op: string, left: Expression, right: Expression): string {
    const l = this.expression(left);
    // x / 0 and MOD(x, 0) are NULL everywhere (PostgreSQL would fail, DuckDB give NULL or Infinity).
    const r =
      op === '/' || op === '%' ? `NULLIF(${this.expression(right)}, 0)` : this.expression(right);
    const integers = this.kind(left) === 'integer' && this.kind(right) === 'integer';
    switch (op) {
      case '/':
        return integers ? this.integerDivision(l, r) : `(${l} / ${r})`;
      case '%':
        return this.modulo(l, r, integers);
      default:
        return `(${l} ${op} ${r})`;
    }
  }

  /** Integer division truncates toward zero on every engine (SQL's rule, as in PostgreSQL). */
  protected integerDivision(l: string, r: string): string {
    return `(${l} / ${r})`;
  }

  /** MOD: the remainder has the sign of the dividend (ADQL 2.1 §2.3). */
  protected modulo(l: string, r: string, integers: boolean): string {
    return integers ? `(${l} % ${r})` : `(${l} - ${r} * trunc(${l} / ${r}))`;
  }

  protected like(e: Like): string {
    return this.likeSql(
      this.expression(e.value),
      this.expression(e.pattern),
      e.caseInsensitive,
      e.negated,
    );
  }

  protected likeSql(
    value: string,
    pattern: string,
    caseInsensitive: boolean,
    negated: boolean,
  ): string {
    return `(${value}${negated ? ' NOT' : ''} ${caseInsensitive ? 'ILIKE' : 'LIKE'} ${pattern})`;
  }

  protected double(e: Expression): string {
    const sql = this.expression(e);
    return this.typeOf(e).datatype === 'double'
      ? sql
      : `CAST(${sql} AS ${this.typeName('double')})`;
  }

  protected builtinFunction(e: FunctionCall): string {
    const args = e.args;
    const arg = (i: number): Expression => args[i] as Expression;
    const d = (i: number): string => this.double(arg(i));
    switch (e.name) {
      case 'ABS':
        return `abs(${this.expression(arg(0))})`;
      case 'CEILING':
        return `ceil(${d(0)})`;
      case 'FLOOR':
        return `floor(${d(0)})`;
      case 'ROUND':
        return this.round(d(0), args.length > 1 ? this.expression(arg(1)) : '0');
      case 'TRUNCATE':
        return this.truncate(d(0), args.length > 1 ? this.expression(arg(1)) : '0');
      case 'MOD': {
        const integers = this.kind(arg(0)) === 'integer' && this.kind(arg(1)) === 'integer';
        return integers
          ? this.modulo(this.expression(arg(0)), `NULLIF(${this.expression(arg(1))}, 0)`, true)
          : this.modulo(d(0), `NULLIF(${d(1)}, 0)`, false);
      }
      case 'DEGREES':
      case 'RADIANS':
      case 'EXP':
      case 'SQRT':
      case 'SIN':
      case 'COS':
      case 'TAN':
      case 'COT':
      case 'ASIN':
      case 'ACOS':
      case 'ATAN':
        return `${e.name.toLowerCase()}(${d(0)})`;
      case 'LOG':
        return `ln(${d(0)})`;
      case 'LOG10':
        return `log10(${d(0)})`;
      case 'ATAN2':
        return `atan2(${d(0)}, ${d(1)})`;
      case 'POWER':
        return `power(${d(0)}, ${d(1)})`;
      case 'PI':
        return 'pi()';
      case 'RAND':
        // The seed argument has no defined meaning in ADQL 2.1; it is ignored.
        return 'random()';
      case 'LOWER':
      case 'UPPER':
        return `${e.name.toLowerCase()}(${this.expression(arg(0))})`;
      case 'COALESCE':
        return `COALESCE(${args.map((a) => this.expression(a)).join(', ')})`;
      case 'IN_UNIT': {
        const from = this.typeOf(arg(0)).unit as string;
        const to = (arg(1) as Extract<Expression, { kind: 'string' }>).value;
        return `(${d(0)} * ${this.doubleLiteral(conversionFactor(from, to))})`;
      }
      case 'TIMESTAMP':
        return `CAST(${this.expression(arg(0))} AS ${this.typeName('timestamp')})`;
      case 'CONTAINS':
      case 'INTERSECTS':
        return `CAST(${this.region(this.regionTest(e))} AS ${this.typeName('integer')})`;
      case 'MOC':
        throw new AdqlError('MOC() is a value only CONTAINS and INTERSECTS can compare', e.at);
      case 'DISTANCE':
        return args.length === 2
          ? this.distance(arg(0), arg(1))
          : this.distanceOfCoordinates(d(0), d(1), d(2), d(3));
      case 'AREA':
        return this.area(arg(0), this.kind(arg(0)));
      case 'CENTROID':
        return this.centroid(arg(0), this.kind(arg(0)));
      case 'COORD1':
      case 'COORD2':
        return this.coordinate(arg(0), e.name === 'COORD1' ? 1 : 2);
      case 'COORDSYS':
        // Every position this service publishes is ICRS.
        return `CASE WHEN ${this.expression(arg(0))} IS NULL THEN NULL ELSE 'ICRS' END`;
      default:
        throw new AdqlError(`function ${e.name} is not supported`, e.at);
    }
  }

  /** ROUND(x, n): half away from zero, with the same floating-point steps everywhere. */
  protected round(x: string, n: string): string {
    return `hearc_round(${x}, ${n})`;
  }

  protected truncate(x: string, n: string): string {
    return `hearc_truncate(${x}, ${n})`;
  }

  protected aggregate(e: AggregateCall): string {
    const value = e.arg ? this.aggregatedValue(e) : undefined;
    return this.aggregateOf(
      e,
      value === undefined ? '*' : `${e.distinct ? 'DISTINCT ' : ''}${value}`,
    );
  }

  /** The value an aggregate with an argument aggregates, as SQL. */
  protected aggregatedValue(e: AggregateCall): string {
    const arg = e.arg as Expression;
    // Sums of REAL values are computed in double precision everywhere (PostgreSQL keeps float4).
    const sumsReals = (e.name === 'SUM' || e.name === 'AVG') && this.kind(arg) === 'real';
    return sumsReals ? this.double(arg) : this.expression(arg);
  }

  /** `e`'s aggregate function over `inner` (`*`, a value, `DISTINCT` a value), typed as annotated. */
  protected aggregateOf(e: AggregateCall, inner: string): string {
    const sql = `${e.name.toLowerCase()}(${inner})`;
    // SUM and AVG widen differently per database; give them the annotated type.
    if (e.name === 'SUM' || e.name === 'AVG' || e.name === 'COUNT') {
      return `CAST(${sql} AS ${this.aggregateType(e)})`;
    }
    return sql;
  }

  /** The SQL type COUNT, SUM and AVG are cast to: bigint for counts and long sums, else double. */
  protected aggregateType(e: AggregateCall): string {
    return this.typeName(
      e.name === 'COUNT' || this.typeOf(e).datatype === 'long' ? 'bigint' : 'double',
    );
  }

  protected cast(e: Cast): string {
    const value = this.expression(e.operand);
    switch (e.target) {
      case 'SMALLINT':
        return `CAST(${value} AS ${this.typeName('smallint')})`;
      case 'INTEGER':
        return `CAST(${value} AS ${this.typeName('integer')})`;
      case 'BIGINT':
        return `CAST(${value} AS ${this.typeName('bigint')})`;
      case 'REAL':
        return `CAST(${value} AS ${this.typeName('real')})`;
      case 'DOUBLE PRECISION':
        return `CAST(${value} AS ${this.typeName('double')})`;
      case 'TIMESTAMP':
        return `CAST(${value} AS ${this.typeName('timestamp')})`;
      case 'CHAR':
      case 'VARCHAR':
        return this.castToString(value, e.length ?? (e.target === 'CHAR' ? 1 : undefined));
      default:
        // Geometry casts are only accepted on values of that type already.
        return value;
    }
  }

  /** CAST to CHAR(n)/VARCHAR(n): truncated to n characters, never padded. */
  protected abstract castToString(value: string, length: number | undefined): string;

  protected userDefinedFunction(e: FunctionCall): string {
    const f = findUserDefinedFunction(e.name);
    if (!f) throw new AdqlError(`unknown function '${e.name}'`, e.at);
    const args = e.args.map((a, i) => {
      const p = f.parameters[i];
      return p?.adqlType === 'DOUBLE PRECISION' ? this.double(a) : this.expression(a);
    });
    const sql = this.udf(f.name, args, e);
    if (sql === undefined)
      throw new AdqlError(`function ${f.name} is not available on this database`, e.at);
    return sql;
  }

  /** The dialect's SQL for one user-defined function of src/adql/udfs.ts. */
  /** The SQL of one user-defined function of src/adql/udfs.ts (helpers from the dialect preludes). */
  protected udf(name: string, args: readonly string[], _call: FunctionCall): string | undefined {
    const [a, b, c, d] = args;
    const integer = this.typeName('integer');
    switch (name) {
      case 'ivo_healpix_index':
        return `hearc_healpix_index(${a}, ${b}, ${c})`;
      case 'ivo_healpix_center':
        return `hearc_healpix_center(${a}, ${b})`;
      case 'ivo_hasword':
        return `hearc_hasword(${a}, ${b})`;
      case 'ivo_hashlist_has':
        return `hearc_hashlist_has(${a}, ${b})`;
      case 'ivo_nocasematch':
        return `CAST(${this.likeSql(a as string, b as string, true, false)} AS ${integer})`;
      case 'ivo_interval_overlaps':
        return `CAST((${a} <= ${d} AND ${c} <= ${b}) AS ${integer})`;
      case 'ivo_string_agg':
        return `COALESCE(string_agg(${a}, ${b}), '')`;
      default:
        return undefined;
    }
  }

  // ------------------------------------------------------------ geometry (per dialect)

  protected abstract point(e: PointConstructor): string;
  protected abstract circle(e: CircleConstructor): string;
  protected abstract box(e: BoxConstructor): string;
  protected abstract polygon(e: PolygonConstructor): string;
  /** A boolean predicate for CONTAINS/INTERSECTS (INTERSECTS with a point already turned around). */
  protected abstract regionPredicate(test: RegionTest): string;
  /** CONTAINS/INTERSECTS where one side is a MOC (a MOC column or MOC()); the other may be a geometry. */
  protected abstract mocPredicate(test: RegionTest): string;

  private region(test: RegionTest): string {
    return test.aKind === 'moc' || test.bKind === 'moc'
      ? this.mocPredicate(test)
      : this.regionPredicate(test);
  }

  /**
   * The cells of a constant MOC operand, as an ASCII MOC at MOC_COMPILE_DEPTH: MOC('...'),
   * MOC(order, geometry) or a geometry (a CIRCLE or POLYGON at GEOMETRY_MOC_ORDER, a
   * POINT as its cell); undefined when the operand is not constant.
   */
  protected constantMoc(e: Expression): string | undefined {
    // A bare POINT is its deepest cell: inside a MOC exactly when the position is.
    const order = e.kind === 'pointConstructor' ? MOC_COMPILE_DEPTH : GEOMETRY_MOC_ORDER;
    const ranges = this.constantMocRanges(e, order);
    return ranges && cellRangesAscii(mergeCellRanges(ranges), MOC_COMPILE_DEPTH);
  }

  private constantMocRanges(e: Expression, order: number): number[] | undefined {
    const fail = (message: string): never => {
      throw new AdqlError(message, e.at);
    };
    const numbers = (values: readonly Expression[]): number[] | undefined => {
      const out = values.map((v) => this.constantValue(v));
      return out.every((v): v is number => v !== undefined) ? out : undefined;
    };
    try {
      switch (e.kind) {
        case 'call': {
          if (e.name !== 'MOC' || e.udf) return undefined;
          const [first, second] = e.args as [Expression, Expression | undefined];
          if (second === undefined) {
            if (first.kind !== 'string') return undefined;
            return asciiCellRanges(first.value, MOC_COMPILE_DEPTH);
          }
          const level = this.constantValue(first);
          if (level === undefined) return undefined;
          if (!Number.isInteger(level) || level < 0 || level > MOC_COMPILE_DEPTH) {
            fail(`the order of MOC(order, geometry) must be 0 to ${MOC_COMPILE_DEPTH}`);
          }
          return this.constantMocRanges(second, level);
        }
        case 'pointConstructor': {
          const p = numbers([e.ra, e.dec]);
          return p && pointCellRanges(order, p[0]!, p[1]!);
        }
        case 'circleConstructor': {
          if (e.center.kind !== 'coordinates') return undefined;
          const c = numbers([e.center.ra, e.center.dec, e.radius]);
          return c && circleCellRanges(order, c[0]!, c[1]!, c[2]!);
        }
        case 'polygonConstructor': {
          const v = numbers(e.args);
          return v && polygonCellRanges(order, v);
        }
        default:
          return undefined;
      }
    } catch (error) {
      if (error instanceof RangeError) fail(error.message);
      throw error;
    }
  }
  /** AREA of a circle or polygon, in square degrees. */
  protected abstract regionArea(value: string, kind: ValueKind): string;
  protected abstract centroid(g: Expression, kind: ValueKind): string;

  protected distance(a: Expression, b: Expression): string {
    const p = this.pointSql(a);
    const q = this.pointSql(b);
    return this.distanceOfCoordinates(p.ra, p.dec, q.ra, q.dec);
  }

  /** Both preludes define hearc_dist with the same haversine formula. */
  protected distanceOfCoordinates(ra1: string, dec1: string, ra2: string, dec2: string): string {
    return `hearc_dist(${ra1}, ${dec1}, ${ra2}, ${dec2})`;
  }

  protected area(g: Expression, kind: ValueKind): string {
    const value = this.expression(g);
    if (kind !== 'point') return this.regionArea(value, kind);
    return `CASE WHEN ${value} IS NULL THEN NULL ELSE CAST(0 AS ${this.typeName('double')}) END`;
  }

  protected coordinate(p: Expression, axis: 1 | 2): string {
    if (p.kind === 'pointConstructor') {
      return axis === 1 ? `hearc_ra(${this.double(p.ra)})` : this.double(p.dec);
    }
    const c = this.coordinatesOf(this.expression(p));
    return axis === 1 ? c.ra : c.dec;
  }

  // ------------------------------------------------------------ helpers for dialects

  /** The coordinates (degrees) of a compiled point value of the dialect. */
  protected abstract coordinatesOf(pointSql: string): PointSql;

  /** The coordinates of a point expression; for POINT(ra, dec) its arguments as they are. */
  protected pointSql(e: Expression): PointSql {
    if (e.kind === 'pointConstructor') return { ra: this.double(e.ra), dec: this.double(e.dec) };
    return this.coordinatesOf(this.expression(e));
  }

  protected operandSql(p: PointOperand): PointSql {
    return p.kind === 'point'
      ? this.pointSql(p.point)
      : { ra: this.double(p.ra), dec: this.double(p.dec) };
  }

  /** The constant position of a DISTANCE operand, if it is one. */
  protected constantPoint(p: PointOperand): { ra: number; dec: number } | undefined {
    const coords =
      p.kind === 'coordinates' ? p : p.point.kind === 'pointConstructor' ? p.point : undefined;
    if (!coords) return undefined;
    const ra = this.constantValue(coords.ra);
    const dec = this.constantValue(coords.dec);
    return ra === undefined || dec === undefined ? undefined : { ra, dec };
  }

  /**
   * SQL for DISTANCE(...) < r that a database can run faster (a range prefilter or an
   * index), with the same result as the plain comparison; undefined to use that.
   */
  protected distanceWithin(bound: DistanceBound): string | undefined {
    const box = this.distancePrefilter(bound);
    return box ? `(${box} AND ${this.exactDistance(bound)})` : undefined;
  }

  protected exactDistance(bound: DistanceBound): string {
    return `(${this.expression(bound.distance)} ${bound.op} ${this.double(bound.radius)})`;
  }

  /** When one point and the radius are constants: the cone's range test on the other point. */
  protected distancePrefilter(bound: DistanceBound): string | undefined {
    const cone = this.distanceCone(bound);
    if (cone === undefined) return undefined;
    const p = this.operandSql(cone.other);
    return this.coneBoundingBox(p.ra, p.dec, cone.cone, cone.coordinates);
  }

  /**
   * `DISTANCE(p, c) < r` with a constant point c and radius r, as the cone about c and the
   * other point, written as a pair or as POINT(ra, dec); undefined otherwise.
   */
  private distanceCone(bound: DistanceBound):
    | {
        readonly cone: { ra: number; dec: number; radius: number };
        readonly other: PointOperand;
        readonly coordinates: PointCoordinates;
      }
    | undefined {
    const radius = this.constantValue(bound.radius);
    if (radius === undefined) return undefined;
    const [a, b] = bound.points;
    const fixedB = this.constantPoint(b);
    const fixedA = this.constantPoint(a);
    const [center, other] = fixedB ? [fixedB, a] : fixedA ? [fixedA, b] : [undefined, a];
    const coordinates = writtenCoordinates(other);
    if (!center || !coordinates) return undefined;
    return { cone: { ...center, radius }, other, coordinates };
  }

  protected centerSql(center: CircleConstructor['center']): PointSql {
    return center.kind === 'coordinates'
      ? { ra: this.double(center.ra), dec: this.double(center.dec) }
      : this.pointSql(center.point);
  }

  /** The value of an expression made only of numeric literals, or undefined. */
  protected constantValue(e: Expression): number | undefined {
    switch (e.kind) {
      case 'number':
        return Number(e.numberKind === 'hex' ? integerLiteralValue(e) : e.text);
      case 'unary': {
        const v = this.constantValue(e.operand);
        return v === undefined ? undefined : e.op === '-' ? -v : v;
      }
      case 'binary': {
        const l = this.constantValue(e.left);
        const r = this.constantValue(e.right);
        if (l === undefined || r === undefined || !isNumericKind(this.kind(e))) return undefined;
        if (e.op === '+') return l + r;
        if (e.op === '-') return l - r;
        if (e.op === '*') return l * r;
        if (e.op === '/' && r !== 0 && this.kind(e) === 'real') return l / r;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** The constant centre and radius of a CIRCLE(...) constructor, if they are constants. */
  protected constantCone(e: Expression): { ra: number; dec: number; radius: number } | undefined {
    if (e.kind !== 'circleConstructor') return undefined;
    const coords = writtenCoordinates(e.center);
    if (!coords) return undefined;
    const ra = this.constantValue(coords.ra);
    const dec = this.constantValue(coords.dec);
    const radius = this.constantValue(e.radius);
    if (ra === undefined || dec === undefined || radius === undefined) return undefined;
    return { ra, dec, radius };
  }

  /** The constant vertices (degrees) of a POLYGON(...) or BOX(...) of constants. */
  private constantVertices(e: Expression): number[] | undefined {
    if (e.kind === 'boxConstructor') {
      const c =
        e.center.kind === 'coordinates'
          ? e.center
          : e.center.point.kind === 'pointConstructor'
            ? e.center.point
            : undefined;
      const values = c ? [c.ra, c.dec, e.width, e.height].map((x) => this.constantValue(x)) : [];
      return values.length === 4 && values.every((v) => v !== undefined)
        ? boxCorners(...(values as [number, number, number, number]))
        : undefined;
    }
    if (e.kind !== 'polygonConstructor') return undefined;
    const parts = e.args.flatMap((a) => (a.kind === 'pointConstructor' ? [a.ra, a.dec] : [a]));
    const values = parts.map((x) => (this.kind(x) === 'point' ? undefined : this.constantValue(x)));
    return values.every((v) => v !== undefined) ? (values as number[]) : undefined;
  }

  /** A declination band holding every point of a constant POLYGON/BOX (see sphere.ts). */
  protected polygonPrefilter(decSql: string, region: Expression): string | undefined {
    const vertices = this.constantVertices(region);
    const band = vertices ? polygonDeclinationBand(vertices) : undefined;
    if (!band || (band[0] <= -90 && band[1] >= 90)) return undefined;
    return `${decSql} BETWEEN ${this.doubleLiteral(band[0] - 1e-6)} AND ${this.doubleLiteral(band[1] + 1e-6)}`;
  }

  /** The HEALPix cell column stored with a point made of a table's (ra, dec) columns (TableDef.healpixIndex). */
  private cellColumnOf(point: PointCoordinates): { sql: string; order: number } | undefined {
    const ra = point.ra.kind === 'column' ? this.annotations.columns.get(point.ra) : undefined;
    const dec = point.dec.kind === 'column' ? this.annotations.columns.get(point.dec) : undefined;
    if (ra?.kind !== 'relationColumn' || dec?.kind !== 'relationColumn') return undefined;
    if (ra.relation !== dec.relation) return undefined;
    const cells = this.annotations.tableOf(ra.relation)?.healpixIndex;
    if (!cells || cells.ra !== ra.column || cells.dec !== dec.column) return undefined;
    const sql = `${this.quoteIdentifier(ra.relation)}.${this.quoteIdentifier(cells.column)}`;
    return { sql, order: cells.order };
  }

  /**
   * The stored HEALPix cells a condition confines its rows to: for a cone on a point whose
   * table stores its cell (`1 = CONTAINS(POINT(ra, dec), CIRCLE(…))`, `DISTANCE(…) < r`,
   * constants), that cell column's SQL and ranges holding every cell a row can have.
   */
  protected confinedCells(term: Expression): { column: string; ranges: CellRanges } | undefined {
    if (term.kind !== 'comparison') return undefined;
    let point: PointCoordinates;
    let cone: { ra: number; dec: number; radius: number } | undefined;
    const bound = distanceBound(term);
    if (bound) {
      const found = this.distanceCone(bound);
      if (found === undefined) return undefined;
      ({ cone, coordinates: point } = found);
    } else {
      // `1 = CONTAINS(…)` or `CONTAINS(…) <> 0`: the rows hold in the region.
      const found = regionCall(term);
      if (!found?.holds) return undefined;
      const test = this.regionTest(found.call);
      cone = this.constantCone(test.b);
      if (test.op !== 'CONTAINS' || test.a.kind !== 'pointConstructor' || !cone) return undefined;
      point = test.a;
    }
    const cells = this.cellColumnOf(point);
    const ranges = cells && coneCellRanges(cells.order, cone);
    return cells && ranges ? { column: cells.sql, ranges } : undefined;
  }

  private cellRangesTest(column: string, ranges: CellRanges): string {
    const tests = ranges.map(([lo, hi]) =>
      lo === hi ? `${column} = ${lo}` : `${column} BETWEEN ${lo} AND ${hi}`,
    );
    return `(${tests.join(' OR ')})`;
  }

  /**
   * For a point whose table stores its HEALPix cell: a test that the stored cell is one
   * the cone may touch, which an index or the zone maps of a table clustered by cell can
   * answer without the rows (the span of all the ranges first, a plain range test).
   */
  protected cellPrefilter(
    point: PointCoordinates,
    cone: { ra: number; dec: number; radius: number },
  ): string | undefined {
    const cells = this.cellColumnOf(point);
    const ranges = cells ? coneCellRanges(cells.order, cone) : undefined;
    if (!cells || !ranges || ranges.length === 0) return undefined;
    const span = `${cells.sql} BETWEEN ${ranges[0]![0]} AND ${ranges[ranges.length - 1]![1]}`;
    return ranges.length === 1
      ? `(${span})`
      : `(${span} AND ${this.cellRangesTest(cells.sql, ranges)})`;
  }

  /**
   * `exact`, the test that a point is in a constant cone, with the range prefilters
   * before it; for a point whose table stores its cell, rows of cells wholly inside
   * the cone pass without the exact test (the same answer, without the trigonometry).
   */
  protected coneTest(
    raSql: string,
    decSql: string,
    cone: { ra: number; dec: number; radius: number },
    coordinates: PointCoordinates | undefined,
    exact: string,
  ): string {
    const box = this.coneBoundingBox(raSql, decSql, cone, coordinates);
    const cells = coordinates ? this.cellColumnOf(coordinates) : undefined;
    const inside = cells ? coneInteriorCellRanges(cells.order, cone) : [];
    const test =
      cells && inside.length > 0
        ? `(${this.cellRangesTest(cells.sql, inside)} OR ${exact})`
        : exact;
    return box ? `(${box} AND ${test})` : test;
  }

  /**
   * For tables whose rows hold intervals (TableDef.intervals: low <= high on every row),
   * the range tests a window implies: `low >= a AND high <= b` also gives `low <= b` and
   * `high >= a`. PostgreSQL takes the two given tests as independent, expects a fifth of
   * the table and reads it all; the implied ones are index ranges. Same rows.
   */
  protected impliedBounds(where: Expression): string {
    const terms = conjuncts(where);
    const lower = new Map<string, { value: number; sql: string }>();
    const upper = new Map<string, { value: number; sql: string }>();
    const note = (column: Expression, bound: Expression, side: 'lower' | 'upper'): void => {
      const ref = column.kind === 'column' ? this.annotations.columns.get(column) : undefined;
      const value = constantNumber(bound);
      if (ref?.kind !== 'relationColumn' || value === undefined) return;
      const key = `${ref.relation}\t${ref.column}`;
      const known = (side === 'lower' ? lower : upper).get(key);
      if (known && (side === 'lower' ? known.value >= value : known.value <= value)) return;
      (side === 'lower' ? lower : upper).set(key, { value, sql: this.expression(bound) });
    };
    for (const term of terms) {
      if (term.kind === 'between' && !term.negated) {
        note(term.value, term.low, 'lower');
        note(term.value, term.high, 'upper');
      } else if (term.kind === 'comparison') {
        const { op, left, right } = term;
        if (op === '>=' || op === '>') note(left, right, 'lower');
        if (op === '<=' || op === '<') note(left, right, 'upper');
        if (op === '<=' || op === '<') note(right, left, 'lower');
        if (op === '>=' || op === '>') note(right, left, 'upper');
      }
    }
    const implied: string[] = [];
    const relations = new Set([...lower.keys()].map((key) => key.split('\t')[0]!));
    for (const relation of relations) {
      for (const { low, high } of this.annotations.tableOf(relation)?.intervals ?? []) {
        const from = lower.get(`${relation}\t${low}`);
        const to = upper.get(`${relation}\t${high}`);
        if (!from || !to) continue;
        const column = (name: string): string =>
          `${this.quoteIdentifier(relation)}.${this.quoteIdentifier(name)}`;
        implied.push(` AND ${column(low)} <= ${to.sql} AND ${column(high)} >= ${from.sql}`);
      }
    }
    return implied.join('');
  }

  /**
   * A cheap range condition on a point's coordinates that every point within `radius`
   * degrees of (ra, dec) satisfies: a declination band, and when the cone does not
   * reach a pole, a right-ascension window that is correct across RA = 0/360.
   */
  protected coneBoundingBox(
    raSql: string,
    decSql: string,
    cone: { ra: number; dec: number; radius: number },
    coordinates?: PointCoordinates,
  ): string | undefined {
    // Widened by 1e-6 deg, more than the 1e-9 rad tolerance of the exact tests.
    const r = cone.radius + 1e-6;
    if (!(r > 0) || !Number.isFinite(cone.ra) || !Number.isFinite(cone.dec) || r >= 180)
      return undefined;
    const cells = coordinates ? this.cellPrefilter(coordinates, cone) : undefined;
    const parts = [
      ...(cells ? [cells] : []),
      `${decSql} BETWEEN ${this.doubleLiteral(cone.dec - r)} AND ${this.doubleLiteral(cone.dec + r)}`,
    ];
    if (Math.abs(cone.dec) + r < 90) {
      const rad = Math.PI / 180;
      const halfWidth = Math.asin(Math.min(1, Math.sin(r * rad) / Math.cos(cone.dec * rad))) / rad;
      const center = cone.ra - 360 * Math.floor(cone.ra / 360);
      const lo = center - halfWidth;
      const hi = center + halfWidth;
      const windows = [0, -360, 360].map(
        (shift) =>
          `${raSql} BETWEEN ${this.doubleLiteral(lo + shift)} AND ${this.doubleLiteral(hi + shift)}`,
      );
      parts.push(`(${windows.join(' OR ')})`);
    }
    return `(${parts.join(' AND ')})`;
  }
}

/** Shortest text that reads back as the same double, in a form every SQL engine parses. */
export function numberText(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? text.replace(/e\+?/i, 'E') : text;
}

/** The value of a numeric literal, signed or not; undefined for anything else. */
function constantNumber(e: Expression): number | undefined {
  if (e.kind === 'number')
    return e.numberKind === 'hex' ? Number.parseInt(e.text, 16) : Number(e.text);
  if (e.kind === 'unary') {
    const value = constantNumber(e.operand);
    return value === undefined ? undefined : e.op === '-' ? -value : value;
  }
  return undefined;
}
