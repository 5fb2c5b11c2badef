/**
 * A probability map indexed for fast "how much probability lies in this field of view":
 * cell centres bucketed in declination bands and right-ascension bins, each bucket with
 * its total, so that a field of view visits only nearby buckets, takes whole buckets
 * that lie inside it at once and tests cell centres only near its edge.
 */
import { cellCentreVector, decodeUniq } from '../moc/healpix.js';
import type { ProbabilityMap } from '../alerts/index.js';

const DEG = Math.PI / 180;
/** Height of a declination band (deg); bins in RA are as wide at the band's equator side. */
const BAND = 1;

export interface FieldOfView {
  /** Centre (deg) and the radii (deg) of circles that enclose it and that it encloses. */
  readonly ra: number;
  readonly dec: number;
  readonly outer: number;
  readonly inner: number;
  /** Convex polygon (ra, dec pairs, deg) whose great-circle edges bound it; absent: a disc of `outer`. */
  readonly polygon?: readonly number[];
}

interface Bucket {
  start: number;
  end: number;
  total: number;
  /** Unit vector of the bucket's centre and the largest angle (rad) from it to a cell centre. */
  cx: number;
  cy: number;
  cz: number;
  reach: number;
}

export class SkyIndex {
  /** Cell centres (x, y, z), ordered by bucket. */
  private readonly xyz: Float64Array;
  private readonly prob: Float64Array;
  private readonly bands: { readonly bins: number; readonly buckets: Bucket[] }[];

  constructor(map: ProbabilityMap) {
    const n = map.uniq.length;
    const centres = new Float64Array(3 * n);
    const key = new Int32Array(n);
    const bandCount = Math.round(180 / BAND);
    const binsOf = (band: number): number => {
      const edge = Math.min(Math.abs(-90 + band * BAND), Math.abs(-90 + (band + 1) * BAND));
      return Math.max(1, Math.floor((360 * Math.cos(edge * DEG)) / BAND));
    };
    const bins = Array.from({ length: bandCount }, (_, b) => binsOf(b));
    const offsets = new Int32Array(bandCount + 1);
    for (let b = 0; b < bandCount; b++)
      offsets[b + 1] = (offsets[b] as number) + (bins[b] as number);
    for (let i = 0; i < n; i++) {
      const { order, ipix } = decodeUniq(map.uniq[i] as number);
      cellCentreVector(order, ipix, centres, 3 * i);
      const z = centres[3 * i + 2] as number;
      const dec = Math.asin(Math.max(-1, Math.min(1, z))) / DEG;
      let ra = Math.atan2(centres[3 * i + 1] as number, centres[3 * i] as number) / DEG;
      if (ra < 0) ra += 360;
      const band = Math.min(bandCount - 1, Math.floor((dec + 90) / BAND));
      const nb = bins[band] as number;
      const bin = Math.min(nb - 1, Math.floor((ra / 360) * nb));
      key[i] = (offsets[band] as number) + bin;
    }
    const total = offsets[bandCount] as number;
    // Counting sort of the cells by bucket.
    const starts = new Int32Array(total + 1);
    for (let i = 0; i < n; i++)
      starts[(key[i] as number) + 1] = (starts[(key[i] as number) + 1] as number) + 1;
    for (let k = 0; k < total; k++)
      starts[k + 1] = (starts[k + 1] as number) + (starts[k] as number);
    const fill = starts.slice(0, total);
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
    const buckets: Bucket[] = [];
    for (let k = 0; k < total; k++) {
      const start = starts[k] as number;
      const end = starts[k + 1] as number;
      let cx = 0;
      let cy = 0;
      let cz = 0;
      let sum = 0;
      for (let j = start; j < end; j++) {
        cx += this.xyz[3 * j] as number;
        cy += this.xyz[3 * j + 1] as number;
        cz += this.xyz[3 * j + 2] as number;
        sum += this.prob[j] as number;
      }
      const norm = Math.hypot(cx, cy, cz);
      let reach = 0;
      if (end > start && norm > 0) {
        cx /= norm;
        cy /= norm;
        cz /= norm;
        let minDot = 1;
        for (let j = start; j < end; j++) {
          const d =
            (this.xyz[3 * j] as number) * cx +
            (this.xyz[3 * j + 1] as number) * cy +
            (this.xyz[3 * j + 2] as number) * cz;
          if (d < minDot) minDot = d;
        }
        reach = Math.acos(Math.max(-1, Math.min(1, minDot)));
      }
      buckets.push({ start, end, total: sum, cx, cy, cz, reach });
    }
    this.bands = bins.map((nb, b) => ({
      bins: nb,
      buckets: buckets.slice(offsets[b] as number, (offsets[b] as number) + nb),
    }));
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
    const cosInner = Math.cos(inner);
    const edges = fov.polygon ? edgeNormals(fov.polygon) : undefined;
    const decMin = Math.max(-90, fov.dec - fov.outer);
    const decMax = Math.min(90, fov.dec + fov.outer);
    const bandCount = this.bands.length;
    const firstBand = Math.max(0, Math.floor((decMin + 90) / BAND));
    const lastBand = Math.min(bandCount - 1, Math.floor((decMax + 90) / BAND));
    // RA half-width of the disc at its widest; the whole circle near a pole.
    const poleInside = decMax >= 90 || decMin <= -90;
    const sinR = Math.sin(outer);
    const halfWidth = poleInside || Math.abs(cosDec) <= sinR ? 180 : Math.asin(sinR / cosDec) / DEG;
    let sum = 0;
    for (let b = firstBand; b <= lastBand; b++) {
      const band = this.bands[b] as { bins: number; buckets: Bucket[] };
      const nb = band.bins;
      const visit = (bin: number): void => {
        const bucket = band.buckets[bin] as Bucket;
        if (bucket.end === bucket.start) return;
        const d = bucket.cx * cx + bucket.cy * cy + bucket.cz * cz;
        const angle = Math.acos(Math.max(-1, Math.min(1, d)));
        if (angle - bucket.reach > outer) return;
        if (angle + bucket.reach < inner) {
          sum += bucket.total;
          return;
        }
        for (let j = bucket.start; j < bucket.end; j++) {
          const x = this.xyz[3 * j] as number;
          const y = this.xyz[3 * j + 1] as number;
          const z = this.xyz[3 * j + 2] as number;
          const c = x * cx + y * cy + z * cz;
          if (c < cosOuter) continue;
          if (c >= cosInner || !edges || insideEdges(edges, x, y, z)) sum += this.prob[j] as number;
        }
      };
      if (halfWidth >= 180) {
        for (let bin = 0; bin < nb; bin++) visit(bin);
        continue;
      }
      // Bins overlapping [ra - w, ra + w], with one bin of slack on each side.
      const lo = Math.floor(((fov.ra - halfWidth) / 360) * nb) - 1;
      const hi = Math.floor(((fov.ra + halfWidth) / 360) * nb) + 1;
      if (hi - lo + 1 >= nb) {
        for (let bin = 0; bin < nb; bin++) visit(bin);
      } else {
        for (let k = lo; k <= hi; k++) visit(((k % nb) + nb) % nb);
      }
    }
    return sum;
  }
}

