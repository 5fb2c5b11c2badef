/**
 * The parameters of a SODA {sync} cutout (SODA 1.0 §3, DALI 1.1 §3): names in any
 * case, an empty value the same as none (but an empty CIRCLE, POLYGON or POS is an
 * error: a cutout silently widened to the whole dataset), unknown names ignored. ID, CIRCLE, POLYGON,
 * POS, TIME, BAND and ENERGY take one value each (a repeat of the same value is
 * harmless); EVENT_TYPE may be repeated and keeps the events of any of the types.
 * Spatial parameters given together all apply (the cutout is their intersection), and
 * so do BAND and ENERGY.
 */
import { SodaError, usageError } from './errors.js';
import { polygonFitsHemisphere, type SkyRegion } from './regions.js';

/** A closed interval; open ends are -Infinity / +Infinity (DALI -Inf, +Inf). */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

export interface CutoutRequest {
  /** The obs_publisher_did of the dataset. */
  readonly id: string;
  /** Every region must hold an event for it to be kept. */
  readonly regions: readonly SkyRegion[];
  /** MJD (UTC). */
  readonly time?: Interval;
  /** Reconstructed energy in TeV: BAND (wavelengths, converted) and ENERGY together. */
  readonly energy?: Interval;
  /** EVENT_TYPE values to keep (any of them). */
  readonly eventTypes?: readonly number[];
  /** The cutout parameters as given (name upper case), for the record in the file. */
  readonly given: readonly (readonly [string, string])[];
}

/** Planck constant times the speed of light, eV m (CODATA 2018, exact). */
export const HC_EV_M = 1.239841984332e-6;
const EV_PER_TEV = 1e12;

const SINGLE_VALUED = [
  'ID',
  'CIRCLE',
  'POLYGON',
  'POS',
  'TIME',
  'BAND',
  'ENERGY',
  'RESPONSEFORMAT',
];
const MULTI_VALUED = ['EVENT_TYPE'];
const FITS_FORMATS = new Set(['fits', 'application/fits', 'image/fits']);

/** A DALI double: decimal or exponent notation, or (where open ends are allowed) ±Inf. */
function parseDouble(text: string, param: string, allowInfinite: boolean): number {
  const t = text.trim();
  if (allowInfinite) {
    if (/^\+?inf(inity)?$/i.test(t)) return Infinity;
    if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    throw usageError(`${param}: '${t}' is not a number`);
  }
  return Number(t);
}

function numbers(value: string, param: string, allowInfinite = false): number[] {
  const words = value
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  return words.map((w) => parseDouble(w, param, allowInfinite));
}

function checkLatitude(dec: number, param: string): void {
  if (dec < -90 || dec > 90) throw usageError(`${param}: latitude ${dec} is outside [-90, 90]`);
}

function checkLongitude(ra: number, param: string): number {
  if (ra < -360 || ra > 720) throw usageError(`${param}: longitude ${ra} is outside [0, 360]`);
  return ra;
}

const wrap = (ra: number): number => (ra >= 0 && ra < 360 ? ra : ((ra % 360) + 360) % 360);

export function parseCircle(value: string, param = 'CIRCLE'): SkyRegion {
  const v = numbers(value, param);
  if (v.length !== 3) {
    throw usageError(`${param} takes 3 numbers (ra dec radius, deg), not ${v.length}`);
  }
  const [ra, dec, radius] = v as [number, number, number];
  checkLongitude(ra, param);
  checkLatitude(dec, param);
  if (!(radius > 0 && radius <= 180)) {
    throw usageError(`${param}: radius ${radius} is outside (0, 180] deg`);
  }
  return { kind: 'circle', ra: wrap(ra), dec, radius };
}

