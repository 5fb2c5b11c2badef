/**
 * A map dataset as a FITS file in the layout gammapy 1.0's MapDataset.write produces
 * (datasets/map.py to_hdulist, maps/wcs/ndmap.py): a primary HDU naming the dataset,
 * then COUNTS, EXPOSURE, BACKGROUND, the EDISP kernel and PSF maps with their
 * exposures (on the coarse IRF grid) and MASK_SAFE images, each followed by its
 * <NAME>_BANDS table of bins, the union of the runs' GTIs and a META_TABLE of the runs.
 */
import {
  buildBinTable,
  buildImage,
  emptyPrimaryHeader,
  type WritableHdu,
  writeFits,
} from '../fits/index.js';
import { binCentres } from '../gadf/index.js';
import { RAD_EDGES, type StackedIrfMap } from './irf-maps.js';
import type { StackedMaps } from './maker.js';
import { GTI_MJDREFF, GTI_MJDREFI } from './runs.js';
import type { SkyGrid } from './wcs.js';

type Card = { keyword: string; value: string | number; comment?: string };

/** A non-spatial axis of a map: its bands-table columns follow gammapy's names. */
interface BandAxis {
  /** Column of the centre; the edges are E_MIN/E_MAX for 'ENERGY', <name>_MIN/_MAX otherwise. */
  readonly name: 'ENERGY' | 'ENERGY_TRUE' | 'RAD';
  readonly edges: Float64Array;
}

function columnsOf(axis: BandAxis): [string, string] {
  return axis.name === 'ENERGY' ? ['E_MIN', 'E_MAX'] : [`${axis.name}_MIN`, `${axis.name}_MAX`];
}

const interpOf = (axis: BandAxis): 'lin' | 'log' => (axis.name === 'RAD' ? 'lin' : 'log');
const unitOf = (axis: BandAxis): string => (axis.name === 'RAD' ? 'deg' : 'TeV');

/** The axis squashed to one bin over its whole range (gammapy's MapAxis.squash). */
const squashed = (axis: BandAxis): BandAxis => ({
  name: axis.name,
  edges: Float64Array.of(axis.edges[0]!, axis.edges[axis.edges.length - 1]!),
});

/** One map as an image HDU with its WCS and axis keywords, and its bands table (first axis fastest). */
function mapHdus(
  name: string,
  grid: SkyGrid,
  axes: readonly BandAxis[],
  data: ArrayLike<number>,
  bitpix: -32 | 8,
  unit: string,
  meta: Readonly<Record<string, string>> = {},
): WritableHdu[] {
  const lengths = axes.map((a) => a.edges.length - 1);
  const axisCards: Card[] = axes.flatMap((axis, i) => [
    { keyword: `AXCOLS${i + 1}`, value: columnsOf(axis).join(',') },
    { keyword: `INTERP${i + 1}`, value: interpOf(axis) },
  ]);
  const bands = `${name}_BANDS`;
  const shape = [grid.nx, grid.ny, ...lengths];
  const image = buildImage({
    name,
    bitpix,
    shape,
    data,
    header: [
      ...grid.wcsCards(),
      ...axisCards,
      { keyword: 'WCSSHAPE', value: `(${shape.join(',')})` },
      { keyword: 'BANDSHDU', value: bands },
      { keyword: 'META', value: JSON.stringify(meta) },
      { keyword: 'BUNIT', value: unit },
    ],
  });
  const rows = lengths.reduce((a, b) => a * b, 1);
  const indexOf = (row: number, i: number): number =>
    Math.floor(row / lengths.slice(0, i).reduce((a, b) => a * b, 1)) % lengths[i]!;
  const table = buildBinTable({
    name: bands,
    header: axisCards,
    columns: [
      {
        name: 'CHANNEL',
        format: 'K',
        values: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)),
      },
      ...axes.flatMap((axis, i) => {
        const centres = binCentres(axis.edges, interpOf(axis));
        const [lo, hi] = columnsOf(axis);
        const column = (column: string, values: (k: number) => number) => ({
          name: column,
          format: 'D' as const,
          unit: unitOf(axis),
          values: Float64Array.from({ length: rows }, (_, row) => values(indexOf(row, i))),
        });
        return [
          column(axis.name, (k) => centres[k]!),
          column(lo, (k) => axis.edges[k]!),
          column(hi, (k) => axis.edges[k + 1]!),
        ];
      }),
    ],
  });
  return [image, table];
}

/** An IRF map and its exposure (the band axis squashed), as IRFMap.to_hdulist writes them. */
function irfMapHdus(
  name: string,
  grid: SkyGrid,
  band: BandAxis,
  energyTrue: BandAxis,
  map: StackedIrfMap,
  unit: string,
): WritableHdu[] {
  return [
    ...mapHdus(name, grid, [band, energyTrue], map.data, -32, unit),
    ...mapHdus(`${name}_EXPOSURE`, grid, [squashed(band), energyTrue], map.exposure, -32, 'm2 s'),
  ];
}

/** The union of the runs' good time intervals (GTI.union), s since gammapy's reference. */
function gtiHdu(intervals: readonly (readonly [number, number])[]): WritableHdu {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, stop] of sorted) {
    const last = merged[merged.length - 1];
    if (last && !(last[1] < start)) last[1] = Math.max(last[1], stop);
    else merged.push([start, stop]);
  }
  return buildBinTable({
    name: 'GTI',
    header: [
      { keyword: 'MJDREFI', value: GTI_MJDREFI },
      { keyword: 'MJDREFF', value: GTI_MJDREFF },
      { keyword: 'TIMESYS', value: 'tt' },
    ],
    columns: [
      { name: 'START', format: 'D', unit: 's', values: Float64Array.from(merged, (m) => m[0]) },
      { name: 'STOP', format: 'D', unit: 's', values: Float64Array.from(merged, (m) => m[1]) },
    ],
    ...(merged.length === 0 ? { rowCount: 0 } : {}),
  });
}

/** The HDUs of a stacked map dataset named `name`. */
export function mapDatasetHdus(stacked: StackedMaps, name: string): WritableHdu[] {
  const { geom } = stacked;
  const { grid } = geom;
  const energy: BandAxis = { name: 'ENERGY', edges: geom.energy };
  const energyTrue: BandAxis = { name: 'ENERGY_TRUE', edges: geom.energyTrue };
  const rad: BandAxis = { name: 'RAD', edges: RAD_EDGES };
  const irfGrid = stacked.irfGrid;
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
    ...mapHdus('COUNTS', grid, [energy], stacked.counts, -32, ''),
    ...mapHdus('EXPOSURE', grid, [energyTrue], stacked.exposure, -32, 'm2 s', {
      livetime: `${stacked.livetime} s`,
    }),
    ...mapHdus('BACKGROUND', grid, [energy], stacked.background, -32, ''),
    ...(stacked.edisp ? irfMapHdus('EDISP', irfGrid, energy, energyTrue, stacked.edisp, '') : []),
    ...(stacked.psf ? irfMapHdus('PSF', irfGrid, rad, energyTrue, stacked.psf, 'sr-1') : []),
    ...mapHdus('MASK_SAFE', grid, [energy], stacked.mask, 8, ''),
    gtiHdu(stacked.gti),
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
