/**
 * HiPS tile geometry (IVOA HiPS 1.0): tile N of order K holds the HEALPix cells of
 * order K + S (tile width 2^S) whose nested indices start at N·4^S. Inside a tile the
 * cell offset interleaves two face coordinates, x on the even bits and y on the odd
 * bits; an image tile puts x down the rows (PNG, top to bottom) and y along the
 * columns, so FITS tiles (rows bottom to top) hold x = width - 1 - row. This is the
 * ordering of the CDS tools and of the `hips` Python package (healpix_to_hips_tile).
 */

/** Tile width as a power of two: 512 pixels, the standard's best practice. */
export const TILE_SHIFT = 9;
export const TILE_WIDTH = 2 ** TILE_SHIFT;

/** Every other bit of `value` packed (bits 0, 2, 4, ... of a 32-bit value). */
function compact(value: number): number {
  let v = value & 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** The bits of `value` (16 at most) spread to the even positions. */
function spread(value: number): number {
  let v = value & 0x0000ffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** (x, y) of a cell offset inside a tile or a face (offset < 2^32). */
export function offsetToXy(offset: number): [number, number] {
  return [compact(offset), compact(offset >>> 1)];
}

/** The cell offset of (x, y) inside a tile or a face (x, y < 2^16). */
export function xyToOffset(x: number, y: number): number {
  return (spread(x) | (spread(y) << 1)) >>> 0;
}

/** Index in a row-major PNG pixel array (rows top to bottom) of the cell offset. */
export function pngPixelOfOffset(offset: number, width = TILE_WIDTH): number {
  const [x, y] = offsetToXy(offset);
  return x * width + y;
}

/** The file of a tile under the HiPS root: NorderK/DirD/NpixN.ext with D = N - N mod 10000. */
export function tilePath(order: number, npix: number, ext: 'png' | 'fits'): string {
  return `Norder${order}/Dir${Math.floor(npix / 10000) * 10000}/Npix${npix}.${ext}`;
}

/** Order and index of a tile path, or undefined when the path does not name a tile. */
export function parseTilePath(
  path: string,
): { order: number; npix: number; ext: 'png' | 'fits' } | undefined {
  const match = /^Norder(\d{1,2})\/Dir(\d{1,12})\/Npix(\d{1,15})\.(png|fits)$/.exec(path);
  if (!match) return undefined;
  const [order, dir, npix] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (npix >= 12 * 4 ** order || dir !== Math.floor(npix / 10000) * 10000) return undefined;
  return { order, npix, ext: match[4] as 'png' | 'fits' };
}

/** Tiles per row of an Allsky mosaic of `order` (floor of the square root of the tile count). */
export function allskyColumns(order: number): number {
  return Math.floor(Math.sqrt(12 * 4 ** order));
}
