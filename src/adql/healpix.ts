/**
 * HEALPix in the nested scheme (Gorski et al. 2005) at compile time: the cell of a
 * position (the same cells as the preludes' hearc_healpix_index) and the cells a cone
 * may touch, so that the compiler can prefilter a table that stores each row's cell.
 * Orders up to MAX_JS_ORDER keep every index an exact JavaScript number.
 */

const rad = Math.PI / 180;

/** Highest order whose indices (12 · 4^order) stay below 2^53. */
export const MAX_JS_ORDER = 24;

/**
 * An upper bound, in radians times nside, of the distance from a cell's centre to any
 * point of the cell (sampling finds at most about 1.05; test/adql/healpix-cones checks it).
 */
export const CELL_RADIUS_BOUND = 1.5;

function checkOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > MAX_JS_ORDER) {
    throw new RangeError(
      `HEALPix order must be an integer from 0 to ${MAX_JS_ORDER}, not ${order}`,
    );
  }
}

/** Interleaves the bits of x (even positions) and y (odd positions). */
function interleave(x: number, y: number, order: number): number {
  let index = 0;
  let scale = 1;
  for (let bit = 0; bit < order; bit++) {
    index += (((x >> bit) & 1) + 2 * ((y >> bit) & 1)) * scale;
    scale *= 4;
  }
  return index;
}

function deinterleave(index: number, order: number): [number, number] {
  let x = 0;
  let y = 0;
  let rest = index;
  for (let bit = 0; bit < order; bit++) {
    const pair = rest % 4;
    x |= (pair & 1) << bit;
    y |= (pair >> 1) << bit;
    rest = Math.floor(rest / 4);
  }
  return [x, y];
}

/** The nested index of the cell at `order` holding (ra, dec) in degrees. */
export function healpixNestedIndex(order: number, ra: number, dec: number): number {
  checkOrder(order);
  // A shift, not 2 ** order: this runs for every event ingested, and ** calls pow.
  const nside = 1 << order;
  const lon = ((ra % 360) + 360) % 360;
  const tt = lon >= 360 ? 0 : lon / 90;
  const z = Math.sin(dec * rad);
  const za = Math.abs(z);
  let face: number;
  let ix: number;
  let iy: number;
  if (za <= 2 / 3) {
    const t1 = nside * (0.5 + tt);
    const t2 = nside * z * 0.75;
    const jp = Math.floor(t1 - t2);
    const jm = Math.floor(t1 + t2);
    const ifp = Math.floor(jp / nside);
    const ifm = Math.floor(jm / nside);
    face = ifp === ifm ? ifp | 4 : ifp < ifm ? ifp : ifm + 8;
    ix = jm & (nside - 1);
    iy = nside - (jp & (nside - 1)) - 1;
  } else {
    const ntt = Math.min(3, Math.floor(tt));
    const tp = tt - ntt;
    // sqrt(3 (1 - |z|)) written with cos(dec), exact near the poles.
    const tmp = nside * Math.cos(dec * rad) * Math.sqrt(3 / (1 + za));
    const jp = Math.min(nside - 1, Math.floor(tp * tmp));
    const jm = Math.min(nside - 1, Math.floor((1 - tp) * tmp));
    if (z >= 0) [face, ix, iy] = [ntt, nside - jm - 1, nside - jp - 1];
    else [face, ix, iy] = [ntt + 8, jp, jm];
  }
  return face * nside * nside + interleave(ix, iy, order);
}

const JRLL = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
const JPLL = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];

/** The centre of a cell, as (ra, dec) in degrees. */
export function healpixNestedCenter(order: number, index: number): [number, number] {
  checkOrder(order);
  const nside = 2 ** order;
  const perFace = nside * nside;
  const face = Math.floor(index / perFace);
  const [ix, iy] = deinterleave(index - face * perFace, order);
  const jr = (JRLL[face] as number) * nside - ix - iy - 1;
  let nr: number;
  let z: number;
  let kshift: number;
  if (jr < nside) {
    nr = jr;
    z = 1 - (nr * nr) / (3 * perFace);
    kshift = 0;
  } else if (jr > 3 * nside) {
    nr = 4 * nside - jr;
    z = (nr * nr) / (3 * perFace) - 1;
    kshift = 0;
  } else {
    nr = nside;
    z = ((2 * nside - jr) * 2) / (3 * nside);
    kshift = (jr - nside) & 1;
  }
  let jp = ((JPLL[face] as number) * nr + ix - iy + 1 + kshift) / 2;
  if (jp > 4 * nside) jp -= 4 * nside;
  if (jp < 1) jp += 4 * nside;
  const lon = (jp - (kshift + 1) * 0.5) * (90 / nr);
  return [lon, Math.asin(Math.max(-1, Math.min(1, z))) / rad];
}

/** Angular distance in radians (haversine). */
function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const s =
    Math.sin(((dec2 - dec1) * rad) / 2) ** 2 +
    Math.cos(dec1 * rad) * Math.cos(dec2 * rad) * Math.sin(((ra2 - ra1) * rad) / 2) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Inclusive ranges of nested indices at one order. */
export type CellRanges = readonly (readonly [number, number])[];