export function parsePolygon(value: string, param = 'POLYGON'): SkyRegion {
  const v = numbers(value, param);
  if (v.length < 6 || v.length % 2 !== 0) {
    throw usageError(
      `${param} takes at least 3 (ra, dec) pairs of numbers (deg), not ${v.length} numbers`,
    );
  }
  const vertices: [number, number][] = [];
  for (let i = 0; i < v.length; i += 2) {
    checkLongitude(v[i]!, param);
    checkLatitude(v[i + 1]!, param);
    vertices.push([wrap(v[i]!), v[i + 1]!]);
  }
  if (!polygonFitsHemisphere(vertices)) {
    throw usageError(`${param}: the polygon does not fit in a hemisphere`);
  }
  return { kind: 'polygon', vertices };
}

function parseRange(value: string): SkyRegion {
  const v = numbers(value, 'POS RANGE', true);
  if (v.length !== 4) {
    throw usageError(`POS RANGE takes 4 numbers (ra1 ra2 dec1 dec2, deg), not ${v.length}`);
  }
  let [raMin, raMax] = v as [number, number];
  const decMin = Math.max(v[2]!, -90);
  const decMax = Math.min(v[3]!, 90);
  if (Number.isNaN(raMin) || raMin > raMax || decMin > decMax) {
    throw usageError(`POS RANGE ${value.trim()}: each lower bound must not exceed its upper bound`);
  }
  if (raMax - raMin >= 360) [raMin, raMax] = [0, 360];
  else {
    checkLongitude(raMin, 'POS RANGE');
    checkLongitude(raMax, 'POS RANGE');
    // Bounds beyond [0, 360] wrap: RANGE -10 10 ... is 350 to 10 through 0.
    if (raMin < 0 || raMin > 360) raMin = wrap(raMin);
    if (raMax < 0 || raMax > 360) raMax = wrap(raMax);
  }
  if (decMin > 90 || decMax < -90) throw usageError(`POS RANGE: latitudes outside [-90, 90]`);
  return { kind: 'range', raMin, raMax, decMin, decMax };
}

/** A POS value: CIRCLE, RANGE or POLYGON followed by its numbers (SODA 1.0 §3.3.1). */
export function parsePos(value: string): SkyRegion {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(value);
  const shape = match?.[1]?.toUpperCase();
  const rest = match?.[2] ?? '';
  if (shape === 'CIRCLE') return parseCircle(rest, 'POS CIRCLE');
  if (shape === 'POLYGON') return parsePolygon(rest, 'POS POLYGON');
  if (shape === 'RANGE') return parseRange(rest);
  throw usageError(`POS '${value.trim()}' does not start with CIRCLE, RANGE or POLYGON`);
}

/** A DALI interval "lo hi" with open ends as -Inf/+Inf. */
export function parseInterval(value: string, param: string): Interval {
  const v = numbers(value, param, true);
  if (v.length !== 2)
    throw usageError(`${param} takes an interval of 2 numbers (lo hi), not ${v.length}`);
  const [lo, hi] = v as [number, number];
  if (lo > hi) throw usageError(`${param}: the lower bound ${lo} exceeds the upper bound ${hi}`);
  if (lo === Infinity || hi === -Infinity) throw usageError(`${param}: the interval is empty`);
  return { lo, hi };
}

/** Wavelengths in metres to energies in TeV: the shortest wavelength is the highest energy. */
export function bandToEnergy(band: Interval): Interval {
  if (band.hi <= 0) throw usageError(`BAND: wavelengths must be positive (metres), not ${band.hi}`);
  const teV = (metres: number): number => HC_EV_M / metres / EV_PER_TEV;
  return {
    lo: band.hi === Infinity ? 0 : teV(band.hi),
    hi: band.lo <= 0 ? Infinity : teV(band.lo),
  };
}

/** Energy in TeV to a wavelength in metres. */
export function wavelengthOf(teV: number): number {
  return HC_EV_M / (teV * EV_PER_TEV);
}

export function intersect(a: Interval, b: Interval): Interval | undefined {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : undefined;
}

