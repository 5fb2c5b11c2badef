/**
 * A probability map indexed for fast "how much probability lies in this field of view":
 * the map's cells as the leaves of their HEALPix tree, flattened in nested order so that
 * a field of view walks it once, takes whole subtrees that lie inside it at once, skips
 * those outside and tests cell centres only near its edge.
 */
import { cellCentreVector, decodeUniq, HEALPIX_MAX_ORDER } from '../moc/index.js';
import type { ProbabilityMap } from '../alerts/index.js';

const DEG = Math.PI / 180;
/** Slack on the cosine tests that skip or take a whole subtree: borderline ones are tested cell by cell. */
const SLACK = 1e-12;
/** The level of a node that is one of the map's cells. */
const CELL = 255;
const POW4 = Array.from({ length: HEALPIX_MAX_ORDER + 1 }, (_, k) => 4 ** k);

export interface FieldOfView {
  /** Centre (deg) and the radii (deg) of circles that enclose it and that it encloses. */
  readonly ra: number;
  readonly dec: number;
  readonly outer: number;
  readonly inner: number;
  /** Convex polygon (ra, dec pairs, deg) whose great-circle edges bound it; absent: a disc of `outer`. */
  readonly polygon?: readonly number[];
  /** Inward normals (x, y, z per edge) of the polygon's great circles, when it has one. */
  readonly edges?: Float64Array;
}

/** Growable node arrays of the flattened tree. */
class NodeArrays {
  count = 0;
  xyz = new Float64Array(0);
  total = new Float64Array(0);
  end = new Int32Array(0);
  level = new Uint8Array(0);

  constructor(capacity: number) {
    this.grow(capacity);
  }

  private grow(capacity: number): void {
    const resize = <T extends Float64Array | Int32Array | Uint8Array>(old: T, size: number): T => {
      const next = new (old.constructor as new (n: number) => T)(size);
      next.set(old);
      return next;
    };
    this.xyz = resize(this.xyz, 3 * capacity);
    this.total = resize(this.total, capacity);
    this.end = resize(this.end, capacity);
    this.level = resize(this.level, capacity);
  }

  add(level: number): number {
    if (this.count === this.total.length) this.grow(Math.max(16, 2 * this.count));
    this.level[this.count] = level;
    return this.count++;
  }
}

export class SkyIndex {
  /** Per node, in nested (depth-first) order: unit centre, probability below it, the index after its subtree, its order (CELL for a cell). */
  private readonly xyz: Float64Array;
  private readonly total: Float64Array;
  private readonly end: Int32Array;
  private readonly level: Uint8Array;
  /** Per order: cos and sin of the farthest a cell centre lies from the centre of its node. */
  private readonly cosReach: Float64Array;
  private readonly sinReach: Float64Array;
  private readonly reach: Float64Array;
  /** Per order, for the field of view being searched: below `skipBelow` nothing of a node is inside, above `takeAbove` all of it. */
  private readonly skipBelow: Float64Array;
  private readonly takeAbove: Float64Array;

