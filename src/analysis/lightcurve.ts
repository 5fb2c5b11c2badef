/**
 * Light curves as gammapy 1.0's LightCurveEstimator makes them from per-run spectrum
 * datasets: in each time bin, the norm of the best-fit spectral model (its shape fixed)
 * fitted jointly to the runs lying wholly inside the bin (or to the runs' parts cut to
 * it, when time edges are given), over the safe bins of an energy range; the flux is
 * that norm times the model's integral over the range.
 */
import {
  foldedCounts,
  type NormBin,
  type NormResult,
  normResult,
  type SpectralFit,
} from './spectral-fit.js';
import type { RunSpectrum, SpectrumGeometry } from './spectrum.js';

export interface LightCurveBin extends NormResult {
  /** MJD (UTC). */
  readonly timeMin: number;
  readonly timeMax: number;
  /** The runs that contribute (obs_id). */
  readonly runs: readonly string[];
  /** Dead-time corrected good time of those runs in the bin, s. */
  readonly livetime: number;
  /** The best-fit model's flux in the energy range, cm⁻² s⁻¹ (the flux is norm · refFlux). */
  readonly refFlux: number;
}

/** A run (or its part inside a time bin): its counts, and the share of its good time. */
interface Contribution {
  readonly run: RunSpectrum;
  readonly counts: Float64Array;
  /** OFF counts in the same time (reflected background), α staying the run's. */
  readonly countsOff?: Float64Array | undefined;
  readonly share: number;
}

/** Per run: one bin over its good time intervals; runs overlapping in time share one (GTI union). */
function perRunBins(
  runs: readonly RunSpectrum[],
): { min: number; max: number; runs: RunSpectrum[] }[] {
  const sorted = [...runs].sort((a, b) => a.startMjd - b.startMjd);
  const bins: { min: number; max: number; runs: RunSpectrum[] }[] = [];
  for (const run of sorted) {
    const last = bins[bins.length - 1];
    if (last && run.startMjd < last.max) {
      last.max = Math.max(last.max, run.stopMjd);
      last.runs.push(run);
    } else {
      bins.push({ min: run.startMjd, max: run.stopMjd, runs: [run] });
    }
  }
  return bins;
}

/**
 * The light curve of `runs` (reduced with the windows of `timeEdges`, if given) for
 * the model `fit`, over the reconstructed-energy bins [first, last). Time bins no run
 * lies in are left out, as gammapy leaves them out.
 */
export function lightCurve(
  geom: SpectrumGeometry,
  runs: readonly RunSpectrum[],
  fit: SpectralFit,
  [first, last]: readonly [number, number],
  timeEdges?: Float64Array,
): LightCurveBin[] {
  const edges = geom.energy;
  const eMin = edges[first]!;
  const eMax = edges[last]!;
  const refFlux = fit.integral(eMin, eMax);
  const signal = new Map(
    runs.map((run) => [run, foldedCounts(geom, run.exposure, run.edisp, fit.integral)]),
  );
  const bins: { min: number; max: number; parts: Contribution[] }[] = timeEdges
    ? Array.from({ length: timeEdges.length - 1 }, (_, w) => ({
        min: timeEdges[w]!,
        max: timeEdges[w + 1]!,
        parts: runs.flatMap((run) =>
          run.slices
            .filter((slice) => slice.window === w)
            .map((slice) => ({
              run,
              counts: slice.counts,
              countsOff: slice.countsOff,
              share: slice.ontime / run.ontime,
            })),
        ),
      }))
    : perRunBins(runs).map(({ min, max, runs: inside }) => ({
        min,
        max,
        parts: inside.map((run) => ({
          run,
          counts: run.counts,
          countsOff: run.off?.counts,
          share: 1,
        })),
      }));
  return bins
    .filter((bin) => bin.parts.length > 0)
    .map(({ min, max, parts }) => {
      const normBins: NormBin[] = [];
      const used: Contribution[] = [];
      for (const part of parts) {
        const { run, counts, countsOff, share } = part;
        const s = signal.get(run)!;
        const safe: NormBin[] = [];
        for (let i = first; i < last; i++) {
          if (!run.mask[i]) continue;
          if (run.off && countsOff) {
            const alpha = run.off.alpha[i]!;
            const off = { n: countsOff[i]!, alpha };
            safe.push({ n: counts[i]!, b: alpha * off.n, s: s[i]! * share, off });
          } else {
            safe.push({ n: counts[i]!, b: run.background[i]! * share, s: s[i]! * share });
          }
        }
        // A run with no safe bin in the range does not contribute (Datasets.slice_by_energy).
        if (safe.length === 0) continue;
        normBins.push(...safe);
        used.push(part);
      }
      return {
        ...normResult(normBins, eMin, eMax),
        timeMin: min,
        timeMax: max,
        runs: used.map((p) => p.run.obsId),
        livetime: used.reduce((sum, p) => sum + p.run.livetime * p.share, 0),
        refFlux,
      };
    });
}
