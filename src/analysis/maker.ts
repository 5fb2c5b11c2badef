/**
 * The maps of one run and their stack, as gammapy 1.0's MapDatasetMaker (counts,
 * exposure, background) and SafeMaskMaker(methods=['offset-max']) make them and
 * MapDataset.stack adds them up (datasets/map.py, makers/map.py, makers/utils.py,
 * makers/safe.py). Arrays are C-ordered [energy][y][x], as the FITS images store them.
 */
import type { EventList, IrfTable } from '../gadf/index.js';
import { binCentres } from '../gadf/index.js';
import { integrateLogLog, interpolateMissing, IrfInterpolator, padAxis } from './irf-eval.js';
import { OffsetFrame, separation } from './sky.js';
import type { SkyGrid } from './wcs.js';

export interface MapGeometry {
  readonly grid: SkyGrid;
  /** Reconstructed-energy bin edges, TeV. */
  readonly energy: Float64Array;
  /** True-energy bin edges, TeV. */
  readonly energyTrue: Float64Array;
}

/** What one run brings: its events, IRFs, pointing and times. */
export interface RunInput {
  readonly obsId: string;
  readonly did: string;
  readonly events: EventList;
  readonly aeff: IrfTable;
  readonly bkg: IrfTable;
  /** ICRS pointing, deg. */
  readonly pointing: { readonly ra: number; readonly dec: number };
  /** Sum of the GTIs (s) and the dead-time correction (DEADC). */
  readonly ontime: number;
  readonly deadc: number;
}

export interface RunMaps {
  readonly obsId: string;
  readonly did: string;
  readonly pointing: { readonly ra: number; readonly dec: number };
  readonly livetime: number;
  readonly counts: Float64Array;
  /** m² s, over true energy. */
  readonly exposure: Float64Array;
  readonly background: Float64Array;
  /** 1 where the bin is safe. */
  readonly mask: Uint8Array;
}

/** Log-spaced bin edges as gammapy's MapAxis.from_energy_bounds makes them. */
export function logEdges(min: number, max: number, bins: number): Float64Array {
  const out = new Float64Array(bins + 1);
  const a = Math.log(min);
  const b = Math.log(max);
  // numpy.linspace: start + i * step, the last one exactly the stop.
  const step = (b - a) / bins;
  for (let i = 0; i <= bins; i++) out[i] = Math.exp(i === bins ? b : a + i * step);
  return out;
}

