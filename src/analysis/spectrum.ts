/**
 * The spectrum of one run in an ON region and their stack, as gammapy 1.0's
 * SpectrumDatasetMaker(selection=[counts, exposure, edisp, background],
 * containment_correction=False, use_region_center=True) + SafeMaskMaker(methods=
 * [offset-max, aeff-default]) make them and SpectrumDataset.stack adds them up: counts
 * of the events inside the region (regions' CircleSkyRegion on the RegionGeom's TAN
 * grid), exposure and energy-dispersion kernel at the region centre, the BKG IRF at the
 * centre integrated over each energy bin times the region's solid angle. The IRFs are
 * evaluated by the map maker's code (maker.ts, irf-maps.ts), on a one-pixel "map".
 * With reflected OFF regions instead of the BKG IRF, as ReflectedRegionsBackgroundMaker
 * and SpectrumDatasetOnOff.stack do: OFF counts and α per bin, and the exposure corrected
 * for the PSF's containment in the circle (containment_correction=True, as gammapy's
 * reflected-regions analyses use it). For point-like IRFs the ON region is a point whose
 * radius is RAD_MAX at each event's energy (make_counts_rad_max), with no such correction.
 */
import type { EventList } from '../gadf/index.js';
import { edispKernel, psfContainment, StackedIrfMap } from './irf-maps.js';
import { backgroundOf, binOf, exposureOf, type RunInput } from './maker.js';
import { type Direction, RadMax, reflectedCircles, wobbleOffRegions } from './reflected.js';
import type { BackgroundMethod } from './spectrum-request.js';
import { separation } from './sky.js';

/** The ON region: ICRS centre and radius, deg; no radius for point-like IRFs (RAD_MAX gives it). */
export interface OnRegion {
  readonly ra: number;
  readonly dec: number;
  readonly radius?: number;
}

/** A circular ON region. */
export type OnCircle = Required<OnRegion>;

/** How a run's background is estimated, and how many OFF positions a point-like ON region gets. */
export interface BackgroundSetup {
  readonly method: BackgroundMethod;
  readonly wobbleOffRegions: number;
}

export interface SpectrumGeometry {
  readonly region: OnRegion;
  /** Reconstructed-energy bin edges, TeV. */
  readonly energy: Float64Array;
  /** True-energy bin edges, TeV. */
  readonly energyTrue: Float64Array;
}

// regions measures a sky radius in pixels of the region's WCS by a 1″ step north:
// on a TAN grid that is radius · tan(1″)/1″ in projected degrees.
const ARCSEC = Math.PI / 180 / 3600;
const RADIUS_SCALE = Math.tan(ARCSEC) / ARCSEC;
const DEG = Math.PI / 180;

/** Whether a direction lies inside the region as regions' CircleSkyRegion.contains decides on a TAN grid centred on it. */
export function insideRegion(region: OnCircle, ra: number, dec: number): boolean {
  const theta = separation(region.ra, region.dec, ra, dec);
  return theta < 90 && Math.tan(theta * DEG) / DEG < region.radius * RADIUS_SCALE;
}

/** The region's solid angle as RegionGeom.solid_angle: π r² on the TAN plane, sr. */
export function regionSolidAngle(region: OnCircle): number {
  const r = region.radius * RADIUS_SCALE * DEG;
  return Math.PI * r * r;
}

export interface RunSpectrum {
  readonly obsId: string;
  readonly did: string;
  readonly livetime: number;
  /** Offset of the region centre from the pointing, deg. */
  readonly offset: number;
  readonly counts: Float64Array;
  /** m² s, per true-energy bin. */
  readonly exposure: Float64Array;
  /** The exposure before the containment correction: the kernel's weight when stacked (its exposure_map). */
  readonly kernelExposure: Float64Array;
  /** From the BKG IRF, or α · OFF counts. */
  readonly background: Float64Array;
  /** Reflected background: the OFF counts and α (ON over OFF acceptance) per bin, and the OFF regions' centres. */
  readonly off?: OffCounts;
  /** [energy_true][energy], rows summing to the fraction reconstructed inside the axis. */
  readonly edisp: Float64Array;
  /** 1 where the reconstructed-energy bin is safe. */
  readonly mask: Uint8Array;
  /** The time span of the run, s since gammapy's GTI reference (TT). */
  readonly start: number;
  readonly stop: number;
  /** The same as MJD (UTC), and the sum of the good time intervals, s. */
  readonly startMjd: number;
  readonly stopMjd: number;
  readonly ontime: number;
  /** The parts of the run inside the asked time windows (those it overlaps). */
  readonly slices: readonly RunSlice[];
}

