/**
 * Space MOCs at compile time (MOC 2.0 ASCII serialisation): the cells of a MOC literal,
 * of a constant POINT, CIRCLE or POLYGON at an order, so that both engines compare the
 * same cells with a MOC-valued column (RegTAP's rr.stc_spatial.coverage).
 */
import {
  CELL_RADIUS_BOUND,
  cellRangesWhere,
  coneCellRanges,
  healpixNestedCenter,
  healpixNestedIndex,
} from './healpix.js';
import { cross, dot, encloses, type Vector, vector } from './sphere.js';

/** Depth of the cells constant MOCs are compiled to: the deepest exact in JavaScript numbers. */
export const MOC_COMPILE_DEPTH = 24;

/** Order a CIRCLE or POLYGON compared with a MOC is turned into a MOC at (cells of 14 arcmin). */
export const GEOMETRY_MOC_ORDER = 8;

/**
 * Flat [start, end) pairs of nested cell indices at `depth` of an ASCII MOC, in the order
 * it lists them; cells deeper than `depth` widen to the cell holding them (a union never
 * loses area). Scanned by character: parsing is most of a many-MOC union's cost.
 */
export function asciiCellRanges(ascii: string, depth: number): number[] {
  const out: number[] = [];
  let scale = -1;
  let deeper = false;
  let first = -1;
  let value = -1;
  const flush = (position: number): void => {
    if (value < 0) return;
    if (scale < 0) throw new RangeError(`MOC cells before any order at character ${position}`);
    const low = first < 0 ? value : first;
    if (value < low) throw new RangeError(`decreasing MOC cell range at character ${position}`);
    if (deeper) out.push(Math.floor(low / scale), Math.floor(value / scale) + 1);
    else out.push(low * scale, (value + 1) * scale);
    first = -1;
    value = -1;
  };
  for (let i = 0; i <= ascii.length; i++) {
    const code = i < ascii.length ? ascii.charCodeAt(i) : 32;
    if (code >= 48 && code <= 57) {
      value = (value < 0 ? 0 : value * 10) + (code - 48);
    } else if (code === 47) {
      // '/': the number read is an order.
      if (value < 0 || value > 29 || first >= 0) {
        throw new RangeError(`a MOC order must be 0 to 29 (character ${i})`);
      }
      deeper = value > depth;
      scale = 4 ** Math.abs(depth - value);
      value = -1;
    } else if (code === 45) {
      // '-': the number read starts a range.
      if (value < 0 || first >= 0) throw new RangeError(`misplaced '-' in a MOC at character ${i}`);
      first = value;
      value = -1;
    } else if (code === 32 || code === 10 || code === 13 || code === 9) {
      if (first >= 0 && value < 0) continue;
      flush(i);
    } else {
      throw new RangeError(`'${ascii[i]}' at character ${i} is not part of an ASCII MOC`);
    }
  }
  if (first >= 0) throw new RangeError('a MOC cell range has no end');
  const cells = 12 * 4 ** depth;
  if (out.some((v) => v > cells))
    throw new RangeError('a MOC cell is beyond the last HEALPix cell');
  return out;
}

/** Flat [start, end) pairs sorted and merged: disjoint, not touching. */
export function mergeCellRanges(ranges: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    if (out.length > 0 && lo <= out[out.length - 1]!) {
      out[out.length - 1] = Math.max(out[out.length - 1]!, hi);
    } else out.push(lo, hi);
  }
  return out;
}

/** Merged ranges as an ASCII MOC at `depth` (one order; databases normalise it). */
export function cellRangesAscii(ranges: ArrayLike<number>, depth: number): string {
  const parts: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const [lo, last] = [ranges[i]!, ranges[i + 1]! - 1];
    parts.push(lo === last ? String(lo) : `${lo}-${last}`);
  }
  return `${depth}/${parts.join(' ')}`;
}

/** Scales inclusive ranges at `order` to [start, end) pairs at MOC_COMPILE_DEPTH. */
function atCompileDepth(ranges: readonly (readonly [number, number])[], order: number): number[] {
  const scale = 4 ** (MOC_COMPILE_DEPTH - order);
  return ranges.flatMap(([lo, hi]) => [lo * scale, (hi + 1) * scale]);
}

/** The cell at `order` holding a position, at MOC_COMPILE_DEPTH. */
export function pointCellRanges(order: number, ra: number, dec: number): number[] {
  if (![ra, dec].every(Number.isFinite) || Math.abs(dec) > 90) {
    throw new RangeError('a POINT needs finite coordinates with a latitude within ±90°');
  }
  return atCompileDepth(
    [[healpixNestedIndex(order, ra, dec), healpixNestedIndex(order, ra, dec)]],
    order,
  );
}

/** The cells at `order` a cone may touch, at MOC_COMPILE_DEPTH. */
export function circleCellRanges(order: number, ra: number, dec: number, radius: number): number[] {
  const ranges = coneCellRanges(order, { ra, dec, radius }, Infinity);
  if (!ranges) throw new RangeError('a CIRCLE needs a finite centre within ±90° and a radius ≥ 0');
  return atCompileDepth(ranges, order);
}

const angle = (a: Vector, b: Vector): number => Math.atan2(Math.hypot(...cross(a, b)), dot(a, b));

/** Angular distance (radians) from p to the short great-circle arc a–b. */
function arcDistance(p: Vector, a: Vector, b: Vector): number {
  const n = cross(a, b);
  const norm = Math.hypot(...n);
  if (norm > 0) {
    const unit: Vector = [n[0] / norm, n[1] / norm, n[2] / norm];
    // p's foot on the great circle lies on the arc when it is on the inner side of both ends.
    if (dot(cross(a, p), unit) >= 0 && dot(cross(p, b), unit) >= 0) {
      return Math.abs(Math.asin(Math.max(-1, Math.min(1, dot(p, unit)))));
    }
  }
  return Math.min(angle(p, a), angle(p, b));
}

/**
 * The cells at `order` a polygon (the smaller region its edges enclose, vertices in
 * degrees) may touch, at MOC_COMPILE_DEPTH: cells near an edge and cells inside it.
 */
export function polygonCellRanges(order: number, vertices: readonly number[]): number[] {
  const corners: Vector[] = [];
  for (let i = 0; i + 1 < vertices.length; i += 2)
    corners.push(vector(vertices[i]!, vertices[i + 1]!));
  if (corners.length < 3 || !vertices.every(Number.isFinite)) {
    throw new RangeError('a POLYGON needs at least three finite vertices');
  }
  const edges = corners.map((c, i) => [c, corners[(i + 1) % corners.length]!] as const);
  const ranges = cellRangesWhere(order, (level, index) => {
    const centre = vector(...healpixNestedCenter(level, index));
    const edge = Math.min(...edges.map(([a, b]) => arcDistance(centre, a, b)));
    const cellRadius = CELL_RADIUS_BOUND / 2 ** level;
    if (edge <= cellRadius) return 'edge';
    return encloses(corners, centre) ? 'inside' : 'outside';
  });
  return atCompileDepth(ranges, order);
}
