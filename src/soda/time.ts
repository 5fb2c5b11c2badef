/**
 * SODA TIME is MJD in UTC; event and GTI times are seconds since MJDREFI + MJDREFF in
 * the file's TIMESYS, counted as astropy and gammapy count them (Time(mjdref, scale) +
 * TimeDelta(seconds)): elapsed SI seconds, so leap seconds count in every scale.
 */
import type { Header } from '../fits/index.js';
import { parseTimeScale, ttMinusUtc, type TimeReference } from '../gadf/time.js';

const TT_MINUS_TAI = 32.184;

/** Seconds since the reference epoch of an MJD (UTC); infinities stay infinite. */
export function mjdUtcToMet(mjdUtc: number, ref: TimeReference): number {
  if (!Number.isFinite(mjdUtc)) return mjdUtc;
  const days = (mjdUtc - ref.mjdRefInt - ref.mjdRefFrac) * 86400;
  switch (ref.scale) {
    case 'TT':
      return days + ttMinusUtc(mjdUtc);
    case 'TAI':
      return days + ttMinusUtc(mjdUtc) - TT_MINUS_TAI;
    case 'UTC':
      // The leap seconds between the reference and the time are elapsed seconds too.
      return days + ttMinusUtc(mjdUtc) - ttMinusUtc(ref.mjdRefInt + ref.mjdRefFrac);
  }
}

/** The time reference a header states (MJDREFI/MJDREFF, or MJDREF), or `fallback`. */
export function timeReferenceOf(
  header: Header,
  fallback?: TimeReference,
): TimeReference | undefined {
  const scale = header.has('TIMESYS')
    ? parseTimeScale(header.getString('TIMESYS'))
    : (fallback?.scale ?? 'TT');
  if (header.has('MJDREFI')) {
    return {
      mjdRefInt: header.getNumber('MJDREFI') ?? 0,
      mjdRefFrac: header.getNumber('MJDREFF') ?? 0,
      scale,
    };
  }
  const mjdRef = header.getNumber('MJDREF');
  if (mjdRef !== undefined) {
    return { mjdRefInt: Math.floor(mjdRef), mjdRefFrac: mjdRef - Math.floor(mjdRef), scale };
  }
  return fallback;
}
