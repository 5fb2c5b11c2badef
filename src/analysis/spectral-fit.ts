/**
 * Forward-folding fits of a stacked spectrum as gammapy 1.0 does them: the model
 * integrated over each true-energy bin, times the exposure, through the energy-dispersion
 * kernel, plus the background; the cash statistic 2(μ − n ln μ) (μ floored at 1e-25)
 * summed over the safe bins, or with OFF counts WStat (the background profiled out, with
 * gammapy's goodness-of-fit terms); errors from the covariance 2 H⁻¹ (H the statistic's
 * Hessian, MINUIT's errordef 1). Flux points as FluxPointsEstimator makes them: per
 * reconstructed-energy bin, the norm of the best-fit model fitted alone, its error,
 * TS against norm 0, and the upper limit at Δstat = 4 (2σ) when TS < 4.
 */
import { integrateLogLog } from './irf-eval.js';
import type { SpectrumGeometry, StackedSpectrum } from './spectrum.js';

export type SpectralModelName = 'powerlaw' | 'logparabola';

/** Amplitudes are fitted in this unit (cm⁻² s⁻¹ TeV⁻¹) to keep the problem well scaled. */
const AMPLITUDE_UNIT = 1e-12;
/** m² to cm². */
const CM2 = 1e4;
const TRUNCATION = 1e-25;

export interface FitParameter {
  readonly name: 'index' | 'amplitude' | 'reference' | 'alpha' | 'beta';
  readonly value: number;
  /** NaN when fixed or undetermined. */
  readonly error: number;
  readonly unit: string;
  readonly frozen: boolean;
}

export interface SpectralFit {
  readonly model: SpectralModelName;
  readonly parameters: readonly FitParameter[];
  /** Sum of the cash statistic over the safe bins at the best fit. */
  readonly stat: number;
  readonly success: boolean;
  /** dN/dE (cm⁻² s⁻¹ TeV⁻¹) of the best fit at E (TeV). */
  readonly dnde: (energy: number) => number;
  /** The best fit's integral over [e1, e2] (TeV), cm⁻² s⁻¹. */
  readonly integral: (e1: number, e2: number) => number;
  /** Predicted source counts per reconstructed-energy bin at the best fit. */
  readonly npredSignal: Float64Array;
}

/** A norm fitted over an energy range (reconstructed-energy bin edges, TeV), with its counts. */
export interface NormResult extends NormEstimate {
  readonly eMin: number;
  readonly eMax: number;
  readonly eRef: number;
  readonly counts: number;
  readonly background: number;
  /** Whether the upper limit is the measure (ts < 4). */
  readonly isUl: boolean;
}

export interface FluxPoint extends NormResult {
  /** The best-fit model's dN/dE at eRef, cm⁻² s⁻¹ TeV⁻¹. */
  readonly dndeRef: number;
}

export const cash = (n: number, mu: number): number => {
  const m = mu <= TRUNCATION ? TRUNCATION : mu;
  return 2 * (m - n * Math.log(m));
};

const LARGEST = Number.MAX_VALUE;

/** The background counts in the ON region that maximise the WStat likelihood (gammapy's get_wstat_mu_bkg, × α). */
function wstatBackground(n: number, nOff: number, alpha: number, mu: number): number {
  const c = alpha * (n + nOff) - (1 + alpha) * mu;
  // At μ = −α·nOff the root is 0 but rounding may take it below.
  const d = Math.sqrt(Math.max(0, c * c + 4 * alpha * (alpha + 1) * nOff * mu));
  return (c + d) / (2 * alpha * (alpha + 1));
}

/** gammapy's wstat with extra_terms, for one bin: NaN as 0, infinities as the largest doubles (nan_to_num). */
export const wstat = (n: number, nOff: number, alpha: number, mu: number): number => {
  const muBkg = wstatBackground(n, nOff, alpha, mu);
  const term2 = n === 0 ? 0 : -n * Math.log(mu + alpha * muBkg);
  const term3 = nOff === 0 ? 0 : -nOff * Math.log(muBkg);
  const gof =
    (n === 0 ? 0 : -n * (1 - Math.log(n))) + (nOff === 0 ? 0 : -nOff * (1 - Math.log(nOff)));
  const stat = 2 * (mu + (1 + alpha) * muBkg + term2 + term3) + 2 * gof;
  if (Number.isNaN(stat)) return 0;
  return Math.max(-LARGEST, Math.min(LARGEST, stat));
};

