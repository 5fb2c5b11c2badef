/**
 * ADQL → PostgreSQL + pg_sphere SQL. Geometry uses spoint/scircle/spoly with pg_sphere's
 * operators (`<@` contained by, `&&` overlaps) in index-friendly order: the column on the
 * left, the constant region on the right. Cones on constant coordinates also get the
 * range prefilter on the point's own columns, as in DuckDB.
 */
import type {
  AggregateCall,
  BoxConstructor,
  CircleConstructor,
  ColumnReference,
  Expression,
  PointConstructor,
  PolygonConstructor,
  Query,
  SelectCore,
} from '../../adql/ast.js';
import {
  type CompileOptions,
  conjuncts,
  type DistanceBound,
  type PointSql,
  type RegionTest,
  rowLimit,
  SqlCompiler,
  type SqlDialect,
  type SqlType,
} from '../../adql/compiler.js';
import { GEOMETRY_MOC_ORDER } from '../../adql/moc.js';
import { children, type ResolvedQuery } from '../../adql/resolve.js';
import type { ValueKind } from '../../adql/types.js';
import type { TableDef } from '../../schema/types.js';
import { partitionRanges } from '../catalog-sql.js';

const postgresTypes: Readonly<Record<SqlType, string>> = {
  smallint: 'smallint',
  integer: 'integer',
  bigint: 'bigint',
  real: 'real',
  double: 'double precision',
  varchar: 'varchar',
  timestamp: 'timestamp',
  boolean: 'boolean',
};

/**
 * Where a partitioned table's partitions are (PostgreSQL shards): the partitions of
 * `table` that are foreign tables on other servers, as last read.
 */
export interface PartitionPlacement {
  foreignPartitions(table: TableDef): readonly number[];
}

/** Thrown inside the per-partition rewrite when a query does not fit it; the plain SQL is used. */
class NotPartial extends Error {}

/** The most rows per partition that perPartitionTopN asks of each (TOP plus OFFSET). */
const TOP_PER_PARTITION = 10_000;

/** A query over one partitioned table with partitions on shards (shardedTarget). */
interface ShardedTarget {
  readonly core: SelectCore;
  readonly relation: { readonly alias: string };
  readonly table: TableDef;
  readonly foreign: ReadonlySet<number>;
}

/** Where one part of such a query is read: a relation and its conditions. */
interface Branch {
  readonly from: string;
  readonly conditions: readonly string[];
}

/** An aggregate split into what each partition computes and how the parts are combined. */
interface SplitAggregate {
  readonly parts: readonly string[];
  readonly combine: (parts: readonly string[]) => string;
}

export class PostgresCompiler extends SqlCompiler {
  /** Set while the outer query of a per-partition aggregate is compiled. */
  private combining:
    | { readonly aggregates: Map<AggregateCall, string>; readonly groups: Map<string, string> }
    | undefined;

  constructor(
    resolved: ResolvedQuery,
    options?: CompileOptions,
    private readonly placement?: PartitionPlacement,
  ) {
    super(resolved, options);
  }

  protected override query(q: Query, limit?: number): string {
    if (this.combining === undefined) {
      try {
        const partial = this.perPartitionAggregate(q, limit) ?? this.perPartitionTopN(q, limit);
        if (partial !== undefined) return partial;
      } catch (error) {
        if (!(error instanceof NotPartial)) throw error;
      }
    }
    return super.query(q, limit);
  }

  override expression(e: Expression): string {
    const combining = this.combining;
    if (combining === undefined) return super.expression(e);
    if (e.kind === 'aggregate') {
      const combined = combining.aggregates.get(e);
      if (combined === undefined) throw new NotPartial();
      return combined;
    }
    // A grouped expression is read from its column of the parts.
    this.combining = undefined;
    let text: string;
    try {
      text = super.expression(e);
    } finally {
      this.combining = combining;
    }
    const group = combining.groups.get(text);
    if (group !== undefined) return group;
    if (e.kind === 'column') {
      // Only an output's own name (ORDER BY n) is known outside the parts.
      if (this.annotations.columns.get(e)?.kind !== 'outputName') throw new NotPartial();
      return text;
    }
    return super.expression(e);
  }

