/**
 * A localisation as a multi-order HEALPix probability map (NUNIQ cells, nested, with the
 * probability of each cell summing to 1), whatever the alert gave: a skymap, or an error
 * circle turned into a two-dimensional Gaussian. Credible regions are the smallest sets
 * of cells, by decreasing probability density, holding 50 % and 90 % of the probability.
 */
import {
  cellArea,
  cellCentreVector,
  cellRadius,
  decodeUniq,
  encodeUniq,
  HEALPIX_MAX_ORDER,
  unitVector,
} from '../moc/index.js';
import { AlertError } from './errors.js';

export interface ProbabilityMap {
  /** NUNIQ index of each cell. */
  readonly uniq: Float64Array;
  /** Probability in each cell (sums to 1). */
  readonly prob: Float64Array;
}

export interface CredibleRegion {
  /** Area in deg². */
  readonly area: number;
  /** The cells, as a MOC 2.0 ASCII string (space MOC, one order per group). */
  readonly moc: string;
}

const STERADIAN_DEG2 = (180 / Math.PI) ** 2;

/** Normalises per-cell probabilities (density × area); refuses a map that holds nothing. */
export function probabilityMap(
  uniq: Float64Array,
  density: ArrayLike<number>,
  source?: string,
): ProbabilityMap {
  const prob = new Float64Array(uniq.length);
  let total = 0;
  for (let i = 0; i < uniq.length; i++) {
    let order: number;
    try {
      order = decodeUniq(uniq[i] as number).order;
    } catch (error) {
      throw new AlertError(`cell ${i + 1}: ${(error as Error).message}`, source);
    }
    const d = density[i] as number;
    if (!Number.isFinite(d) || d < 0) {
      throw new AlertError(`cell ${i + 1} has probability density ${d}`, source);
    }
    prob[i] = d * cellArea(order);
    total += prob[i] as number;
  }
  if (!(total > 0)) throw new AlertError('the probability map holds no probability', source);
  for (let i = 0; i < prob.length; i++) prob[i] = (prob[i] as number) / total;
  return { uniq, prob };
}

/** sigma of a circular 2-D Gaussian whose circle of `radius` holds `containment`. */
export function gaussianSigma(radius: number, containment: number): number {
  return radius / Math.sqrt(-2 * Math.log(1 - containment));
}

/** The order whose cells are about sigma / 4 wide (at least 3, at most 16). */
export function gaussianOrder(sigmaDeg: number): number {
  const width = (sigmaDeg * Math.PI) / 180 / 4;
  let order = 3;
  while (order < 16 && Math.sqrt(cellArea(order)) > width) order++;
  return order;
}

/**
 * A circular 2-D Gaussian (degrees) around (ra, dec) as a map at gaussianOrder(sigma): cells
 * whose centres lie within 5 sigma, each weighted by the density at its centre.
 */
export function gaussianMap(ra: number, dec: number, sigmaDeg: number): ProbabilityMap {
  const sigma = (sigmaDeg * Math.PI) / 180;
  return radialMap(ra, dec, Math.min(Math.PI, 5 * sigma), gaussianOrder(sigmaDeg), (theta) =>
    Math.exp(-(theta * theta) / (2 * sigma * sigma)),
  );
}

/** Uniform probability over a disc of `radiusDeg` (an ad-hoc search region). */
export function discMap(ra: number, dec: number, radiusDeg: number): ProbabilityMap {
  return radialMap(
    ra,
    dec,
    Math.min(Math.PI, (radiusDeg * Math.PI) / 180),
    gaussianOrder(radiusDeg / 2),
    () => 1,
  );
}