  constructor(map: ProbabilityMap) {
    const n = map.uniq.length;
    const orders = new Uint8Array(n);
    const pixels = new Float64Array(n);
    let depth = 0;
    for (let i = 0; i < n; i++) {
      const { order, ipix } = decodeUniq(map.uniq[i] as number);
      orders[i] = order;
      pixels[i] = ipix;
      if (order > depth) depth = order;
    }
    // Cells by their first nested index at the deepest order (coarser first on a tie).
    const starts = new Float64Array(n);
    const cells = new Int32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      starts[i] = (pixels[i] as number) * POW4[depth - (orders[i] as number)]!;
      cells[i] = i;
      if (
        i > 0 &&
        ((starts[i] as number) < (starts[i - 1] as number) ||
          (starts[i] === starts[i - 1] && (orders[i] as number) < (orders[i - 1] as number)))
      )
        sorted = false;
    }
    if (!sorted) {
      cells.sort(
        (a, b) =>
          (starts[a] as number) - (starts[b] as number) ||
          (orders[a] as number) - (orders[b] as number),
      );
    }
    const start = sorted ? starts : new Float64Array(n);
    if (!sorted) for (let i = 0; i < n; i++) start[i] = starts[cells[i] as number] as number;
    const nodes = new NodeArrays(Math.ceil(n * 1.4) + 12);
    const addCell = (at: number): number => {
      const c = cells[at] as number;
      const node = nodes.add(CELL);
      cellCentreVector(orders[c] as number, pixels[c] as number, nodes.xyz, 3 * node);
      nodes.total[node] = map.prob[c] as number;
      nodes.end[node] = node + 1;
      return nodes.total[node] as number;
    };
    /** The node (order, ipix) holding cells [lo, hi): returns its probability. */
    const build = (order: number, ipix: number, lo: number, hi: number): number => {
      if (hi - lo === 1) return addCell(lo);
      const node = nodes.add(order);
      let sum = 0;
      let at = lo;
      // The cell that is this node (and any of the same order: a map that repeats one).
      while (at < hi && (orders[cells[at] as number] as number) <= order) sum += addCell(at++);
      if (order < depth) {
        const width = POW4[depth - order - 1]!;
        for (let child = 4 * ipix; child < 4 * ipix + 4 && at < hi; child++) {
          const next = firstAtOrAbove(start, at, hi, (child + 1) * width);
          if (next > at) sum += build(order + 1, child, at, next);
          at = next;
        }
      }
      nodes.total[node] = sum;
      nodes.end[node] = nodes.count;
      // Any point serves as the node's centre (its reach is measured from it): the mean of its children's, without trigonometry.
      const { xyz, end } = nodes;
      let x = 0;
      let y = 0;
      let z = 0;
      for (let child = node + 1; child < nodes.count; child = end[child] as number) {
        x += xyz[3 * child] as number;
        y += xyz[3 * child + 1] as number;
        z += xyz[3 * child + 2] as number;
      }
      const norm = Math.sqrt(x * x + y * y + z * z) || 1;
      xyz[3 * node] = x / norm;
      xyz[3 * node + 1] = y / norm;
      xyz[3 * node + 2] = z / norm;
      return sum;
    };
    let at = 0;
    const baseWidth = POW4[depth]!;
    for (let face = 0; face < 12 && at < n; face++) {
      const next = firstAtOrAbove(start, at, n, (face + 1) * baseWidth);
      if (next > at) build(0, face, at, next);
      at = next;
    }
    const count = nodes.count;
    this.xyz = nodes.xyz.subarray(0, 3 * count);
    this.total = nodes.total.subarray(0, count);
    this.end = nodes.end.subarray(0, count);
    this.level = nodes.level.subarray(0, count);
    // Per order, the farthest cell centre from its node's centre (every node's subtree scanned once).
    const minDot = new Float64Array(depth + 1).fill(1);
    const { xyz, end, level } = this;
    for (let i = 0; i < count; i++) {
      const order = level[i] as number;
      if (order === CELL) continue;
      const x = xyz[3 * i] as number;
      const y = xyz[3 * i + 1] as number;
      const z = xyz[3 * i + 2] as number;
      let least = minDot[order] as number;
      for (let j = i + 1; j < (end[i] as number); j++) {
        if (level[j] !== CELL) continue;
        const d =
          x * (xyz[3 * j] as number) +
          y * (xyz[3 * j + 1] as number) +
          z * (xyz[3 * j + 2] as number);
        if (d < least) least = d;
      }
      minDot[order] = least;
    }
    this.reach = minDot.map((d) => Math.acos(Math.max(-1, Math.min(1, d))));
    this.cosReach = this.reach.map(Math.cos);
    this.sinReach = this.reach.map(Math.sin);
    this.skipBelow = new Float64Array(depth + 1);
    this.takeAbove = new Float64Array(depth + 1);
  }

  /** Probability whose cell centres lie inside the field of view. */
  probabilityIn(fov: FieldOfView): number {
    const cosDec = Math.cos(fov.dec * DEG);
    const cx = cosDec * Math.cos(fov.ra * DEG);
    const cy = cosDec * Math.sin(fov.ra * DEG);
    const cz = Math.sin(fov.dec * DEG);
    const outer = fov.outer * DEG;
    const inner = fov.inner * DEG;
    const cosOuter = Math.cos(outer);
    const sinOuter = Math.sin(outer);
    const cosInner = Math.cos(inner);
    const sinInner = Math.sin(inner);
    const edges = fov.edges ?? (fov.polygon ? edgeNormals(fov.polygon) : undefined);
    const { xyz, total, end, level, reach, cosReach, sinReach, skipBelow, takeAbove } = this;
    // A node lies beyond outer + reach (nothing inside) or within inner - reach (all inside): cosines of sums, no acos.
    for (let k = 0; k < reach.length; k++) {
      const r = reach[k] as number;
      const cr = cosReach[k] as number;
      const sr = sinReach[k] as number;
      skipBelow[k] = outer + r < Math.PI ? cosOuter * cr - sinOuter * sr - SLACK : -Infinity;
      takeAbove[k] = inner > r ? cosInner * cr + sinInner * sr + SLACK : Infinity;
    }
    const count = total.length;
    let sum = 0;
    let i = 0;
    while (i < count) {
      const x = xyz[3 * i] as number;
      const y = xyz[3 * i + 1] as number;
      const z = xyz[3 * i + 2] as number;
      const c = x * cx + y * cy + z * cz;
      const order = level[i] as number;
      if (order === CELL) {
        // Inside the inner circle without a branch to mispredict; the thin ring between
        // the circles is rare and tested against the edges.
        sum += c >= cosInner ? (total[i] as number) : 0;
        if (c >= cosOuter && c < cosInner && (!edges || insideEdges(edges, x, y, z)))
          sum += total[i] as number;
        i++;
      } else if (c < (skipBelow[order] as number)) {
        i = end[i] as number;
      } else if (c > (takeAbove[order] as number)) {
        sum += total[i] as number;
        i = end[i] as number;
      } else {
        i++;
      }
    }
    return sum;
  }
}

