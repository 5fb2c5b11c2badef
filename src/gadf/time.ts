/**
 * Times in GADF files are seconds since a reference MJD (MJDREFI + MJDREFF) in the
 * scale TIMESYS. ObsCore wants MJD; we give it in UTC, as astropy's `.utc.mjd` does.
 */
import { GadfError } from './errors.js';

/** TAI-UTC in seconds from each UTC date (MJD) on: the leap seconds since 1972. */
const LEAP_SECONDS: readonly (readonly [mjd: number, taiMinusUtc: number])[] = [
  [41317, 10],
  [41499, 11],
  [41683, 12],
  [42048, 13],
  [42413, 14],
  [42778, 15],
  [43144, 16],
  [43509, 17],
  [43874, 18],
  [44239, 19],
  [44786, 20],
  [45151, 21],
  [45516, 22],
  [46247, 23],
  [47161, 24],
  [47892, 25],
  [48257, 26],
  [48804, 27],
  [49169, 28],
  [49534, 29],
  [50083, 30],
  [50630, 31],
  [51179, 32],
  [53736, 33],
  [54832, 34],
  [56109, 35],
  [57204, 36],
  [57754, 37],
];

const TT_MINUS_TAI = 32.184;

function taiMinusUtcAtUtc(mjdUtc: number): number {
  let offset = 10;
  for (const [mjd, value] of LEAP_SECONDS) {
    if (mjdUtc >= mjd) offset = value;
    else break;
  }
  return offset;
}

export type TimeScale = 'UTC' | 'TT' | 'TAI';

export function parseTimeScale(timesys: string | undefined, path?: string): TimeScale {
  const scale = (timesys ?? 'TT').trim().toUpperCase();
  if (scale === 'UTC' || scale === 'TT' || scale === 'TAI') return scale;
  if (scale === 'TDT') return 'TT';
  throw new GadfError(`TIMESYS '${timesys}' is not supported (expected TT, UTC or TAI)`, path);
}

/** Reference epoch of MET seconds, as read from MJDREFI/MJDREFF (or MJDREF). */
export interface TimeReference {
  readonly mjdRefInt: number;
  readonly mjdRefFrac: number;
  readonly scale: TimeScale;
}

/** Converts seconds since the reference epoch into an MJD in UTC. */
export function metToMjdUtc(seconds: number, ref: TimeReference): number {
  const mjd = ref.mjdRefInt + (ref.mjdRefFrac + seconds / 86400);
  if (ref.scale === 'UTC') return mjd;
  const shift = ref.scale === 'TT' ? TT_MINUS_TAI : 0;
  // TAI-UTC looked up at the approximate UTC date, then applied once more to settle.
  const approx = mjd - (shift + taiMinusUtcAtUtc(mjd)) / 86400;
  return mjd - (shift + taiMinusUtcAtUtc(approx)) / 86400;
}

/** ISO 8601 UTC string of an MJD (UTC), millisecond precision. */
export function mjdToIso(mjdUtc: number): string {
  const unixMs = (mjdUtc - 40587) * 86400_000;
  return new Date(Math.round(unixMs)).toISOString();
}

export function mjdToDate(mjdUtc: number): Date {
  return new Date(Math.round((mjdUtc - 40587) * 86400_000));
}
