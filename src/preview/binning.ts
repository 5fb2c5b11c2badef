/**
 * The numbers behind the previews, from two streaming passes over the events: the
 * first finds the extent (offsets from the pointing, energy range), the second fills
 * the counts map, the energy histogram and the light curve. Memory is the three
 * results and one batch of events.
 */
import { angularSeparation } from '../gadf/index.js';
import { type EventListInfo, eventBatches } from './events.js';
import { centredGrid, pixelIndex, type TanGrid } from './wcs.js';

export interface CountsMap {
  readonly grid: TanGrid;
  /** Counts per pixel, row-major from the bottom row (FITS order, NAXIS1 fastest). */
  readonly counts: Int32Array;
  /** Events that fall outside the map. */
  readonly outside: number;
}

export interface EnergyHistogram {
  /** Bin edges in TeV, logarithmic. */
  readonly edges: Float64Array;
  readonly counts: Int32Array;
  readonly binsPerDecade: number;
  /** Events without a positive, finite energy. */
  readonly unbinned: number;
}

export interface LightCurve {
  /**
   * Time bins in MET seconds, in time order and not overlapping: each GTI cut into
   * equal bins (or, for very many short GTIs, equal bins over their whole span).
   */
  readonly starts: Float64Array;
  readonly stops: Float64Array;
  readonly counts: Int32Array;
  /** Good time in each bin, s. */
  readonly exposure: Float64Array;
  /** Events in no bin: outside the GTIs. */
  readonly outside: number;
}

export interface PreviewData {
  readonly info: EventListInfo;
  readonly eventCount: number;
  readonly countsMap: CountsMap;
  readonly energy: EnergyHistogram;
  readonly lightCurve: LightCurve;
}

/** Offsets binned finely enough for the 99% radius, in constant memory. */
const OFFSET_BIN = 0.02;
const OFFSET_BINS = 9000;

/** Pixel sizes a map may get, deg. */
const PIXEL_SIZES = [0.005, 0.01, 0.02, 0.025, 0.03, 0.04, 0.05, 0.1, 0.2, 0.25, 0.5];
/** About this many pixels across the map. */
const MAP_PIXELS = 240;
const MAX_HALF_WIDTH = 15;

export const ENERGY_BINS_PER_DECADE = 10;
/** Light curve bin widths, s, and how many bins to aim for. */
const TIME_BIN_WIDTHS = [
  1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400,
];
const TIME_BINS = 40;
const MAX_TIME_BINS = 200;

interface Extent {
  readonly radius90: number;
  readonly energyMin: number;
  readonly energyMax: number;
  readonly events: number;
}

async function measureExtent(info: EventListInfo): Promise<Extent> {
  const offsets = new Float64Array(OFFSET_BINS + 1);
  let events = 0;
  let energyMin = Infinity;
  let energyMax = -Infinity;
  for await (const batch of eventBatches(info)) {
    for (let i = 0; i < batch.count; i++) {
      const offset = angularSeparation(info.raPnt, info.decPnt, batch.ra[i]!, batch.dec[i]!);
      if (Number.isFinite(offset)) {
        const bin = Math.min(OFFSET_BINS, Math.floor(offset / OFFSET_BIN));
        offsets[bin] = offsets[bin]! + 1;
      }
      const e = batch.energy[i]!;
      if (e > 0 && Number.isFinite(e)) {
        if (e < energyMin) energyMin = e;
        if (e > energyMax) energyMax = e;
      }
    }
    events += batch.count;
  }
  const total = offsets.reduce((a, b) => a + b, 0);
  let seen = 0;
  let radius90 = 0;
  for (let bin = 0; bin <= OFFSET_BINS && total > 0; bin++) {
    seen += offsets[bin]!;
    if (seen >= 0.9 * total) {
      radius90 = (bin + 1) * OFFSET_BIN;
      break;
    }
  }
  return { radius90, energyMin, energyMax, events };
}

/**
 * A grid centred on the pointing, about MAP_PIXELS across, reaching a little past
 * the radius of 90% of the events: IACT event lists carry a thin tail of badly
 * reconstructed events far out (H.E.S.S. DR1: 1% beyond 5.6°, some at 58°).
 */
export function mapGrid(info: EventListInfo, radius90: number): TanGrid {
  const halfWidth = Math.min(MAX_HALF_WIDTH, Math.max(1, Math.ceil(radius90 * 1.1 * 2) / 2));
  const size =
    PIXEL_SIZES.find((s) => s >= (2 * halfWidth) / MAP_PIXELS) ??
    PIXEL_SIZES[PIXEL_SIZES.length - 1]!;
  const pixels = 2 * Math.round(halfWidth / size);
  return centredGrid(info.raPnt, info.decPnt, pixels, size);
}

