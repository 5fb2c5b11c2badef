/**
 * ADQL → PostgreSQL + pg_sphere SQL. Geometry uses spoint/scircle/spoly with pg_sphere's
 * operators (`<@` contained by, `&&` overlaps) in index-friendly order: the column on the
 * left, the constant region on the right. Cones on constant coordinates also get the
 * range prefilter on the point's own columns, as in DuckDB.
 */
import type {
  BoxConstructor,
  CircleConstructor,
  Expression,
  PointConstructor,
  PolygonConstructor,
} from '../../adql/ast.js';
import {
  type CompileOptions,
  type DistanceBound,
  type PointSql,
  type RegionTest,
  SqlCompiler,
  type SqlDialect,
  type SqlType,
} from '../../adql/compiler.js';
import { GEOMETRY_MOC_ORDER } from '../../adql/moc.js';
import type { ResolvedQuery } from '../../adql/resolve.js';
import type { ValueKind } from '../../adql/types.js';

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

export class PostgresCompiler extends SqlCompiler {
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

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  compile: (resolved: ResolvedQuery, options?: CompileOptions) =>
    new PostgresCompiler(resolved, options).compile(),
};
