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

/** MOC 2.0 ASCII of a time coverage given as JD (TCB) intervals, e.g. 't35/1234 36/5000-5002 61/'. */
export function timeMocFromJdIntervals(intervals: readonly (readonly [number, number])[]): string {
  const ranges = normalizeRanges(intervals.map(([a, b]) => [jdToTick(a), jdToTick(b)] as const));
  const cellsByDepth = new Map<number, bigint[]>();
  for (const [start, end] of ranges) {
    let cursor = start;
    while (cursor < end) {
      let shift = 0;
      // Grow the cell while it stays aligned and inside the range.
      while (
        shift < TIME_MOC_MAX_DEPTH &&
        cursor % (1n << BigInt(shift + 1)) === 0n &&
        cursor + (1n << BigInt(shift + 1)) <= end
      ) {
        shift++;
      }
      const depth = TIME_MOC_MAX_DEPTH - shift;
      const list = cellsByDepth.get(depth) ?? [];
      list.push(cursor >> BigInt(shift));
      cellsByDepth.set(depth, list);
      cursor += 1n << BigInt(shift);
    }
  }
  if (cellsByDepth.size === 0) return `t${TIME_MOC_MAX_DEPTH}/`;
  const parts: string[] = [];
  for (const depth of [...cellsByDepth.keys()].sort((a, b) => a - b)) {
    const cells = (cellsByDepth.get(depth) ?? []).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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

/** JD (TCB) intervals of a time MOC in MOC 2.0 ASCII (the inverse of timeMocFromJdIntervals). */
export function jdIntervalsOfTimeMoc(text: string): [number, number][] {
  const body = text.trim().replace(/^t/, '');
  const ranges: [bigint, bigint][] = [];
  let depth = TIME_MOC_MAX_DEPTH;
  for (const token of body.split(/\s+/)) {
    if (token === '') continue;
    const slash = token.indexOf('/');
    const cells = slash >= 0 ? token.slice(slash + 1) : token;
    if (slash >= 0) depth = Number(token.slice(0, slash));
    if (!Number.isInteger(depth) || depth < 0 || depth > TIME_MOC_MAX_DEPTH) {
      throw new RangeError(`time MOC depth '${token}' is not 0 to ${TIME_MOC_MAX_DEPTH}`);
    }
    if (cells === '') continue;
    const [first, last = first] = cells.split('-');
    if (!/^\d+$/.test(first ?? '') || !/^\d+$/.test(last ?? '')) {
      throw new RangeError(`time MOC cell '${token}' is not a number or a range`);
    }
    const shift = BigInt(TIME_MOC_MAX_DEPTH - depth);
    ranges.push([BigInt(first as string) << shift, (BigInt(last as string) + 1n) << shift]);
  }
  const perDay = Number(MICROSECONDS_PER_DAY);
  return normalizeRanges(ranges).map(([a, b]) => [Number(a) / perDay, Number(b) / perDay]);
}