export interface OffCounts {
  readonly counts: Float64Array;
  readonly alpha: Float64Array;
  readonly regions: readonly Direction[];
}

/** A run cut to a time window: its events there (ON, and OFF when reflected), and its good time there (s). */
export interface RunSlice {
  /** Index of the window. */
  readonly window: number;
  readonly counts: Float64Array;
  readonly countsOff?: Float64Array;
  readonly ontime: number;
}

/** Which events of a run count in the ON region, and in how many OFF regions. */
interface RegionSelection {
  on(ra: number, dec: number, energy: number): boolean;
  off(ra: number, dec: number, energy: number): number;
  readonly offRegions: readonly Direction[];
}

/** ON and OFF counts per energy bin, in all and in each window (event-list seconds, [lo, hi)). */
async function countsIn(
  geom: SpectrumGeometry,
  events: EventList,
  selection: RegionSelection,
  windows: readonly (readonly [number, number])[],
): Promise<{ on: Float64Array; off: Float64Array; onIn: Float64Array[]; offIn: Float64Array[] }> {
  const nE = geom.energy.length - 1;
  const on = new Float64Array(nE);
  const off = new Float64Array(nE);
  const onIn = windows.map(() => new Float64Array(nE));
  const offIn = windows.map(() => new Float64Array(nE));
  const withOff = selection.offRegions.length > 0;
  const quantities =
    windows.length > 0
      ? (['ra', 'dec', 'energy', 'time'] as const)
      : (['ra', 'dec', 'energy'] as const);
  for await (const batch of events.batches<'ra' | 'dec' | 'energy' | 'time'>(quantities)) {
    for (let i = 0; i < batch.count; i++) {
      const energy = batch.energy[i] as number;
      const e = binOf(geom.energy, energy);
      if (e < 0) continue;
      const ra = batch.ra[i] as number;
      const dec = batch.dec[i] as number;
      const inOn = selection.on(ra, dec, energy) ? 1 : 0;
      const inOff = withOff ? selection.off(ra, dec, energy) : 0;
      if (inOn + inOff === 0) continue;
      on[e]! += inOn;
      off[e]! += inOff;
      if (windows.length === 0) continue;
      const t = batch.time[i] as number;
      windows.forEach(([lo, hi], w) => {
        if (t >= lo && t < hi) {
          onIn[w]![e]! += inOn;
          offIn[w]![e]! += inOff;
        }
      });
    }
  }
  return { on, off, onIn, offIn };
}

/**
 * The ON and OFF regions of a run: the circle alone (BKG IRF); the circle and its reflected
 * regions; or, for point-like IRFs, the point and its wobble positions cut by RAD_MAX
 * (none when their cuts could overlap in ENERGY, as gammapy drops them then).
 */
function regionSelection(
  geom: SpectrumGeometry,
  run: RunInput,
  background: BackgroundSetup,
): RegionSelection {
  const { region } = geom;
  const pointing: Direction = [run.pointing.ra, run.pointing.dec];
  const centre: Direction = [region.ra, region.dec];
  if (region.radius === undefined) {
    if (!run.radMax) {
      throw new Error(`run ${run.obsId} has no RAD_MAX_2D cut for a point-like ON region`);
    }
    const radMax = new RadMax(run.radMax);
    const offsetOf = (d: Direction) => separation(d[0], d[1], pointing[0], pointing[1]);
    const onOffset = offsetOf(centre);
    const edges = geom.energy;
    const offRegions = wobbleOffRegions(pointing, centre, background.wobbleOffRegions, radMax, [
      edges[0]!,
      edges[edges.length - 1]!,
    ]);
    const offsets = offRegions.map(offsetOf);
    return {
      on: (ra, dec, energy) =>
        separation(centre[0], centre[1], ra, dec) <= radMax.at(energy, onOffset),
      off: (ra, dec, energy) =>
        offRegions.reduce(
          (n, p, k) =>
            n + (separation(p[0], p[1], ra, dec) <= radMax.at(energy, offsets[k]!) ? 1 : 0),
          0,
        ),
      offRegions,
    };
  }
  const circle: OnCircle = { ra: region.ra, dec: region.dec, radius: region.radius };
  const on = (ra: number, dec: number) => insideRegion(circle, ra, dec);
  if (background.method === 'irf') return { on, off: () => 0, offRegions: [] };
  const reflected = reflectedCircles(pointing, centre, circle.radius);
  return {
    on,
    off: (ra, dec) => (reflected.contains(ra, dec) ? 1 : 0),
    offRegions: reflected.centres,
  };
}