/** Inward normals of the great circles through consecutive vertices of a convex polygon. */
function edgeNormals(polygon: readonly number[]): Float64Array {
  const n = polygon.length / 2;
  const v = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const ra = (polygon[2 * i] as number) * DEG;
    const dec = (polygon[2 * i + 1] as number) * DEG;
    v[3 * i] = Math.cos(dec) * Math.cos(ra);
    v[3 * i + 1] = Math.cos(dec) * Math.sin(ra);
    v[3 * i + 2] = Math.sin(dec);
  }
  // Orientation from the vertex mean: the normals must point towards the inside.
  let mx = 0;
  let my = 0;
  let mz = 0;
  for (let i = 0; i < n; i++) {
    mx += v[3 * i] as number;
    my += v[3 * i + 1] as number;
    mz += v[3 * i + 2] as number;
  }
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
    ) {
      return false;
    }
  }
  return true;
}

/** The field of view of a convex polygon: its vertex centre and enclosing/enclosed radii. */
export function polygonFieldOfView(polygon: readonly number[]): FieldOfView {
  const n = polygon.length / 2;
  let mx = 0;
  let my = 0;
  let mz = 0;
  const vs: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    const ra = (polygon[2 * i] as number) * DEG;
    const dec = (polygon[2 * i + 1] as number) * DEG;
    const p: [number, number, number] = [
      Math.cos(dec) * Math.cos(ra),
      Math.cos(dec) * Math.sin(ra),
      Math.sin(dec),
    ];
    vs.push(p);
    mx += p[0];
    my += p[1];
    mz += p[2];
  }
  const norm = Math.hypot(mx, my, mz);
  const c: [number, number, number] = [mx / norm, my / norm, mz / norm];
  let outer = 0;
  for (const p of vs)
    outer = Math.max(outer, Math.acos(Math.min(1, p[0] * c[0] + p[1] * c[1] + p[2] * c[2])));
  const normals = edgeNormals(polygon);
  let inner = Math.PI;
  for (let i = 0; i < normals.length; i += 3) {
    const nn = Math.hypot(normals[i] as number, normals[i + 1] as number, normals[i + 2] as number);
    const s =
      ((normals[i] as number) * c[0] +
        (normals[i + 1] as number) * c[1] +
        (normals[i + 2] as number) * c[2]) /
      nn;
    // Angular distance from the centre to the edge's great circle.
    inner = Math.min(inner, Math.asin(Math.max(-1, Math.min(1, s))));
  }
  let ra = Math.atan2(c[1], c[0]) / DEG;
  if (ra < 0) ra += 360;
  return {
    ra,
    dec: Math.asin(c[2]) / DEG,
    outer: outer / DEG + 1e-9,
    inner: Math.max(0, inner / DEG - 1e-9),
    polygon,
  };
}
