/**
 * Spherical geometry done at compile time on constant shapes: the declination band a
 * polygon (or BOX) covers, so that the compiler can add a cheap range prefilter. The
 * databases still run the exact test; these bounds only need to never be too tight.
 */

export type Vector = readonly [number, number, number];

const rad = Math.PI / 180;

export function vector(ra: number, dec: number): Vector {
  const c = Math.cos(dec * rad);
  return [c * Math.cos(ra * rad), c * Math.sin(ra * rad), Math.sin(dec * rad)];
}

export const dot = (a: Vector, b: Vector): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vector, b: Vector): Vector => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const latitude = (v: Vector): number => Math.atan2(v[2], Math.hypot(v[0], v[1])) / rad;

/** Highest and lowest declination along the short great-circle arc from a to b. */
function arcLatitudes(a: Vector, b: Vector): [number, number] {
  let low = Math.min(latitude(a), latitude(b));
  let high = Math.max(latitude(a), latitude(b));
  const n = cross(a, b);
  const length = Math.hypot(...n);
  if (length < 1e-15) return [low, high];
  // The great circle's highest point: the north pole projected onto its plane.
  const nz = n[2] / length;
  const top: Vector = [-nz * (n[0] / length), -nz * (n[1] / length), 1 - nz * nz];
  const norm = Math.hypot(...top);
  if (norm < 1e-15) return [low, high];
  for (const sign of [1, -1]) {
    const p: Vector = [(sign * top[0]) / norm, (sign * top[1]) / norm, (sign * top[2]) / norm];
    if (dot(cross(a, p), n) >= 0 && dot(cross(p, b), n) >= 0) {
      if (sign > 0) high = Math.max(high, latitude(p));
      else low = Math.min(low, latitude(p));
    }
  }
  return [low, high];
}

/** Inside as the DuckDB prelude defines it: enclosed by the ring, on the side of its vertices. */
export function encloses(vertices: readonly Vector[], p: Vector): boolean {
  let winding = 0;
  const sum: [number, number, number] = [0, 0, 0];
  vertices.forEach((a, i) => {
    const b = vertices[(i + 1) % vertices.length] as Vector;
    winding += Math.atan2(dot(p, cross(a, b)), dot(a, b) - dot(a, p) * dot(b, p));
    sum[0] += a[0];
    sum[1] += a[1];
    sum[2] += a[2];
  });
  return Math.abs(winding) > Math.PI && dot(p, sum) > 0;
}

/**
 * The declination band [low, high] (degrees) that contains the polygon with these
 * vertices (longitude, latitude pairs in degrees), reaching a pole when it encloses one.
 */
export function polygonDeclinationBand(
  coordinates: readonly number[],
): [number, number] | undefined {
  if (coordinates.length < 6 || coordinates.length % 2 !== 0 || !coordinates.every(Number.isFinite))
    return undefined;
  const vertices: Vector[] = [];
  for (let i = 0; i < coordinates.length; i += 2)
    vertices.push(vector(coordinates[i] as number, coordinates[i + 1] as number));
  let low = 90;
  let high = -90;
  vertices.forEach((a, i) => {
    const [l, h] = arcLatitudes(a, vertices[(i + 1) % vertices.length] as Vector);
    low = Math.min(low, l);
    high = Math.max(high, h);
  });
  if (encloses(vertices, [0, 0, 1])) high = 90;
  if (encloses(vertices, [0, 0, -1])) low = -90;
  return [low, high];
}

/** The corners of BOX(ra, dec, width, height), as the preludes compute them (degrees). */
export function boxCorners(ra: number, dec: number, width: number, height: number): number[] {
  const x = Math.tan((width * rad) / 2);
  const y = Math.tan((height * rad) / 2);
  const d0 = dec * rad;
  return [
    [x, y],
    [-x, y],
    [-x, -y],
    [x, -y],
  ].flatMap(([u, v]) => {
    const along = Math.cos(d0) - (v as number) * Math.sin(d0);
    const lon = ra + Math.atan2(u as number, along) / rad;
    const lat =
      Math.atan2(Math.sin(d0) + (v as number) * Math.cos(d0), Math.hypot(u as number, along)) / rad;
    return [lon, lat];
  });
}
