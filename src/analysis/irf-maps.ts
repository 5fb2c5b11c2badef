/**
 * The IRF maps of a map dataset as gammapy 1.0's MapDatasetMaker makes them by default
 * (makers/utils.py make_edisp_kernel_map, make_psf_map; irf/edisp/map.py
 * to_edisp_kernel_map; maps/core.py normalize, cumsum, integral) on the coarse IRF sky
 * grid of MapDataset.create (BINSZ_IRF_DEFAULT 0.2°), and stacked as IRFMap.stack
 * does: weighted by exposure, each run only where its safe mask (sampled at the coarse
 * pixel centres) lets it in. Arrays are C-ordered [energy_true][energy or rad][pixel].
 */
import { binCentres, type IrfAxis, type IrfTable, nodeEdges } from '../gadf/index.js';
import { IrfInterpolator } from './irf-eval.js';
import { SkyGrid } from './wcs.js';

/** gammapy's BINSZ_IRF_DEFAULT (deg). */
export const BINSZ_IRF = 0.2;

/** gammapy's RAD_AXIS_DEFAULT: 0 to 0.66° in 66 linear bins. */
export const RAD_EDGES = Float64Array.from({ length: 67 }, (_, i) => (0.66 * i) / 66);

/** deg⁻² to sr⁻¹. */
const PER_SR = (180 / Math.PI) ** 2;

/** The coarse grid of the IRF maps: the sky grid at BINSZ_IRF over the same width (WcsGeom.to_binsz). */
export function irfGridOf(grid: SkyGrid): SkyGrid {
  const { spec } = grid;
  return new SkyGrid({
    ...spec,
    width: [grid.nx * spec.binsz, grid.ny * spec.binsz],
    binsz: BINSZ_IRF,
  });
}

/**
 * For each coarse pixel, the fine pixel its centre falls in (numpy's rint of the pixel
 * coordinate, as gammapy's get_by_coord), or -1 outside the fine grid.
 */
export function coarseToFine(coarse: SkyGrid, fine: SkyGrid): Int32Array {
  const out = new Int32Array(coarse.pixelCount);
  for (let iy = 0; iy < coarse.ny; iy++) {
    for (let ix = 0; ix < coarse.nx; ix++) {
      const [px, py] = fine.worldToPix(...coarse.pixToWorld(ix, iy));
      const fx = rint(px);
      const fy = rint(py);
      out[ix + coarse.nx * iy] =
        fx >= 0 && fx < fine.nx && fy >= 0 && fy < fine.ny ? fx + fine.nx * fy : -1;
    }
  }
  return out;
}

/** numpy's rint: halves to the even neighbour; NaN stays NaN. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The energy-dispersion kernel of one run at each coarse pixel: the EDISP_2D migration
 * density at the true-energy centres, normalised over migra, then its cumulative
 * integral (linear between the migra edges, flat beyond) differenced at the
 * reconstructed-energy edges. [energy_true][energy][pixel], no unit.
 */
export function edispKernel(
  edisp: IrfTable,
  offset: Float64Array,
  energy: Float64Array,
  energyTrue: Float64Array,
): Float64Array {
  const interpolator = new IrfInterpolator(edisp.axes, edisp.data, 'lin');
  const migra = edisp.axes.find((a) => a.name === 'migra')!;
  const mCentres = migra.centres;
  const mEdges = migra.edges;
  const nM = mCentres.length;
  const trueCentres = binCentres(energyTrue, 'log');
  const nEt = trueCentres.length;
  const nE = energy.length - 1;
  const npix = offset.length;
  const out = new Float64Array(nEt * nE * npix);
  const cum = new Float64Array(nM + 1);
  const coords = [0, 0, 0];
  // The cumulative integral at m: linear between the edges, 0 below, the total above.
  const integral = (m: number): number => {
    if (!(m > mEdges[0]!)) return 0;
    if (m >= mEdges[nM]!) return cum[nM]!;
    let lo = 0;
    let hi = nM;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (mEdges[mid]! <= m) lo = mid;
      else hi = mid;
    }
    const f = (m - mEdges[lo]!) / (mEdges[lo + 1]! - mEdges[lo]!);
    return cum[lo]! + f * (cum[lo + 1]! - cum[lo]!);
  };
  for (let p = 0; p < npix; p++) {
    coords[2] = offset[p]!;
    for (let j = 0; j < nEt; j++) {
      const et = trueCentres[j]!;
      coords[0] = et;
      const density = interpolator.along(coords, 1);
      cum[0] = 0;
      for (let k = 0; k < nM; k++) {
        cum[k + 1] = cum[k]! + density(mCentres[k]!) * (mEdges[k + 1]! - mEdges[k]!);
      }
      const total = cum[nM]!;
      // Map.normalize: 0/0 is NaN, which nan_to_num makes 0.
      if (!(total > 0) || !Number.isFinite(total)) continue;
      for (let k = 1; k <= nM; k++) cum[k] = cum[k]! / total;
      let below = integral(energy[0]! / et);
      for (let i = 0; i < nE; i++) {
        const above = integral(energy[i + 1]! / et);
        out[(j * nE + i) * npix + p] = Math.max(0, above - below);
        below = above;
      }
    }
  }
  return out;
}

