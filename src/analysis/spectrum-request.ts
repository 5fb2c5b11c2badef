/**
 * The DALI parameters of a spectrum request, read and checked before any work: ID
 * (repeated), CENTER "ra dec" and RADIUS (deg) of the circular ON region, ENERGY and
 * ENERGY_TRUE as for map datasets, OFFSET_MAX (deg) and MODEL (powerlaw, logparabola).
 */
import { DaliError, type DaliParameters } from '../dali/index.js';
import {
  type AnalysisLimits,
  centerOf,
  choice,
  DEFAULT_ANALYSIS_LIMITS,
  energyEdges,
  numbersOf,
  offsetMaxOf,
  selectionIds,
} from './request.js';
import type { SpectralModelName } from './spectral-fit.js';
import type { SpectrumGeometry } from './spectrum.js';

/** The largest ON region: the IRFs are taken at its centre, which holds for small regions only. */
export const MAX_ON_RADIUS = 1;

export interface SpectrumRequest {
  readonly ids: readonly string[];
  readonly geometry: SpectrumGeometry;
  readonly offsetMax: number;
  readonly model: SpectralModelName;
}

/** Reads and checks a request; a DaliError (400) names the first problem. */
export function spectrumRequest(
  params: DaliParameters,
  limits: AnalysisLimits = DEFAULT_ANALYSIS_LIMITS,
): SpectrumRequest {
  const ids = selectionIds(params, limits);
  const [ra, dec] = centerOf(params);
  if (!params.has('RADIUS')) {
    throw new DaliError(400, 'RADIUS is required: the radius of the ON region around CENTER, deg');
  }
  const [radius] = numbersOf(params, 'RADIUS', [1]) as [number];
  if (!(radius > 0) || radius > MAX_ON_RADIUS) {
    throw new DaliError(
      400,
      `RADIUS must be above 0 and at most ${MAX_ON_RADIUS}° (the IRFs are taken at the centre of the ON region), not ${radius}`,
    );
  }
  const { energy, energyTrue } = energyEdges(params, limits);
  const offsetMax = offsetMaxOf(params);
  if (radius >= offsetMax) {
    throw new DaliError(400, `RADIUS (${radius}°) must be smaller than OFFSET_MAX (${offsetMax}°)`);
  }
  const model = choice<SpectralModelName>(params, 'MODEL', ['powerlaw', 'logparabola']);
  return { ids, geometry: { region: { ra, dec, radius }, energy, energyTrue }, offsetMax, model };
}