function parseEventType(value: string): number {
  const t = value.trim();
  if (!/^\d{1,9}$/.test(t)) throw usageError(`EVENT_TYPE '${t}' is not a non-negative integer`);
  return Number(t);
}

/** Spatial parameters: given empty, they would widen the cutout to the whole dataset. */
const SHAPES = new Set(['CIRCLE', 'POLYGON', 'POS']);

/** Reads the cutout parameters; throws SodaError (UsageError or MultiValuedParamNotSupported). */
export function cutoutRequest(params: Iterable<readonly [string, string]>): CutoutRequest {
  const values = new Map<string, string[]>();
  for (const [name, value] of params) {
    const key = name.toUpperCase();
    if (!SINGLE_VALUED.includes(key) && !MULTI_VALUED.includes(key)) continue;
    if (value.trim() === '' && SHAPES.has(key)) {
      throw usageError(`${key} is empty: give its shape's numbers, or leave ${key} out`);
    }
    if (value.trim() === '') continue;
    const list = values.get(key) ?? [];
    if (!list.includes(value)) list.push(value);
    values.set(key, list);
  }
  for (const key of SINGLE_VALUED) {
    if ((values.get(key)?.length ?? 0) > 1) {
      throw new SodaError(
        'MultiValuedParamNotSupported',
        `${key} was given ${values.get(key)!.length} different values; this service makes one cutout per request, ask once per value`,
      );
    }
  }
  const one = (key: string): string | undefined => values.get(key)?.[0];
  const format = one('RESPONSEFORMAT');
  if (format !== undefined && !FITS_FORMATS.has(format.split(';')[0]!.trim().toLowerCase())) {
    throw usageError(
      `RESPONSEFORMAT '${format}' is not offered; cutouts are FITS (application/fits)`,
    );
  }
  const id = one('ID');
  if (id === undefined) throw usageError('the ID parameter (a dataset identifier) is required');

  const regions: SkyRegion[] = [];
  const circle = one('CIRCLE');
  if (circle !== undefined) regions.push(parseCircle(circle));
  const polygon = one('POLYGON');
  if (polygon !== undefined) regions.push(parsePolygon(polygon));
  const pos = one('POS');
  if (pos !== undefined) regions.push(parsePos(pos));

  const timeText = one('TIME');
  const time = timeText === undefined ? undefined : parseInterval(timeText, 'TIME');

  const bandText = one('BAND');
  const band = bandText === undefined ? undefined : bandToEnergy(parseInterval(bandText, 'BAND'));
  const energyText = one('ENERGY');
  const energyGiven = energyText === undefined ? undefined : parseInterval(energyText, 'ENERGY');
  if (energyGiven && (energyGiven.hi <= 0 || (energyGiven.lo < 0 && energyGiven.lo > -Infinity))) {
    const bad = energyGiven.hi <= 0 ? energyGiven.hi : energyGiven.lo;
    throw usageError(`ENERGY: energies must be positive (TeV), not ${bad}`);
  }
  let energy = band ?? energyGiven;
  if (band && energyGiven) {
    energy = intersect(band, energyGiven);
    if (!energy) {
      throw usageError(
        `BAND ${bandText!.trim()} (m) and ENERGY ${energyText!.trim()} (TeV) do not overlap`,
      );
    }
  }
  const eventTypes = values.get('EVENT_TYPE')?.map(parseEventType);

  const given: [string, string][] = [];
  for (const key of ['ID', 'CIRCLE', 'POLYGON', 'POS', 'TIME', 'BAND', 'ENERGY', 'EVENT_TYPE']) {
    for (const value of values.get(key) ?? []) given.push([key, value.trim()]);
  }
  return {
    id,
    regions,
    ...(time ? { time } : {}),
    ...(energy ? { energy } : {}),
    ...(eventTypes ? { eventTypes } : {}),
    given,
  };
}
