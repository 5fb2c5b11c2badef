/**
 * Sky regions of SODA cutouts (CIRCLE, POLYGON, POS RANGE; ICRS degrees): whether an
 * event position lies inside, and whether a region touches a field of view. Polygon
 * edges are great-circle arcs; a polygon is tested in the gnomonic projection about
 * its centre, where those arcs are straight lines, so it must fit in a hemisphere.
 */
import { angularSeparation } from '../gadf/index.js';

export type SkyRegion =
  | {
      readonly kind: 'circle';
      readonly ra: number;
      readonly dec: number;
      readonly radius: number;
    }
  | { readonly kind: 'polygon'; readonly vertices: readonly (readonly [number, number])[] }
  | {
      readonly kind: 'range';
      /** Lower and upper right ascension in [0, 360]; lower > upper wraps through 0. */
      readonly raMin: number;
      readonly raMax: number;
      readonly decMin: number;
      readonly decMax: number;
    };

type Vector = readonly [number, number, number];

const DEG = Math.PI / 180;

function unitVector(ra: number, dec: number): Vector {
  const cosDec = Math.cos(dec * DEG);
  return [cosDec * Math.cos(ra * DEG), cosDec * Math.sin(ra * DEG), Math.sin(dec * DEG)];
}

const dot = (a: Vector, b: Vector): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

const cross = (a: Vector, b: Vector): Vector => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

function normalized(v: Vector): Vector | undefined {
  const n = Math.hypot(v[0], v[1], v[2]);
  return n < 1e-15 ? undefined : [v[0] / n, v[1] / n, v[2] / n];
}

/** Angle in degrees between two unit vectors (accurate at small and large angles). */
function angleBetween(a: Vector, b: Vector): number {
  return Math.atan2(Math.hypot(...cross(a, b)), dot(a, b)) / DEG;
}

/** A polygon in the gnomonic projection about its centre. */
interface ProjectedPolygon {
  readonly centre: Vector;
  readonly east: Vector;
  readonly north: Vector;
  readonly xs: Float64Array;
  readonly ys: Float64Array;
}

/**
 * Projects a polygon about the normalised mean of its vertices; undefined when a vertex
 * is 90 degrees or more from it (the polygon does not fit in a hemisphere).
 */
function projectPolygon(
  vertices: readonly (readonly [number, number])[],
): ProjectedPolygon | undefined {
  const points = vertices.map(([ra, dec]) => unitVector(ra, dec));
  const sum = points.reduce<Vector>((s, p) => [s[0] + p[0], s[1] + p[1], s[2] + p[2]], [0, 0, 0]);
  const centre = normalized(sum);
  if (!centre) return undefined;
  const east = normalized(cross([0, 0, 1], centre)) ?? [0, 1, 0];
  const north = cross(centre, east);
  const xs = new Float64Array(points.length);
  const ys = new Float64Array(points.length);
  for (const [i, p] of points.entries()) {
    const along = dot(p, centre);
    if (along <= 1e-9) return undefined;
    xs[i] = dot(p, east) / along;
    ys[i] = dot(p, north) / along;
  }
  return { centre, east, north, xs, ys };
}

function insideProjected(polygon: ProjectedPolygon, p: Vector): boolean {
  const along = dot(p, polygon.centre);
  if (along <= 0) return false;
  const x = dot(p, polygon.east) / along;
  const y = dot(p, polygon.north) / along;
  const { xs, ys } = polygon;
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    const yi = ys[i]!;
    const yj = ys[j]!;
    if (yi > y !== yj > y && x < ((xs[j]! - xs[i]!) * (y - yi)) / (yj - yi) + xs[i]!) {
      inside = !inside;
    }
  }
  return inside;
}

/** True when the polygon fits in a hemisphere (the only polygons SODA cutouts take). */
export function polygonFitsHemisphere(vertices: readonly (readonly [number, number])[]): boolean {
  return projectPolygon(vertices) !== undefined;
}

function raInRange(ra: number, raMin: number, raMax: number): boolean {
  const r = ((ra % 360) + 360) % 360;
  return raMin <= raMax ? r >= raMin && r <= raMax : r >= raMin || r <= raMax;
}

/** A test of event positions (deg) against the region, prepared once. */
export function regionTest(region: SkyRegion): (ra: number, dec: number) => boolean {
  switch (region.kind) {
    case 'circle':
      return (ra, dec) => angularSeparation(region.ra, region.dec, ra, dec) <= region.radius;
    case 'range':
      return (ra, dec) =>
        dec >= region.decMin && dec <= region.decMax && raInRange(ra, region.raMin, region.raMax);
    case 'polygon': {
      const projected = projectPolygon(region.vertices);
      if (!projected) return () => false;
      return (ra, dec) => insideProjected(projected, unitVector(ra, dec));
    }
  }
}

/** Distance in degrees from `p` to the great-circle arc from `a` to `b` (shorter than 180 deg). */
function distanceToArc(p: Vector, a: Vector, b: Vector): number {
  const normal = normalized(cross(a, b));
  if (normal) {
    const foot = normalized([
      p[0] - dot(p, normal) * normal[0],
      p[1] - dot(p, normal) * normal[1],
      p[2] - dot(p, normal) * normal[2],
    ]);
    if (foot && dot(cross(a, foot), normal) >= 0 && dot(cross(foot, b), normal) >= 0) {
      return angleBetween(p, foot);
    }
  }
  return Math.min(angleBetween(p, a), angleBetween(p, b));
}

/** True when the region and the circle of `radius` deg about (ra, dec) share some sky. */
export function regionTouchesCircle(
  region: SkyRegion,
  ra: number,
  dec: number,
  radius: number,
): boolean {
  const centre = unitVector(ra, dec);
  switch (region.kind) {
    case 'circle':
      return angularSeparation(region.ra, region.dec, ra, dec) <= region.radius + radius;
    case 'range': {
      if (raInRange(ra, region.raMin, region.raMax)) {
        return dec + radius >= region.decMin && dec - radius <= region.decMax;
      }
      // Outside the right ascensions, the nearest point is on one of the two bounding meridians.
      return [region.raMin, region.raMax].some(
        (edge) =>
          distanceToArc(centre, unitVector(edge, region.decMin), unitVector(edge, region.decMax)) <=
          radius,
      );
    }
    case 'polygon': {
      const projected = projectPolygon(region.vertices);
      if (!projected) return false;
      if (insideProjected(projected, centre)) return true;
      const points = region.vertices.map(([r, d]) => unitVector(r, d));
      return points.some(
        (p, i) => distanceToArc(centre, p, points[(i + 1) % points.length]!) <= radius,
      );
    }
  }
}

const number = (v: number): string => String(Number(v.toPrecision(12)));

/** The region as a DALI/SODA POS string (for HISTORY cards and messages). */
export function regionText(region: SkyRegion): string {
  switch (region.kind) {
    case 'circle':
      return `CIRCLE ${[region.ra, region.dec, region.radius].map(number).join(' ')}`;
    case 'polygon':
      return `POLYGON ${region.vertices.flat().map(number).join(' ')}`;
    case 'range':
      return `RANGE ${[region.raMin, region.raMax, region.decMin, region.decMax].map(number).join(' ')}`;
  }
}
