/**
 * Synthetic gravitational-wave-like skymaps: multi-order HEALPix FITS files (ORDERING
 * 'NUNIQ', UNIQ and PROBDENSITY, as LIGO/Virgo/KAGRA publish) holding a circular
 * Gaussian, refined near its centre, or a uniform all-sky map.
 */
import { buildBinTable, writeFits } from '../fits/index.js';
import { cellCentreVector, cellRadius, encodeUniq, unitVector } from '../moc/index.js';

export interface SkymapOptions {
  readonly path: string;
  /** Superevent id written as OBJECT. */
  readonly object: string;
  /** Event time, ISO 8601 UTC (DATE-OBS). */
  readonly dateObs: string;
  /** Centre and width (deg) of the Gaussian; absent: a uniform all-sky map. */
  readonly ra?: number;
  readonly dec?: number;
  readonly sigma?: number;
  /** Orders of the cells far from and near the centre (default 3 and 9). */
  readonly coarseOrder?: number;
  readonly fineOrder?: number;
}

/** Cells (NUNIQ) and densities of the map the options describe. */
export function simulateSkymapCells(options: Omit<SkymapOptions, 'path' | 'object' | 'dateObs'>): {
  uniq: Float64Array;
  density: Float64Array;
} {
  const coarse = options.coarseOrder ?? 3;
  const fine = options.fineOrder ?? 9;
  const uniq: number[] = [];
  const density: number[] = [];
  const v = new Float64Array(3);
  if (options.ra === undefined || options.dec === undefined || options.sigma === undefined) {
    for (let ipix = 0; ipix < 12 * 4 ** coarse; ipix++) {
      uniq.push(encodeUniq(coarse, ipix));
      density.push(1 / (4 * Math.PI));
    }
    return { uniq: Float64Array.from(uniq), density: Float64Array.from(density) };
  }
  const sigma = (options.sigma * Math.PI) / 180;
  const [cx, cy, cz] = unitVector(options.ra, options.dec);
  const visit = (order: number, ipix: number): void => {
    cellCentreVector(order, ipix, v);
    const dot = (v[0] as number) * cx + (v[1] as number) * cy + (v[2] as number) * cz;
    const theta = Math.acos(Math.max(-1, Math.min(1, dot)));
    if (order < coarse || (order < fine && theta < 4 * sigma + cellRadius(order))) {
      for (let child = 0; child < 4; child++) visit(order + 1, ipix * 4 + child);
      return;
    }
    uniq.push(encodeUniq(order, ipix));
    density.push(Math.exp(-(theta * theta) / (2 * sigma * sigma)) / (2 * Math.PI * sigma * sigma));
  };
  for (let base = 0; base < 12; base++) visit(0, base);
  return { uniq: Float64Array.from(uniq), density: Float64Array.from(density) };
}

/** Writes the map as a FITS file and returns its cells. */
export async function simulateSkymap(options: SkymapOptions): Promise<{ cells: number }> {
  const { uniq, density } = simulateSkymapCells(options);
  const table = buildBinTable({
    name: 'PROBABILITY',
    columns: [
      { name: 'UNIQ', format: '1K', values: BigInt64Array.from(uniq, (u) => BigInt(u)) },
      { name: 'PROBDENSITY', format: '1D', unit: 'sr-1', values: density },
    ],
    header: [
      { keyword: 'PIXTYPE', value: 'HEALPIX' },
      { keyword: 'ORDERING', value: 'NUNIQ' },
      { keyword: 'COORDSYS', value: 'C' },
      { keyword: 'INDXSCHM', value: 'EXPLICIT' },
      { keyword: 'OBJECT', value: options.object },
      { keyword: 'DATE-OBS', value: options.dateObs },
      { keyword: 'ORIGIN', value: 'LIGO/Virgo/KAGRA' },
      { keyword: 'CREATOR', value: 'hearc simulate' },
    ],
  });
  await writeFits(options.path, [table]);
  return { cells: uniq.length };
}