/** dWStat/dμ: the background at its profile maximum, so only the ON term's slope is left. */
const wstatSlope = (n: number, nOff: number, alpha: number, mu: number): number =>
  2 * (1 - n / (mu + alpha * wstatBackground(n, nOff, alpha, mu)));

/** dN/dE at E for the scaled parameters (index|alpha, amplitude / AMPLITUDE_UNIT, beta). */
function dndeOf(model: SpectralModelName, p: readonly number[], reference: number) {
  const amplitude = p[1]! * AMPLITUDE_UNIT;
  if (model === 'powerlaw') return (e: number) => amplitude * (e / reference) ** -p[0]!;
  return (e: number) => {
    const x = e / reference;
    return amplitude * x ** (-p[0]! - p[2]! * Math.log(x));
  };
}

/** The model's integral over [e1, e2]: analytic for a power law, else gammapy's integrate_spectrum (100 log steps a decade, trapz_loglog). */
function integralOf(
  model: SpectralModelName,
  p: readonly number[],
  reference: number,
): (e1: number, e2: number) => number {
  if (model === 'powerlaw') {
    const amplitude = p[1]! * AMPLITUDE_UNIT;
    const val = 1 - p[0]!;
    return (e1, e2) =>
      Math.abs(val) < 1e-10
        ? amplitude * reference * Math.log(e2 / e1)
        : ((amplitude * reference) / val) * ((e2 / reference) ** val - (e1 / reference) ** val);
  }
  const dnde = dndeOf(model, p, reference);
  return (e1, e2) => integrateSpectrum(dnde, e1, e2);
}

/** ∫ f over [e1, e2] as gammapy's integrate_spectrum: 100 log steps a decade, a power law between them. */
function integrateSpectrum(f: (e: number) => number, e1: number, e2: number): number {
  const n = Math.max(Math.trunc(100 * Math.log10(e2 / e1)), 2);
  const step = Math.log(e2 / e1) / (n - 1);
  let sum = 0;
  let a = e1;
  let ya = f(a);
  for (let k = 1; k < n; k++) {
    const b = k === n - 1 ? e2 : e1 * Math.exp(k * step);
    const yb = f(b);
    sum += integrateLogLog(a, b, ya, yb);
    a = b;
    ya = yb;
  }
  return sum;
}

/**
 * Source counts per reconstructed-energy bin that a model (its integral over true
 * energy) predicts through an exposure (m² s per true-energy bin) and a kernel [energy_true][energy].
 */
export function foldedCounts(
  geom: SpectrumGeometry,
  exposure: Float64Array,
  kernel: Float64Array,
  integral: (e1: number, e2: number) => number,
): Float64Array {
  const et = geom.energyTrue;
  const nEt = et.length - 1;
  const nE = geom.energy.length - 1;
  const out = new Float64Array(nE);
  for (let j = 0; j < nEt; j++) {
    const signal = integral(et[j]!, et[j + 1]!) * exposure[j]! * CM2;
    if (!Number.isFinite(signal) || signal === 0) continue;
    for (let i = 0; i < nE; i++) out[i]! += signal * kernel[j * nE + i]!;
  }
  return out;
}

const npredSignal = (spectrum: StackedSpectrum, integral: (e1: number, e2: number) => number) =>
  foldedCounts(spectrum.geom, spectrum.exposure, spectrum.edisp, integral);

function totalStat(spectrum: StackedSpectrum, signal: Float64Array): number {
  let stat = 0;
  const { off } = spectrum;
  for (let i = 0; i < signal.length; i++) {
    if (!spectrum.mask[i]) continue;
    stat += off
      ? wstat(spectrum.counts[i]!, off.counts[i]!, off.alpha[i]!, signal[i]!)
      : cash(spectrum.counts[i]!, spectrum.background[i]! + signal[i]!);
  }
  return stat;
}

