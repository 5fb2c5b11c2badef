/**
 * The DALI parameters of a spectrum request, read and checked before any work: ID
 * (repeated), CENTER "ra dec" and RADIUS (deg) of the circular ON region (no RADIUS for
 * point-like IRFs, whose RAD_MAX gives it), ENERGY and ENERGY_TRUE as for map datasets,
 * OFFSET_MAX (deg), MODEL (powerlaw, logparabola), BACKGROUND (irf: the BKG IRF with the
 * cash statistic; reflected: OFF regions with WStat; absent: irf when every run has a
 * BKG IRF, else reflected) and N_OFF (the OFF regions of a point-like ON region).
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

/** How the background is estimated: from the BKG IRF (cash), or from reflected OFF regions (WStat). */
export type BackgroundMethod = 'irf' | 'reflected';

/** OFF regions of a point-like ON region when N_OFF is not given (gammapy's MAGIC tutorials use 3). */
export const DEFAULT_WOBBLE_OFF_REGIONS = 3;
export const MAX_WOBBLE_OFF_REGIONS = 20;

export interface SpectrumRequest {
  readonly ids: readonly string[];
  readonly geometry: SpectrumGeometry;
  readonly offsetMax: number;
  readonly model: SpectralModelName;
  /** As asked; undefined: chosen from the runs' IRFs. */
  readonly background?: BackgroundMethod;
  /** OFF regions around the pointing of a point-like ON region (WobbleRegionsFinder). */
  readonly wobbleOffRegions: number;
}

/** Reads and checks a request; a DaliError (400) names the first problem. */
export function spectrumRequest(
  params: DaliParameters,
  limits: AnalysisLimits = DEFAULT_ANALYSIS_LIMITS,
): SpectrumRequest {
  const ids = selectionIds(params, limits);
  const [ra, dec] = centerOf(params);
  const radius = params.get('RADIUS')?.trim()
    ? (numbersOf(params, 'RADIUS', [1])[0] as number)
    : undefined;
  if (radius !== undefined && (!(radius > 0) || radius > MAX_ON_RADIUS)) {
    throw new DaliError(
      400,
      `RADIUS must be above 0 and at most ${MAX_ON_RADIUS}° (the IRFs are taken at the centre of the ON region), not ${radius}`,
    );
  }
  const { energy, energyTrue } = energyEdges(params, limits);
  const offsetMax = offsetMaxOf(params);
  if (radius !== undefined && radius >= offsetMax) {
    throw new DaliError(400, `RADIUS (${radius}°) must be smaller than OFFSET_MAX (${offsetMax}°)`);
  }
  const model = choice<SpectralModelName>(params, 'MODEL', ['powerlaw', 'logparabola']);
  const background = params.get('BACKGROUND')?.trim()
    ? choice<BackgroundMethod>(params, 'BACKGROUND', ['irf', 'reflected'])
    : undefined;
  const wobbleOffRegions = params.get('N_OFF')?.trim()
    ? (numbersOf(params, 'N_OFF', [1])[0] as number)
    : DEFAULT_WOBBLE_OFF_REGIONS;
  if (
    !Number.isInteger(wobbleOffRegions) ||
    wobbleOffRegions < 1 ||
    wobbleOffRegions > MAX_WOBBLE_OFF_REGIONS
  ) {
    throw new DaliError(
      400,
      `N_OFF must be a whole number of OFF regions from 1 to ${MAX_WOBBLE_OFF_REGIONS}, not '${params.get('N_OFF')}'`,
    );
  }
  return {
    ids,
    geometry: {
      region: { ra, dec, ...(radius !== undefined ? { radius } : {}) },
      energy,
      energyTrue,
    },
    offsetMax,
    model,
    ...(background ? { background } : {}),
    wobbleOffRegions,
  };
}
