/**
 * A map dataset as a FITS file in the layout gammapy 1.0's MapDataset.write produces
 * (datasets/map.py to_hdulist, maps/wcs/ndmap.py): a primary HDU naming the dataset,
 * then COUNTS, EXPOSURE, BACKGROUND and MASK_SAFE images, each followed by its
 * <NAME>_BANDS table of energy bins, and a META_TABLE of the runs.
 */
import {
  buildBinTable,
  buildImage,
  emptyPrimaryHeader,
  type WritableHdu,
  writeFits,
} from '../fits/index.js';
import { binCentres } from '../gadf/index.js';
import type { MapGeometry, StackedMaps } from './maker.js';

type Card = { keyword: string; value: string | number; comment?: string };

interface EnergyAxisColumns {
  /** Column name of the centre; the edges are <name>_MIN/_MAX, or E_MIN/E_MAX for 'ENERGY'. */
  readonly name: 'ENERGY' | 'ENERGY_TRUE';
  readonly edges: Float64Array;
}

function columnsOf(axis: EnergyAxisColumns): [string, string] {
  return axis.name === 'ENERGY' ? ['E_MIN', 'E_MAX'] : ['ENERGY_TRUE_MIN', 'ENERGY_TRUE_MAX'];
}

/** One map as an image HDU with its WCS and axis keywords, and its bands table. */
function mapHdus(
  name: string,
  geom: MapGeometry,
  axis: EnergyAxisColumns,
  data: ArrayLike<number>,
  bitpix: -32 | 8,
  unit: string,
  meta: Readonly<Record<string, string>> = {},
): WritableHdu[] {
  const { grid } = geom;
  const nE = axis.edges.length - 1;
  const [lo, hi] = columnsOf(axis);
  const axisCards: Card[] = [
    { keyword: 'AXCOLS1', value: `${lo},${hi}` },
    { keyword: 'INTERP1', value: 'log' },
  ];
  const bands = `${name}_BANDS`;
  const image = buildImage({
    name,
    bitpix,
    shape: [grid.nx, grid.ny, nE],
    data,
    header: [
      ...grid.wcsCards(),
      ...axisCards,
      { keyword: 'WCSSHAPE', value: `(${grid.nx},${grid.ny},${nE})` },
      { keyword: 'BANDSHDU', value: bands },
      { keyword: 'META', value: JSON.stringify(meta) },
      { keyword: 'BUNIT', value: unit },
    ],
  });
  const centres = binCentres(axis.edges, 'log');
  const table = buildBinTable({
    name: bands,
    header: axisCards,
    columns: [
      {
        name: 'CHANNEL',
        format: 'K',
        values: BigInt64Array.from({ length: nE }, (_, i) => BigInt(i)),
      },
      { name: axis.name, format: 'D', unit: 'TeV', values: centres },
      { name: lo, format: 'D', unit: 'TeV', values: axis.edges.slice(0, nE) },
      { name: hi, format: 'D', unit: 'TeV', values: axis.edges.slice(1) },
    ],
  });
  return [image, table];
}

/** The HDUs of a stacked map dataset named `name`. */
export function mapDatasetHdus(stacked: StackedMaps, name: string): WritableHdu[] {
  const { geom } = stacked;
  const energy: EnergyAxisColumns = { name: 'ENERGY', edges: geom.energy };
  const energyTrue: EnergyAxisColumns = { name: 'ENERGY_TRUE', edges: geom.energyTrue };
  const primary = emptyPrimaryHeader();
  primary.set('NAME', name);
  const runs = stacked.runs;
  const meta = buildBinTable({
    name: 'META_TABLE',
    columns: [
      {
        name: 'OBS_ID',
        format: 'K',
        values: BigInt64Array.from(runs, (r) => (/^-?\d+$/.test(r.obsId) ? BigInt(r.obsId) : -1n)),
      },
      { name: 'RA_PNT', format: 'D', unit: 'deg', values: Float64Array.from(runs, (r) => r.ra) },
      { name: 'DEC_PNT', format: 'D', unit: 'deg', values: Float64Array.from(runs, (r) => r.dec) },
      {
        name: 'LIVETIME',
        format: 'D',
        unit: 's',
        values: Float64Array.from(runs, (r) => r.livetime),
      },
    ],
    ...(runs.length === 0 ? { rowCount: 0 } : {}),
  });
  return [
    { header: primary, data: new Uint8Array(0) },
    ...mapHdus('COUNTS', geom, energy, stacked.counts, -32, ''),
    ...mapHdus('EXPOSURE', geom, energyTrue, stacked.exposure, -32, 'm2 s', {
      livetime: `${stacked.livetime} s`,
    }),
    ...mapHdus('BACKGROUND', geom, energy, stacked.background, -32, ''),
    ...mapHdus('MASK_SAFE', geom, energy, stacked.mask, 8, ''),
    meta,
  ];
}

export async function writeMapDataset(
  path: string,
  stacked: StackedMaps,
  name: string,
): Promise<void> {
  await writeFits(path, mapDatasetHdus(stacked, name));
}