  /**
   * An aggregate over a table with partitions on shards, as one aggregate per shard
   * partition (and one over the local partitions) whose results are combined: PostgreSQL
   * 15's postgres_fdw sends a whole aggregate to a shard, never a partial one, and would
   * otherwise bring every row to the coordinator. The shards then aggregate at the same
   * time (asynchronous append) and send a row per group (and per observation, when the
   * caller may not see them all; and per value of a DISTINCT aggregate). Undefined (the
   * plain SQL) for any query this does not fit: joins, subqueries, SELECT DISTINCT.
   */
  private perPartitionAggregate(query: Query, limit: number | undefined): string | undefined {
    const target = this.shardedTarget(query);
    if (target === undefined) return undefined;
    const { core, relation, table } = target;
    // Rows the rights filter: each part is grouped by its rows' key too, and only the parts
    // of keys the caller may see are combined (the filter depends on nothing else).
    const keys = this.visibleKeys(table);
    if (keys !== undefined && table.rightsKey === undefined) return undefined;
    const outputs = this.annotations.outputsOf(core);
    if (outputs.some((o) => o.expr === undefined || this.annotations.stcsTexts.has(o))) {
      return undefined;
    }
    const outer = [
      ...outputs.map((o) => o.expr as Expression),
      ...(core.having ? [core.having] : []),
      ...query.orderBy.map((o) => o.expr),
    ];
    const aggregates = outer.flatMap((e) => aggregatesIn(e));
    if (aggregates.length === 0 && core.groupBy.length === 0) return undefined;
    const inner = [...(core.where ? [core.where] : []), ...core.groupBy];
    if (inner.some((e) => aggregatesIn(e).length > 0)) return undefined;
    const unordered = [
      ...outputs.map((o) => o.expr as Expression),
      ...(core.having ? [core.having] : []),
    ];
    if (!this.readsOwnColumns(target, query, [...unordered, ...inner])) return undefined;
    // DISTINCT aggregates group the parts by their values: at most two such values.
    if (new Set(aggregates.filter((a) => a.distinct).map((a) => this.aggregate(a))).size > 2) {
      return undefined;
    }

    const q = (name: string): string => this.quoteIdentifier(name);
    const parts = q('hearc_parts');
    const partColumns: { readonly sql: string; readonly ref: string }[] = [];
    const partColumn = (sql: string, prefix: string): string => {
      const ref = `${parts}.${q(`hearc_${prefix}${partColumns.length}`)}`;
      partColumns.push({ sql, ref });
      return ref;
    };
    const groupSqls = core.groupBy.map((g) => this.expression(g));
    const groups = new Map<string, string>();
    for (const g of groupSqls) if (!groups.has(g)) groups.set(g, partColumn(g, 'g'));
    const keyColumn = `${q(relation.alias)}.${q(table.rightsKey ?? '')}`;
    const keyPart = keys === undefined ? undefined : partColumn(keyColumn, 'k');
    const byText = new Map<string, string>();
    const combined = new Map<AggregateCall, string>();
    // The values of DISTINCT aggregates: each part holds each value once (grouped by it),
    // and the whole applies the same aggregate to the distinct values of the parts.
    const distinctValues = new Map<string, string>();
    for (const a of aggregates) {
      const text = this.aggregate(a);
      let sql = byText.get(text);
      if (sql === undefined) {
        if (a.distinct) {
          const value = this.aggregatedValue(a);
          let ref = groups.get(value) ?? distinctValues.get(value);
          if (ref === undefined) {
            ref = partColumn(value, 'd');
            distinctValues.set(value, ref);
          }
          sql = this.aggregateOf(a, `DISTINCT ${ref}`);
        } else {
          const split = this.splitAggregate(a);
          sql = split.combine(split.parts.map((p) => partColumn(p, 'a')));
        }
        byText.set(text, sql);
      }
      combined.set(a, sql);
    }

    const alias = q(relation.alias);
    const where = core.where ? this.whereCondition(core.where) : undefined;
    const partGroups = [
      ...groups.keys(),
      ...distinctValues.keys(),
      ...(keyPart === undefined ? [] : [keyColumn]),
    ];
    const groupBy = partGroups.length > 0 ? ` GROUP BY ${partGroups.join(', ')}` : '';
    const branches = this.partitionBranches(target, where);
    if (branches === undefined) return undefined;

    this.combining = { aggregates: combined, groups };
    try {
      const items = outputs.map((o) => `${this.expression(o.expr as Expression)} AS ${q(o.name)}`);
      const having = core.having ? ` HAVING ${this.condition(core.having)}` : '';
      const orderBy = this.orderBy(query.orderBy);
      const visible = keyPart === undefined ? '' : ` WHERE ${keyPart} IN (${keys})`;
      const outerGroupBy = groups.size > 0 ? ` GROUP BY ${[...groups.values()].join(', ')}` : '';
      // Anything still naming the table's rows would not be computed from the parts.
      if (`${items.join()}${having}${orderBy}`.includes(`${alias}.`)) throw new NotPartial();
      // Each part's columns in the order the combining query first uses them, as PostgreSQL
      // lists them: then a part needs no projection of its own and its shards are read at
      // the same time (a projection would make the scans of the shards one after another).
      const use = `${items.join()}${orderBy}${outerGroupBy}${having}${visible}`;
      const first = (ref: string): number => {
        const at = use.indexOf(ref);
        return at < 0 ? use.length : at;
      };
      const columns = [...partColumns]
        .sort((a, b) => first(a.ref) - first(b.ref))
        .map((c) => `${c.sql} AS ${c.ref.slice(parts.length + 1)}`);
      const union = branches
        .map((b) => this.branchSql(b, alias, columns.join(', '), groupBy))
        .join(' UNION ALL ');
      const rows = rowLimit(core.top, limit);
      return (
        `SELECT ${items.join(', ')} FROM (${union}) AS ${parts}${visible}${outerGroupBy}${having}` +
        `${orderBy}${this.limitOffset(rows, query.offset)}`
      );
    } finally {
      this.combining = undefined;
    }
  }

