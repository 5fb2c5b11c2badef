/**
 * Sky positions as people type them: decimal degrees, sexagesimal (05 34 31.9 +22 00 52,
 * 05:34:31.9 +22:00:52, 5h34m31.9s +22d00m52s), in ICRS or Galactic (l, b).
 */
export interface SkyPosition {
  readonly ra: number;
  readonly dec: number;
}

const RAD = Math.PI / 180;

// ICRS -> Galactic rotation (Hipparcos, ESA 1997, vol. 1 §1.5.3).
const TO_GALACTIC = [
  [-0.0548755604162154, -0.873437090234885, -0.483835015548713],
  [0.4941094278755837, -0.4448296299600112, 0.746982244497219],
  [-0.8676661490190047, -0.1980763734312015, 0.4559837761750669],
] as const;

function unit(lon: number, lat: number): [number, number, number] {
  return [
    Math.cos(lat * RAD) * Math.cos(lon * RAD),
    Math.cos(lat * RAD) * Math.sin(lon * RAD),
    Math.sin(lat * RAD),
  ];
}

function angles([x, y, z]: readonly number[]): [number, number] {
  const lon = Math.atan2(y!, x!) / RAD;
  return [(lon + 360) % 360, Math.asin(Math.max(-1, Math.min(1, z!))) / RAD];
}

export function galacticOf({ ra, dec }: SkyPosition): { l: number; b: number } {
  const v = unit(ra, dec);
  const [l, b] = angles(TO_GALACTIC.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]));
  return { l, b };
}

export function icrsOfGalactic(l: number, b: number): SkyPosition {
  const v = unit(l, b);
  const [ra, dec] = angles(
    [0, 1, 2].map(
      (j) => TO_GALACTIC[0][j]! * v[0] + TO_GALACTIC[1][j]! * v[1] + TO_GALACTIC[2][j]! * v[2],
    ),
  );
  return { ra, dec };
}

/** Angular distance in degrees. */
export function separation(a: SkyPosition, b: SkyPosition): number {
  const s =
    Math.sin(((b.dec - a.dec) * RAD) / 2) ** 2 +
    Math.cos(a.dec * RAD) * Math.cos(b.dec * RAD) * Math.sin(((b.ra - a.ra) * RAD) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s)))) / RAD;
}

/** The point at `distance` degrees from `from` towards position angle `bearing` (deg, east of north). */
export function offset(from: SkyPosition, distance: number, bearing: number): SkyPosition {
  const d = distance * RAD;
  const t = bearing * RAD;
  const dec0 = from.dec * RAD;
  const dec = Math.asin(Math.sin(dec0) * Math.cos(d) + Math.cos(dec0) * Math.sin(d) * Math.cos(t));
  const ra =
    from.ra * RAD +
    Math.atan2(
      Math.sin(t) * Math.sin(d) * Math.cos(dec0),
      Math.cos(d) - Math.sin(dec0) * Math.sin(dec),
    );
  return { ra: (((ra / RAD) % 360) + 360) % 360, dec: dec / RAD };
}

/** Splits "a, b" or "a b" or "h m s d m s" into the two coordinates' texts. */
function splitPair(text: string): [string, string] | undefined {
  const trimmed = text.trim();
  if (trimmed.includes(',')) {
    const parts = trimmed.split(',').map((s) => s.trim());
    return parts.length === 2 ? [parts[0]!, parts[1]!] : undefined;
  }
  const tokens = trimmed.split(/\s+/);
  if (tokens.length === 2) return [tokens[0]!, tokens[1]!];
  if (tokens.length === 6) return [tokens.slice(0, 3).join(' '), tokens.slice(3).join(' ')];
  if (tokens.length === 4) return [tokens.slice(0, 2).join(' '), tokens.slice(2).join(' ')];
  return undefined;
}

/** Degrees from "12.5", "12 30 00", "12:30:00", "12h30m00s", "-05d30m"; `hours` multiplies by 15. */
function parseAngle(text: string, hours: boolean, what: string): number {
  const t = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) && !hours) return Number(t);
  const m =
    /^([+-])?\s*(\d+(?:\.\d*)?)\s*[hd°:\s]\s*(?:(\d+(?:\.\d*)?)\s*[m':\s]?\s*(?:(\d+(?:\.\d*)?)\s*[s"]?)?)?$/i.exec(
      t,
    );
  if (!m)
    throw new Error(`${what} '${text}' is not an angle (e.g. 83.633, 05 34 31.9 or 05:34:31.9)`);
  const value = Number(m[2]) + Number(m[3] ?? 0) / 60 + Number(m[4] ?? 0) / 3600;
  if (Number(m[3] ?? 0) >= 60 || Number(m[4] ?? 0) >= 60) {
    throw new Error(`${what} '${text}': minutes and seconds must be below 60`);
  }
  return (m[1] === '-' ? -1 : 1) * value * (hours ? 15 : 1);
}

const sexagesimal = (text: string): boolean => /[:hms]|\d\s+\d/i.test(text.trim());

export type Frame = 'icrs' | 'galactic';

/** The ICRS position of what the user typed, in the frame chosen. */
export function parsePosition(text: string, frame: Frame = 'icrs'): SkyPosition {
  const pair = splitPair(text);
  if (!pair) {
    throw new Error(
      frame === 'icrs'
        ? `position '${text}' is not 'RA, Dec' (e.g. 83.633, 22.014 or 05 34 31.9 +22 00 52)`
        : `position '${text}' is not 'l, b' in degrees (e.g. 184.557, -5.784)`,
    );
  }
  if (frame === 'galactic') {
    const l = parseAngle(pair[0], false, 'l');
    const b = parseAngle(pair[1], false, 'b');
    if (b < -90 || b > 90) throw new Error(`b = ${b} is outside -90..90`);
    return icrsOfGalactic(((l % 360) + 360) % 360, b);
  }
  const ra = parseAngle(pair[0], sexagesimal(pair[0]), 'RA');
  const dec = parseAngle(pair[1], false, 'Dec');
  if (ra < 0 || ra >= 360) throw new Error(`RA = ${ra} is outside 0..360 degrees`);
  if (dec < -90 || dec > 90) throw new Error(`Dec = ${dec} is outside -90..90 degrees`);
  return { ra, dec };
}

function sexa(value: number, hours: boolean): string {
  const sign = value < 0 ? '-' : hours ? '' : '+';
  let rest = Math.abs(value) / (hours ? 15 : 1);
  const d = Math.floor(rest);
  rest = (rest - d) * 60;
  const m = Math.floor(rest);
  const s = (rest - m) * 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${sign}${pad(d)}:${pad(m)}:${s.toFixed(hours ? 2 : 1).padStart(hours ? 5 : 4, '0')}`;
}

export const formatSexagesimal = ({ ra, dec }: SkyPosition): string =>
  `${sexa(ra, true)} ${sexa(dec, false)}`;
