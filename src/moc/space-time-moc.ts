/**
 * Space-time MOCs (IVOA MOC 2.0, STMOC): for each stretch of time, the sky observed
 * then. Built by sweeping the observations' good time intervals: in each elementary
 * time segment the fields of view of the observations active in it are united, and
 * consecutive segments seeing the same sky are merged, as the standard requires.
 * moc-wasm reads and folds space-time MOCs but cannot build or write one.
 */
import { asciiCellRanges } from '../adql/index.js';
import { SpaceCellSet } from './space-cells.js';
import {
  cellsAscii,
  cellsJson,
  normalizeRanges,
  TIME_MOC_MAX_DEPTH,
  timeMocCells,
  type TimeRanges,
} from './time-moc.js';

/**
 * Time order of the space-time MOCs: cells of 2^28 µs (about 4.5 min), well under a
 * run (about 30 min) so that runs stay apart, while gaps of seconds within one vanish.
 */
export const SPACE_TIME_MOC_TIME_DEPTH = 33;

/**
 * Space order of the space-time MOCs: the registry's (cells of about 0.9°, a field of
 * view of 2.5° radius in some 30). A MOC for finding data: order 7 doubles its size.
 */
export const SPACE_TIME_MOC_SPACE_DEPTH = 6;

/** What one observation covers: its good time intervals and its field of view. */
export interface ObservationSpan {
  /** Merged good time intervals, depth-61 ticks (TCB). */
  readonly time: TimeRanges;
  /**
   * Its space MOC in ASCII (MOC 2.0, any order) or as flat [start, end) cell ranges at
   * SPACE_TIME_MOC_SPACE_DEPTH (compact to keep); undefined when it covers no sky.
   */
  readonly space: string | ArrayLike<number> | undefined;
}

/** Numbers appended one array after another into one typed array. */
class RangeSlab {
  private values = new Uint32Array(1 << 12);
  length = 0;

  push(ranges: ArrayLike<number>): void {
    if (this.length + ranges.length > this.values.length) {
      const grown = new Uint32Array(Math.max(2 * this.values.length, this.length + ranges.length));
      grown.set(this.values.subarray(0, this.length));
      this.values = grown;
    }
    this.values.set(ranges, this.length);
    this.length += ranges.length;
  }

  /** The numbers pushed, in an array of their size. */
  trimmed(): Uint32Array {
    return this.values.slice(0, this.length);
  }
}

/**
 * What many observations cover, in three typed arrays (a few dozen bytes per observation,
 * against a kilobyte as ObservationSpan objects): what a coverage keeps for its space-time
 * MOC, and what the catalog stores of it. Only the observations that count in one (some
 * sky at some time) are in it.
 */
export interface SpanSlab {
  /** Per observation, how many time ranges and how many cell bounds it has. */
  readonly counts: Uint32Array;
  /** The observations' skies, flat [start, end) cell ranges at SPACE_TIME_MOC_SPACE_DEPTH, one after the other. */
  readonly cells: Uint32Array;
  /** Their good time intervals, flat [start, end) depth-61 ticks, one after the other. */
  readonly times: BigInt64Array;
}

/** A SpanSlab made one observation at a time. */
export class SpanSlabBuilder {
  private readonly counts = new RangeSlab();
  private readonly cells = new RangeSlab();
  private readonly times: bigint[] = [];

  /** An observation's good time intervals and its sky at SPACE_TIME_MOC_SPACE_DEPTH. */
  add(time: TimeRanges, sky: ArrayLike<number>): void {
    // Left out as buildSpaceTimeMoc leaves them out.
    if (time.length === 0 || sky.length === 0) return;
    this.counts.push([time.length, sky.length]);
    this.cells.push(sky);
    for (const [start, end] of time) this.times.push(start, end);
  }

  slab(): SpanSlab {
    return {
      counts: this.counts.trimmed(),
      cells: this.cells.trimmed(),
      times: BigInt64Array.from(this.times),
    };
  }
}