/** Where a cell lies with respect to a region. */
export type CellSide = 'outside' | 'inside' | 'edge';

/**
 * Inclusive ranges of the cells at `order` that `side` does not put outside, found by
 * descending from the base cells (a cell inside is taken whole, one on the edge split).
 */
export function cellRangesWhere(
  order: number,
  side: (level: number, index: number) => CellSide,
): [number, number][] {
  checkOrder(order);
  const ranges: [number, number][] = [];
  const visit = (level: number, index: number): void => {
    const where = side(level, index);
    if (where === 'outside') return;
    if (level === order || where === 'inside') {
      const span = 4 ** (order - level);
      const [lo, hi] = [index * span, (index + 1) * span - 1];
      const last = ranges[ranges.length - 1];
      if (last && last[1] + 1 >= lo) last[1] = Math.max(last[1], hi);
      else ranges.push([lo, hi]);
      return;
    }
    for (let child = 0; child < 4; child++) visit(level + 1, index * 4 + child);
  };
  for (let face = 0; face < 12; face++) visit(0, face);
  return ranges;
}

/**
 * Ranges of the cells at `order` that may hold a point within `radius` degrees of
 * (ra, dec): never too few (a superset of the cells the cone touches), merged down to
 * at most `maxRanges` ranges. Undefined when the cone is not a usable constant.
 */
export function coneCellRanges(
  order: number,
  cone: { readonly ra: number; readonly dec: number; readonly radius: number },
  maxRanges = 48,
): CellRanges | undefined {
  checkOrder(order);
  const { ra, dec, radius } = cone;
  if (![ra, dec, radius].every(Number.isFinite) || radius < 0 || Math.abs(dec) > 90)
    return undefined;
  // Widened like the range prefilters: more than the exact tests' tolerance.
  const r = (radius + 1e-6) * rad;
  if (r >= Math.PI) return [[0, 12 * 4 ** order - 1]];
  const ranges = cellRangesWhere(order, (level, index) => {
    const [cra, cdec] = healpixNestedCenter(level, index);
    const d = separation(ra, dec, cra, cdec);
    const cellRadius = CELL_RADIUS_BOUND / 2 ** level;
    if (d > r + cellRadius) return 'outside';
    return d + cellRadius <= r ? 'inside' : 'edge';
  });
  // Fewer, wider ranges: close the smallest gaps first.
  while (ranges.length > Math.max(1, maxRanges)) {
    let best = 1;
    for (let i = 2; i < ranges.length; i++) {
      const gap = (ranges[i] as [number, number])[0] - (ranges[i - 1] as [number, number])[1];
      const bestGap =
        (ranges[best] as [number, number])[0] - (ranges[best - 1] as [number, number])[1];
      if (gap < bestGap) best = i;
    }
    (ranges[best - 1] as [number, number])[1] = (ranges[best] as [number, number])[1];
    ranges.splice(best, 1);
  }
  return ranges;
}

/**
 * Ranges of the cells at `order` that lie wholly inside the cone (every point of them
 * within `radius` degrees of (ra, dec)): rows stored with such a cell need no exact
 * distance test. At most `maxRanges`, the largest kept (the rest get the exact test).
 */
export function coneInteriorCellRanges(
  order: number,
  cone: { readonly ra: number; readonly dec: number; readonly radius: number },
  maxRanges = 48,
): CellRanges {
  checkOrder(order);
  const { ra, dec, radius } = cone;
  if (![ra, dec, radius].every(Number.isFinite) || radius <= 0 || Math.abs(dec) > 90) return [];
  const r = Math.min(radius, 180) * rad;
  const ranges: [number, number][] = [];
  const distance = (level: number, index: number): number => {
    const [cra, cdec] = healpixNestedCenter(level, index);
    return separation(ra, dec, cra, cdec);
  };
  // The bound on a cell's size is loose: a cell whose four grandchildren twice over are inside is too.
  const inside = (level: number, index: number, d: number): boolean =>
    d + CELL_RADIUS_BOUND / 2 ** level <= r ||
    (level < order + 2 &&
      d < r &&
      [0, 1, 2, 3].every((c) =>
        inside(level + 1, index * 4 + c, distance(level + 1, index * 4 + c)),
      ));
  const visit = (level: number, index: number): void => {
    const d = distance(level, index);
    const cellRadius = CELL_RADIUS_BOUND / 2 ** level;
    if (level === order ? inside(level, index, d) : d + cellRadius <= r) {
      const span = 4 ** (order - level);
      const last = ranges[ranges.length - 1];
      if (last && last[1] + 1 === index * span) last[1] = (index + 1) * span - 1;
      else ranges.push([index * span, (index + 1) * span - 1]);
      return;
    }
    if (level < order && d < r + cellRadius) {
      for (let child = 0; child < 4; child++) visit(level + 1, index * 4 + child);
    }
  };
  for (let face = 0; face < 12; face++) visit(0, face);
  if (ranges.length <= maxRanges) return ranges;
  return ranges
    .map((range, at) => ({ range, at }))
    .sort((a, b) => b.range[1] - b.range[0] - (a.range[1] - a.range[0]) || a.at - b.at)
    .slice(0, Math.max(0, maxRanges))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.range);
}