/**
 * The safe reconstructed-energy bins of a run: finite positive background, the region
 * centre inside `offsetMax`, and the bin inside the effective area's LO_THRES–HI_THRES
 * when the IRF gives them (gammapy's aeff-default).
 */
function safeMask(
  geom: SpectrumGeometry,
  run: RunInput,
  background: Float64Array,
  offset: number,
  offsetMax: number,
  wstat: boolean,
): Uint8Array {
  const header = run.aeff.header;
  const lo = header.has('LO_THRES') ? (header.getNumber('LO_THRES') ?? undefined) : undefined;
  const hi = header.has('HI_THRES') ? (header.getNumber('HI_THRES') ?? undefined) : undefined;
  const edges = geom.energy;
  return Uint8Array.from(background, (b, e) =>
    Number.isFinite(b) &&
    (wstat || b > 0) &&
    offset < offsetMax &&
    (lo === undefined || edges[e]! >= lo) &&
    (hi === undefined || edges[e + 1]! <= hi)
      ? 1
      : 0,
  );
}

/**
 * The spectrum of one run, and of its parts inside `windows` (MJD UTC, [lo, hi)) as
 * gammapy's Observation.select_time cuts them: the events in the window, the good time
 * intervals clipped to it (exposure and background scale with that time).
 */
export async function makeRunSpectrum(
  geom: SpectrumGeometry,
  run: RunInput,
  offsetMax: number,
  windows: readonly (readonly [number, number])[] = [],
  backgroundSetup: BackgroundSetup = { method: 'irf', wobbleOffRegions: 0 },
): Promise<RunSpectrum> {
  if (!run.edisp) throw new Error(`run ${run.obsId} has no energy dispersion for its spectrum`);
  const { region } = geom;
  const offset = separation(region.ra, region.dec, run.pointing.ra, run.pointing.dec);
  const offsets = Float64Array.of(offset);
  const livetime = run.ontime * run.deadc;
  const intervals = await run.events.intervals();
  const overlap = (lo: number, hi: number) =>
    intervals.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, hi) - Math.max(a, lo)), 0);
  const inSeconds = windows.map(
    ([lo, hi]) => [run.events.secondsOfMjd(lo), run.events.secondsOfMjd(hi)] as const,
  );
  const overlapping = inSeconds.flatMap(([lo, hi], window) => {
    const ontime = overlap(lo, hi);
    return ontime > 0 ? [{ window, lo, hi, ontime }] : [];
  });
  const selection = regionSelection(geom, run, backgroundSetup);
  const counted = await countsIn(
    geom,
    run.events,
    selection,
    overlapping.map(({ lo, hi }) => [lo, hi] as const),
  );
  const counts = counted.on;
  const kernelExposure = exposureOf(geom, run.aeff, offsets, livetime);
  const exposure = kernelExposure.slice();
  const reflected = backgroundSetup.method === 'reflected';
  if (reflected && region.radius !== undefined) {
    if (!run.psf) throw new Error(`run ${run.obsId} has no PSF for the containment correction`);
    const containment = psfContainment(run.psf, geom.energyTrue, offset, region.radius);
    containment.forEach((c, j) => (exposure[j]! *= c));
  }
  const nOff = selection.offRegions.length;
  // gammapy: α = acceptance / acceptance_off, the latter the number of OFF regions.
  const alpha = new Float64Array(counts.length).fill(nOff > 0 ? 1 / nOff : 0);
  let background: Float64Array;
  if (reflected) {
    background = counted.off.map((n, e) => n * alpha[e]!);
  } else {
    if (!run.bkg || region.radius === undefined) {
      throw new Error(`run ${run.obsId} has no BKG IRF or no circular ON region`);
    }
    background = backgroundOf(
      geom,
      run.bkg,
      Float64Array.of(region.ra, region.dec),
      offsets,
      run.pointing,
      run.ontime,
      Float64Array.of(regionSolidAngle({ ...region, radius: region.radius })),
    );
  }
  const mask = safeMask(geom, run, background, offset, offsetMax, reflected);
  // No OFF region: ReflectedRegionsBackgroundMaker masks the whole run.
  if (reflected && nOff === 0) mask.fill(0);
  const edisp = edispKernel(run.edisp, offsets, geom.energy, geom.energyTrue);
  const starts = run.gti.map((g) => g[0]);
  const stops = run.gti.map((g) => g[1]);
  return {
    obsId: run.obsId,
    did: run.did,
    livetime,
    offset,
    counts,
    exposure,
    kernelExposure,
    background,
    ...(reflected ? { off: { counts: counted.off, alpha, regions: selection.offRegions } } : {}),
    edisp,
    mask,
    start: Math.min(...starts),
    stop: Math.max(...stops),
    startMjd: run.events.mjd(Math.min(...intervals.map((g) => g[0]))),
    stopMjd: run.events.mjd(Math.max(...intervals.map((g) => g[1]))),
    ontime: run.ontime,
    slices: overlapping.map(({ window, ontime }, k) => ({
      window,
      counts: counted.onIn[k]!,
      ...(reflected ? { countsOff: counted.offIn[k]! } : {}),
      ontime,
    })),
  };
}