/** The first of the sorted `start[lo..hi)` that is at least `value` (hi when none). */
function firstAtOrAbove(start: Float64Array, lo: number, hi: number, value: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((start[mid] as number) < value) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** Unit vectors (x, y, z per vertex) of a polygon's (ra, dec) vertices in degrees. */
function vertexVectors(polygon: readonly number[]): Float64Array {
  const n = polygon.length / 2;
  const v = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const ra = (polygon[2 * i] as number) * DEG;
    const dec = (polygon[2 * i + 1] as number) * DEG;
    const cosDec = Math.cos(dec);
    v[3 * i] = cosDec * Math.cos(ra);
    v[3 * i + 1] = cosDec * Math.sin(ra);
    v[3 * i + 2] = Math.sin(dec);
  }
  return v;
}

/** Sum of the unit vectors (x, y, z per vertex): the direction of the vertex mean. */
function vertexSum(v: Float64Array): [number, number, number] {
  let mx = 0;
  let my = 0;
  let mz = 0;
  for (let i = 0; i < v.length; i += 3) {
    mx += v[i] as number;
    my += v[i + 1] as number;
    mz += v[i + 2] as number;
  }
  return [mx, my, mz];
}

/** Inward normals of the great circles through consecutive vertices of a convex polygon. */
function edgeNormals(polygon: readonly number[], vertices = vertexVectors(polygon)): Float64Array {
  const v = vertices;
  const n = v.length / 3;
  // Orientation from the vertex mean: the normals must point towards the inside.
  const [mx, my, mz] = vertexSum(v);
  const normals = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const ax = v[3 * i] as number;
    const ay = v[3 * i + 1] as number;
    const az = v[3 * i + 2] as number;
    const bx = v[3 * j] as number;
    const by = v[3 * j + 1] as number;
    const bz = v[3 * j + 2] as number;
    let nx = ay * bz - az * by;
    let ny = az * bx - ax * bz;
    let nz = ax * by - ay * bx;
    if (nx * mx + ny * my + nz * mz < 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
    }
    normals[3 * i] = nx;
    normals[3 * i + 1] = ny;
    normals[3 * i + 2] = nz;
  }
  return normals;
}

function insideEdges(normals: Float64Array, x: number, y: number, z: number): boolean {
  for (let i = 0; i < normals.length; i += 3) {
    if (
      (normals[i] as number) * x + (normals[i + 1] as number) * y + (normals[i + 2] as number) * z <
      0
    )
      return false;
  }
  return true;
}

/** The field of view of a convex polygon: its vertex centre, enclosing/enclosed radii and edge normals. */
export function polygonFieldOfView(polygon: readonly number[]): FieldOfView {
  const v = vertexVectors(polygon);
  const n = v.length / 3;
  const [mx, my, mz] = vertexSum(v);
  const norm = Math.sqrt(mx * mx + my * my + mz * mz);
  const c0 = mx / norm;
  const c1 = my / norm;
  const c2 = mz / norm;
  let minDot = 1;
  for (let i = 0; i < n; i++) {
    const d =
      (v[3 * i] as number) * c0 + (v[3 * i + 1] as number) * c1 + (v[3 * i + 2] as number) * c2;
    if (d < minDot) minDot = d;
  }
  const outer = Math.acos(Math.min(1, minDot));
  const edges = edgeNormals(polygon, v);
  // Angular distance from the centre to the nearest edge's great circle.
  let minSin = 1;
  for (let i = 0; i < edges.length; i += 3) {
    const nx = edges[i] as number;
    const ny = edges[i + 1] as number;
    const nz = edges[i + 2] as number;
    const s = (nx * c0 + ny * c1 + nz * c2) / Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (s < minSin) minSin = s;
  }
  const inner = Math.asin(Math.max(-1, Math.min(1, minSin)));
  let ra = Math.atan2(c1, c0) / DEG;
  if (ra < 0) ra += 360;
  return {
    ra,
    dec: Math.asin(c2) / DEG,
    outer: outer / DEG + 1e-9,
    inner: Math.max(0, inner / DEG - 1e-9),
    polygon,
    edges,
  };
}
