/**
 * The maps of one run and their stack, as gammapy 1.0's MapDatasetMaker (counts,
 * exposure, background) and SafeMaskMaker(methods=['offset-max']) make them and
 * MapDataset.stack adds them up (datasets/map.py, makers/map.py, makers/utils.py,
 * makers/safe.py), with the energy-dispersion kernel and PSF maps of irf-maps.ts.
 * Arrays are C-ordered [energy][y][x], as the FITS images store them.
 */
import type { EventList, IrfTable } from '../gadf/index.js';
import { binCentres } from '../gadf/index.js';
import { integrateLogLog, interpolateMissing, IrfInterpolator, padAxis } from './irf-eval.js';
import {
  coarseToFine,
  edispKernel,
  irfGridOf,
  psfMap,
  RAD_EDGES,
  type RunIrfMap,
  StackedIrfMap,
} from './irf-maps.js';
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
  /** The BKG IRF, when the run was opened with it (full-enclosure IRFs). */
  readonly bkg?: IrfTable;
  /** The directional cut of point-like IRFs (RAD_MAX_2D). */
  readonly radMax?: IrfTable;
  /** edisp_2d, when the dataset gets an energy-dispersion kernel map. */
  readonly edisp?: IrfTable;
  /** psf_table, psf_3gauss or psf_king, when the dataset gets a PSF map. */
  readonly psf?: IrfTable;
  /** Good time intervals, s since gammapy's reference MJD 51544.000742870368412695 (TT). */
  readonly gti: readonly (readonly [number, number])[];
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
  readonly gti: RunInput['gti'];
  /** On the coarse IRF grid: the kernel [energy_true][energy][pixel] and the PSF [energy_true][rad][pixel]. */
  readonly edisp?: RunIrfMap;
  readonly psf?: RunIrfMap;
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
export function binOf(edges: Float64Array, x: number): number {
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

export function exposureOf(
  geom: Pick<MapGeometry, 'energyTrue'>,
  aeff: IrfTable,
  offset: Float64Array,
  livetime: number,
): Float64Array {
  const interpolator = new IrfInterpolator(aeff.axes, aeff.data, 'lin');
  const energies = binCentres(geom.energyTrue, 'log');
  const npix = offset.length;
  const out = new Float64Array(energies.length * npix);
  const coords = [0, 0];
  for (let e = 0; e < energies.length; e++) {
    coords[0] = energies[e]!;
    for (let p = 0; p < npix; p++) {
      coords[1] = offset[p]!;
      out[e * npix + p] = interpolator.evaluate(coords) * livetime;
    }
  }
  return out;
}

/** gammapy's make_map_background_irf with MapDatasetMaker's defaults (missing data filled, offset padded). */
export function backgroundOf(
  geom: Pick<MapGeometry, 'energy'>,
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
    const coords = [0, ...spatial(p)];
    for (let k = 0; k < edges.length; k++) {
      coords[0] = edges[k]!;
      atEdges[k] = interpolator.evaluate(coords);
    }
    const scale = solidAngle[p]! * ontime;
    for (let e = 0; e < nE; e++) {
      out[e * npix + p] =
        integrateLogLog(edges[e]!, edges[e + 1]!, atEdges[e]!, atEdges[e + 1]!) * scale;
    }
  }
  return out;
}

/** Static per-geometry values shared by every run: pixel centres (ICRS) and solid angles, and the IRF grid's. */
export interface GeometryCache {
  readonly centres: Float64Array;
  readonly solidAngle: Float64Array;
  readonly irfGrid: SkyGrid;
  readonly irfCentres: Float64Array;
  /** The fine pixel each coarse pixel centre falls in (-1 outside). */
  readonly irfToFine: Int32Array;
}

export function geometryCache(geom: MapGeometry): GeometryCache {
  const irfGrid = irfGridOf(geom.grid);
  return {
    centres: geom.grid.icrsCentres(),
    solidAngle: geom.grid.solidAngles(),
    irfGrid,
    irfCentres: irfGrid.icrsCentres(),
    irfToFine: coarseToFine(irfGrid, geom.grid),
  };
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
  if (!run.bkg) throw new Error(`run ${run.obsId} was opened without its background IRF`);
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
  let edisp: RunIrfMap | undefined;
  let psf: RunIrfMap | undefined;
  if (run.edisp || run.psf) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const irfOffset = offsets(cache.irfCentres, run.pointing);
    // The IRF maps' exposure: effective area at the coarse pixel centres (make_exposure_irf).
    const irfExposure = exposureOf(geom, run.aeff, irfOffset, livetime);
    if (run.edisp) {
      edisp = {
        data: edispKernel(run.edisp, irfOffset, geom.energy, geom.energyTrue),
        exposure: irfExposure,
      };
    }
    if (run.psf) {
      psf = { data: psfMap(run.psf, irfOffset, geom.energyTrue), exposure: irfExposure };
    }
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
    gti: run.gti,
    ...(edisp ? { edisp } : {}),
    ...(psf ? { psf } : {}),
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
  readonly gti: (readonly [number, number])[] = [];
  readonly edisp?: StackedIrfMap;
  readonly psf?: StackedIrfMap;
  private readonly npix: number;

  get irfGrid(): SkyGrid {
    return this.cache.irfGrid;
  }

  /** `irfMaps` says which IRF maps the dataset has (every run added must then bring them). */
  constructor(
    readonly geom: MapGeometry,
    private readonly cache: GeometryCache,
    irfMaps: { readonly edisp: boolean; readonly psf: boolean } = { edisp: false, psf: false },
  ) {
    this.npix = geom.grid.pixelCount;
    const nEt = geom.energyTrue.length - 1;
    const coarse = cache.irfGrid.pixelCount;
    if (irfMaps.edisp) this.edisp = new StackedIrfMap(nEt, geom.energy.length - 1, coarse);
    if (irfMaps.psf) this.psf = new StackedIrfMap(nEt, RAD_EDGES.length - 1, coarse);
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
    // mask_safe_edisp / mask_safe_psf: the run's safe mask at the coarse pixel centres.
    const fine = this.cache.irfToFine;
    if (this.edisp) {
      if (!run.edisp) throw new Error(`run ${run.obsId} has no energy-dispersion map to stack`);
      this.edisp.add(
        run.edisp,
        (band, p) => fine[p]! >= 0 && run.mask[band * npix + fine[p]!] === 1,
      );
    }
    if (this.psf) {
      if (!run.psf) throw new Error(`run ${run.obsId} has no PSF map to stack`);
      this.psf.add(run.psf, (_, p) => fine[p]! >= 0 && image[fine[p]!] === 1);
    }
    this.gti.push(...run.gti);
    this.runs.push({
      obsId: run.obsId,
      did: run.did,
      ra: run.pointing.ra,
      dec: run.pointing.dec,
      livetime: run.livetime,
    });
  }
}
