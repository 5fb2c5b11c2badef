/**
 * Times in GADF files are seconds since a reference MJD (MJDREFI + MJDREFF) in the
 * scale TIMESYS. ObsCore wants MJD; we give it in UTC, as astropy's `.utc.mjd` does.
 */
import type { Header } from '../fits/index.js';
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
  if (ref.scale === 'UTC') {
    // MET counts SI seconds: leap seconds since the reference epoch are in it, not in MJD (UTC).
    const refMjd = ref.mjdRefInt + ref.mjdRefFrac;
    const naive = refMjd + seconds / 86400;
    const leaps = (at: number): number => taiMinusUtcAtUtc(at) - taiMinusUtcAtUtc(refMjd);
    return refMjd + (seconds - leaps(naive - leaps(naive) / 86400)) / 86400;
  }
  const mjd = ref.mjdRefInt + (ref.mjdRefFrac + seconds / 86400);
  const shift = ref.scale === 'TT' ? TT_MINUS_TAI : 0;
  // TAI-UTC looked up at the approximate UTC date, then applied once more to settle.
  const approx = mjd - (shift + taiMinusUtcAtUtc(mjd)) / 86400;
  return mjd - (shift + taiMinusUtcAtUtc(approx)) / 86400;
}

/**
 * metToMjdUtc over many times: where no leap second falls within a day of the
 * batch (almost always), one offset serves every time, with the same result.
 */
export function metToMjdUtcMany(seconds: ArrayLike<number>, ref: TimeReference): Float64Array {
  const out = new Float64Array(seconds.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < seconds.length; i++) {
    const s = seconds[i] as number;
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  const refMjd = ref.mjdRefInt + ref.mjdRefFrac;
  const first = refMjd + lo / 86400 - 1;
  const last = refMjd + hi / 86400 + 1;
  if (!(lo <= hi) || taiMinusUtcAtUtc(first) !== taiMinusUtcAtUtc(last)) {
    for (let i = 0; i < out.length; i++) out[i] = metToMjdUtc(seconds[i] as number, ref);
    return out;
  }
  const taiMinusUtc = taiMinusUtcAtUtc(first);
  if (ref.scale === 'UTC') {
    const leaps = taiMinusUtc - taiMinusUtcAtUtc(refMjd);
    for (let i = 0; i < out.length; i++) out[i] = refMjd + ((seconds[i] as number) - leaps) / 86400;
    return out;
  }
  const shift = (ref.scale === 'TT' ? TT_MINUS_TAI : 0) + taiMinusUtc;
  for (let i = 0; i < out.length; i++) {
    out[i] = ref.mjdRefInt + (ref.mjdRefFrac + (seconds[i] as number) / 86400) - shift / 86400;
  }
  return out;
}

/** ISO 8601 UTC string of an MJD (UTC), millisecond precision. */
export function mjdToIso(mjdUtc: number): string {
  const unixMs = (mjdUtc - 40587) * 86400_000;
  return new Date(Math.round(unixMs)).toISOString();
}

export function mjdToDate(mjdUtc: number): Date {
  return new Date(Math.round((mjdUtc - 40587) * 86400_000));
}

const JD_MINUS_MJD = 2400000.5;
const AU_LIGHT_SECONDS = 499.004783836;
/** TCB - TDB rate (IAU 2006 B3) and its epoch, JD 2443144.5003725 (1977-01-01 TAI). */
const L_B = 1.550519768e-8;
const TCB_EPOCH_JD = 2443144.5003725;

/** TT minus UTC in seconds at an MJD (UTC). */
export function ttMinusUtc(mjdUtc: number): number {
  return TT_MINUS_TAI + taiMinusUtcAtUtc(mjdUtc);
}

/**
 * Barycentric Julian Date in TCB of a photon that reached the Earth at `mjdUtc` from
 * direction (ra, dec): what MOC 2.0 time cells count. The Roemer delay uses a
 * low-precision heliocentric Earth position and ignores the Sun's motion about the
 * barycentre, so it is good to a few seconds: fine for GTI coverage, not for timing.
 */
export function mjdUtcToBarycentricJdTcb(mjdUtc: number, raDeg: number, decDeg: number): number {
  const jdTt = mjdUtc + JD_MINUS_MJD + ttMinusUtc(mjdUtc) / 86400;
  const n = jdTt - 2451545.0;
  const deg = Math.PI / 180;
  const meanAnomaly = (357.529 + 0.98560028 * n) * deg;
  const meanLongitude = (280.459 + 0.98564736 * n) * deg;
  const eclipticLongitude =
    meanLongitude + (1.915 * Math.sin(meanAnomaly) + 0.02 * Math.sin(2 * meanAnomaly)) * deg;
  const distanceAu =
    1.00014 - 0.01671 * Math.cos(meanAnomaly) - 0.00014 * Math.cos(2 * meanAnomaly);
  const obliquity = (23.439 - 0.00000036 * n) * deg;
  // Earth seen from the Sun is opposite to the Sun seen from the Earth.
  const ex = -distanceAu * Math.cos(eclipticLongitude);
  const ey = -distanceAu * Math.sin(eclipticLongitude) * Math.cos(obliquity);
  const ez = -distanceAu * Math.sin(eclipticLongitude) * Math.sin(obliquity);
  const ra = raDeg * deg;
  const dec = decDeg * deg;
  const roemer =
    AU_LIGHT_SECONDS *
    (ex * Math.cos(dec) * Math.cos(ra) + ey * Math.cos(dec) * Math.sin(ra) + ez * Math.sin(dec));
  const tdbMinusTt = 0.001657 * Math.sin(meanAnomaly + 0.01671 * Math.sin(meanAnomaly));
  const jdTdb = jdTt + (tdbMinusTt + roemer) / 86400;
  return jdTdb + (L_B * (jdTdb - TCB_EPOCH_JD) * 86400) / 86400;
}

/*
 * The inverse of metToMjdUtc, for selections given in MJD (UTC) such as SODA TIME:
 * event and GTI times count elapsed SI seconds since the reference, as astropy and
 * gammapy count them, so leap seconds count in every time scale.
 */
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

/** GPS time runs 19 s behind TAI, at the same rate. */
const TAI_MINUS_GPS_DAYS = 19 / 86400;

/** MJD of an ISO-8601 calendar reading (DATEREF), in whatever scale it is read. */
function mjdOfIso(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?)?$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  return ms / 86400000 + 40587 + Number(sec) / 86400;
}