  /**
   * The one partitioned table with partitions on shards that `query` reads (a SELECT over
   * it alone, rows as stored or as the caller may see them), or undefined.
   */
  private shardedTarget(query: Query): ShardedTarget | undefined {
    const core = query.body;
    if (query.with.length > 0 || core.kind !== 'select' || core.distinct) return undefined;
    const [item] = core.from;
    if (core.from.length !== 1 || item?.kind !== 'table') return undefined;
    const relation = this.annotations.relations.get(item);
    if (relation?.source.kind !== 'table') return undefined;
    const table = relation.source.table;
    const foreign = new Set(this.placement?.foreignPartitions(table) ?? []);
    if (table.partitions === undefined || foreign.size === 0) return undefined;
    // The stored rows, or those the caller may see: no URLs made of stored paths.
    if (this.tableSource(table) !== this.visibleRows(table)) return undefined;
    return { core, relation, table, foreign };
  }

  /**
   * Whether `expressions` and the ORDER BY read only the target's own columns: no
   * subquery, no column of an outer query, and output names only in the ORDER BY.
   */
  private readsOwnColumns(
    { relation }: ShardedTarget,
    query: Query,
    expressions: readonly Expression[],
  ): boolean {
    const own = (e: Expression, outputNames: boolean): boolean =>
      !hasSubquery(e) &&
      columnsIn(e).every((c) => {
        const b = this.annotations.columns.get(c);
        if (b?.kind === 'outputName') return outputNames;
        return b?.kind === 'relationColumn' && b.relation === relation.alias;
      });
    return expressions.every((e) => own(e, false)) && query.orderBy.every((o) => own(o.expr, true));
  }

  /** One part's SELECT: `columns` of the branch's relation, its conditions, then `tail`. */
  private branchSql(branch: Branch, alias: string, columns: string, tail: string): string {
    const where = branch.conditions.length > 0 ? ` WHERE ${branch.conditions.join(' AND ')}` : '';
    return `SELECT ${columns} FROM ${branch.from} AS ${alias}${where}${tail}`;
  }

  /**
   * Where each part of `target` is read: each shard partition the query's cones reach (a
   * branch is a round trip to a shard), and one branch over the parent restricted to the
   * local partitions reached, which PostgreSQL prunes to them and may scan in parallel.
   * Undefined when no shard partition is reached: the plain query, pruned by PostgreSQL.
   */
  private partitionBranches(
    { core, relation, table, foreign }: ShardedTarget,
    where: string | undefined,
  ): Branch[] | undefined {
    const q = (name: string): string => this.quoteIdentifier(name);
    const column = `${q(relation.alias)}.${q(table.partitions?.column ?? '')}`;
    const confined = (core.where ? conjuncts(core.where) : []).flatMap((t) => {
      const cells = this.confinedCells(t);
      return cells?.column === column ? [cells.ranges] : [];
    });
    const reached = partitionRanges(table).filter((r) =>
      confined.every((cells) => cells.some(([lo, hi]) => lo < r.to && hi >= r.from)),
    );
    const branches: Branch[] = reached
      .filter((r) => foreign.has(r.index))
      .map((r) => ({ from: this.tableName(r.table), conditions: where ? [where] : [] }));
    if (branches.length === 0) return undefined;
    const local = reached.filter((r) => !foreign.has(r.index));
    if (local.length > 0) {
      const runs: { from: number; to: number }[] = [];
      for (const r of local) {
        const last = runs.at(-1);
        if (last !== undefined && last.to === r.from) last.to = r.to;
        else runs.push({ from: r.from, to: r.to });
      }
      const inLocal = runs.map((r) => `(${column} >= ${r.from} AND ${column} < ${r.to})`);
      const range = runs.length === 1 ? (inLocal[0] as string) : `(${inLocal.join(' OR ')})`;
      branches.push({ from: this.tableName(table), conditions: where ? [range, where] : [range] });
    }
    return branches;
  }