/** A PSF's value (any constant factor) at true energy, offset and radius (deg). */
type PsfProfile = (energyTrue: number, offset: number) => (rad: number) => number;

function psfProfile(psf: IrfTable): PsfProfile {
  if (psf.hduClass === 'psf_table') {
    const interpolator = new IrfInterpolator(psf.axes, psf.data, 'lin');
    return (e, o) => interpolator.along([e, o, 0], 2);
  }
  const axes: readonly IrfAxis[] = psf.axes;
  const parameter = (name: string) => {
    const values = psf.parameters?.get(name);
    if (!values) throw new Error(`${psf.where}: the ${psf.hduClass} PSF has no ${name}`);
    return new IrfInterpolator(axes, values, 'lin', 'extrapolate');
  };
  if (psf.hduClass === 'psf_3gauss') {
    const [s1, s2, s3, scale, a2, a3] = [
      'sigma_1',
      'sigma_2',
      'sigma_3',
      'scale',
      'ampl_2',
      'ampl_3',
    ].map(parameter) as [IrfInterpolator, ...IrfInterpolator[]];
    return (e, o) => {
      const at = [e, o];
      const sigmas = [s1, s2!, s3!].map((s) => s.evaluate(at));
      const k = scale!.evaluate(at);
      const amplitudes = [1, a2!.evaluate(at), a3!.evaluate(at)];
      // gammapy's MultiGauss2D: norms 2·scale·ampl·σ², normalised to sum 1.
      const norms = sigmas.map((s, i) => 2 * k * amplitudes[i]! * s * s);
      const sum = norms[0]! + norms[1]! + norms[2]!;
      return (r) => {
        let value = 0;
        for (let i = 0; i < 3; i++) {
          const s2 = sigmas[i]! * sigmas[i]!;
          value += (norms[i]! / sum / (2 * Math.PI * s2)) * Math.exp((-0.5 * r * r) / s2);
        }
        return value;
      };
    };
  }
  if (psf.hduClass === 'psf_king') {
    const [gamma, sigma] = ['gamma', 'sigma'].map(parameter) as [IrfInterpolator, IrfInterpolator];
    return (e, o) => {
      const g = gamma.evaluate([e, o]);
      const s = sigma.evaluate([e, o]);
      const term = (1 / (2 * Math.PI * s * s)) * (1 - 1 / g);
      return (r) => term * (1 + (r * r) / (2 * g * s * s)) ** -g;
    };
  }
  throw new Error(`${psf.where}: ${psf.hduClass} is not a PSF class the map maker evaluates`);
}

/**
 * The PSF of one run at each coarse pixel on gammapy's default rad axis, normalised so
 * that ∫ 2π r PSF dr = 1 (Map.normalize over rad), in sr⁻¹. [energy_true][rad][pixel].
 */
export function psfMap(
  psf: IrfTable,
  offset: Float64Array,
  energyTrue: Float64Array,
): Float64Array {
  const profile = psfProfile(psf);
  const trueCentres = binCentres(energyTrue, 'log');
  const rad = binCentres(RAD_EDGES, 'lin');
  const nR = rad.length;
  const npix = offset.length;
  const out = new Float64Array(trueCentres.length * nR * npix);
  const values = new Float64Array(nR);
  for (let p = 0; p < npix; p++) {
    for (let j = 0; j < trueCentres.length; j++) {
      const at = profile(trueCentres[j]!, offset[p]!);
      let total = 0;
      for (let r = 0; r < nR; r++) {
        const v = at(rad[r]!);
        values[r] = v;
        total += 2 * Math.PI * rad[r]! * v * (RAD_EDGES[r + 1]! - RAD_EDGES[r]!);
      }
      if (!(total > 0) || !Number.isFinite(total)) continue;
      for (let r = 0; r < nR; r++) {
        const v = (values[r]! / total) * PER_SR;
        out[(j * nR + r) * npix + p] = Number.isFinite(v) ? v : 0;
      }
    }
  }
  return out;
}