/**
 * Spectra added up as SpectrumDataset.stack does: each run where its safe mask lets it
 * in, the kernel weighted by exposure; OFF counts as SpectrumDatasetOnOff.stack adds them,
 * α the OFF-count-weighted mean of the runs' (their mean over all bins where no OFF count).
 */
export class StackedSpectrum {
  readonly counts: Float64Array;
  /** From the BKG IRF, or α · OFF counts. */
  readonly background: Float64Array;
  /** Reflected background: the stacked OFF counts and α. */
  readonly off?: { readonly counts: Float64Array; readonly alpha: Float64Array };
  private readonly alphaOff?: Float64Array;
  readonly exposure: Float64Array;
  readonly mask: Uint8Array;
  livetime = 0;
  readonly runs: RunSpectrum[] = [];
  private readonly kernel: StackedIrfMap;

  constructor(
    readonly geom: SpectrumGeometry,
    reflected = false,
  ) {
    const nE = geom.energy.length - 1;
    const nEt = geom.energyTrue.length - 1;
    if (reflected) {
      this.off = { counts: new Float64Array(nE), alpha: new Float64Array(nE) };
      this.alphaOff = new Float64Array(nE);
    }
    this.counts = new Float64Array(nE);
    this.background = new Float64Array(nE);
    this.mask = new Uint8Array(nE);
    this.exposure = new Float64Array(nEt);
    this.kernel = new StackedIrfMap(nEt, nE, 1);
  }

  /** [energy_true][energy]. */
  get edisp(): Float64Array {
    return this.kernel.data;
  }

  add(run: RunSpectrum): void {
    const any = run.mask.some((m) => m === 1);
    for (let e = 0; e < run.mask.length; e++) {
      if (!run.mask[e]) continue;
      this.counts[e]! += run.counts[e]!;
      const b = run.background[e]!;
      this.background[e]! += Number.isFinite(b) ? b : 0;
      this.mask[e] = 1;
      if (this.off && this.alphaOff && run.off) {
        this.off.counts[e]! += run.off.counts[e]!;
        this.alphaOff[e]! += run.off.alpha[e]! * run.off.counts[e]!;
      }
    }
    if (this.off && this.alphaOff) {
      const { counts, alpha } = this.off;
      const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
      const average = sum(this.alphaOff) / sum(counts);
      for (let e = 0; e < alpha.length; e++) {
        const a = counts[e]! > 0 ? this.alphaOff[e]! / counts[e]! : average;
        alpha[e] = Number.isFinite(a) ? a : 0;
        this.background[e] = alpha[e]! * counts[e]!;
      }
    }
    if (any) {
      for (let j = 0; j < run.exposure.length; j++) {
        const x = run.exposure[j]!;
        if (Number.isFinite(x)) this.exposure[j]! += x;
      }
      this.livetime += run.livetime;
    }
    this.kernel.add(
      { data: run.edisp, exposure: run.kernelExposure },
      (band) => run.mask[band] === 1,
    );
    this.runs.push(run);
  }
}