/** Cells at `order` whose centres lie within `reach` (rad) of (ra, dec), weighted by distance. */
function radialMap(
  ra: number,
  dec: number,
  reach: number,
  target: number,
  weightAt: (theta: number) => number,
): ProbabilityMap {
  const [cx, cy, cz] = unitVector(ra, dec);
  const v = new Float64Array(3);
  const uniq: number[] = [];
  const weight: number[] = [];
  const angle = (order: number, ipix: number): number => {
    cellCentreVector(order, ipix, v);
    const dot = (v[0] as number) * cx + (v[1] as number) * cy + (v[2] as number) * cz;
    return Math.acos(Math.max(-1, Math.min(1, dot)));
  };
  // Refine from the base cells down, keeping only the cells that reach the disc.
  let cells = Array.from({ length: 12 }, (_, i) => i);
  for (let order = 0; order < target; order++) {
    const margin = reach + cellRadius(order);
    const next: number[] = [];
    for (const ipix of cells) {
      if (angle(order, ipix) > margin) continue;
      for (let child = 0; child < 4; child++) next.push(ipix * 4 + child);
    }
    cells = next;
  }
  for (const ipix of cells) {
    const theta = angle(target, ipix);
    if (theta > reach) continue;
    uniq.push(encodeUniq(target, ipix));
    weight.push(weightAt(theta));
  }
  if (uniq.length === 0) {
    // Narrower than a cell: the one cell holding the position.
    let best = cells[0] as number;
    for (const ipix of cells) if (angle(target, ipix) < angle(target, best)) best = ipix;
    uniq.push(encodeUniq(target, best));
    weight.push(1);
  }
  const area = cellArea(target);
  return probabilityMap(
    Float64Array.from(uniq),
    weight.map((w) => w / area),
  );
}

/** Probability density (per sr) of each cell. */
function densities(map: ProbabilityMap): Float64Array {
  const out = new Float64Array(map.uniq.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = (map.prob[i] as number) / cellArea(decodeUniq(map.uniq[i] as number).order);
  }
  return out;
}

/** The 50 % and 90 % credible regions of a map. */
export function credibleRegions(map: ProbabilityMap): { c50: CredibleRegion; c90: CredibleRegion } {
  const density = densities(map);
  const byDensity = Array.from(map.uniq.keys()).sort(
    (a, b) => (density[b] as number) - (density[a] as number),
  );
  const region = (level: number): CredibleRegion => {
    let sum = 0;
    let area = 0;
    const cells: number[] = [];
    for (const i of byDensity) {
      if (sum >= level) break;
      sum += map.prob[i] as number;
      area += cellArea(decodeUniq(map.uniq[i] as number).order);
      cells.push(map.uniq[i] as number);
    }
    return { area: area * STERADIAN_DEG2, moc: mocOfCells(cells) };
  };
  return { c50: region(0.5), c90: region(0.9) };
}

/** MOC 2.0 ASCII of a set of NUNIQ cells ('s' prefix omitted, as space MOCs are written). */
export function mocOfCells(uniqCells: readonly number[]): string {
  const byOrder = new Map<number, number[]>();
  for (const uniq of uniqCells) {
    const { order, ipix } = decodeUniq(uniq);
    const list = byOrder.get(order) ?? [];
    list.push(ipix);
    byOrder.set(order, list);
  }
  const parts: string[] = [];
  const orders = [...byOrder.keys()].sort((a, b) => a - b);
  for (const order of orders) {
    const cells = (byOrder.get(order) ?? []).sort((a, b) => a - b);
    const tokens: string[] = [];
    for (let i = 0; i < cells.length;) {
      let j = i;
      while (j + 1 < cells.length && cells[j + 1] === (cells[j] as number) + 1) j++;
      tokens.push(i === j ? `${cells[i]}` : `${cells[i]}-${cells[j]}`);
      i = j + 1;
    }
    parts.push(`${order}/${tokens.join(' ')}`);
  }
  const deepest = orders[orders.length - 1] ?? 0;
  return parts.length > 0 ? parts.join(' ') : `${deepest}/`;
}

/** The cells of a map as bytes for storage: uniq (float64) then prob (float64), little-endian. */
export function encodeMap(map: ProbabilityMap): string {
  const bytes = Buffer.alloc(map.uniq.length * 16);
  for (let i = 0; i < map.uniq.length; i++) {
    bytes.writeDoubleLE(map.uniq[i] as number, i * 8);
    bytes.writeDoubleLE(map.prob[i] as number, (map.uniq.length + i) * 8);
  }
  return bytes.toString('base64');
}

export function decodeMap(text: string): ProbabilityMap {
  const bytes = Buffer.from(text, 'base64');
  const n = bytes.length / 16;
  const uniq = new Float64Array(n);
  const prob = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    uniq[i] = bytes.readDoubleLE(i * 8);
    prob[i] = bytes.readDoubleLE((n + i) * 8);
  }
  return { uniq, prob };
}

export { HEALPIX_MAX_ORDER };