/** Nelder–Mead on a few parameters, to a tolerance on the statistic. */
function nelderMead(f: (x: number[]) => number, start: number[], steps: number[]): number[] {
  const n = start.length;
  let simplex = [start, ...steps.map((s, i) => start.map((v, k) => (k === i ? v + s : v)))];
  let values = simplex.map(f);
  for (let iteration = 0; iteration < 5000; iteration++) {
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    simplex = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    if (Math.abs(values[n]! - values[0]!) < 1e-10) break;
    const centroid = start.map((_, k) => simplex.slice(0, n).reduce((s, x) => s + x[k]!, 0) / n);
    const towards = (t: number) => centroid.map((c, k) => c + t * (simplex[n]![k]! - c));
    const reflected = towards(-1);
    const fr = f(reflected);
    if (fr < values[0]!) {
      const expanded = towards(-2);
      const fe = f(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]!) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = towards(fr < values[n]! ? -0.5 : 0.5);
      const fc = f(contracted);
      if (fc < Math.min(fr, values[n]!)) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        simplex = simplex.map((x, i) =>
          i === 0 ? x : x.map((v, k) => simplex[0]![k]! + 0.5 * (v - simplex[0]![k]!)),
        );
        values = simplex.map(f);
      }
    }
  }
  return simplex[values.indexOf(Math.min(...values))]!;
}

/** The Hessian of f at x by central differences with steps h. */
function hessian(
  f: (x: number[]) => number,
  x: readonly number[],
  h: readonly number[],
): number[][] {
  const n = x.length;
  const at = (d: readonly [number, number][]) =>
    f(x.map((v, k) => v + d.reduce((s, [i, m]) => s + (i === k ? m * h[k]! : 0), 0)));
  const f0 = f([...x]);
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    out[i]![i] = (at([[i, 1]]) - 2 * f0 + at([[i, -1]])) / (h[i]! * h[i]!);
    for (let j = 0; j < i; j++) {
      const v =
        (at([
          [i, 1],
          [j, 1],
        ]) -
          at([
            [i, 1],
            [j, -1],
          ]) -
          at([
            [i, -1],
            [j, 1],
          ]) +
          at([
            [i, -1],
            [j, -1],
          ])) /
        (4 * h[i]! * h[j]!);
      out[i]![j] = v;
      out[j]![i] = v;
    }
  }
  return out;
}

/** The inverse of a small symmetric matrix (Gauss–Jordan); undefined when singular. */
function invert(m: readonly (readonly number[])[]): number[][] | undefined {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    if (!(Math.abs(a[pivot]![c]!) > 0)) return undefined;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const d = a[c]![c]!;
    a[c] = a[c]!.map((v) => v / d);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = a[r]![c]!;
      a[r] = a[r]!.map((v, j) => v - k * a[c]![j]!);
    }
  }
  return a.map((row) => row.slice(n));
}

