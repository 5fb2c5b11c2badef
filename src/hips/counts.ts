/**
 * Event counts on the HEALPix cells of a HiPS's deepest tiles, kept per tile that
 * holds an event (memory grows with the sky covered, not with the number of events),
 * summed into the tiles of lower orders, and smoothed for the pictures.
 */
import { healpixNestedIndex } from '../adql/index.js';
import { offsetToXy, pngPixelOfOffset, TILE_SHIFT, TILE_WIDTH, xyToOffset } from './tiles.js';

const PIXELS = TILE_WIDTH * TILE_WIDTH;

/** Counts per cell of the deepest tiles: pixels in PNG order (row = x, column = y). */
export class CountsSky {
  /** Tile index at `order` -> counts of its cells. */
  readonly tiles = new Map<number, Uint32Array>();
  /** Events counted in each cell of order 8 (about 0.23 deg): the coverage. */
  readonly coverage = new Set<number>();
  total = 0;
  private readonly pixelOrder: number;

  constructor(readonly order: number) {
    if (!Number.isInteger(order) || order < 0 || order > 6) {
      throw new RangeError(`the HiPS order must be an integer from 0 to 6, not ${order}`);
    }
    this.pixelOrder = order + TILE_SHIFT;
  }

  /** Counts one event at (ra, dec) in degrees. */
  add(ra: number, dec: number): void {
    const cell = healpixNestedIndex(this.pixelOrder, ra, dec);
    const tile = Math.floor(cell / PIXELS);
    const offset = cell - tile * PIXELS;
    let counts = this.tiles.get(tile);
    if (counts === undefined) {
      counts = new Uint32Array(PIXELS);
      this.tiles.set(tile, counts);
    }
    counts[pngPixelOfOffset(offset)]! += 1;
    this.coverage.add(Math.floor(cell / 4 ** (this.pixelOrder - 8)));
    this.total++;
  }
}

/** The tile of `order - 1` holding a tile, and which quarter of it (PNG row, column). */
function parentQuarter(npix: number): { parent: number; row: number; column: number } {
  // Child c of a parent is its (x, y) = (c & 1, c >> 1) quarter: x down the rows.
  const child = npix & 3;
  return { parent: npix >>> 2, row: child & 1, column: child >> 1 };
}

/**
 * The tiles of the order below: each pixel the sum (`mode` 'sum') or the mean ('mean')
 * of the 2x2 pixels of the same cell one order deeper.
 */
export function parentTiles(
  tiles: ReadonlyMap<number, Float32Array | Uint32Array>,
  mode: 'sum' | 'mean',
): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  const half = TILE_WIDTH / 2;
  const factor = mode === 'mean' ? 0.25 : 1;
  for (const [npix, child] of tiles) {
    const { parent, row, column } = parentQuarter(npix);
    let target = out.get(parent);
    if (target === undefined) {
      target = new Float32Array(PIXELS);
      out.set(parent, target);
    }
    for (let r = 0; r < half; r++) {
      const into = (row * half + r) * TILE_WIDTH + column * half;
      const from = 2 * r * TILE_WIDTH;
      for (let c = 0; c < half; c++) {
        const a = from + 2 * c;
        target[into + c]! +=
          (child[a]! + child[a + 1]! + child[a + TILE_WIDTH]! + child[a + TILE_WIDTH + 1]!) *
          factor;
      }
    }
  }
  return out;
}

/** A normalised Gaussian kernel of `sigma` pixels, cut at 3 sigma. */
function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = w;
    sum += w;
  }
  return kernel.map((w) => w / sum);
}

/**
 * Tiles smoothed with a Gaussian of `sigma` pixels. Neighbouring tiles of the same
 * base face contribute across tile edges; at the edges of the twelve base faces the
 * kernel is cut (a picture, not a measurement: the FITS tiles keep the counts).
 */