  /**
   * The first rows in some order of a table with partitions on shards (`SELECT TOP 10 …
   * ORDER BY energy DESC`): each partition's first rows, found there, and the first of
   * those. PostgreSQL would have each shard sort its whole partition and send rows until
   * the coordinator has enough. Only for the rows as stored (a rights filter would run
   * on the coordinator), up to TOP_PER_PARTITION rows.
   */
  private perPartitionTopN(query: Query, limit: number | undefined): string | undefined {
    const target = this.shardedTarget(query);
    if (target === undefined || this.visibleKeys(target.table) !== undefined) return undefined;
    const { core, relation } = target;
    const rows = rowLimit(core.top, limit);
    const first = (rows ?? Infinity) + (query.offset ?? 0);
    if (query.orderBy.length === 0 || !(first <= TOP_PER_PARTITION)) return undefined;
    if (core.groupBy.length > 0 || core.having !== undefined) return undefined;
    const outputs = this.annotations.outputsOf(core);
    const expressions = [
      ...outputs.flatMap((o) => (o.expr ? [o.expr] : [])),
      ...(core.where ? [core.where] : []),
    ];
    if (
      [...expressions, ...query.orderBy.map((o) => o.expr)].some((e) => aggregatesIn(e).length > 0)
    ) {
      return undefined;
    }
    if (!this.readsOwnColumns(target, query, expressions)) return undefined;

    const q = (name: string): string => this.quoteIdentifier(name);
    const parts = q('hearc_parts');
    const where = core.where ? this.whereCondition(core.where) : undefined;
    const branches = this.partitionBranches(target, where);
    if (branches === undefined) return undefined;
    // Each order key: an output's own column, or a column of its own in the parts.
    const keys: string[] = [];
    const order = query.orderBy.map((o, i) => {
      const b = o.expr.kind === 'column' ? this.annotations.columns.get(o.expr) : undefined;
      const direction = o.descending ? 'DESC NULLS FIRST' : 'ASC NULLS LAST';
      if (b?.kind === 'outputName') {
        return { inner: `${q(b.name)} ${direction}`, outer: `${parts}.${q(b.name)} ${direction}` };
      }
      const name = q(`hearc_o${i}`);
      const sql = this.expression(o.expr);
      keys.push(`${sql} AS ${name}`);
      return { inner: `${sql} ${direction}`, outer: `${parts}.${name} ${direction}` };
    });
    const items = [...this.selectItems(core), ...keys].join(', ');
    const firstRows = ` ORDER BY ${order.map((o) => o.inner).join(', ')} LIMIT ${first}`;
    const union = branches
      .map((b) => `(${this.branchSql(b, q(relation.alias), items, firstRows)})`)
      .join(' UNION ALL ');
    const columns = outputs.map((o) => `${parts}.${q(o.name)} AS ${q(o.name)}`).join(', ');
    // OFFSET 0: the union is planned as it is, an append whose shards are read at the same
    // time; PostgreSQL would merge the sorted branches instead, reading one after another.
    return (
      `SELECT ${columns} FROM (SELECT * FROM (${union}) AS ${q('hearc_union')} OFFSET 0) AS ${parts}` +
      ` ORDER BY ${order.map((o) => o.outer).join(', ')}${this.limitOffset(rows, query.offset)}`
    );
  }