/** The observations of slabs, in turn, as buildSpaceTimeMoc takes them (their skies are views). */
export function slabSpans(slabs: readonly SpanSlab[]): ObservationSpan[] {
  const spans: ObservationSpan[] = [];
  for (const { counts, cells, times } of slabs) {
    let cell = 0;
    let tick = 0;
    for (let i = 0; i < counts.length; i += 2) {
      const time: [bigint, bigint][] = [];
      for (let r = 0; r < counts[i]!; r++, tick += 2) time.push([times[tick]!, times[tick + 1]!]);
      const space = cells.subarray(cell, (cell += counts[i + 1]!));
      spans.push({ time, space });
    }
  }
  return spans;
}

/** One element of a space-time MOC: times (depth-61 ticks) and the sky seen at them. */
export interface SpaceTimeCell {
  readonly time: TimeRanges;
  /** Flat [start, end) cell ranges at SPACE_TIME_MOC_SPACE_DEPTH. */
  readonly space: Uint32Array;
}

/** A space-time MOC: its elements in time order, consecutive ones seeing different skies. */
export type SpaceTimeMoc = readonly SpaceTimeCell[];

interface Boundary {
  readonly at: bigint;
  readonly observation: number;
  readonly starts: boolean;
}

function sameRanges(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Tick ranges widened to whole time cells at `depth`. */
function coarserTimeRanges(ranges: TimeRanges, depth: number): [bigint, bigint][] {
  const shift = BigInt(TIME_MOC_MAX_DEPTH - depth);
  return normalizeRanges(
    ranges.map(([start, end]) => [
      (start >> shift) << shift,
      ((end + (1n << shift) - 1n) >> shift) << shift,
    ]),
  );
}

/** The space-time MOC of observations at the orders SPACE_TIME_MOC_TIME_DEPTH and _SPACE_DEPTH. */
export function buildSpaceTimeMoc(observations: readonly ObservationSpan[]): SpaceTimeMoc {
  const skies: ArrayLike<number>[] = [];
  const boundaries: Boundary[] = [];
  for (const observation of observations) {
    if (observation.space === undefined || observation.time.length === 0) continue;
    // Finer cells widened to the order (ranges may overlap: the cell set unites them).
    const sky =
      typeof observation.space === 'string'
        ? asciiCellRanges(observation.space, SPACE_TIME_MOC_SPACE_DEPTH)
        : observation.space;
    if (sky.length === 0) continue;
    const index = skies.push(sky) - 1;
    for (const [start, end] of coarserTimeRanges(observation.time, SPACE_TIME_MOC_TIME_DEPTH)) {
      boundaries.push(
        { at: start, observation: index, starts: true },
        { at: end, observation: index, starts: false },
      );
    }
  }
  boundaries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const active = new Set<number>();
  const cells = new SpaceCellSet(SPACE_TIME_MOC_SPACE_DEPTH);
  const moc: { time: [bigint, bigint][]; space: Uint32Array }[] = [];
  for (let i = 0; i < boundaries.length;) {
    const at = boundaries[i]!.at;
    for (; i < boundaries.length && boundaries[i]!.at === at; i++) {
      const { observation, starts } = boundaries[i]!;
      if (starts) active.add(observation);
      else active.delete(observation);
    }
    if (active.size === 0 || i === boundaries.length) continue;
    const end = boundaries[i]!.at;
    cells.clear();
    for (const observation of active) cells.add(skies[observation]!);
    const sky = cells.ranges();
    const last = moc[moc.length - 1];
    if (last && sameRanges(last.space, sky)) {
      const lastTime = last.time[last.time.length - 1]!;
      if (lastTime[1] === at) lastTime[1] = end;
      else last.time.push([at, end]);
    } else moc.push({ time: [[at, end]], space: sky });
  }
  return moc;
}

/** Flat [start, end) cell ranges at `depth` as cells by depth, each range in the largest aligned cells. */
function spaceCells(ranges: ArrayLike<number>, depth: number): Map<number, number[]> {
  const byDepth = new Map<number, number[]>();
  for (let i = 0; i < ranges.length; i += 2) {
    let cursor = ranges[i]!;
    const end = ranges[i + 1]!;
    while (cursor < end) {
      let levels = 0;
      while (
        levels < depth &&
        cursor % 4 ** (levels + 1) === 0 &&
        cursor + 4 ** (levels + 1) <= end
      )
        levels++;
      const list = byDepth.get(depth - levels) ?? [];
      byDepth.set(depth - levels, list);
      list.push(cursor / 4 ** levels);
      cursor += 4 ** levels;
    }
  }
  return new Map([...byDepth].sort(([a], [b]) => a - b));
}

/** The cells of one element's two dimensions, by depth, with the orders ending the MOC when `last`. */
function elementCells(
  cell: SpaceTimeCell,
  last: boolean,
): { time: Map<number, (number | bigint)[]>; space: Map<number, number[]> } {
  const time: Map<number, (number | bigint)[]> = timeMocCells(cell.time);
  const space = spaceCells(cell.space, SPACE_TIME_MOC_SPACE_DEPTH);
  // The orders of the MOC are said once, by the last element, when its cells are coarser.
  if (last && !time.has(SPACE_TIME_MOC_TIME_DEPTH)) time.set(SPACE_TIME_MOC_TIME_DEPTH, []);
  if (last && !space.has(SPACE_TIME_MOC_SPACE_DEPTH)) space.set(SPACE_TIME_MOC_SPACE_DEPTH, []);
  return { time, space };
}

/** MOC 2.0 ASCII of a space-time MOC: 't<time cells> s<space cells>' per element. */
export function spaceTimeMocAscii(moc: SpaceTimeMoc): string {
  if (moc.length === 0) return `t${SPACE_TIME_MOC_TIME_DEPTH}/ s${SPACE_TIME_MOC_SPACE_DEPTH}/`;
  return moc
    .map((cell, i) => {
      const { time, space } = elementCells(cell, i === moc.length - 1);
      return `t${cellsAscii(time)} s${cellsAscii(space)}`;
    })
    .join('\n');
}

/** MOC 2.0 JSON of a space-time MOC: a list of {"t": {...}, "s": {...}} elements. */
export function spaceTimeMocJson(moc: SpaceTimeMoc): string {
  if (moc.length === 0) return '[]';
  const elements = moc.map((cell, i) => {
    const { time, space } = elementCells(cell, i === moc.length - 1);
    return `{"t": {${cellsJson(time)}}, "s": {${cellsJson(space)}}}`;
  });
  return `[\n${elements.join(',\n')}\n]`;
}

/** Time ranges are told from space ranges by their most significant bit (MOC 2.0, STMOC FITS). */
const TIME_FLAG = 1n << 63n;

/**
 * The RANGE column of a space-time MOC's FITS form: per element its time ranges
 * (depth 61, most significant bit set) then its space ranges (order 29).
 */
export function spaceTimeMocRanges(moc: SpaceTimeMoc): BigInt64Array {
  const length = moc.reduce((sum, cell) => sum + 2 * cell.time.length + cell.space.length, 0);
  const values = new BigInt64Array(length);
  const spaceShift = BigInt(2 * (29 - SPACE_TIME_MOC_SPACE_DEPTH));
  let at = 0;
  for (const cell of moc) {
    for (const [start, end] of cell.time) {
      values[at++] = BigInt.asIntN(64, start | TIME_FLAG);
      values[at++] = BigInt.asIntN(64, end | TIME_FLAG);
    }
    for (const bound of cell.space) values[at++] = BigInt(bound) << spaceShift;
  }
  return values;
}
