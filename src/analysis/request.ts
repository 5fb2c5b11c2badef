/**
 * The DALI parameters of a map-dataset request, read and checked before any work:
 * ID (repeated publisher DIDs) or QUERY (ADQL over ivoa.obscore whose rows' obs_publisher_did
 * are the selection), CENTER "ra dec" (ICRS, deg), WIDTH "w" or "w h" (deg),
 * BINSZ (deg), PROJ (CAR, TAN), FRAME (icrs, galactic), ENERGY "emin emax nbins" (TeV,
 * reconstructed, log bins), ENERGY_TRUE (same; default a wider range), OFFSET_MAX (deg),
 * PER_RUN (true: a dataset per run besides the stacked one).
 */
import { DaliError, type DaliParameters } from '../dali/index.js';
import { logEdges, type MapGeometry } from './maker.js';
import { type Frame, icrsTo } from './sky.js';
import { type Projection, SkyGrid } from './wcs.js';

export interface AnalysisLimits {
  /** The most sky pixels of a map (nx · ny). */
  readonly maxPixels: number;
  /** The most energy bins of either axis. */
  readonly maxEnergyBins: number;
  /** The most runs of one request. */
  readonly maxRuns: number;
}

export const DEFAULT_ANALYSIS_LIMITS: AnalysisLimits = {
  maxPixels: 1_000_000,
  maxEnergyBins: 100,
  maxRuns: 1000,
};

export interface MapDatasetRequest {
  /** The DIDs asked for by ID (empty when the selection is a QUERY). */
  readonly ids: readonly string[];
  /** The ADQL query whose rows' obs_publisher_did are the selection, if given instead of ID. */
  readonly query?: string;
  /** Also one dataset per run. */
  readonly perRun: boolean;
  readonly geometry: MapGeometry;
  readonly offsetMax: number;
}

const bad = (message: string): DaliError => new DaliError(400, message);

export function numbersOf(
  params: DaliParameters,
  name: string,
  counts: readonly number[],
): number[] {
  const text = params.get(name);
  if (text === undefined || text.trim() === '') throw bad(`${name} is required`);
  const parts = text.trim().split(/[\s,]+/);
  const values = parts.map(Number);
  if (!counts.includes(parts.length) || values.some((v) => !Number.isFinite(v))) {
    throw bad(`${name} must be ${counts.join(' or ')} numbers, not '${text}'`);
  }
  return values;
}

function energyAxis(
  params: DaliParameters,
  name: string,
  limits: AnalysisLimits,
): [number, number, number] | undefined {
  if (!params.has(name)) return undefined;
  const [min, max, bins] = numbersOf(params, name, [3]) as [number, number, number];
  if (!(min > 0) || !(max > min)) {
    throw bad(
      `${name} must be 'emin emax nbins' with 0 < emin < emax (TeV), not '${params.get(name)}'`,
    );
  }
  if (!Number.isInteger(bins) || bins < 1 || bins > limits.maxEnergyBins) {
    throw bad(
      `the number of ${name} bins must be a whole number from 1 to ${limits.maxEnergyBins}`,
    );
  }
  return [min, max, bins];
}

export function choice<T extends string>(
  params: DaliParameters,
  name: string,
  options: readonly T[],
): T {
  const text = params.get(name)?.trim();
  if (text === undefined || text === '') return options[0]!;
  const found = options.find((o) => o.toLowerCase() === text.toLowerCase());
  if (!found) throw bad(`${name} must be one of ${options.join(', ')}, not '${text}'`);
  return found;
}

/** Reads and checks a request; a DaliError (400) names the first problem. */
export function mapDatasetRequest(
  params: DaliParameters,
  limits: AnalysisLimits = DEFAULT_ANALYSIS_LIMITS,
): MapDatasetRequest {
  const selection = selectionOf(params, limits);
  const [ra, dec] = centerOf(params);
  const widthValues = numbersOf(params, 'WIDTH', [1, 2]);
  const width: [number, number] = [widthValues[0]!, widthValues[1] ?? widthValues[0]!];
  const [binsz] = numbersOf(params, 'BINSZ', [1]) as [number];
  if (!(binsz > 0) || !(binsz <= 10))
    throw bad('BINSZ must be a pixel size in degrees, above 0 and at most 10');
  if (!(width[0] > 0) || !(width[1] > 0) || width[0] > 360 || width[1] > 180) {
    throw bad('WIDTH must be one or two widths in degrees, above 0 (at most 360 by 180)');
  }
  const proj = choice<Projection>(params, 'PROJ', ['CAR', 'TAN']);
  const frame = choice<Frame>(params, 'FRAME', ['icrs', 'galactic']);
  if (proj === 'TAN' && Math.max(...width) >= 90) throw bad('a TAN map must be narrower than 90°');
  const [lon, lat] = icrsTo(frame, ra, dec);
  const grid = new SkyGrid({ lon, lat, width, binsz, proj, frame });
  if (grid.nx < 1 || grid.ny < 1) throw bad('WIDTH is smaller than one pixel of BINSZ');
  if (grid.pixelCount > limits.maxPixels) {
    throw bad(
      `the map would have ${grid.nx} × ${grid.ny} = ${grid.pixelCount} pixels; this service makes at most ${limits.maxPixels} (use a larger BINSZ or a smaller WIDTH)`,
    );
  }
  const perRunText = params.get('PER_RUN')?.trim().toLowerCase() ?? 'false';
  if (!['true', 'false', '1', '0', 'yes', 'no', ''].includes(perRunText)) {
    throw bad(`PER_RUN must be true or false, not '${params.get('PER_RUN')}'`);
  }
  return {
    ...selection,
    perRun: ['true', '1', 'yes'].includes(perRunText),
    geometry: { grid, ...energyEdges(params, limits) },
    offsetMax: offsetMaxOf(params),
  };
}

