/**
 * OFF regions around a pointing, as gammapy 1.0 places them (makers/background/reflected.py):
 * a reference TAN grid of 0.01° pixels centred on the pointing, 4 × the ON offset + 0.3°
 * wide; the ON region rotated about the pointing in that grid's pixels. For a circle
 * (ReflectedRegionsFinder): the step is the ON region's angular size seen from the pointing
 * (its pixels' extent), starting that step plus 0.1 rad away, up to a full turn less the
 * step and 0.1 rad. For a point whose size comes from RAD_MAX (WobbleRegionsFinder): n
 * positions evenly around, none at all when two regions of radius RAD_MAX could overlap in
 * the energy range. No exclusion mask: known sources other than the target are not masked.
 */
import type { IrfTable } from '../gadf/index.js';
import { separation } from './sky.js';
import { SkyGrid } from './wcs.js';

const BINSZ = 0.01;
const ONE_ARCSEC = 1 / 3600;
const MIN_DISTANCE_INPUT = 0.1;
const FULL_CIRCLE = 2 * Math.PI;

/** A direction on the sky, ICRS deg. */
export type Direction = readonly [ra: number, dec: number];

/** The reference grid of the finders: TAN on the pointing, wide enough for every rotated region. */
function referenceGrid(pointing: Direction, on: Direction): SkyGrid {
  const width = 4 * separation(on[0], on[1], pointing[0], pointing[1]) + 0.3;
  return new SkyGrid({
    lon: pointing[0],
    lat: pointing[1],
    width: [width, width],
    binsz: BINSZ,
    proj: 'TAN',
    frame: 'icrs',
  });
}

/** regions' PixCoord.rotate: counter-clockwise by `angle` (rad) about `centre`. */
function rotate(
  [x, y]: readonly [number, number],
  [cx, cy]: readonly [number, number],
  angle: number,
): [number, number] {
  const dx = x - cx;
  const dy = y - cy;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [cx + c * dx - s * dy, cy + s * dx + c * dy];
}

/** Circular OFF regions: their centres, and which events fall in one (in the reference grid's pixels). */
export class ReflectedCircles {
  private readonly pixels: readonly (readonly [number, number])[];

  constructor(
    private readonly grid: SkyGrid,
    pixels: readonly (readonly [number, number])[],
    /** The radius in the reference grid's pixels, as regions converts a sky radius there. */
    private readonly radiusPixels: number,
  ) {
    this.pixels = pixels;
  }

  get count(): number {
    return this.pixels.length;
  }

  get centres(): Direction[] {
    return this.pixels.map(([x, y]) => this.grid.pixToWorld(x, y));
  }

  contains(ra: number, dec: number): boolean {
    const [x, y] = this.grid.worldToPix(ra, dec);
    return this.pixels.some(([ox, oy]) => Math.hypot(x - ox, y - oy) < this.radiusPixels);
  }
}

/** ReflectedRegionsFinder (default settings) for a circle of `radius` (deg) centred on `on`. */
export function reflectedCircles(
  pointing: Direction,
  on: Direction,
  radius: number,
): ReflectedCircles {
  const grid = referenceGrid(pointing, on);
  const centre = grid.worldToPix(pointing[0], pointing[1]);
  const onPixel = grid.worldToPix(on[0], on[1]);
  // regions' pixel scale: the pixels a 1″ step north spans.
  const north = grid.worldToPix(on[0], on[1] + ONE_ARCSEC);
  const radiusPixels = radius * 3600 * Math.hypot(north[0] - onPixel[0], north[1] - onPixel[1]);
  const angles: number[] = [];
  const lo = (v: number) => Math.max(0, Math.floor(v - radiusPixels));
  for (let iy = lo(onPixel[1]); iy < Math.min(grid.ny, onPixel[1] + radiusPixels + 1); iy++) {
    for (let ix = lo(onPixel[0]); ix < Math.min(grid.nx, onPixel[0] + radiusPixels + 1); ix++) {
      if (Math.hypot(ix - onPixel[0], iy - onPixel[1]) < radiusPixels) {
        angles.push(Math.atan2(centre[0] - ix, centre[1] - iy));
      }
    }
  }
  if (angles.length === 0) return new ReflectedCircles(grid, [], radiusPixels);
  let size = Math.max(...angles) - Math.min(...angles);
  if (size > Math.PI) {
    const wrapped = angles.map((a) => (a >= 0 ? a - FULL_CIRCLE : a));
    size = Math.max(...wrapped) - Math.min(...wrapped);
  }
  const angleMax = FULL_CIRCLE - size - MIN_DISTANCE_INPUT;
  const pixels: [number, number][] = [];
  // A zero-size step would never end: no region fits then.
  for (let angle = size + MIN_DISTANCE_INPUT; size > 0 && angle < angleMax; angle += size) {
    pixels.push(rotate(onPixel, centre, angle));
  }
  return new ReflectedCircles(grid, pixels, radiusPixels);
}

