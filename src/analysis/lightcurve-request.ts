/**
 * The DALI parameters of a light-curve request, read and checked before any work: those
 * of a spectrum (ID, CENTER, RADIUS, ENERGY, ENERGY_TRUE, OFFSET_MAX, MODEL: the spectral
 * shape is fitted on the stacked runs), THRESHOLD (TeV: the flux is integrated from the
 * ENERGY edge nearest it, 0 the lowest, to the highest) and TIME (MJD UTC bin edges "t0 t1 … tn"; absent:
 * one bin per run).
 */
import { DaliError, type DaliParameters } from '../dali/index.js';
import { type AnalysisLimits, DEFAULT_ANALYSIS_LIMITS } from './request.js';
import { type SpectrumRequest, spectrumRequest } from './spectrum-request.js';

/** The most time bins of one request. */
export const MAX_TIME_BINS = 1000;

export interface LightCurveRequest extends SpectrumRequest {
  /** The reconstructed-energy bins [first, last) whose flux each time bin gives. */
  readonly energyBins: readonly [number, number];
  /** MJD (UTC) edges of the time bins; undefined: one bin per run. */
  readonly timeEdges?: Float64Array;
}

const bad = (message: string): DaliError => new DaliError(400, message);

/**
 * The first energy bin of the flux: the ENERGY edge nearest THRESHOLD on the log axis,
 * as gammapy's MapAxis.group_table snaps the edges of LightCurveEstimator's energy_edges.
 */
function firstBin(edges: Float64Array, threshold: number): number {
  const nBins = edges.length - 1;
  const step = Math.log(edges[nBins]! / edges[0]!) / nBins;
  // THRESHOLD 0 gives -Infinity: the lowest edge.
  const nearest = Math.round(Math.log(threshold / edges[0]!) / step);
  return Math.min(Math.max(nearest, 0), nBins);
}

function timeEdgesOf(params: DaliParameters): Float64Array | undefined {
  const text = params.get('TIME');
  if (text === undefined || text.trim() === '') return undefined;
  const values = text
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (values.length < 2 || values.some((v) => !Number.isFinite(v))) {
    throw bad(`TIME must be two or more MJD (UTC) bin edges 't0 t1 … tn', not '${text}'`);
  }
  if (values.some((v, i) => i > 0 && !(v > values[i - 1]!))) {
    throw bad(`TIME edges must increase, not '${text}'`);
  }
  if (values.length - 1 > MAX_TIME_BINS) {
    throw bad(`TIME has ${values.length - 1} bins; a light curve has at most ${MAX_TIME_BINS}`);
  }
  return Float64Array.from(values);
}

/** Reads and checks a request; a DaliError (400) names the first problem. */
export function lightCurveRequest(
  params: DaliParameters,
  limits: AnalysisLimits = DEFAULT_ANALYSIS_LIMITS,
): LightCurveRequest {
  const spectrum = spectrumRequest(params, limits);
  const edges = spectrum.geometry.energy;
  const nBins = edges.length - 1;
  let first = 0;
  if (params.has('THRESHOLD')) {
    const threshold = Number(params.get('THRESHOLD'));
    if (!(threshold >= 0)) {
      throw bad(`THRESHOLD must be an energy in TeV, 0 or above, not '${params.get('THRESHOLD')}'`);
    }
    first = firstBin(edges, threshold);
    if (first >= nBins) {
      throw bad(
        `THRESHOLD ${threshold} TeV leaves no ENERGY bin below the highest edge (${edges[nBins]} TeV)`,
      );
    }
  }
  const timeEdges = timeEdgesOf(params);
  return { ...spectrum, energyBins: [first, nBins], ...(timeEdges ? { timeEdges } : {}) };
}