  /** What each partition computes for an aggregate, and how those parts make it whole. */
  private splitAggregate(a: AggregateCall): SplitAggregate {
    const whole = this.aggregate(a);
    const type = this.aggregateType(a);
    switch (a.name) {
      // A count of no parts (no rows the caller may see) is 0; a sum of none is NULL.
      case 'COUNT':
        return { parts: [whole], combine: ([p]) => `CAST(COALESCE(sum(${p}), 0) AS ${type})` };
      case 'SUM':
        return { parts: [whole], combine: ([p]) => `CAST(sum(${p}) AS ${type})` };
      case 'MIN':
      case 'MAX':
        return { parts: [whole], combine: ([p]) => `${a.name.toLowerCase()}(${p})` };
      case 'AVG': {
        const value = this.aggregatedValue(a);
        return {
          parts: [`sum(${value})`, `count(${value})`],
          combine: ([s, n]) => `CAST(sum(${s}) / NULLIF(sum(${n}), 0) AS ${type})`,
        };
      }
    }
  }

  protected typeName(type: SqlType): string {
    return postgresTypes[type];
  }

  /** ADQL's LIKE has no escape character; PostgreSQL's default one is '\'. */
  protected override likeSql(
    value: string,
    pattern: string,
    caseInsensitive: boolean,
    negated: boolean,
  ): string {
    const op = `${negated ? 'NOT ' : ''}${caseInsensitive ? 'ILIKE' : 'LIKE'}`;
    return `(${value} ${op} ${pattern} ESCAPE '')`;
  }

  protected castToString(value: string, length: number | undefined): string {
    return `CAST(${value} AS varchar${length === undefined ? '' : `(${length})`})`;
  }

  // ------------------------------------------------------------ geometry values

  /**
   * DISTANCE(a, b) < r as `a <@ scircle(b, r)` (which a GiST index on a can serve) and the
   * exact comparison; pg_sphere's circles stop at 90 degrees, so only for 0 <= r <= 90.
   */
  protected override distanceWithin(bound: DistanceBound): string | undefined {
    const radius = this.constantValue(bound.radius);
    if (radius === undefined || !(radius >= 0 && radius <= 90)) return super.distanceWithin(bound);
    // The variable point goes on the left, where an index can serve it.
    const [first, second] = bound.points;
    const [left, right] =
      this.constantPoint(first) && !this.constantPoint(second) ? [second, first] : [first, second];
    const [a, b] = [left, right].map((p) =>
      p.kind === 'point' ? this.spointOf(p.point) : this.spoint(this.operandSql(p)),
    );
    const indexed = `(${a} <@ scircle(${b}, radians(${this.double(bound.radius)})))`;
    const box = this.distancePrefilter(bound);
    return `(${box ? `${box} AND ` : ''}${indexed} AND ${this.exactDistance(bound)})`;
  }

  protected coordinatesOf(point: string): PointSql {
    return { ra: `degrees(long(${point}))`, dec: `degrees(lat(${point}))` };
  }

  private spoint(p: PointSql): string {
    return `spoint(radians(${p.ra}), radians(${p.dec}))`;
  }

  /** A point value: POINT(ra, dec) is built, anything else is already an spoint. */
  private spointOf(e: Expression): string {
    return e.kind === 'pointConstructor' ? this.point(e) : this.expression(e);
  }

  protected point(e: PointConstructor): string {
    return this.spoint({ ra: this.double(e.ra), dec: this.double(e.dec) });
  }

  private circleCenter(e: CircleConstructor): string {
    return e.center.kind === 'coordinates'
      ? this.spoint(this.centerSql(e.center))
      : this.spointOf(e.center.point);
  }

  /** A CIRCLE whose constant radius pg_sphere's scircle cannot hold (over 90 degrees, up to ADQL's 180). */
  private wideCircle(e: Expression): CircleConstructor | undefined {
    if (e.kind !== 'circleConstructor') return undefined;
    const radius = this.constantValue(e.radius);
    return radius !== undefined && radius > 90 ? e : undefined;
  }

  protected circle(e: CircleConstructor): string {
    return `scircle(${this.circleCenter(e)}, radians(${this.double(e.radius)}))`;
  }

  protected box(e: BoxConstructor): string {
    const c = this.centerSql(e.center);
    return `hearc_box(${c.ra}, ${c.dec}, ${this.double(e.width)}, ${this.double(e.height)})`;
  }

  protected polygon(e: PolygonConstructor): string {
    if (this.kind(e.args[0] as Expression) === 'point') {
      return `hearc_spoly_of_points(ARRAY[${e.args.map((a) => this.spointOf(a)).join(', ')}]::spoint[])`;
    }
    return `hearc_spoly(ARRAY[${e.args.map((a) => this.double(a)).join(', ')}]::double precision[])`;
  }