export function smoothTiles(
  tiles: ReadonlyMap<number, Uint32Array>,
  order: number,
  sigma: number,
): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  if (!(sigma > 0)) {
    for (const [npix, counts] of tiles) out.set(npix, Float32Array.from(counts));
    return out;
  }
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const perFace = 4 ** order;
  const side = 2 ** order;
  const padded = TILE_WIDTH + 2 * radius;
  const source = new Float32Array(padded * padded);
  const rows = new Float32Array(padded * TILE_WIDTH);
  for (const npix of tiles.keys()) {
    const face = Math.floor(npix / perFace);
    const [tx, ty] = offsetToXy(npix - face * perFace);
    // The padded block of counts around the tile, from the tiles of the same face.
    source.fill(0);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const [nx, ny] = [tx + dx, ty + dy];
        if (nx < 0 || ny < 0 || nx >= side || ny >= side) continue;
        const neighbour = tiles.get(face * perFace + xyToOffset(nx, ny));
        if (neighbour === undefined) continue;
        // Rows (x) and columns (y) of the neighbour that fall in the padded block.
        const rowFrom = dx === -1 ? TILE_WIDTH - radius : 0;
        const rowTo = dx === 1 ? radius : TILE_WIDTH;
        const colFrom = dy === -1 ? TILE_WIDTH - radius : 0;
        const colTo = dy === 1 ? radius : TILE_WIDTH;
        for (let r = rowFrom; r < rowTo; r++) {
          const pr = r + radius + dx * TILE_WIDTH;
          for (let c = colFrom; c < colTo; c++) {
            const v = neighbour[r * TILE_WIDTH + c]!;
            if (v !== 0) source[pr * padded + c + radius + dy * TILE_WIDTH] = v;
          }
        }
      }
    }
    let nonZero = 0;
    for (let i = 0; i < source.length; i++) if (source[i] !== 0) nonZero++;
    const smoothed =
      nonZero * kernel.length < 2 * padded * TILE_WIDTH
        ? scatter(source, padded, kernel)
        : convolve(source, padded, kernel, rows);
    out.set(npix, smoothed);
  }
  return out;
}

/** Smoothing of a sparse block: each counted cell spreads its kernel (few events). */
function scatter(source: Float32Array, padded: number, kernel: Float32Array): Float32Array {
  const out = new Float32Array(PIXELS);
  const span = kernel.length;
  for (let pr = 0; pr < padded; pr++) {
    for (let pc = 0; pc < padded; pc++) {
      const v = source[pr * padded + pc]!;
      if (v === 0) continue;
      // Output (r, c) reads source (r + k, c + l) with weight kernel[k] * kernel[l].
      for (let k = 0; k < span; k++) {
        const r = pr - k;
        if (r < 0 || r >= TILE_WIDTH) continue;
        const w = v * kernel[k]!;
        for (let l = 0; l < span; l++) {
          const c = pc - l;
          if (c >= 0 && c < TILE_WIDTH) out[r * TILE_WIDTH + c]! += w * kernel[l]!;
        }
      }
    }
  }
  return out;
}

/** Separable smoothing of a dense block: along the columns (y), then along the rows (x). */
function convolve(
  source: Float32Array,
  padded: number,
  kernel: Float32Array,
  rows: Float32Array,
): Float32Array {
  for (let pr = 0; pr < padded; pr++) {
    const base = pr * padded;
    for (let c = 0; c < TILE_WIDTH; c++) {
      let sum = 0;
      for (let k = 0; k < kernel.length; k++) sum += kernel[k]! * source[base + c + k]!;
      rows[pr * TILE_WIDTH + c] = sum;
    }
  }
  const out = new Float32Array(PIXELS);
  for (let r = 0; r < TILE_WIDTH; r++) {
    for (let c = 0; c < TILE_WIDTH; c++) {
      let sum = 0;
      for (let k = 0; k < kernel.length; k++) sum += kernel[k]! * rows[(r + k) * TILE_WIDTH + c]!;
      out[r * TILE_WIDTH + c] = sum;
    }
  }
  return out;
}
