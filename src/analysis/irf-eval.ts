/**
 * IRF values between their bins, as gammapy 1.0 evaluates them (IRF.evaluate through
 * ScaledRegularGridInterpolator): multilinear interpolation on the bin centres in the
 * axes' scales (log for energies), of the values in their scale (log for backgrounds),
 * extrapolating inside the outer bins, clipped at zero, and zero outside the axes' edges.
 */
import type { IrfAxis, IrfTable } from '../gadf/index.js';

/** float32's smallest normal number: gammapy's LogScale clips at it. */
const TINY = 1.1754943508222875e-38;

export type ValueScale = 'lin' | 'log';

// numpy's clip keeps NaN, which log keeps.
const logScale = (v: number): number => Math.log(Number.isNaN(v) ? v : Math.max(v, TINY));
const logInverse = (v: number): number => {
  const out = Math.exp(v);
  return Math.abs(out) - TINY <= TINY ? 0 : out;
};

export class IrfInterpolator {
  private readonly grids: Float64Array[];
  private readonly included: number[];
  private readonly strides: number[];
  private readonly scaled: Float64Array;
  private readonly lengths: number[];
  // Scratch of evaluate and cell, reused: allocating per call made the IRF maps GC-bound.
  private readonly idx: Int32Array;
  private readonly t: Float64Array;
  private readonly includedStrides: Int32Array;
  private cellIndex = 0;
  private cellFraction = 0;

  /**
   * `outside`: 'zero' beyond the axes' edges (IRF.evaluate), or 'extrapolate' (the
   * parameter interpolators of gammapy's parametric PSFs).
   */
  constructor(
    readonly axes: readonly IrfAxis[],
    data: Float64Array,
    readonly valueScale: ValueScale,
    private readonly outside: 'zero' | 'extrapolate' = 'zero',
  ) {
    this.lengths = axes.map((a) => a.edges.length - 1);
    this.grids = axes.map((a) => (a.interp === 'log' ? a.centres.map(Math.log) : a.centres));
    // Axes of one bin are left out of the interpolation (gammapy squeezes them).
    this.included = this.lengths.flatMap((n, i) => (n > 1 ? [i] : []));
    this.strides = this.lengths.map((_, i) => this.lengths.slice(i + 1).reduce((a, b) => a * b, 1));
    this.scaled = valueScale === 'log' ? data.map(logScale) : data;
    this.idx = new Int32Array(this.included.length);
    this.t = new Float64Array(this.included.length);
    this.includedStrides = Int32Array.from(this.included, (d) => this.strides[d]!);
  }

  /** The IRF at `coords` (one value per axis, in the axes' units). */
  evaluate(coords: readonly number[]): number {
    for (let i = 0; i < coords.length; i++) {
      const x = coords[i]!;
      const edges = this.axes[i]!.edges;
      if (!Number.isFinite(x)) return 0;
      if (this.outside === 'zero' && (x < edges[0]! || x > edges[edges.length - 1]!)) return 0;
    }
    const { idx, t, includedStrides } = this;
    const n = idx.length;
    for (let k = 0; k < n; k++) {
      this.cell(this.included[k]!, coords[this.included[k]!]!);
      idx[k] = this.cellIndex;
      t[k] = this.cellFraction;
    }
    let value = 0;
    const corners = 1 << n;
    for (let corner = 0; corner < corners; corner++) {
      let weight = 1;
      let offset = 0;
      for (let k = 0; k < n; k++) {
        const up = (corner >> k) & 1;
        weight *= up ? t[k]! : 1 - t[k]!;
        offset += (idx[k]! + up) * includedStrides[k]!;
      }
      value += this.scaled[offset]! * weight;
    }
    const out = this.valueScale === 'log' ? logInverse(value) : value;
    return Number.isFinite(out) && out > 0 ? out : 0;
  }

  /**
   * The IRF along axis `axis` with the other coordinates fixed (the value of `coords`
   * at `axis` is ignored): the same values as `evaluate`, the other axes' weights
   * worked out once for the whole line.
   */
  along(coords: readonly number[], axis: number): (x: number) => number {
    const zero = (): number => 0;
    const others: { dim: number; i: number; t: number }[] = [];
    for (let d = 0; d < coords.length; d++) {
      if (d === axis) continue;
      const x = coords[d]!;
      const edges = this.axes[d]!.edges;
      if (!Number.isFinite(x)) return zero;
      if (this.outside === 'zero' && (x < edges[0]! || x > edges[edges.length - 1]!)) return zero;
      if (!this.included.includes(d)) continue;
      this.cell(d, x);
      others.push({ dim: d, i: this.cellIndex, t: this.cellFraction });
    }
    const n = this.lengths[axis]!;
    const stride = this.strides[axis]!;
    const line = new Float64Array(n);
    const corners = 1 << others.length;
    for (let corner = 0; corner < corners; corner++) {
      let weight = 1;
      let offset = 0;
      for (let k = 0; k < others.length; k++) {
        const up = (corner >> k) & 1;
        const o = others[k]!;
        weight *= up ? o.t : 1 - o.t;
        offset += (o.i + up) * this.strides[o.dim]!;
      }
      for (let k = 0; k < n; k++) line[k]! += this.scaled[offset + k * stride]! * weight;
    }
    const edges = this.axes[axis]!.edges;
    const interpolated = this.included.includes(axis);
    return (x) => {
      if (!Number.isFinite(x)) return 0;
      if (this.outside === 'zero' && (x < edges[0]! || x > edges[edges.length - 1]!)) return 0;
      let value = line[0]!;
      if (interpolated) {
        this.cell(axis, x);
        const [i, t] = [this.cellIndex, this.cellFraction];
        value = line[i]! * (1 - t) + line[i + 1]! * t;
      }
      const out = this.valueScale === 'log' ? logInverse(value) : value;
      return Number.isFinite(out) && out > 0 ? out : 0;
    };
  }

