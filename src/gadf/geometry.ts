/** Small spherical-astronomy helpers for describing observations. */

const DEG = Math.PI / 180;

/** Great-circle distance in degrees between two (ra, dec) positions in degrees. */
export function angularSeparation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const sdDec = Math.sin(((dec2 - dec1) * DEG) / 2);
  const sdRa = Math.sin(((ra2 - ra1) * DEG) / 2);
  const h = sdDec * sdDec + Math.cos(dec1 * DEG) * Math.cos(dec2 * DEG) * sdRa * sdRa;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / DEG;
}

/** The point at angular distance `radius` (deg) from (ra, dec) towards position angle `pa` (deg, east of north). */
export function offsetPosition(
  ra: number,
  dec: number,
  radius: number,
  pa: number,
): [number, number] {
  const d = radius * DEG;
  const p = pa * DEG;
  const dec0 = dec * DEG;
  const sinDec = Math.sin(dec0) * Math.cos(d) + Math.cos(dec0) * Math.sin(d) * Math.cos(p);
  const dec1 = Math.asin(Math.max(-1, Math.min(1, sinDec)));
  const y = Math.sin(p) * Math.sin(d) * Math.cos(dec0);
  const x = Math.cos(d) - Math.sin(dec0) * sinDec;
  const ra1 = ra * DEG + Math.atan2(y, x);
  return [(((ra1 / DEG) % 360) + 360) % 360, dec1 / DEG];
}

/**
 * A polygon (DALI [ra1, dec1, ...], counter-clockwise on the sky) with `vertices`
 * corners that encloses the circle of `radius` deg around (ra, dec).
 */
export function circleToPolygon(ra: number, dec: number, radius: number, vertices = 16): number[] {
  const enclosing = radius / Math.cos(Math.PI / vertices);
  const out: number[] = [];
  for (let i = 0; i < vertices; i++) {
    // Position angle grows east of north: on the sky (east to the left) that is counter-clockwise.
    const [r, d] = offsetPosition(ra, dec, enclosing, (360 * i) / vertices);
    out.push(r, d);
  }
  return out;
}

/** Greenwich mean sidereal time in degrees for an MJD (UT1 ≈ UTC). */
function gmstDegrees(mjdUtc: number): number {
  const d = mjdUtc - 51544.5;
  const gmst = 280.46061837 + 360.98564736629 * d;
  return ((gmst % 360) + 360) % 360;
}

/**
 * Horizontal coordinates (alt, az in degrees, azimuth from north through east) of
 * (ra, dec) seen from (lon, lat) at the given time; good to about 0.01 deg, enough to
 * describe a pointing when a file does not say it (no refraction, no precession).
 */
export function equatorialToHorizontal(
  ra: number,
  dec: number,
  mjdUtc: number,
  lonDeg: number,
  latDeg: number,
): { alt: number; az: number } {
  const ha = (gmstDegrees(mjdUtc) + lonDeg - ra) * DEG;
  const decR = dec * DEG;
  const lat = latDeg * DEG;
  const sinAlt = Math.sin(decR) * Math.sin(lat) + Math.cos(decR) * Math.cos(lat) * Math.cos(ha);
  const alt = Math.asin(Math.max(-1, Math.min(1, sinAlt)));
  const az = Math.atan2(
    -Math.sin(ha) * Math.cos(decR),
    Math.sin(decR) * Math.cos(lat) - Math.cos(decR) * Math.sin(lat) * Math.cos(ha),
  );
  return { alt: alt / DEG, az: (((az / DEG) % 360) + 360) % 360 };
}
