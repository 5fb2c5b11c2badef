/**
 * A probability map indexed for fast "how much probability lies in this field of view":
 * cell centres bucketed in declination bands and right-ascension bins, each bucket with
 * its total, so that a field of view visits only nearby buckets, takes whole buckets
 * that lie inside it at once and tests cell centres only near its edge.
 */
import { cellCentreVector, decodeUniq } from '../moc/index.js';
import type { ProbabilityMap } from '../alerts/index.js';

const DEG = Math.PI / 180;
/** Height of a declination band (deg); bins in RA are as wide at the band's equator side. */
const BAND = 1;
/** Slack on the cosine tests that skip or take a whole bucket: borderline buckets are tested cell by cell. */
const SLACK = 1e-12;

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

export class SkyIndex {
  /** Cell centres (x, y, z), ordered by bucket. */
  private readonly xyz: Float64Array;
  private readonly prob: Float64Array;
  /** Per band: its number of RA bins and the index of its first bucket. */
  private readonly bins: Int32Array;
  private readonly firstBucket: Int32Array;
  /** Per bucket: its cells [start[k], start[k + 1]), total probability, unit centre, and cos/sin of its reach. */
  private readonly start: Int32Array;
  private readonly total: Float64Array;
  private readonly centre: Float64Array;
  private readonly reach: Float64Array;
  private readonly cosReach: Float64Array;
  private readonly sinReach: Float64Array;

  constructor(map: ProbabilityMap) {
    const n = map.uniq.length;
    const centres = new Float64Array(3 * n);
    const key = new Int32Array(n);
    const bandCount = Math.round(180 / BAND);
    this.bins = new Int32Array(bandCount);
    for (let b = 0; b < bandCount; b++) {
      const edge = Math.min(Math.abs(-90 + b * BAND), Math.abs(-90 + (b + 1) * BAND));
      this.bins[b] = Math.max(1, Math.floor((360 * Math.cos(edge * DEG)) / BAND));
    }
    this.firstBucket = new Int32Array(bandCount + 1);
    for (let b = 0; b < bandCount; b++)
      this.firstBucket[b + 1] = (this.firstBucket[b] as number) + (this.bins[b] as number);
    for (let i = 0; i < n; i++) {
      const { order, ipix } = decodeUniq(map.uniq[i] as number);
      cellCentreVector(order, ipix, centres, 3 * i);
      const z = centres[3 * i + 2] as number;
      const dec = Math.asin(Math.max(-1, Math.min(1, z))) / DEG;
      let ra = Math.atan2(centres[3 * i + 1] as number, centres[3 * i] as number) / DEG;
      if (ra < 0) ra += 360;
      const band = Math.min(bandCount - 1, Math.floor((dec + 90) / BAND));
      const nb = this.bins[band] as number;
      const bin = Math.min(nb - 1, Math.floor((ra / 360) * nb));
      key[i] = (this.firstBucket[band] as number) + bin;
    }
    const buckets = this.firstBucket[bandCount] as number;
    // Counting sort of the cells by bucket.
    const start = new Int32Array(buckets + 1);
    for (let i = 0; i < n; i++)
      start[(key[i] as number) + 1] = (start[(key[i] as number) + 1] as number) + 1;
    for (let k = 0; k < buckets; k++)
      start[k + 1] = (start[k + 1] as number) + (start[k] as number);
    const fill = start.slice(0, buckets);
    this.start = start;
    this.xyz = new Float64Array(3 * n);
    this.prob = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = key[i] as number;
      const at = fill[k] as number;
      fill[k] = at + 1;
      this.xyz[3 * at] = centres[3 * i] as number;
      this.xyz[3 * at + 1] = centres[3 * i + 1] as number;
      this.xyz[3 * at + 2] = centres[3 * i + 2] as number;
      this.prob[at] = map.prob[i] as number;
    }
    this.total = new Float64Array(buckets);
    this.centre = new Float64Array(3 * buckets);
    this.reach = new Float64Array(buckets);
    this.cosReach = new Float64Array(buckets).fill(1);
    this.sinReach = new Float64Array(buckets);
    const xyz = this.xyz;
    for (let k = 0; k < buckets; k++) {
      const first = start[k] as number;
      const end = start[k + 1] as number;
      let cx = 0;
      let cy = 0;
      let cz = 0;
      let sum = 0;
      for (let j = first; j < end; j++) {
        cx += xyz[3 * j] as number;
        cy += xyz[3 * j + 1] as number;
        cz += xyz[3 * j + 2] as number;
        sum += this.prob[j] as number;
      }
      this.total[k] = sum;
      const norm = Math.sqrt(cx * cx + cy * cy + cz * cz);
      if (end === first || norm === 0) continue;
      cx /= norm;
      cy /= norm;
      cz /= norm;
      let minDot = 1;
      for (let j = first; j < end; j++) {
        const d =
          (xyz[3 * j] as number) * cx +
          (xyz[3 * j + 1] as number) * cy +
          (xyz[3 * j + 2] as number) * cz;
        if (d < minDot) minDot = d;
      }
      const reach = Math.acos(Math.max(-1, Math.min(1, minDot)));
      this.centre[3 * k] = cx;
      this.centre[3 * k + 1] = cy;
      this.centre[3 * k + 2] = cz;
      this.reach[k] = reach;
      this.cosReach[k] = Math.cos(reach);
      this.sinReach[k] = Math.sin(reach);
    }
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
    const decMin = Math.max(-90, fov.dec - fov.outer);
    const decMax = Math.min(90, fov.dec + fov.outer);
    const bandCount = this.bins.length;
    const firstBand = Math.max(0, Math.floor((decMin + 90) / BAND));
    const lastBand = Math.min(bandCount - 1, Math.floor((decMax + 90) / BAND));
    // RA half-width of the disc at its widest; the whole circle near a pole.
    const poleInside = decMax >= 90 || decMin <= -90;
    const halfWidth =
      poleInside || Math.abs(cosDec) <= sinOuter ? 180 : Math.asin(sinOuter / cosDec) / DEG;
    const { xyz, prob, start, total, centre, reach, cosReach, sinReach } = this;
    let sum = 0;
    // The edge that last had a cell outside it: the next cells of the ring are near it.
    let hint = 0;
    for (let b = firstBand; b <= lastBand; b++) {
      const nb = this.bins[b] as number;
      const base = this.firstBucket[b] as number;
      // Bins overlapping [ra - w, ra + w], with one bin of slack on each side.
      let lo = 0;
      let hi = nb - 1;
      if (halfWidth < 180) {
        const l = Math.floor(((fov.ra - halfWidth) / 360) * nb) - 1;
        const h = Math.floor(((fov.ra + halfWidth) / 360) * nb) + 1;
        if (h - l + 1 < nb) {
          lo = l;
          hi = h;
        }
      }
      for (let bin = lo; bin <= hi; bin++) {
        const k = base + (((bin % nb) + nb) % nb);
        const first = start[k] as number;
        const end = start[k + 1] as number;
        if (end === first) continue;
        const d =
          (centre[3 * k] as number) * cx +
          (centre[3 * k + 1] as number) * cy +
          (centre[3 * k + 2] as number) * cz;
        const cr = cosReach[k] as number;
        const sr = sinReach[k] as number;
        // Beyond outer + reach: no cell of the bucket can be inside (cos of a sum, no acos).
        if (outer + (reach[k] as number) < Math.PI && d < cosOuter * cr - sinOuter * sr - SLACK)
          continue;
        // Within inner - reach: every cell is inside.
        if (cr > cosInner && d > cosInner * cr + sinInner * sr + SLACK) {
          sum += total[k] as number;
          continue;
        }
        for (let j = first; j < end; j++) {
          const x = xyz[3 * j] as number;
          const y = xyz[3 * j + 1] as number;
          const z = xyz[3 * j + 2] as number;
          const c = x * cx + y * cy + z * cz;
          // Inside the inner circle without a branch to mispredict; the thin ring between
          // the circles is rare and tested against the edges.
          sum += c >= cosInner ? (prob[j] as number) : 0;
          if (c >= cosOuter && c < cosInner) {
            const outside = edges ? edgeOutside(edges, x, y, z, hint) : -1;
            if (outside < 0) sum += prob[j] as number;
            else hint = outside;
          }
        }
      }
    }
    return sum;
  }
}