/**
 * The selection: publisher DIDs of ID (repeated, each once), or an ADQL QUERY over
 * ivoa.obscore where `query` is taken; a DaliError when there is none, both, or too many.
 */
export function selectionOf(
  params: DaliParameters,
  limits: AnalysisLimits,
  query: 'query' | 'ids only' = 'query',
): { readonly ids: string[]; readonly query?: string } {
  const ids = [
    ...new Set(
      params
        .all('ID')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    ),
  ];
  const adql = params.get('QUERY')?.trim() || undefined;
  if (adql !== undefined && query === 'ids only') {
    throw bad('this service takes its selection as ID values (repeated), not as a QUERY');
  }
  if (adql !== undefined && ids.length > 0) {
    throw bad('give the selection either as ID values or as a QUERY, not both');
  }
  if (ids.length === 0 && adql === undefined) {
    throw bad(
      query === 'query'
        ? 'the selection is empty: give ID=<obs_publisher_did> (repeated) or QUERY=<ADQL over ivoa.obscore>'
        : 'the selection is empty: give ID=<obs_publisher_did> (repeated)',
    );
  }
  if (ids.length > limits.maxRuns) {
    throw bad(`${ids.length} datasets were asked for; one request takes at most ${limits.maxRuns}`);
  }
  return adql !== undefined ? { ids, query: adql } : { ids };
}

/** The publisher DIDs of ID (repeated, each once), for services that take no QUERY. */
export function selectionIds(params: DaliParameters, limits: AnalysisLimits): string[] {
  return selectionOf(params, limits, 'ids only').ids;
}

/** CENTER: 'ra dec', ICRS, deg. */
export function centerOf(params: DaliParameters): [number, number] {
  const [ra, dec] = numbersOf(params, 'CENTER', [2]) as [number, number];
  if (ra < 0 || ra >= 360 || dec < -90 || dec > 90) {
    throw bad(
      `CENTER must be 'ra dec' in degrees (0 ≤ ra < 360, -90 ≤ dec ≤ 90), not '${params.get('CENTER')}'`,
    );
  }
  return [ra, dec];
}

/** ENERGY (required) and ENERGY_TRUE (default: half the lowest to twice the highest, as many bins per decade) as log bin edges, TeV. */
export function energyEdges(
  params: DaliParameters,
  limits: AnalysisLimits,
): { energy: Float64Array; energyTrue: Float64Array } {
  const energy = energyAxis(params, 'ENERGY', limits);
  if (!energy) throw bad("ENERGY is required: 'emin emax nbins' (TeV, reconstructed energy)");
  const [emin, emax, bins] = energy;
  const perDecade = bins / Math.log10(emax / emin);
  const energyTrue = energyAxis(params, 'ENERGY_TRUE', limits) ?? [
    emin / 2,
    emax * 2,
    Math.min(limits.maxEnergyBins, Math.ceil(perDecade * Math.log10((4 * emax) / emin))),
  ];
  return { energy: logEdges(emin, emax, bins), energyTrue: logEdges(...energyTrue) };
}

/** OFFSET_MAX: the safe-mask radius around each pointing, deg (default 2.5). */
export function offsetMaxOf(params: DaliParameters): number {
  const [offsetMax] = params.has('OFFSET_MAX')
    ? (numbersOf(params, 'OFFSET_MAX', [1]) as [number])
    : [2.5];
  if (!(offsetMax > 0) || offsetMax > 180)
    throw bad('OFFSET_MAX must be an angle in degrees, above 0');
  return offsetMax;
}
