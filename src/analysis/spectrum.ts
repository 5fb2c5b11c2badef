/**
 * The spectrum of one run in a circular ON region and their stack, as gammapy 1.0's
 * SpectrumDatasetMaker(selection=[counts, exposure, edisp, background],
 * containment_correction=False, use_region_center=True) + SafeMaskMaker(methods=
 * [offset-max, aeff-default]) make them and SpectrumDataset.stack adds them up: counts
 * of the events inside the region (regions' CircleSkyRegion on the RegionGeom's TAN
 * grid), exposure and energy-dispersion kernel at the region centre, the BKG IRF at the
 * centre integrated over each energy bin times the region's solid angle. The IRFs are
 * evaluated by the map maker's code (maker.ts, irf-maps.ts), on a one-pixel "map".
 */
import type { EventList } from '../gadf/index.js';
import { edispKernel, StackedIrfMap } from './irf-maps.js';
import { backgroundOf, binOf, exposureOf, type RunInput } from './maker.js';
import { separation } from './sky.js';

/** A circle on the sky: ICRS centre and radius, deg. */
export interface OnRegion {
  readonly ra: number;
  readonly dec: number;
  readonly radius: number;
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
export function insideRegion(region: OnRegion, ra: number, dec: number): boolean {
  const theta = separation(region.ra, region.dec, ra, dec);
  return theta < 90 && Math.tan(theta * DEG) / DEG < region.radius * RADIUS_SCALE;
}

/** The region's solid angle as RegionGeom.solid_angle: π r² on the TAN plane, sr. */
export function regionSolidAngle(region: OnRegion): number {
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
  readonly background: Float64Array;
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

/** A run cut to a time window: its events there, and its good time there (s). */
export interface RunSlice {
  /** Index of the window. */
  readonly window: number;
  readonly counts: Float64Array;
  readonly ontime: number;
}

/** The ON-region counts per energy bin, in all and in each window (event-list seconds, [lo, hi)). */
async function countsIn(
  geom: SpectrumGeometry,
  events: EventList,
  windows: readonly (readonly [number, number])[],
): Promise<{ all: Float64Array; inWindows: Float64Array[] }> {
  const nE = geom.energy.length - 1;
  const all = new Float64Array(nE);
  const inWindows = windows.map(() => new Float64Array(nE));
  const quantities =
    windows.length > 0
      ? (['ra', 'dec', 'energy', 'time'] as const)
      : (['ra', 'dec', 'energy'] as const);
  for await (const batch of events.batches<'ra' | 'dec' | 'energy' | 'time'>(quantities)) {
    for (let i = 0; i < batch.count; i++) {
      const e = binOf(geom.energy, batch.energy[i] as number);
      if (e < 0 || !insideRegion(geom.region, batch.ra[i] as number, batch.dec[i] as number)) {
        continue;
      }
      all[e]! += 1;
      if (windows.length === 0) continue;
      const t = batch.time[i] as number;
      windows.forEach(([lo, hi], w) => {
        if (t >= lo && t < hi) inWindows[w]![e]! += 1;
      });
    }
  }
  return { all, inWindows };
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
): Uint8Array {
  const header = run.aeff.header;
  const lo = header.has('LO_THRES') ? (header.getNumber('LO_THRES') ?? undefined) : undefined;
  const hi = header.has('HI_THRES') ? (header.getNumber('HI_THRES') ?? undefined) : undefined;
  const edges = geom.energy;
  return Uint8Array.from(background, (b, e) =>
    Number.isFinite(b) &&
    b > 0 &&
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
  const { all: counts, inWindows } = await countsIn(
    geom,
    run.events,
    overlapping.map(({ lo, hi }) => [lo, hi] as const),
  );
  const exposure = exposureOf(geom, run.aeff, offsets, livetime);
  const background = backgroundOf(
    geom,
    run.bkg,
    Float64Array.of(region.ra, region.dec),
    offsets,
    run.pointing,
    run.ontime,
    Float64Array.of(regionSolidAngle(region)),
  );
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
    background,
    edisp,
    mask: safeMask(geom, run, background, offset, offsetMax),
    start: Math.min(...starts),
    stop: Math.max(...stops),
    startMjd: run.events.mjd(Math.min(...intervals.map((g) => g[0]))),
    stopMjd: run.events.mjd(Math.max(...intervals.map((g) => g[1]))),
    ontime: run.ontime,
    slices: overlapping.map(({ window, ontime }, k) => ({
      window,
      counts: inWindows[k]!,
      ontime,
    })),
  };
}

/** Spectra added up as SpectrumDataset.stack does: each run where its safe mask lets it in, the kernel weighted by exposure. */
export class StackedSpectrum {
  readonly counts: Float64Array;
  readonly background: Float64Array;
  readonly exposure: Float64Array;
  readonly mask: Uint8Array;
  livetime = 0;
  readonly runs: RunSpectrum[] = [];
  private readonly kernel: StackedIrfMap;

  constructor(readonly geom: SpectrumGeometry) {
    const nE = geom.energy.length - 1;
    const nEt = geom.energyTrue.length - 1;
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
    }
    if (any) {
      for (let j = 0; j < run.exposure.length; j++) {
        const x = run.exposure[j]!;
        if (Number.isFinite(x)) this.exposure[j]! += x;
      }
      this.livetime += run.livetime;
    }
    this.kernel.add({ data: run.edisp, exposure: run.exposure }, (band) => run.mask[band] === 1);
    this.runs.push(run);
  }
}
