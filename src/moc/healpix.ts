/**
 * HEALPix in the nested scheme (Górski et al. 2005, ApJ 622, 759): cell centres and the
 * NUNIQ packing of multi-order maps (uniq = 4·4^order + ipix), for orders 0 to 24 so
 * that every index stays an exact JavaScript number.
 */
export const HEALPIX_MAX_ORDER = 24;

const JRLL = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4] as const;
const JPLL = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7] as const;

const POW4 = Array.from({ length: HEALPIX_MAX_ORDER + 2 }, (_, k) => 4 ** k);
const AREA = POW4.map((p) => (4 * Math.PI) / (12 * p));

/** Solid angle of one cell at `order`, in steradians. */
export function cellArea(order: number): number {
  return AREA[order] ?? (4 * Math.PI) / (12 * 4 ** order);
}

/** (order, ipix) of a NUNIQ value; throws on a value that is not one. */
export function decodeUniq(uniq: number): { order: number; ipix: number } {
  if (!Number.isSafeInteger(uniq) || uniq < 4) {
    throw new RangeError(`${uniq} is not a HEALPix NUNIQ index`);
  }
  // order = floor(log4(uniq / 4)): a first guess from log2, made exact on integers.
  let order = Math.max(0, Math.floor(Math.log2(uniq / 4) / 2));
  while (order > 0 && 4 * (POW4[order] ?? 4 ** order) > uniq) order--;
  while (4 * (POW4[order + 1] ?? 4 ** (order + 1)) <= uniq) order++;
  if (order > HEALPIX_MAX_ORDER) {
    throw new RangeError(`NUNIQ ${uniq} is at order ${order}, deeper than ${HEALPIX_MAX_ORDER}`);
  }
  return { order, ipix: uniq - 4 * (POW4[order] ?? 4 ** order) };
}

export function encodeUniq(order: number, ipix: number): number {
  return 4 * 4 ** order + ipix;
}

/** Every other bit of `value` (bits 0, 2, 4, ...), packed: the x of a nested index. */
function compressBits(value: number, order: number): number {
  if (value < 2 ** 32) {
    // The even bits gathered in five steps (order <= 16 here).
    let bits = value & 0x55555555;
    bits = (bits | (bits >>> 1)) & 0x33333333;
    bits = (bits | (bits >>> 2)) & 0x0f0f0f0f;
    bits = (bits | (bits >>> 4)) & 0x00ff00ff;
    return (bits | (bits >>> 8)) & 0x0000ffff;
  }
  let out = 0;
  for (let bit = 0; bit < order; bit++) {
    // Division, not >>: indices pass 2^32 from order 15 on.
    const pair = Math.floor(value / 4 ** bit) % 4;
    out += (pair & 1) * 2 ** bit;
  }
  return out;
}

/** Unit vector of the centre of nested cell `ipix` at `order`, written into `out` at `at`. */
export function cellCentreVector(order: number, ipix: number, out: Float64Array, at = 0): void {
  const nside = 2 ** order;
  const perFace = nside * nside;
  const face = Math.floor(ipix / perFace);
  const inFace = ipix - face * perFace;
  const ix = compressBits(inFace, order);
  const iy = compressBits(Math.floor(inFace / 2), order);
  const jr = (JRLL[face] as number) * nside - ix - iy - 1;
  let nr: number;
  let z: number;
  if (jr < nside) {
    nr = jr;
    z = 1 - (nr * nr) / (3 * perFace);
  } else if (jr > 3 * nside) {
    nr = 4 * nside - jr;
    z = (nr * nr) / (3 * perFace) - 1;
  } else {
    nr = nside;
    z = ((2 * nside - jr) * 2) / (3 * nside);
  }
  let jp = (JPLL[face] as number) * nr + ix - iy;
  if (jp < 0) jp += 8 * nr;
  const phi = ((Math.PI / 4) * jp) / nr;
  const sinTheta = Math.sqrt(Math.max(0, (1 - z) * (1 + z)));
  out[at] = sinTheta * Math.cos(phi);
  out[at + 1] = sinTheta * Math.sin(phi);
  out[at + 2] = z;
}

/** (ra, dec) in degrees of the centre of nested cell `ipix` at `order`. */
export function cellCentre(order: number, ipix: number): { ra: number; dec: number } {
  const v = new Float64Array(3);
  cellCentreVector(order, ipix, v);
  const ra = (Math.atan2(v[1] as number, v[0] as number) * 180) / Math.PI;
  return {
    ra: ra < 0 ? ra + 360 : ra,
    dec: (Math.asin(Math.max(-1, Math.min(1, v[2] as number))) * 180) / Math.PI,
  };
}

/** An upper bound of the angular distance (radians) from a cell's centre to its corners. */
export function cellRadius(order: number): number {
  // The largest cells (near the poles of the base faces) reach about 1.36 × sqrt(area).
  return 1.5 * Math.sqrt(cellArea(order));
}

/** Unit vector of (ra, dec) in degrees. */
export function unitVector(raDeg: number, decDeg: number): [number, number, number] {
  const ra = (raDeg * Math.PI) / 180;
  const dec = (decDeg * Math.PI) / 180;
  return [Math.cos(dec) * Math.cos(ra), Math.cos(dec) * Math.sin(ra), Math.sin(dec)];
}