/**
 * The time reference a header states (MJDREFI/MJDREFF, MJDREF, or the FITS 4 DATEREF
 * that the VODF draft allows), or `fallback`. TIMESYS GPS (VODF) is TAI with the
 * epoch moved by 19 s.
 */
export function timeReferenceOf(
  header: Header,
  fallback?: TimeReference,
): TimeReference | undefined {
  const timesys = header.getString('TIMESYS')?.trim().toUpperCase();
  const gps = timesys === 'GPS';
  const scale = gps
    ? 'TAI'
    : header.has('TIMESYS')
      ? parseTimeScale(header.getString('TIMESYS'))
      : (fallback?.scale ?? 'TT');
  const shift = gps ? TAI_MINUS_GPS_DAYS : 0;
  const split = (mjd: number): TimeReference => ({
    mjdRefInt: Math.floor(mjd),
    mjdRefFrac: mjd - Math.floor(mjd),
    scale,
  });
  if (header.has('MJDREFI')) {
    return {
      mjdRefInt: header.getNumber('MJDREFI') ?? 0,
      mjdRefFrac: (header.getNumber('MJDREFF') ?? 0) + shift,
      scale,
    };
  }
  const mjdRef = header.getNumber('MJDREF');
  if (mjdRef !== undefined) return split(mjdRef + shift);
  const dateRef = header.getString('DATEREF');
  if (dateRef !== undefined) {
    const mjd = mjdOfIso(dateRef);
    if (mjd === undefined)
      throw new GadfError(`DATEREF '${dateRef}' is not an ISO-8601 date (YYYY-MM-DDThh:mm:ss)`);
    return split(mjd + shift);
  }
  return fallback;
}