  /** scipy's cell of x on axis d's grid (i = searchsorted - 1, clipped) and the fraction in it. */
  private cell(d: number, x: number): void {
    const grid = this.grids[d]!;
    const v = this.axes[d]!.interp === 'log' ? Math.log(x) : x;
    let lo = 0;
    let hi = grid.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (grid[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    const i = Math.min(Math.max(lo - 1, 0), grid.length - 2);
    this.cellIndex = i;
    this.cellFraction = (v - grid[i]!) / (grid[i + 1]! - grid[i]!);
  }
}

/**
 * gammapy's IRF.interp_missing_data: zero or non-finite values inside the range of the
 * valid ones along `axis` are interpolated (by index, in the value scale); returns a copy.
 */
export function interpolateMissing(
  lengths: readonly number[],
  data: Float64Array,
  axis: number,
  scale: ValueScale,
): Float64Array {
  const out = data.slice();
  const stride = lengths.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = lengths[axis]!;
  const total = data.length;
  const fwd = scale === 'log' ? logScale : (v: number) => v;
  const inv = scale === 'log' ? logInverse : (v: number) => v;
  const bad = (v: number) => !Number.isFinite(v) || v === 0;
  for (let start = 0; start < total; start++) {
    // Visit each line along `axis` once: from its first element.
    if (Math.floor(start / stride) % n !== 0) continue;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < n; k++) {
      const v = data[start + k * stride]!;
      if (!bad(v)) {
        xs.push(k);
        ys.push(fwd(v));
      }
    }
    if (xs.length === 0) continue;
    for (let k = 0; k < n; k++) {
      const at = start + k * stride;
      if (!bad(data[at]!)) continue;
      if (k < xs[0]! || k > xs[xs.length - 1]!) continue;
      let j = 0;
      while (xs[j + 1]! < k) j++;
      const f = (k - xs[j]!) / (xs[j + 1]! - xs[j]!);
      out[at] = inv(ys[j]! + f * (ys[j + 1]! - ys[j]!));
    }
  }
  return out;
}

/** gammapy's trapz_loglog over one interval: a power law through the two end values. */
export function integrateLogLog(e1: number, e2: number, y1: number, y2: number): number {
  const logRatio = logScale(y1 / y2);
  let index = -logRatio / logScale(e1 / e2);
  if (Number.isNaN(index)) index = Infinity;
  const val = 1 - index;
  if (Math.abs(val) <= 1e-8) return y1 * e1 * Math.log(e2 / e1);
  const prefactor = (y1 * e1) / val;
  // (e1/e1)^val is 1 for every val (numpy's 1**inf), unlike JavaScript's.
  return prefactor * (Math.pow(e2 / e1, val) - 1);
}

/** Pads an axis by one bin on each side with the edge values (gammapy's IRF.pad(1, mode='edge')). */
export function padAxis(
  table: Pick<IrfTable, 'axes' | 'data'>,
  axis: number,
): {
  axes: IrfAxis[];
  data: Float64Array;
} {
  const lengths = table.axes.map((a) => a.edges.length - 1);
  const old = table.axes[axis]!;
  const e = old.edges;
  const n = e.length;
  const scale = old.interp === 'log' ? Math.log : (v: number) => v;
  const inv = old.interp === 'log' ? Math.exp : (v: number) => v;
  const edges = new Float64Array(n + 2);
  edges.set(e, 1);
  edges[0] = inv(2 * scale(e[0]!) - scale(e[1]!));
  edges[n + 1] = inv(2 * scale(e[n - 1]!) - scale(e[n - 2]!));
  // gammapy pads by pixels: the new centres sit one bin beyond the old outer ones.
  const c = old.centres;
  const m0 = c.length;
  const centres = new Float64Array(m0 + 2);
  centres.set(c, 1);
  centres[0] = m0 > 1 ? inv(2 * scale(c[0]!) - scale(c[1]!)) : inv(scale(edges[0]!));
  centres[m0 + 1] =
    m0 > 1 ? inv(2 * scale(c[m0 - 1]!) - scale(c[m0 - 2]!)) : inv(scale(edges[n + 1]!));
  const axes = table.axes.map((a, i) => (i === axis ? { ...old, edges, centres } : a));
  const newLengths = lengths.map((l, i) => (i === axis ? l + 2 : l));
  const stride = lengths.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = lengths.slice(0, axis).reduce((a, b) => a * b, 1);
  const data = new Float64Array(newLengths.reduce((a, b) => a * b, 1));
  const m = lengths[axis]!;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < m + 2; k++) {
      const src = Math.min(m - 1, Math.max(0, k - 1));
      for (let s = 0; s < stride; s++) {
        data[(o * (m + 2) + k) * stride + s] = table.data[(o * m + src) * stride + s]!;
      }
    }
  }
  return { axes, data };
}
