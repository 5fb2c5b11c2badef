/**
 * The union of many space MOCs at one HEALPix depth, as a set of cells: each MOC (ASCII
 * serialisation, MOC 2.0) is marked into a byte per cell, and the set read back as
 * ranges. moc-wasm's pairwise `or` costs about 0.5 ms per field of view and its JS
 * interface offers no many-way union; marking cells costs microseconds.
 */
import { cellRangesAscii } from '../adql/index.js';
import type { MocLibrary, SpaceMoc } from './library.js';

/** A set of HEALPix cells at one depth (a byte each: depth 10 takes 12.6 MB). */
export class SpaceCellSet {
  private readonly cells: Uint8Array;
  private low = Infinity;
  private high = -Infinity;

  constructor(readonly depth: number) {
    this.cells = new Uint8Array(12 * 4 ** depth);
  }

  /** Adds flat [start, end) cell ranges (as asciiCellRanges gives them). */
  add(ranges: ArrayLike<number>): void {
    for (let i = 0; i < ranges.length; i += 2) {
      const start = ranges[i]!;
      const end = ranges[i + 1]!;
      this.cells.fill(1, start, end);
      if (start < this.low) this.low = start;
      if (end > this.high) this.high = end;
    }
  }

  /** The set as flat [start, end) ranges, sorted, disjoint and not touching. */
  ranges(): Uint32Array {
    const ranges: number[] = [];
    const cells = this.cells;
    // indexOf runs natively: a set spans millions of cells, mostly in long runs.
    for (let at = Math.max(0, this.low); at < this.high;) {
      const start = cells.indexOf(1, at);
      if (start < 0 || start >= this.high) break;
      const end = cells.indexOf(0, start);
      at = end < 0 || end > this.high ? this.high : end;
      ranges.push(start, at);
    }
    return Uint32Array.from(ranges);
  }

  clear(): void {
    if (this.high > this.low) this.cells.fill(0, this.low, this.high);
    this.low = Infinity;
    this.high = -Infinity;
  }
}

/** The MOC of flat [start, end) cell ranges at `depth` (moc-wasm normalises it). */
export function cellRangesMoc(
  library: MocLibrary,
  ranges: ArrayLike<number>,
  depth: number,
): SpaceMoc {
  return library.MOC.fromAscii(cellRangesAscii(ranges, depth));
}

/**
 * Flat [start, end) cell ranges at `depth` widened to the cells holding them at `coarser`,
 * sorted and merged; ranges in any order (as an ASCII MOC lists them, order by order: a
 * field of view's finer cells widen to the coarse cells already listed).
 */
export function coarserCellRanges(
  ranges: ArrayLike<number>,
  depth: number,
  coarser: number,
): number[] {
  const scale = 4 ** (depth - coarser);
  const count = ranges.length / 2;
  const starts = new Float64Array(count);
  const ends = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    starts[i] = Math.floor(ranges[2 * i]! / scale);
    ends[i] = Math.ceil(ranges[2 * i + 1]! / scale);
  }
  // The union of ranges is that of their starts and ends sorted apart: it breaks after
  // the i-th end only where the next start lies beyond it.
  starts.sort();
  ends.sort();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = starts[i]!;
    while (i + 1 < count && starts[i + 1]! <= ends[i]!) i++;
    out.push(start, ends[i]!);
  }
  return out;
}
