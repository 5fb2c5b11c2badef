/**
 * The gnomonic (TAN) projection of a counts map, as FITS WCS Paper II defines it for
 * CTYPE RA---TAN / DEC--TAN with CRVAL at the reference point, LONPOLE 180 and a
 * CDELT per axis (no rotation). Pixel coordinates are FITS ones: 1-based, pixel
 * centres at integers, so pixel i (0-based) spans [i + 0.5, i + 1.5).
 */

const DEG = Math.PI / 180;

export interface TanGrid {
  /** Reference point (deg): the pointing. */
  readonly crval1: number;
  readonly crval2: number;
  /** FITS pixel coordinates of the reference point. */
  readonly crpix1: number;
  readonly crpix2: number;
  /** Degrees per pixel; cdelt1 < 0 so that RA grows to the left, as on the sky. */
  readonly cdelt1: number;
  readonly cdelt2: number;
  readonly naxis1: number;
  readonly naxis2: number;
}

/** A square grid of `pixels` x `pixels` of `size` deg centred on (ra, dec). */
export function centredGrid(ra: number, dec: number, pixels: number, size: number): TanGrid {
  const centre = (pixels + 1) / 2;
  return {
    crval1: ra,
    crval2: dec,
    crpix1: centre,
    crpix2: centre,
    cdelt1: -size,
    cdelt2: size,
    naxis1: pixels,
    naxis2: pixels,
  };
}

/**
 * Projects (ra, dec) in degrees into FITS pixel coordinates; undefined for points
 * 90° or more from the reference point, which TAN cannot show.
 */
export function worldToPixel(grid: TanGrid, ra: number, dec: number): [number, number] | undefined {
  const a = (ra - grid.crval1) * DEG;
  const d = dec * DEG;
  const d0 = grid.crval2 * DEG;
  const cosC = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a);
  if (!(cosC > 1e-9)) return undefined;
  const x = (Math.cos(d) * Math.sin(a)) / cosC / DEG;
  const y = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a)) / cosC / DEG;
  return [grid.crpix1 + x / grid.cdelt1, grid.crpix2 + y / grid.cdelt2];
}

/** (ra, dec) in degrees, ra in [0, 360), of FITS pixel coordinates (p1, p2). */
export function pixelToWorld(grid: TanGrid, p1: number, p2: number): [number, number] {
  const x = (p1 - grid.crpix1) * grid.cdelt1 * DEG;
  const y = (p2 - grid.crpix2) * grid.cdelt2 * DEG;
  const d0 = grid.crval2 * DEG;
  const rho = Math.hypot(x, y);
  if (rho === 0) return [grid.crval1, grid.crval2];
  const c = Math.atan(rho);
  const dec = Math.asin(Math.cos(c) * Math.sin(d0) + (y * Math.sin(c) * Math.cos(d0)) / rho);
  const ra =
    grid.crval1 * DEG +
    Math.atan2(x * Math.sin(c), rho * Math.cos(d0) * Math.cos(c) - y * Math.sin(d0) * Math.sin(c));
  return [(((ra / DEG) % 360) + 360) % 360, dec / DEG];
}

/** The 0-based pixel (column, row) holding (ra, dec), or undefined outside the grid. */
export function pixelIndex(grid: TanGrid, ra: number, dec: number): [number, number] | undefined {
  const p = worldToPixel(grid, ra, dec);
  if (!p) return undefined;
  const column = Math.floor(p[0] - 0.5);
  const row = Math.floor(p[1] - 0.5);
  if (column < 0 || row < 0 || column >= grid.naxis1 || row >= grid.naxis2) return undefined;
  return [column, row];
}