/** Steps of the numeric containment integral of a parametric PSF (its analytic value to ~1e-7). */
const CONTAINMENT_STEPS = 2000;

/**
 * The fraction of the PSF within `radius` (deg) at each true-energy bin centre and
 * `offset`, as gammapy's PSF.containment: for a table, the cumulative sum of 2π r Δr PSF
 * over the rad bins, interpolated linearly at the radius on the bins' upper edges; for
 * the parametric PSFs, the integral of their normalised profile.
 */
export function psfContainment(
  psf: IrfTable,
  energyTrue: Float64Array,
  offset: number,
  radius: number,
): Float64Array {
  const centres = binCentres(energyTrue, 'log');
  if (psf.hduClass === 'psf_table') {
    const [energyAxis, offsetAxis, radAxis] = psf.axes as [IrfAxis, IrfAxis, IrfAxis];
    const nR = radAxis.edges.length - 1;
    const cumulative = new Float64Array(psf.data.length);
    for (let line = 0; line < psf.data.length / nR; line++) {
      let sum = 0;
      for (let r = 0; r < nR; r++) {
        const width = radAxis.edges[r + 1]! - radAxis.edges[r]!;
        sum += (2 * Math.PI * radAxis.centres[r]! * width * psf.data[line * nR + r]!) / PER_SR;
        cumulative[line * nR + r] = sum;
      }
    }
    const upper = radAxis.edges.slice(1);
    const shifted: IrfAxis = { ...radAxis, centres: upper, edges: nodeEdges(upper, 'lin') };
    const interpolator = new IrfInterpolator([energyAxis, offsetAxis, shifted], cumulative, 'lin');
    return centres.map((e) => interpolator.evaluate([e, offset, radius]));
  }
  const profile = psfProfile(psf);
  const step = radius / CONTAINMENT_STEPS;
  return centres.map((e) => {
    const at = profile(e, offset);
    let sum = 0;
    for (let k = 0; k < CONTAINMENT_STEPS; k++) {
      const r = (k + 0.5) * step;
      sum += 2 * Math.PI * r * at(r) * step;
    }
    return sum;
  });
}

/** One IRF map of a run and the exposure (m² s, [energy_true][pixel]) that weighs it. */
export interface RunIrfMap {
  /** [energy_true][band][pixel]. */
  readonly data: Float64Array;
  readonly exposure: Float64Array;
}

/**
 * An exposure-weighted stack of IRF maps (gammapy's IRFMap.stack into an empty map):
 * each band of a run counts where `weight(band, pixel)` is 1, its exposure where any band does.
 */
export class StackedIrfMap {
  readonly data: Float64Array;
  readonly exposure: Float64Array;

  constructor(
    readonly trueBins: number,
    readonly bands: number,
    readonly npix: number,
  ) {
    this.data = new Float64Array(trueBins * bands * npix);
    this.exposure = new Float64Array(trueBins * npix);
  }

  add(run: RunIrfMap, weight: (band: number, pixel: number) => boolean): void {
    const { bands, npix, data, exposure } = this;
    const image = new Uint8Array(npix);
    for (let b = 0; b < bands; b++) for (let p = 0; p < npix; p++) if (weight(b, p)) image[p] = 1;
    for (let j = 0; j < this.trueBins; j++) {
      for (let p = 0; p < npix; p++) {
        const x = exposure[j * npix + p]!;
        const xRun = finite(run.exposure[j * npix + p]!);
        const total = x + (image[p] ? xRun : 0);
        for (let b = 0; b < bands; b++) {
          const k = (j * bands + b) * npix + p;
          const sum = data[k]! * x + (weight(b, p) ? finite(run.data[k]! * xRun) : 0);
          const mean = sum / total;
          data[k] = Number.isFinite(mean) ? mean : 0;
        }
        exposure[j * npix + p] = total;
      }
    }
  }
}

const finite = (v: number): number => (Number.isFinite(v) ? v : 0);