/** WobbleRegionsFinder's positions: `n` rotations of `on` about the pointing by a (n + 1)th of a turn each. */
function wobblePositions(pointing: Direction, on: Direction, n: number): Direction[] {
  const grid = referenceGrid(pointing, on);
  const centre = grid.worldToPix(pointing[0], pointing[1]);
  const onPixel = grid.worldToPix(on[0], on[1]);
  return Array.from({ length: n }, (_, k) => {
    const [x, y] = rotate(onPixel, centre, ((k + 1) * FULL_CIRCLE) / (n + 1));
    return grid.pixToWorld(x, y);
  });
}

/**
 * The directional cut of a point-like IRF (RAD_MAX_2D), as gammapy evaluates it for
 * event selection: the nearest node on the log-energy axis (ties to the lower), the
 * offset axis likewise, zero outside either axis's edges.
 */
export class RadMax {
  constructor(readonly table: IrfTable) {}

  private static nearest(centres: Float64Array, v: number, log: boolean): number {
    const scale = log ? Math.log : (x: number) => x;
    const x = scale(v);
    if (centres.length === 1) return 0;
    let i = 0;
    while (i < centres.length - 2 && scale(centres[i + 1]!) <= x) i++;
    const a = scale(centres[i]!);
    const b = scale(centres[i + 1]!);
    return (x - a) / (b - a) <= 0.5 ? i : i + 1;
  }

  /** RAD_MAX (deg) at reconstructed energy `energy` (TeV) and offset (deg). */
  at(energy: number, offset: number): number {
    const [energyAxis, offsetAxis] = this.table.axes as readonly [
      IrfTable['axes'][0],
      IrfTable['axes'][0],
    ];
    const inside = (edges: Float64Array, v: number) =>
      v >= edges[0]! && v <= edges[edges.length - 1]!;
    if (!inside(energyAxis.edges, energy) || !inside(offsetAxis.edges, offset)) return 0;
    const e = RadMax.nearest(energyAxis.centres, energy, true);
    const o = RadMax.nearest(offsetAxis.centres, offset, false);
    return this.table.data[e * offsetAxis.centres.length + o]!;
  }

  /**
   * The largest cut at `offset` over the nodes whose bins meet [eMin, eMax] (gammapy's
   * overlap test of point regions, evaluated at the energy nodes).
   */
  largest(offset: number, eMin: number, eMax: number): number {
    const energyAxis = this.table.axes[0]!;
    let out = 0;
    energyAxis.centres.forEach((centre, k) => {
      if (energyAxis.edges[k + 1]! >= eMin && energyAxis.edges[k]! <= eMax) {
        out = Math.max(out, this.at(centre, offset));
      }
    });
    return out;
  }
}

/** Whether circles of radius `radius` (deg) around any two of `centres` would overlap. */
function anyOverlap(centres: readonly Direction[], radius: number): boolean {
  return centres.some((a, i) =>
    centres.slice(i + 1).some((b) => separation(a[0], a[1], b[0], b[1]) < 2 * radius),
  );
}

/**
 * The OFF positions of a point-like ON region `on`: `n` wobble positions around the
 * pointing, or none when the RAD_MAX circles of any two of them and `on` could overlap
 * over reconstructed energies [eMin, eMax] (TeV), as gammapy drops them then.
 */
export function wobbleOffRegions(
  pointing: Direction,
  on: Direction,
  n: number,
  radMax: RadMax,
  [eMin, eMax]: readonly [number, number],
): Direction[] {
  const positions = wobblePositions(pointing, on, n);
  const offset = separation(on[0], on[1], pointing[0], pointing[1]);
  return anyOverlap([on, ...positions], radMax.largest(offset, eMin, eMax)) ? [] : positions;
}
