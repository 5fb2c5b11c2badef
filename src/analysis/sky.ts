/**
 * Directions on the sky as astropy computes them: unit vectors, ICRS ↔ Galactic (through
 * FK5 J2000 with the ICRS frame bias, astropy's path), angular separations (Vincenty),
 * position angles, and the offset frame centred on a pointing (astropy's SkyOffsetFrame).
 */

export type Frame = 'icrs' | 'galactic';

export const DEG = Math.PI / 180;

type Matrix = readonly [
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
];

/** astropy's rotation_matrix(angle, axis): a rotation of the coordinate frame (passive). */
function rotation(angleDeg: number, axis: 'x' | 'y' | 'z'): Matrix {
  const c = Math.cos(angleDeg * DEG);
  const s = Math.sin(angleDeg * DEG);
  if (axis === 'z')
    return [
      [c, s, 0],
      [-s, c, 0],
      [0, 0, 1],
    ];
  if (axis === 'y')
    return [
      [c, 0, -s],
      [0, 1, 0],
      [s, 0, c],
    ];
  return [
    [1, 0, 0],
    [0, c, s],
    [0, -s, c],
  ];
}

function multiply(a: Matrix, b: Matrix): Matrix {
  const row = (i: number) =>
    [0, 1, 2].map((j) => a[i]![0] * b[0]![j]! + a[i]![1] * b[1]![j]! + a[i]![2] * b[2]![j]!) as [
      number,
      number,
      number,
    ];
  return [row(0), row(1), row(2)];
}

const transpose = (m: Matrix): Matrix => [
  [m[0][0], m[1][0], m[2][0]],
  [m[0][1], m[1][1], m[2][1]],
  [m[0][2], m[1][2], m[2][2]],
];

// ICRS → FK5 J2000: the frame bias (astropy.coordinates.builtin_frames.icrs_fk5_transforms).
const ICRS_TO_FK5 = multiply(
  multiply(rotation(19.9 / 3600000, 'x'), rotation(9.1 / 3600000, 'y')),
  rotation(-22.9 / 3600000, 'z'),
);
// FK5 J2000 → Galactic: the north galactic pole and the longitude of the celestial pole.
const FK5_TO_GALACTIC = multiply(
  multiply(rotation(180 - 122.9319185680026, 'z'), rotation(90 - 27.12825118085622, 'y')),
  rotation(192.8594812065348, 'z'),
);
const ICRS_TO_GALACTIC = multiply(FK5_TO_GALACTIC, ICRS_TO_FK5);
const GALACTIC_TO_ICRS = transpose(ICRS_TO_GALACTIC);

export type Vector = [number, number, number];

export function toVector(lon: number, lat: number): Vector {
  const cl = Math.cos(lat * DEG);
  return [cl * Math.cos(lon * DEG), cl * Math.sin(lon * DEG), Math.sin(lat * DEG)];
}

export function fromVector(v: readonly number[]): [lon: number, lat: number] {
  const lon = Math.atan2(v[1]!, v[0]!) / DEG;
  const lat = Math.atan2(v[2]!, Math.hypot(v[0]!, v[1]!)) / DEG;
  return [lon < 0 ? lon + 360 : lon, lat];
}

function apply(m: Matrix, v: readonly number[]): Vector {
  return [
    m[0][0] * v[0]! + m[0][1] * v[1]! + m[0][2] * v[2]!,
    m[1][0] * v[0]! + m[1][1] * v[1]! + m[1][2] * v[2]!,
    m[2][0] * v[0]! + m[2][1] * v[1]! + m[2][2] * v[2]!,
  ];
}

/** Longitude and latitude (deg) of an ICRS direction in `frame`. */
export function icrsTo(frame: Frame, ra: number, dec: number): [number, number] {
  return frame === 'icrs' ? [ra, dec] : fromVector(apply(ICRS_TO_GALACTIC, toVector(ra, dec)));
}

/** ICRS right ascension and declination (deg) of a direction given in `frame`. */
export function toIcrs(frame: Frame, lon: number, lat: number): [number, number] {
  return frame === 'icrs' ? [lon, lat] : fromVector(apply(GALACTIC_TO_ICRS, toVector(lon, lat)));
}

/** Angular separation (deg), Vincenty's formula as astropy uses it. */
export function separation(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dl = (lon2 - lon1) * DEG;
  const s1 = Math.sin(lat1 * DEG);
  const c1 = Math.cos(lat1 * DEG);
  const s2 = Math.sin(lat2 * DEG);
  const c2 = Math.cos(lat2 * DEG);
  const num1 = c2 * Math.sin(dl);
  const num2 = c1 * s2 - s1 * c2 * Math.cos(dl);
  const den = s1 * s2 + c1 * c2 * Math.cos(dl);
  return Math.atan2(Math.hypot(num1, num2), den) / DEG;
}

/** Position angle (rad, east of north) of point 2 seen from point 1, as astropy computes it. */
export function positionAngle(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dl = (lon2 - lon1) * DEG;
  const x = Math.sin(dl) * Math.cos(lat2 * DEG);
  const y =
    Math.cos(lat1 * DEG) * Math.sin(lat2 * DEG) -
    Math.sin(lat1 * DEG) * Math.cos(lat2 * DEG) * Math.cos(dl);
  return Math.atan2(x, y);
}

/** The offset frame centred on (lon0, lat0), north up (astropy's SkyOffsetFrame without rotation). */
export class OffsetFrame {
  private readonly matrix: Matrix;

  constructor(lon0: number, lat0: number) {
    this.matrix = multiply(rotation(-lat0, 'y'), rotation(lon0, 'z'));
  }

  /** Offset longitude and latitude (deg), longitude in (-180, 180]. */
  of(lon: number, lat: number): [number, number] {
    const v = apply(this.matrix, toVector(lon, lat));
    return [Math.atan2(v[1], v[0]) / DEG, Math.atan2(v[2], Math.hypot(v[0], v[1])) / DEG];
  }
}
