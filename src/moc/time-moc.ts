/**
 * Time MOCs (IVOA MOC 2.0): sets of time cells, at depth 61 one microsecond of
 * barycentric Julian Date (TCB) since JD 0. Serialised in the MOC 2.0 ASCII form with
 * the 't' prefix, in canonical form (each interval split into the largest aligned cells).
 */
export const TIME_MOC_MAX_DEPTH = 61;

const MICROSECONDS_PER_DAY = 86_400_000_000n;

/** Depth-61 tick (µs since JD 0) nearest to a Julian Date. */
export function jdToTick(jd: number): bigint {
  const days = Math.floor(jd);
  return BigInt(days) * MICROSECONDS_PER_DAY + BigInt(Math.round((jd - days) * 86_400_000_000));
}

/** Merges and sorts half-open tick ranges [start, end). */
export function normalizeRanges(
  ranges: readonly (readonly [bigint, bigint])[],
): [bigint, bigint][] {
  const sorted = ranges.filter(([a, b]) => b > a).map(([a, b]) => [a, b] as [bigint, bigint]);
  sorted.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) {
      if (range[1] > last[1]) last[1] = range[1];
    } else merged.push(range);
  }
  return merged;
}

/** Half-open depth-61 tick ranges [start, end), sorted and merged. */
export type TimeRanges = readonly (readonly [bigint, bigint])[];

/** MOC 2.0 ASCII of a time coverage given as JD (TCB) intervals, e.g. 't35/1234 36/5000-5002 61/'. */
export function timeMocFromJdIntervals(intervals: readonly (readonly [number, number])[]): string {
  return timeMocAscii(
    normalizeRanges(intervals.map(([a, b]) => [jdToTick(a), jdToTick(b)] as const)),
  );
}

/** Number of binary digits of a positive integer. */
function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/** Trailing zero bits of x (as many as the depth allows for 0). */
function trailingZeros(x: bigint): number {
  return x === 0n ? TIME_MOC_MAX_DEPTH : bitLength(x & -x) - 1;
}

/** The cells of merged ranges, by depth: each range split into the largest aligned cells. */
export function timeMocCells(ranges: TimeRanges): Map<number, bigint[]> {
  const cellsByDepth = new Map<number, bigint[]>();
  for (const [start, end] of ranges) {
    let cursor = start;
    while (cursor < end) {
      // The largest cell that starts at cursor (aligned) and ends by end.
      const shift = Math.min(
        trailingZeros(cursor),
        bitLength(end - cursor) - 1,
        TIME_MOC_MAX_DEPTH,
      );
      const depth = TIME_MOC_MAX_DEPTH - shift;
      const list = cellsByDepth.get(depth) ?? [];
      list.push(cursor >> BigInt(shift));
      cellsByDepth.set(depth, list);
      cursor += 1n << BigInt(shift);
    }
  }
  for (const cells of cellsByDepth.values()) cells.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map([...cellsByDepth.entries()].sort(([a], [b]) => a - b));
}

/** MOC 2.0 ASCII (with the 't' prefix, canonical form) of merged ranges. */
export function timeMocAscii(ranges: TimeRanges): string {
  const cellsByDepth = timeMocCells(ranges);
  if (cellsByDepth.size === 0) return `t${TIME_MOC_MAX_DEPTH}/`;
  const parts: string[] = [];
  for (const [depth, cells] of cellsByDepth) {
    const tokens: string[] = [];
    for (let i = 0; i < cells.length;) {
      let j = i;
      while (j + 1 < cells.length && cells[j + 1] === (cells[j] as bigint) + 1n) j++;
      tokens.push(i === j ? `${cells[i]}` : `${cells[i]}-${cells[j]}`);
      i = j + 1;
    }
    parts.push(`${depth}/${tokens.join(' ')}`);
  }
  // The resolution is depth 61; say so when no cell is that deep.
  if (!cellsByDepth.has(TIME_MOC_MAX_DEPTH)) parts.push(`${TIME_MOC_MAX_DEPTH}/`);
  return `t${parts.join(' ')}`;
}

/**
 * MOC 2.0 JSON of merged ranges: cells by depth, and the depth with an empty list.
 * Cell numbers reach 2^61, so they are written as exact integer literals.
 */
export function timeMocJson(ranges: TimeRanges): string {
  const cellsByDepth = timeMocCells(ranges);
  if (!cellsByDepth.has(TIME_MOC_MAX_DEPTH)) cellsByDepth.set(TIME_MOC_MAX_DEPTH, []);
  const entries = [...cellsByDepth].map(([depth, cells]) => `"${depth}": [${cells.join(', ')}]`);
  return `{${entries.join(', ')}}`;
}

/** The merged tick ranges of a time MOC in MOC 2.0 ASCII (an optional 't' prefix). */
export function timeRangesFromAscii(ascii: string): [bigint, bigint][] {
  const text = ascii.trim().replace(/^t/, '');
  const ranges: [bigint, bigint][] = [];
  let depth: number | undefined;
  for (const token of text.split(/[\s]+/).filter((t) => t !== '')) {
    const match = /^(?:(\d+)\/)?(?:(\d+)(?:-(\d+))?)?$/.exec(token);
    if (!match || (match[1] === undefined && match[2] === undefined)) {
      throw new Error(`not a time MOC: '${token}' in '${ascii.slice(0, 80)}'`);
    }
    if (match[1] !== undefined) depth = Number(match[1]);
    if (match[2] === undefined) continue;
    if (depth === undefined || depth > TIME_MOC_MAX_DEPTH) {
      throw new Error(`not a time MOC: cell '${token}' without a depth of at most 61`);
    }
    const shift = BigInt(TIME_MOC_MAX_DEPTH - depth);
    const first = BigInt(match[2]);
    const last = BigInt(match[3] ?? match[2]);
    ranges.push([first << shift, (last + 1n) << shift]);
  }
  return normalizeRanges(ranges);
}

/** Julian Date (TCB) of a depth-61 tick. */
export function tickToJd(tick: bigint): number {
  const days = tick / MICROSECONDS_PER_DAY;
  return Number(days) + Number(tick - days * MICROSECONDS_PER_DAY) / 86_400_000_000;
}

/** JD (TCB) intervals of a time MOC in MOC 2.0 ASCII (the inverse of timeMocFromJdIntervals). */
export function jdIntervalsOfTimeMoc(text: string): [number, number][] {
  return timeRangesFromAscii(text).map(([a, b]) => [tickToJd(a), tickToJd(b)]);
}