/** Unit vectors (x, y, z per vertex) of a polygon's (ra, dec) vertices in degrees. */
let vertexScratch = new Float64Array(3 * 32);

/** Valid until the next call: one buffer for every polygon (a typed array of this size is allocated outside the heap, slowly). */
function vertexVectors(polygon: readonly number[]): Float64Array {
  const n = polygon.length / 2;
  if (vertexScratch.length < 3 * n) vertexScratch = new Float64Array(6 * n);
  const v = vertexScratch.subarray(0, 3 * n);
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

let edgeSlab = new Float64Array(1 << 16);
let edgeSlabUsed = 0;

/** Room for one polygon's edge normals, cut from a shared slab: many small typed arrays each outside the heap cost more to make and to collect. */
function edgeStorage(size: number): Float64Array {
  if (edgeSlabUsed + size > edgeSlab.length) {
    edgeSlab = new Float64Array(Math.max(1 << 16, size));
    edgeSlabUsed = 0;
  }
  edgeSlabUsed += size;
  return edgeSlab.subarray(edgeSlabUsed - size, edgeSlabUsed);
}

/** Inward normals of the great circles through consecutive vertices of a convex polygon. */
function edgeNormals(polygon: readonly number[], vertices = vertexVectors(polygon)): Float64Array {
  const v = vertices;
  const n = v.length / 3;
  // Orientation from the vertex mean: the normals must point towards the inside.
  const [mx, my, mz] = vertexSum(v);
  const normals = edgeStorage(3 * n);
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

/** -1 when (x, y, z) is inside every edge, else the offset of an edge it lies outside, tried from `first` on. */
function edgeOutside(
  normals: Float64Array,
  x: number,
  y: number,
  z: number,
  first: number,
): number {
  const n = normals.length;
  for (let k = 0, i = first; k < n; k += 3, i = i + 3 === n ? 0 : i + 3) {
    if (
      (normals[i] as number) * x + (normals[i + 1] as number) * y + (normals[i + 2] as number) * z <
      0
    )
      return i;
  }
  return -1;
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