  // ------------------------------------------------------------ predicates and measures

  protected regionPredicate(test: RegionTest): string {
    const { a, b, aKind, bKind } = test;
    const left = this.expression(a);
    const right = this.expression(b);
    if (aKind === 'point' && bKind === 'point') return `((${left} <-> ${right}) <= 1e-9)`;
    const wide = aKind === 'point' ? this.wideCircle(b) : undefined;
    if (test.op === 'INTERSECTS' && wide === undefined) return `(${left} && ${right})`;
    // A point in a circle is a distance test, which also holds past pg_sphere's 90 degrees.
    const exact = wide
      ? `((${left} <-> ${this.circleCenter(wide)}) <= radians(${this.double(wide.radius)}))`
      : `(${left} <@ ${right})`;
    if (test.op === 'INTERSECTS') return exact;
    // A range prefilter needs the point's own columns: POINT(ra, dec), not an spoint column.
    if (a.kind !== 'pointConstructor') return exact;
    const p = this.pointSql(a);
    const cone = this.constantCone(b);
    if (cone) return this.coneTest(p.ra, p.dec, cone, a, exact);
    const band = this.polygonPrefilter(p.dec, b);
    return band ? `(${band} AND ${exact})` : exact;
  }

  /**
   * pg_sphere's smoc: MOC text cast to smoc, constant geometries as the same cells as on
   * DuckDB (compiled), others turned into MOCs by pg_sphere.
   */
  protected mocPredicate(test: RegionTest): string {
    const side = (e: Expression, kind: ValueKind): string => {
      const constant = this.constantMoc(e);
      if (constant !== undefined) return `CAST(${this.quoteString(constant)} AS smoc)`;
      if (e.kind === 'call' && e.name === 'MOC' && !e.udf) {
        const [first, second] = e.args as [Expression, Expression | undefined];
        return second === undefined
          ? `CAST(${this.expression(first)} AS smoc)`
          : `smoc(${this.expression(first)}, ${this.expression(second)})`;
      }
      if (kind === 'moc') return `CAST(${this.expression(e)} AS smoc)`;
      return `smoc(${GEOMETRY_MOC_ORDER}, ${this.expression(e)})`;
    };
    const b = side(test.b, test.bKind);
    if (test.aKind === 'point' && this.constantMoc(test.a) === undefined) {
      return `(${this.expression(test.a)} <@ ${b})`;
    }
    const a = side(test.a, test.aKind);
    return test.op === 'INTERSECTS' ? `(${a} && ${b})` : `(${a} <@ ${b})`;
  }

  protected regionArea(value: string, kind: ValueKind): string {
    const steradians =
      kind === 'circle' ? `2 * pi() * (1 - cos(radius(${value})))` : `area(${value})`;
    return `(${steradians} * power(180 / pi(), 2))`;
  }

  protected centroid(g: Expression, kind: ValueKind): string {
    if (kind === 'point') return this.spointOf(g);
    if (kind === 'circle')
      return g.kind === 'circleConstructor'
        ? this.circleCenter(g)
        : `center(${this.expression(g)})`;
    return `hearc_spoly_centroid(${this.expression(g)})`;
  }
}

/** The aggregate calls in an expression (not in its subqueries). */
function aggregatesIn(e: Expression): AggregateCall[] {
  return e.kind === 'aggregate' ? [e] : children(e).flatMap(aggregatesIn);
}

function columnsIn(e: Expression): ColumnReference[] {
  return e.kind === 'column' ? [e] : children(e).flatMap(columnsIn);
}

function hasSubquery(e: Expression): boolean {
  if (e.kind === 'scalarSubquery' || e.kind === 'exists') return true;
  if (e.kind === 'in' && e.query !== undefined) return true;
  return children(e).some(hasSubquery);
}

export const postgresDialect: SqlDialect = postgresDialectWith(undefined);

/**
 * The PostgreSQL dialect for a catalog whose partitions may be on shards: aggregates over
 * them are computed per shard partition (PostgresCompiler.perPartitionAggregate).
 */
export function postgresDialectWith(placement: PartitionPlacement | undefined): SqlDialect {
  return {
    name: 'postgres',
    compile: (resolved: ResolvedQuery, options?: CompileOptions) =>
      new PostgresCompiler(resolved, options, placement).compile(),
  };
}
