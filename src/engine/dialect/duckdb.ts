/**
 * ADQL → DuckDB SQL. Geometry is stored as DALI arrays (DOUBLE[], degrees) and
 * computed with the spherical-geometry macros of duckdb-prelude.ts; a cone on constant
 * coordinates adds a range prefilter on the point's own columns so DuckDB can skip
 * row groups.
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
  type PointCoordinates,
  type PointSql,
  type RegionTest,
  SqlCompiler,
  type SqlDialect,
  type SqlType,
} from '../../adql/compiler.js';
import { AdqlError } from '../../adql/errors.js';
import { MOC_COMPILE_DEPTH } from '../../adql/moc.js';
import type { ResolvedQuery } from '../../adql/resolve.js';
import type { ValueKind } from '../../adql/types.js';

const duckDbTypes: Readonly<Record<SqlType, string>> = {
  smallint: 'SMALLINT',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  real: 'REAL',
  double: 'DOUBLE',
  varchar: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

export class DuckDbCompiler extends SqlCompiler {
  protected typeName(type: SqlType): string {
    return duckDbTypes[type];
  }

  protected override integerDivision(l: string, r: string): string {
    return `(${l} // ${r})`;
  }

  protected castToString(value: string, length: number | undefined): string {
    const text = `CAST(${value} AS VARCHAR)`;
    return length === undefined ? text : `left(${text}, ${length})`;
  }

  // ------------------------------------------------------------ geometry values

  protected coordinatesOf(list: string): PointSql {
    return { ra: `${list}[1]`, dec: `${list}[2]` };
  }

  protected point(e: PointConstructor): string {
    return `hearc_point(${this.double(e.ra)}, ${this.double(e.dec)})`;
  }

  protected circle(e: CircleConstructor): string {
    const c = this.centerSql(e.center);
    return `hearc_circle(${c.ra}, ${c.dec}, ${this.double(e.radius)})`;
  }

  protected box(e: BoxConstructor): string {
    const c = this.centerSql(e.center);
    return `hearc_box(${c.ra}, ${c.dec}, ${this.double(e.width)}, ${this.double(e.height)})`;
  }

  protected polygon(e: PolygonConstructor): string {
    if (this.kind(e.args[0] as Expression) === 'point') {
      return `hearc_polygon_of_points([${e.args.map((a) => this.expression(a)).join(', ')}])`;
    }
    return `hearc_polygon([${e.args.map((a) => this.double(a)).join(', ')}])`;
  }

  // ------------------------------------------------------------ predicates and measures

  protected regionPredicate(test: RegionTest): string {
    const { a, b, aKind, bKind } = test;
    if (aKind === 'point') {
      const p = this.pointSql(a);
      if (bKind === 'point') {
        const q = this.pointSql(b);
        return `(hearc_dist_rad(${p.ra}, ${p.dec}, ${q.ra}, ${q.dec}) <= 1e-9)`;
      }
      if (bKind === 'polygon') {
        const exact = `hearc_in_polygon(${p.ra}, ${p.dec}, ${this.expression(b)})`;
        const band = this.polygonPrefilter(p.dec, b);
        return band ? `(${band} AND ${exact})` : exact;
      }
      return this.pointInCircle(p, b, a.kind === 'pointConstructor' ? a : undefined);
    }
    const x = this.expression(a);
    const y = this.expression(b);
    const fn = regionMacros[`${test.op} ${aKind} ${bKind}`];
    if (fn === undefined)
      throw new Error(`internal: no region test for ${test.op}(${aKind}, ${bKind})`);
    return fn(x, y);
  }

  /**
   * MOCs as lists of cell ranges at the compile depth (hearc_moc_ranges): A within B when
   * their overlap is all of A, intersecting when it is not empty. DuckDB has no MOC type:
   * geometries become MOCs at compile time, so they must be constants here.
   */
  protected mocPredicate(test: RegionTest): string {
    const side = (e: Expression, kind: ValueKind): string => {
      const constant = this.constantMoc(e);
      if (constant !== undefined) return `hearc_moc_ranges(${this.quoteString(constant)})`;
      if (kind === 'moc' && !(e.kind === 'call' && e.name === 'MOC')) {
        return `hearc_moc_ranges(${this.expression(e)})`;
      }
      throw new AdqlError(
        `${test.op} with a MOC needs the other side's geometry (or MOC()) to be a constant on this service`,
        e.at,
      );
    };
    const b = side(test.b, test.bKind);
    // A point from the rows (an alert's MOC joined to ObsCore pointings): its finest cell, exactly.
    if (test.aKind === 'point' && this.constantMoc(test.a) === undefined) {
      const p = this.pointSql(test.a);
      return `hearc_moc_has_cell(${b}, hearc_healpix_index(${MOC_COMPILE_DEPTH}, ${p.ra}, ${p.dec}))`;
    }
    const a = side(test.a, test.aKind);
    const overlap = `hearc_moc_overlap(${a}, ${b})`;
    return test.op === 'INTERSECTS' || test.aKind === 'point'
      ? `(${overlap} > 0)`
      : `(${overlap} = hearc_moc_size(${a}))`;
  }

  private pointInCircle(p: PointSql, circle: Expression, coordinates?: PointCoordinates): string {
    const cone = this.constantCone(circle);
    let c: { ra: string; dec: string; r: string };
    if (circle.kind === 'circleConstructor') {
      c = { ...this.centerSql(circle.center), r: this.double(circle.radius) };
    } else {
      const list = this.expression(circle);
      c = { ra: `${list}[1]`, dec: `${list}[2]`, r: `${list}[3]` };
    }
    const exact = `hearc_in_circle(${p.ra}, ${p.dec}, ${c.ra}, ${c.dec}, ${c.r})`;
    return cone ? this.coneTest(p.ra, p.dec, cone, coordinates, exact) : exact;
  }

  protected regionArea(value: string, kind: ValueKind): string {
    return kind === 'circle' ? `hearc_circle_area(${value})` : `hearc_polygon_area(${value})`;
  }

  protected centroid(g: Expression, kind: ValueKind): string {
    if (kind === 'point') return this.expression(g);
    if (kind === 'circle') {
      const c = g.kind === 'circleConstructor' ? this.centerSql(g.center) : undefined;
      if (c) return `hearc_point(${c.ra}, ${c.dec})`;
      const list = this.expression(g);
      return `hearc_point(${list}[1], ${list}[2])`;
    }
    return `hearc_polygon_centroid(${this.expression(g)})`;
  }
}

const regionMacros: Readonly<Record<string, (a: string, b: string) => string>> = {
  'CONTAINS circle circle': (a, b) => `hearc_circle_in_circle(${a}, ${b})`,
  'CONTAINS circle polygon': (a, b) => `hearc_circle_in_polygon(${a}, ${b})`,
  'CONTAINS polygon circle': (a, b) => `hearc_polygon_in_circle(${a}, ${b})`,
  'CONTAINS polygon polygon': (a, b) => `hearc_polygon_in_polygon(${a}, ${b})`,
  'INTERSECTS circle circle': (a, b) => `hearc_circles_meet(${a}, ${b})`,
  'INTERSECTS circle polygon': (a, b) => `hearc_circle_meets_polygon(${a}, ${b})`,
  'INTERSECTS polygon circle': (a, b) => `hearc_circle_meets_polygon(${b}, ${a})`,
  'INTERSECTS polygon polygon': (a, b) => `hearc_polygons_meet(${a}, ${b})`,
};

export const duckDbDialect: SqlDialect = {
  name: 'duckdb',
  compile: (resolved: ResolvedQuery, options?: CompileOptions) =>
    new DuckDbCompiler(resolved, options).compile(),
};
