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

const LOW_32 = 0xffffffffn;

/** Number of binary digits of a positive integer below 2^64 (no string made: this runs per cell). */
function bitLength(x: bigint): number {
  const high = Number(x >> 32n);
  return high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(Number(x & LOW_32));
}

/** Trailing zero bits of x below 2^64 (as many as the depth allows for 0). */
function trailingZeros(x: bigint): number {
  if (x === 0n) return TIME_MOC_MAX_DEPTH;
  const low = Number(x & LOW_32);
  if (low !== 0) return 31 - Math.clz32(low & -low);
  const high = Number(x >> 32n);
  return 63 - Math.clz32(high & -high);
}

/**
 * The cells of merged ranges, by depth: each range split into the largest aligned cells.
 * The ranges are sorted and disjoint, so each depth's cells come out in order.
 */
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
      let list = cellsByDepth.get(depth);
      if (!list) cellsByDepth.set(depth, (list = []));
      const bits = BigInt(shift);
      list.push(cursor >> bits);
      cursor += 1n << bits;
    }
  }
  return new Map([...cellsByDepth.entries()].sort(([a], [b]) => a - b));
}

/** Cells by depth (each depth's in order) in MOC 2.0 ASCII, consecutive cells as ranges: '35/1234 36/5000-5002'. */
export function cellsAscii(
  cellsByDepth: ReadonlyMap<number, readonly (number | bigint)[]>,
): string {
  const parts: string[] = [];
  for (const [depth, cells] of cellsByDepth) {
    const tokens: string[] = [];
    for (let i = 0; i < cells.length;) {
      let j = i;
      while (j + 1 < cells.length && follows(cells[j]!, cells[j + 1]!)) j++;
      tokens.push(i === j ? `${cells[i]}` : `${cells[i]}-${cells[j]}`);
      i = j + 1;
    }
    parts.push(`${depth}/${tokens.join(' ')}`);
  }
  return parts.join(' ');
}

function follows(cell: number | bigint, next: number | bigint): boolean {
  return typeof cell === 'bigint' ? next === cell + 1n : next === cell + 1;
}

/** Cells by depth as the members of a MOC 2.0 JSON object: '"35": [1234], "36": [5000, 5001]'. */
export function cellsJson(cellsByDepth: ReadonlyMap<number, readonly (number | bigint)[]>): string {
  return [...cellsByDepth].map(([depth, cells]) => `"${depth}": [${cells.join(', ')}]`).join(', ');
}

/** MOC 2.0 ASCII (with the 't' prefix, canonical form) of merged ranges (or of their cells). */
export function timeMocAscii(
  ranges: TimeRanges,
  cellsByDepth: ReadonlyMap<number, readonly bigint[]> = timeMocCells(ranges),
): string {
  if (cellsByDepth.size === 0) return `t${TIME_MOC_MAX_DEPTH}/`;
  // The resolution is depth 61; say so when no cell is that deep.
  const resolution = cellsByDepth.has(TIME_MOC_MAX_DEPTH) ? '' : ` ${TIME_MOC_MAX_DEPTH}/`;
  return `t${cellsAscii(cellsByDepth)}${resolution}`;
}

/**
 * MOC 2.0 JSON of merged ranges: cells by depth, and the depth with an empty list.
 * Cell numbers reach 2^61, so they are written as exact integer literals.
 */
export function timeMocJson(
  ranges: TimeRanges,
  cellsByDepth: ReadonlyMap<number, readonly bigint[]> = timeMocCells(ranges),
): string {
  // Depth 61 is the deepest, so its entry comes last.
  const resolution = cellsByDepth.has(TIME_MOC_MAX_DEPTH) ? [] : [`"${TIME_MOC_MAX_DEPTH}": []`];
  return `{${[cellsJson(cellsByDepth), ...resolution].filter(Boolean).join(', ')}}`;
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const SLASH = 47;
const DASH = 45;

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

function isSpace(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code === 32 || code === 10) return true;
  return !isDigit(code) && code !== SLASH && code !== DASH && /\s/.test(text[at]!);
}

/** Where the digits from `at` end. */
function digitsEnd(text: string, at: number): number {
  while (at < text.length && isDigit(text.charCodeAt(at))) at++;
  return at;
}

/** The error for the token of `text` (a time MOC without its 't') at `start`. */
function notTimeMoc(ascii: string, text: string, start: number): Error {
  let end = start;
  while (end < text.length && !isSpace(text, end)) end++;
  return new Error(`not a time MOC: '${text.slice(start, end)}' in '${ascii.slice(0, 80)}'`);
}

/** The integer written in text[start, end) (digits only). */
function integerAt(text: string, start: number, end: number): bigint {
  // Up to 15 digits are exact in a double: no string is made for them.
  if (end - start > 15) return BigInt(text.slice(start, end));
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - DIGIT_0);
  return BigInt(value);
}

/**
 * The merged tick ranges of a time MOC in MOC 2.0 ASCII (an optional 't' prefix).
 * Scanned by character: a coverage reads one per observation.
 */
export function timeRangesFromAscii(ascii: string): [bigint, bigint][] {
  const text = ascii.trim().replace(/^t/, '');
  const ranges: [bigint, bigint][] = [];
  let depth: number | undefined;
  let at = 0;
  while (at < text.length) {
    if (isSpace(text, at)) {
      at++;
      continue;
    }
    const start = at;
    // A token is [depth '/'] [first ['-' last]], not empty.
    let firstStart = at;
    let firstEnd = digitsEnd(text, at);
    if (text.charCodeAt(firstEnd) === SLASH) {
      if (firstEnd === firstStart) throw notTimeMoc(ascii, text, start);
      depth = Number(text.slice(firstStart, firstEnd));
      firstStart = firstEnd + 1;
      firstEnd = digitsEnd(text, firstStart);
    } else if (firstEnd === firstStart) throw notTimeMoc(ascii, text, start);
    let lastStart = firstStart;
    let lastEnd = firstEnd;
    if (firstEnd > firstStart && text.charCodeAt(firstEnd) === DASH) {
      lastStart = firstEnd + 1;
      lastEnd = digitsEnd(text, lastStart);
      if (lastEnd === lastStart) throw notTimeMoc(ascii, text, start);
    }
    at = lastEnd;
    if (at < text.length && !isSpace(text, at)) throw notTimeMoc(ascii, text, start);
    if (firstEnd === firstStart) continue;
    if (depth === undefined || depth > TIME_MOC_MAX_DEPTH) {
      throw new Error(
        `not a time MOC: cell '${text.slice(start, at)}' without a depth of at most 61`,
      );
    }
    const shift = BigInt(TIME_MOC_MAX_DEPTH - depth);
    const first = integerAt(text, firstStart, firstEnd);
    const last = lastStart === firstStart ? first : integerAt(text, lastStart, lastEnd);
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
