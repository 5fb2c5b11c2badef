/**
 * Angular resolution from a GADF PSF component: the radius containing a fraction of
 * the events (68% for ObsCore s_resolution) at the energy and offset bin nearest to a
 * reference, for psf_table, psf_3gauss and psf_king. Values are taken at bin centres,
 * so the reference energy and offset reported are those centres.
 */
import type { RowBatch } from '../fits/index.js';

export interface PsfContainment {
  /** Containment radius, deg. */
  readonly radius: number;
  /** True energy (TeV) and offset (deg) of the bin it was computed in. */
  readonly energy: number;
  readonly offset: number;
}

type Profile = (r: number) => number;

const DEG = Math.PI / 180;

function values(batch: RowBatch, name: string): ArrayLike<number> | undefined {
  try {
    const v = batch.column(name).values;
    return typeof v === 'object' &&
      v !== null &&
      'length' in v &&
      typeof (v as ArrayLike<unknown>)[0] === 'number'
      ? (v as ArrayLike<number>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Index of the bin whose [lo, hi) holds x, or the nearest bin centre (log for energy). */
function nearestBin(lo: ArrayLike<number>, hi: ArrayLike<number>, x: number, log: boolean): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let i = 0; i < lo.length; i++) {
    const a = lo[i] as number;
    const b = hi[i] as number;
    if (x >= a && x < b) return i;
    const centre = log && a > 0 ? Math.sqrt(a * b) : (a + b) / 2;
    const d = log && centre > 0 && x > 0 ? Math.abs(Math.log(x / centre)) : Math.abs(x - centre);
    if (d < bestDistance) [best, bestDistance] = [i, d];
  }
  return best;
}

const centreOf = (
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  i: number,
  log: boolean,
): number => {
  const a = lo[i] as number;
  const b = hi[i] as number;
  return log && a > 0 ? Math.sqrt(a * b) : (a + b) / 2;
};

/** Radius (deg) within which `fraction` of a radial surface-density profile lies. */
function containmentOf(profile: Profile, maxRadius: number, fraction: number): number | undefined {
  const steps = 2000;
  const dr = maxRadius / steps;
  const cumulative = new Float64Array(steps + 1);
  for (let i = 1; i <= steps; i++) {
    const r = (i - 0.5) * dr;
    cumulative[i] =
      (cumulative[i - 1] as number) + profile(r) * 2 * Math.PI * Math.sin(r * DEG) * dr * DEG;
  }
  const total = cumulative[steps] as number;
  if (!(total > 0)) return undefined;
  for (let i = 1; i <= steps; i++) {
    if ((cumulative[i] as number) >= fraction * total) {
      const before = cumulative[i - 1] as number;
      const step = (cumulative[i] as number) - before;
      return (i - 1 + (fraction * total - before) / step) * dr;
    }
  }
  return undefined;
}

export function psfContainment(
  hduClass: string,
  table: RowBatch,
  energy: number,
  offset: number,
  fraction = 0.68,
): PsfContainment | undefined {
  const [eLo, eHi, tLo, tHi] = ['ENERG_LO', 'ENERG_HI', 'THETA_LO', 'THETA_HI'].map((n) =>
    values(table, n),
  );
  if (!eLo || !eHi || !tLo || !tHi) return undefined;
  const ie = nearestBin(eLo, eHi, energy, true);
  const it = nearestBin(tLo, tHi, offset, false);
  const nE = eLo.length;
  const at = (name: string): number | undefined => values(table, name)?.[it * nE + ie];
  let profile: Profile | undefined;
  let maxRadius = 2;
  if (hduClass === 'psf_table') {
    const [rLo, rHi, rpsf] = ['RAD_LO', 'RAD_HI', 'RPSF'].map((n) => values(table, n));
    if (!rLo || !rHi || !rpsf) return undefined;
    const nT = tLo.length;
    maxRadius = rHi[rHi.length - 1] as number;
    // RPSF is stored [rad][theta][energy] (TDIM = (energy, theta, rad)).
    profile = (r) => {
      const ir = nearestBin(rLo, rHi, r, false);
      return rpsf[(ir * nT + it) * nE + ie] as number;
    };
  } else if (hduClass === 'psf_3gauss') {
    const [s1, s2, s3, a2, a3] = ['SIGMA_1', 'SIGMA_2', 'SIGMA_3', 'AMPL_2', 'AMPL_3'].map(at);
    if (s1 === undefined || !(s1 > 0)) return undefined;
    const gauss = (r: number, s: number | undefined): number =>
      s && s > 0 ? Math.exp(-(r * r) / (2 * s * s)) : 0;
    maxRadius = 10 * Math.max(s1, s2 ?? 0, s3 ?? 0);
    profile = (r) => gauss(r, s1) + (a2 ?? 0) * gauss(r, s2) + (a3 ?? 0) * gauss(r, s3);
  } else if (hduClass === 'psf_king') {
    const gamma = at('GAMMA');
    const sigma = at('SIGMA');
    if (gamma === undefined || sigma === undefined || !(gamma > 1) || !(sigma > 0))
      return undefined;
    maxRadius = 50 * sigma;
    profile = (r) => Math.pow(1 + (r * r) / (2 * gamma * sigma * sigma), -gamma);
  }
  if (!profile) return undefined;
  const radius = containmentOf(profile, maxRadius, fraction);
  return radius === undefined
    ? undefined
    : { radius, energy: centreOf(eLo, eHi, ie, true), offset: centreOf(tLo, tHi, it, false) };
}