/** numpy.digitize(x, edges) - 1: the bin of x, -1 outside [edges[0], edges[last]). */
function binOf(edges: Float64Array, x: number): number {
  if (!(x >= edges[0]!) || !(x < edges[edges.length - 1]!)) return -1;
  let lo = 0;
  let hi = edges.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Separations (deg) of every pixel centre from the pointing. */
function offsets(centres: Float64Array, pointing: RunInput['pointing']): Float64Array {
  const out = new Float64Array(centres.length / 2);
  for (let p = 0; p < out.length; p++) {
    out[p] = separation(centres[2 * p]!, centres[2 * p + 1]!, pointing.ra, pointing.dec);
  }
  return out;
}

async function countsOf(geom: MapGeometry, events: EventList): Promise<Float64Array> {
  const npix = geom.grid.pixelCount;
  const counts = new Float64Array((geom.energy.length - 1) * npix);
  for await (const batch of events.batches(['ra', 'dec', 'energy'])) {
    for (let i = 0; i < batch.count; i++) {
      const e = binOf(geom.energy, batch.energy[i] as number);
      if (e < 0) continue;
      const p = geom.grid.pixelOfIcrs(batch.ra[i] as number, batch.dec[i] as number);
      if (p >= 0) counts[e * npix + p]! += 1;
    }
  }
  return counts;
}

function exposureOf(
  geom: MapGeometry,
  aeff: IrfTable,
  offset: Float64Array,
  livetime: number,
): Float64Array {
  const interpolator = new IrfInterpolator(aeff.axes, aeff.data, 'lin');
  const energies = binCentres(geom.energyTrue, 'log');
  const npix = offset.length;
  const out = new Float64Array(energies.length * npix);
  for (let e = 0; e < energies.length; e++) {
    for (let p = 0; p < npix; p++) {
      out[e * npix + p] = interpolator.evaluate([energies[e]!, offset[p]!]) * livetime;
    }
  }
  return out;
}

/** gammapy's make_map_background_irf with MapDatasetMaker's defaults (missing data filled, offset padded). */
function backgroundOf(
  geom: MapGeometry,
  bkg: IrfTable,
  centres: Float64Array,
  offset: Float64Array,
  pointing: RunInput['pointing'],
  ontime: number,
  solidAngle: Float64Array,
): Float64Array {
  const lengths = bkg.axes.map((a) => a.edges.length - 1);
  let table: Pick<IrfTable, 'axes' | 'data'> = {
    axes: bkg.axes,
    data: interpolateMissing(lengths, bkg.data, 0, 'log'),
  };
  const npix = offset.length;
  // Per pixel, the coordinates after energy: offset (bkg_2d) or FoV lon/lat (bkg_3d, RADEC).
  let spatial: (p: number) => readonly number[];
  if (bkg.hduClass === 'bkg_2d') {
    table = padAxis(table, 1);
    spatial = (p) => [offset[p]!];
  } else {
    if (bkg.fovAlignment === 'ALTAZ') {
      throw new Error(
        `${bkg.where}: backgrounds aligned with the horizontal system (FOVALIGN=ALTAZ) are not supported yet`,
      );
    }
    const frame = new OffsetFrame(pointing.ra, pointing.dec);
    const fov = new Float64Array(2 * npix);
    for (let p = 0; p < npix; p++) {
      const [lon, lat] = frame.of(centres[2 * p]!, centres[2 * p + 1]!);
      fov[2 * p] = lon;
      fov[2 * p + 1] = lat;
    }
    spatial = (p) => [fov[2 * p]!, fov[2 * p + 1]!];
  }
  const interpolator = new IrfInterpolator(table.axes, table.data, 'log');
  const edges = geom.energy;
  const nE = edges.length - 1;
  const out = new Float64Array(nE * npix);
  const atEdges = new Float64Array(edges.length);
  for (let p = 0; p < npix; p++) {
    const where = spatial(p);
    for (let k = 0; k < edges.length; k++)
      atEdges[k] = interpolator.evaluate([edges[k]!, ...where]);
    const scale = solidAngle[p]! * ontime;
    for (let e = 0; e < nE; e++) {
      out[e * npix + p] =
        integrateLogLog(edges[e]!, edges[e + 1]!, atEdges[e]!, atEdges[e + 1]!) * scale;
    }
  }
  return out;
}

/** Static per-geometry values shared by every run: pixel centres (ICRS) and solid angles. */
export interface GeometryCache {
  readonly centres: Float64Array;
  readonly solidAngle: Float64Array;
}

export function geometryCache(geom: MapGeometry): GeometryCache {
  return { centres: geom.grid.icrsCentres(), solidAngle: geom.grid.solidAngles() };
}

export async function makeRunMaps(
  geom: MapGeometry,
  cache: GeometryCache,
  run: RunInput,
  offsetMax: number,
): Promise<RunMaps> {
  const offset = offsets(cache.centres, run.pointing);
  const livetime = run.ontime * run.deadc;
  const counts = await countsOf(geom, run.events);
  const exposure = exposureOf(geom, run.aeff, offset, livetime);
  // The maps are made on the server's thread: let other requests in between the steps.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const background = backgroundOf(
    geom,
    run.bkg,
    cache.centres,
    offset,
    run.pointing,
    run.ontime,
    cache.solidAngle,
  );
  // SafeMaskMaker: finite, positive background (cash statistic), and inside OFFSET_MAX.
  const mask = new Uint8Array(background.length);
  const npix = offset.length;
  for (let i = 0; i < mask.length; i++) {
    const b = background[i]!;
    mask[i] = Number.isFinite(b) && b > 0 && offset[i % npix]! < offsetMax ? 1 : 0;
  }
  return {
    obsId: run.obsId,
    did: run.did,
    pointing: run.pointing,
    livetime,
    counts,
    exposure,
    background,
    mask,
  };
}

/** The stacked dataset: MapDataset.stack of every run into an empty dataset. */
export class StackedMaps {
  readonly counts: Float64Array;
  readonly exposure: Float64Array;
  readonly background: Float64Array;
  readonly mask: Uint8Array;
  livetime = 0;
  readonly runs: { obsId: string; did: string; ra: number; dec: number; livetime: number }[] = [];
  private readonly npix: number;

  constructor(readonly geom: MapGeometry) {
    this.npix = geom.grid.pixelCount;
    const nE = geom.energy.length - 1;
    this.counts = new Float64Array(nE * this.npix);
    this.background = new Float64Array(nE * this.npix);
    this.mask = new Uint8Array(nE * this.npix);
    this.exposure = new Float64Array((geom.energyTrue.length - 1) * this.npix);
  }

  add(run: RunMaps): void {
    const { npix } = this;
    const image = new Uint8Array(npix);
    for (let i = 0; i < run.mask.length; i++) {
      if (!run.mask[i]) continue;
      image[i % npix] = 1;
      const c = run.counts[i]!;
      const b = run.background[i]!;
      this.counts[i]! += Number.isFinite(c) ? c : 0;
      this.background[i]! += Number.isFinite(b) ? b : 0;
      this.mask[i] = 1;
    }
    for (let i = 0; i < run.exposure.length; i++) {
      const x = run.exposure[i]!;
      if (image[i % npix] && Number.isFinite(x)) this.exposure[i]! += x;
    }
    if (image.some((v) => v === 1)) this.livetime += run.livetime;
    this.runs.push({
      obsId: run.obsId,
      did: run.did,
      ra: run.pointing.ra,
      dec: run.pointing.dec,
      livetime: run.livetime,
    });
  }
}
