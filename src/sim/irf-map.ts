/**
 * Map-type IRFs as gammapy writes them (and survey instruments publish them): a PSF
 * map and an energy-dispersion kernel map on a small WCS grid, each with its BANDS
 * table and its exposure map, and an all-sky HEALPix exposure map and background map.
 * Built from the layout gammapy 1.0 reads (gammapy/irf/core.py IRFMap, gammapy/maps).
 */
import {
  type BinTableColumnSpec,
  type Card,
  type WritableHdu,
  buildBinTable,
  buildImage,
} from '../fits/index.js';

interface Axis {
  /** gammapy's axis name: rad, energy_true, energy. */
  readonly name: 'rad' | 'energy_true' | 'energy';
  readonly edges: readonly number[];
  readonly unit: string;
  readonly interp: 'lin' | 'log';
}

const logEdges = (lo: number, hi: number, bins: number): number[] =>
  Array.from({ length: bins + 1 }, (_, i) => lo * Math.pow(hi / lo, i / bins));
const centre = (axis: Axis, i: number): number => {
  const [lo, hi] = [axis.edges[i] as number, axis.edges[i + 1] as number];
  return axis.interp === 'log' ? Math.sqrt(lo * hi) : (lo + hi) / 2;
};
const bins = (axis: Axis): number => axis.edges.length - 1;

/** Column names of an axis in a BANDS table (gammapy's GADF format: E_MIN for reconstructed energy). */
function columnsOf(axis: Axis): [string, string, string] {
  const upper = axis.name.toUpperCase();
  return axis.name === 'energy'
    ? ['ENERGY', 'E_MIN', 'E_MAX']
    : [upper, `${upper}_MIN`, `${upper}_MAX`];
}

/** The BANDS table of a map with `axes` (the first varies fastest). */
function bandsTable(name: string, axes: readonly Axis[]): WritableHdu {
  const rows = axes.reduce((n, a) => n * bins(a), 1);
  const indexOf = (row: number, k: number): number => {
    let stride = 1;
    for (let j = 0; j < k; j++) stride *= bins(axes[j] as Axis);
    return Math.floor(row / stride) % bins(axes[k] as Axis);
  };
  const columns: BinTableColumnSpec[] = [
    {
      name: 'CHANNEL',
      format: '1K',
      values: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)),
    },
  ];
  const cards: Card[] = [];
  axes.forEach((axis, k) => {
    const [c, lo, hi] = columnsOf(axis);
    const at = (f: (i: number) => number) =>
      Float64Array.from({ length: rows }, (_, row) => f(indexOf(row, k)));
    columns.push(
      { name: c, format: '1D', unit: axis.unit, values: at((i) => centre(axis, i)) },
      { name: lo, format: '1D', unit: axis.unit, values: at((i) => axis.edges[i] as number) },
      { name: hi, format: '1D', unit: axis.unit, values: at((i) => axis.edges[i + 1] as number) },
    );
    cards.push({ keyword: `AXCOLS${k + 1}`, value: `${lo},${hi}` });
    cards.push({ keyword: `INTERP${k + 1}`, value: axis.interp });
  });
  return buildBinTable({ name, columns, header: cards });
}

interface WcsGrid {
  readonly ra: number;
  readonly dec: number;
  readonly nx: number;
  readonly ny: number;
  /** Pixel size, deg. */
  readonly binsz: number;
}

/** A WCS (CAR) map of `axes` whose value depends only on the axis bins, with its BANDS table. */
function wcsMap(
  name: string,
  grid: WcsGrid,
  axes: readonly Axis[],
  unit: string,
  value: (index: readonly number[]) => number,
): WritableHdu[] {
  const shape = [grid.nx, grid.ny, ...axes.map(bins)];
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(count);
  const pixels = grid.nx * grid.ny;
  for (let k = 0; k < count; k++) {
    let rest = Math.floor(k / pixels);
    const index = axes.map((a) => {
      const i = rest % bins(a);
      rest = Math.floor(rest / bins(a));
      return i;
    });
    data[k] = value(index);
  }
  const header: Card[] = [
    { keyword: 'WCSAXES', value: 2 },
    { keyword: 'CRPIX1', value: (grid.nx + 1) / 2 },
    { keyword: 'CRPIX2', value: (grid.ny + 1) / 2 },
    { keyword: 'CDELT1', value: -grid.binsz },
    { keyword: 'CDELT2', value: grid.binsz },
    { keyword: 'CUNIT1', value: 'deg' },
    { keyword: 'CUNIT2', value: 'deg' },
    { keyword: 'CTYPE1', value: 'RA---CAR' },
    { keyword: 'CTYPE2', value: 'DEC--CAR' },
    { keyword: 'CRVAL1', value: grid.ra },
    { keyword: 'CRVAL2', value: grid.dec },
    { keyword: 'RADESYS', value: 'ICRS' },
    { keyword: 'BANDSHDU', value: `${name}_BANDS` },
    { keyword: 'BUNIT', value: unit },
  ];
  return [
    buildImage({ name, bitpix: -64, shape, data, header }),
    bandsTable(`${name}_BANDS`, axes),
  ];
}