/** Fits `model` (reference energy fixed, TeV) to the stacked spectrum. */
export function fitSpectrum(
  spectrum: StackedSpectrum,
  model: SpectralModelName,
  reference = 1,
): SpectralFit {
  const statOf = (p: readonly number[]) =>
    totalStat(spectrum, npredSignal(spectrum, integralOf(model, p, reference)));
  // Start at index 2 with the amplitude that predicts the observed excess.
  const start = model === 'powerlaw' ? [2, 1] : [2, 1, 0];
  const unit = npredSignal(spectrum, integralOf(model, start, reference));
  let predicted = 0;
  let excess = 0;
  for (let i = 0; i < unit.length; i++) {
    if (!spectrum.mask[i]) continue;
    predicted += unit[i]!;
    excess += spectrum.counts[i]! - spectrum.background[i]!;
  }
  start[1] = predicted > 0 ? Math.max(excess, 1) / predicted : 1;
  // The amplitude is searched on a log scale (it stays positive), then refined on its own.
  const toModel = (x: readonly number[]) => x.map((v, k) => (k === 1 ? Math.exp(v) : v));
  const first = nelderMead(
    (x) => statOf(toModel(x)),
    start.map((v, k) => (k === 1 ? Math.log(v) : v)),
    start.map((_, k) => (k === 2 ? 0.1 : 0.2)),
  );
  const best = toModel(
    nelderMead(
      (x) => statOf(toModel(x)),
      first,
      first.map(() => 0.01),
    ),
  );
  const stat = statOf(best);
  const steps = best.map((v) => 1e-4 * Math.max(Math.abs(v), 0.1));
  const covariance = invert(hessian(statOf, best, steps))?.map((row) => row.map((v) => 2 * v));
  const errorOf = (k: number) => {
    const v = covariance?.[k]?.[k];
    return v !== undefined && v > 0 ? Math.sqrt(v) : NaN;
  };
  const success = Number.isFinite(stat) && covariance !== undefined && best.every(Number.isFinite);
  const amplitude: FitParameter = {
    name: 'amplitude',
    value: best[1]! * AMPLITUDE_UNIT,
    error: errorOf(1) * AMPLITUDE_UNIT,
    unit: 'cm-2 s-1 TeV-1',
    frozen: false,
  };
  const ref: FitParameter = {
    name: 'reference',
    value: reference,
    error: NaN,
    unit: 'TeV',
    frozen: true,
  };
  const parameters: FitParameter[] =
    model === 'powerlaw'
      ? [
          { name: 'index', value: best[0]!, error: errorOf(0), unit: '', frozen: false },
          amplitude,
          ref,
        ]
      : [
          amplitude,
          ref,
          { name: 'alpha', value: best[0]!, error: errorOf(0), unit: '', frozen: false },
          { name: 'beta', value: best[2]!, error: errorOf(2), unit: '', frozen: false },
        ];
  return {
    model,
    parameters,
    stat,
    success,
    dnde: dndeOf(model, best, reference),
    integral: integralOf(model, best, reference),
    npredSignal: npredSignal(spectrum, integralOf(model, best, reference)),
  };
}

/**
 * One reconstructed-energy bin of a norm fit: counts, background and source counts at
 * norm 1; with OFF counts and α, the WStat statistic (b is then α · OFF, for display).
 */
export interface NormBin {
  readonly n: number;
  readonly b: number;
  readonly s: number;
  readonly off?: { readonly n: number; readonly alpha: number };
}

/** A bin's statistic at `norm`, and its slope there. */
function binStat({ n, b, s, off }: NormBin, norm: number): number {
  return off ? wstat(n, off.n, off.alpha, norm * s) : cash(n, b + norm * s);
}

function binSlope({ n, b, s, off }: NormBin, norm: number): number {
  if (off) return s * wstatSlope(n, off.n, off.alpha, norm * s);
  const mu = b + norm * s;
  return mu <= TRUNCATION ? 0 : 2 * s * (1 - n / mu);
}

/** Predicted ON counts at `norm`: the source plus the background (WStat: its profile value). */
function binNpred({ n, b, s, off }: NormBin, norm: number): number {
  const mu = norm * s;
  return off ? mu + off.alpha * wstatBackground(n, off.n, off.alpha, mu) : b + mu;
}

export interface NormEstimate {
  readonly norm: number;
  /** From the curvature of the statistic (2 / d²stat/dnorm²), NaN without counts. */
  readonly normErr: number;
  /** Where the statistic is 4 above its minimum (2σ), above the best norm. */
  readonly normUl: number;
  /** The statistic at norm 0 minus its minimum. */
  readonly ts: number;
  readonly sqrtTs: number;
  /** Background plus the source at the best norm, summed over the bins. */
  readonly npred: number;
}

/**
 * The norm of a fixed-shape model fitted to some bins on the cash statistic, as
 * gammapy's FluxEstimator does (the norm unbounded, null value 0, n_sigma_ul 2).
 */