/** Edges at whole tenths of a decade around [lo, hi] TeV. */
export function energyEdges(lo: number, hi: number): Float64Array {
  if (!(lo > 0) || !(hi >= lo)) return Float64Array.of(1, 10 ** (1 / ENERGY_BINS_PER_DECADE));
  const first = Math.floor(Math.log10(lo) * ENERGY_BINS_PER_DECADE + 1e-9);
  const last = Math.max(first + 1, Math.floor(Math.log10(hi) * ENERGY_BINS_PER_DECADE + 1e-9) + 1);
  return Float64Array.from({ length: last - first + 1 }, (_, i) =>
    Number((10 ** ((first + i) / ENERGY_BINS_PER_DECADE)).toPrecision(12)),
  );
}

type Intervals = readonly (readonly [number, number])[];

/** `count` equal bins from a to b, appended to `bins`. */
function splitInto(bins: [number, number][], a: number, b: number, count: number): void {
  for (let k = 0; k < count; k++) {
    bins.push([a + (k * (b - a)) / count, k === count - 1 ? b : a + ((k + 1) * (b - a)) / count]);
  }
}

/** A round width that cuts `length` seconds into at most TIME_BINS bins. */
function roundWidth(length: number): number {
  return (
    TIME_BIN_WIDTHS.find((w) => length / w <= TIME_BINS) ??
    86400 * Math.ceil(length / TIME_BINS / 86400)
  );
}

/**
 * Bins over the GTIs: about TIME_BINS in all, each GTI cut into equal bins close to
 * a round width (a 1687 s run gets 28 bins of 60.25 s, not a 7 s bin at the end), so
 * no bin straddles a gap. Hundreds of short GTIs get equal bins over their span.
 */
export function timeBins(gtis: Intervals): { starts: Float64Array; stops: Float64Array } {
  const good = gtis.reduce((sum, [a, b]) => sum + (b - a), 0);
  const width = roundWidth(Math.max(good, 1e-3));
  let bins: [number, number][] = [];
  for (const [a, b] of gtis) splitInto(bins, a, b, Math.max(1, Math.round((b - a) / width)));
  if (bins.length > MAX_TIME_BINS) {
    const [start, stop] = [gtis[0]![0], gtis[gtis.length - 1]![1]];
    bins = [];
    splitInto(
      bins,
      start,
      stop,
      Math.max(1, Math.round((stop - start) / roundWidth(stop - start))),
    );
  }
  return {
    starts: Float64Array.from(bins, ([a]) => a),
    stops: Float64Array.from(bins, ([, b]) => b),
  };
}

function exposures(starts: Float64Array, stops: Float64Array, gtis: Intervals): Float64Array {
  return starts.map((start, i) =>
    gtis.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, stops[i]!) - Math.max(a, start)), 0),
  );
}

/** Index of the time bin holding `t` (bins sorted, each closed at its stop), or -1. */
function timeBinOf(starts: Float64Array, stops: Float64Array, t: number): number {
  let lo = 0;
  let hi = starts.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t >= starts[mid]!) lo = mid;
    else hi = mid;
  }
  return t >= starts[lo]! && t <= stops[lo]! ? lo : -1;
}

/** Index of the bin of `value` among ascending `edges` (last bin closed), or -1. */
function binOf(edges: Float64Array, value: number): number {
  const n = edges.length - 1;
  if (!(value >= edges[0]!) || !(value <= edges[n]!)) return -1;
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (value >= edges[mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Reads the events twice and returns the counts map, energy histogram and light curve. */
export async function binEvents(info: EventListInfo): Promise<PreviewData> {
  const extent = await measureExtent(info);
  const grid = mapGrid(info, extent.radius90);
  const map = new Int32Array(grid.naxis1 * grid.naxis2);
  const energyBins = energyEdges(extent.energyMin, extent.energyMax);
  const energyCounts = new Int32Array(energyBins.length - 1);
  const { starts, stops } = timeBins(info.gtis);
  const timeCounts = new Int32Array(starts.length);
  let outsideMap = 0;
  let unbinned = 0;
  let outsideTime = 0;
  let events = 0;
  for await (const batch of eventBatches(info)) {
    for (let i = 0; i < batch.count; i++) {
      const pixel = pixelIndex(grid, batch.ra[i]!, batch.dec[i]!);
      if (pixel) map[pixel[1] * grid.naxis1 + pixel[0]]! += 1;
      else outsideMap++;
      const e = binOf(energyBins, batch.energy[i]!);
      if (e >= 0) energyCounts[e]! += 1;
      else unbinned++;
      const t = timeBinOf(starts, stops, batch.time[i]!);
      if (t >= 0) timeCounts[t]! += 1;
      else outsideTime++;
    }
    events += batch.count;
  }
  return {
    info,
    eventCount: events,
    countsMap: { grid, counts: map, outside: outsideMap },
    energy: {
      edges: energyBins,
      counts: energyCounts,
      binsPerDecade: ENERGY_BINS_PER_DECADE,
      unbinned,
    },
    lightCurve: {
      starts,
      stops,
      counts: timeCounts,
      exposure: exposures(starts, stops, info.gtis),
      outside: outsideTime,
    },
  };
}