/** An all-sky HEALPix map (nested, implicit) with one column per channel, with its BANDS table. */
function healpixMap(
  name: string,
  nside: number,
  axis: Axis,
  unit: string,
  value: (channel: number) => number,
): WritableHdu[] {
  const npix = 12 * nside * nside;
  const columns = Array.from({ length: bins(axis) }, (_, c) => ({
    name: `CHANNEL${c + 1}`,
    format: '1E',
    values: new Float32Array(npix).fill(value(c)),
  }));
  const header: Card[] = [
    { keyword: 'PIXTYPE', value: 'HEALPIX' },
    { keyword: 'ORDERING', value: 'NESTED' },
    { keyword: 'INDXSCHM', value: 'IMPLICIT' },
    { keyword: 'ORDER', value: Math.log2(nside) },
    { keyword: 'NSIDE', value: nside },
    { keyword: 'FIRSTPIX', value: 0 },
    { keyword: 'LASTPIX', value: npix - 1 },
    { keyword: 'HPX_CONV', value: 'GADF' },
    { keyword: 'COORDSYS', value: 'CEL' },
    { keyword: 'EQUINOX', value: 2000.0 },
    { keyword: 'BANDSHDU', value: `${name}_BANDS` },
    { keyword: 'BUNIT', value: unit },
  ];
  return [buildBinTable({ name, columns, header }), bandsTable(`${name}_BANDS`, [axis])];
}

/** What the hdu-index says of each component of the map IRF file. */
export const MAP_IRF_ENTRIES = [
  { type: 'psf', hduClass: 'psf_map', hduName: 'PSF' },
  { type: 'edisp', hduClass: 'edisp_kernel_map', hduName: 'EDISP' },
  { type: 'aeff', hduClass: 'map', hduName: 'EXPOSURE' },
  { type: 'bkg', hduClass: 'map', hduName: 'BACKGROUND' },
] as const;

/**
 * The HDUs of one map IRF file: PSF and EDISP maps (with exposure) on a WCS grid about
 * (ra, dec), and HEALPix exposure and background maps. `livetime` in s.
 */
export function mapIrfHdus(options: {
  readonly ra: number;
  readonly dec: number;
  readonly livetime: number;
}): WritableHdu[] {
  const energyTrue: Axis = {
    name: 'energy_true',
    edges: logEdges(0.3, 300, 6),
    unit: 'TeV',
    interp: 'log',
  };
  const energy: Axis = { name: 'energy', edges: logEdges(0.3, 300, 6), unit: 'TeV', interp: 'log' };
  const rad: Axis = {
    name: 'rad',
    edges: Array.from({ length: 9 }, (_, i) => i * 0.25),
    unit: 'deg',
    interp: 'lin',
  };
  const grid: WcsGrid = { ra: options.ra, dec: options.dec, nx: 5, ny: 4, binsz: 2 };
  const one: Axis = { ...rad, edges: [rad.edges[0]!, rad.edges.at(-1)!] };
  const area = (e: number): number => 2e4 / (1 + Math.pow(e / 1.5, -2)); // m2
  const sigma = (e: number): number => (Math.max(0.1, 0.5 * Math.pow(e, -0.4)) * Math.PI) / 180;
  const psf = (index: readonly number[]): number => {
    const [r, e] = [centre(rad, index[0]!) * (Math.PI / 180), centre(energyTrue, index[1]!)];
    const s = sigma(e);
    return Math.exp(-(r * r) / (2 * s * s)) / (2 * Math.PI * s * s);
  };
  const exposure = (index: readonly number[]): number =>
    area(centre(energyTrue, index[index.length - 1]!)) * options.livetime;
  // A kernel that keeps each true energy in its own reconstructed bin (the grids agree).
  const kernel = (index: readonly number[]): number => (index[0] === index[1] ? 1 : 0);
  const oneEnergy: Axis = { ...energy, edges: [energy.edges[0]!, energy.edges.at(-1)!] };
  return [
    ...wcsMap('PSF', grid, [rad, energyTrue], 'sr-1', psf),
    ...wcsMap('PSF_EXPOSURE', grid, [one, energyTrue], 'm2 s', exposure),
    ...wcsMap('EDISP', grid, [energy, energyTrue], '', kernel),
    ...wcsMap('EDISP_EXPOSURE', grid, [oneEnergy, energyTrue], 'm2 s', exposure),
    ...healpixMap(
      'EXPOSURE',
      4,
      energyTrue,
      'm2 s',
      (c) => area(centre(energyTrue, c)) * options.livetime,
    ),
    ...healpixMap(
      'BACKGROUND',
      4,
      energy,
      's-1 sr-1 TeV-1',
      (c) => 1e-3 * Math.pow(centre(energy, c), -2.7),
    ),
  ];
}