export function normEstimate(bins: readonly NormBin[]): NormEstimate {
  const stat = (norm: number) => bins.reduce((sum, bin) => sum + binStat(bin, norm), 0);
  // The statistic's slope grows with the norm (cash is convex where μ > 0, flat where floored).
  const slope = (norm: number) => bins.reduce((sum, bin) => sum + binSlope(bin, norm), 0);
  const signal = bins.filter((x) => x.s > 0);
  if (signal.length === 0) {
    return { norm: NaN, normErr: NaN, normUl: NaN, ts: NaN, sqrtTs: NaN, npred: NaN };
  }
  const counted = signal.filter((x) => x.n > 0);
  // The lowest norm with every counted bin's prediction positive, else where all vanish.
  // WStat: the signal may go down to −α·nOff, where the predicted ON counts vanish.
  let lo = Math.max(
    ...(counted.length > 0 ? counted : signal).map(
      ({ b, s, off }) => (off ? -off.alpha * off.n : -b) / s,
    ),
  );
  let hi = Math.max(lo, 0) + 1;
  while (slope(hi) < 0 && hi < 1e12) hi = 2 * hi + 1;
  for (let k = 0; k < 200 && counted.length > 0; k++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (slope(mid) < 0) lo = mid;
    else hi = mid;
  }
  const norm = counted.length > 0 ? (lo + hi) / 2 : lo;
  const best = stat(norm);
  const ts = Math.max(0, stat(0) - best);
  const curvature = bins.some((bin) => bin.off)
    ? wstatCurvature(stat, norm)
    : bins.reduce((sum, { n, b, s }) => sum + (n * s * s) / (b + norm * s) ** 2, 0);
  // Δstat = 4 above the best norm: the statistic rises monotonically there.
  let below = norm;
  let above = Math.max(norm, 0) + Math.max(1, Math.abs(norm));
  while (stat(above) - best < 4 && above < 1e12) above *= 2;
  for (let k = 0; k < 100; k++) {
    const mid = (below + above) / 2;
    if (stat(mid) - best < 4) below = mid;
    else above = mid;
  }
  return {
    norm,
    normErr: curvature > 0 ? 1 / Math.sqrt(curvature) : NaN,
    normUl: (below + above) / 2,
    ts,
    sqrtTs: Math.sign(norm) * Math.sqrt(ts),
    npred: bins.reduce((sum, bin) => sum + binNpred(bin, norm), 0),
  };
}

/** Half the statistic's second derivative at `norm`, by central differences (as MINUIT's Hessian). */
function wstatCurvature(stat: (norm: number) => number, norm: number): number {
  const h = 1e-3 * Math.max(Math.abs(norm), 1e-2);
  return (stat(norm + h) - 2 * stat(norm) + stat(norm - h)) / (2 * h * h);
}

/** The norm fitted over `bins`, the energy range [eMin, eMax] they span, and their counts. */
export function normResult(bins: readonly NormBin[], eMin: number, eMax: number): NormResult {
  const estimate = normEstimate(bins);
  return {
    eMin,
    eMax,
    eRef: Math.sqrt(eMin * eMax),
    counts: bins.reduce((sum, b) => sum + b.n, 0),
    background: bins.reduce((sum, b) => sum + b.b, 0),
    ...estimate,
    isUl: estimate.ts < 4,
  };
}

/** Flux points in the reconstructed-energy bins, each the best-fit model's norm fitted in that bin alone. */
export function fluxPoints(spectrum: StackedSpectrum, fit: SpectralFit): FluxPoint[] {
  const edges = spectrum.geom.energy;
  const points: FluxPoint[] = [];
  for (let i = 0; i < edges.length - 1; i++) {
    if (!spectrum.mask[i]) continue;
    const bin: NormBin = {
      n: spectrum.counts[i]!,
      b: spectrum.background[i]!,
      s: fit.npredSignal[i]!,
      ...(spectrum.off
        ? { off: { n: spectrum.off.counts[i]!, alpha: spectrum.off.alpha[i]! } }
        : {}),
    };
    const result = normResult([bin], edges[i]!, edges[i + 1]!);
    points.push({ ...result, dndeRef: fit.dnde(result.eRef) });
  }
  return points;
}
