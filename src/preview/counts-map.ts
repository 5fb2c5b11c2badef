/**
 * The counts map of an observation, twice: as a PNG for people (square-root colour
 * stretch, RA/Dec grid with labels, colour bar, title) and as a FITS image with its
 * WCS for programs. Both show the same pixels: one map pixel is `scale` x `scale`
 * screen pixels, the bottom map row at the bottom, RA growing to the left.
 */
import { type Card, buildImage, type WritableHdu } from '../fits/index.js';
import { mjdToIso } from '../gadf/index.js';
import type { CountsMap } from './binning.js';
import { inferno } from './colormap.js';
import { type EventListInfo, mjdOf } from './events.js';
import { textWidth } from './font.js';
import { drawTitles, SUBTITLE_COLOR } from './frame.js';
import { observationTitle } from './plots.js';
import { BLACK, Raster, type Rgb } from './raster.js';
import { formatNumber, linearTicks } from './ticks.js';
import { pixelToWorld, type TanGrid, worldToPixel } from './wcs.js';

const MAP_DISPLAY = 480;
const LEFT = 128;
const TOP = 62;
const BOTTOM = 72;
const RIGHT = 150;
const BAR_GAP = 18;
const BAR_WIDTH = 22;
const GRID_LINE: Rgb = [255, 255, 255];
const POINTING: Rgb = [120, 220, 255];
const ANGLE_STEPS = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 45, 90];

export interface Placement {
  readonly grid: TanGrid;
  /** Screen pixels per map pixel. */
  readonly scale: number;
  readonly left: number;
  readonly top: number;
  readonly size: number;
}

/** Screen position of FITS pixel coordinates (p1, p2). */
function screen(place: Placement, p1: number, p2: number): [number, number] {
  return [
    place.left + (p1 - 0.5) * place.scale,
    place.top + (place.grid.naxis2 + 0.5 - p2) * place.scale,
  ];
}

/** The smallest round step whose lines are at least `gap` screen pixels apart. */
function angleStep(pixelsPerDegree: number, gap: number): number {
  return ANGLE_STEPS.find((s) => s * pixelsPerDegree >= gap) ?? 90;
}

/** Decimals that show every multiple of `step` exactly (0.25 needs 2). */
function decimalsOf(step: number): number {
  let decimals = 0;
  while (
    decimals < 3 &&
    Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9
  ) {
    decimals++;
  }
  return decimals;
}

function formatAngle(value: number, step: number, signed: boolean): string {
  const text = value.toFixed(decimalsOf(step));
  const sign = signed && value > 0 ? '+' : '';
  return `${sign}${text}°`;
}

interface WorldRanges {
  /** RA relative to the centre, in (-180, 180]. */
  readonly ra: [number, number];
  readonly dec: [number, number];
  /** How much RA the bottom edge spans, where the RA labels go. */
  readonly bottomRaSpan: number;
}

/** The RA and Dec ranges that the map shows. */
function worldRanges(grid: TanGrid): WorldRanges {
  let raLo = Infinity;
  let raHi = -Infinity;
  let bottomLo = Infinity;
  let bottomHi = -Infinity;
  let decLo = Infinity;
  let decHi = -Infinity;
  const steps = 64;
  for (let k = 0; k <= steps; k++) {
    const f = 0.5 + (k / steps) * grid.naxis1;
    const g = 0.5 + (k / steps) * grid.naxis2;
    for (const [p1, p2] of [
      [f, 0.5],
      [f, grid.naxis2 + 0.5],
      [0.5, g],
      [grid.naxis1 + 0.5, g],
    ] as const) {
      const [ra, dec] = pixelToWorld(grid, p1, p2);
      const relative = ((((ra - grid.crval1 + 180) % 360) + 360) % 360) - 180;
      raLo = Math.min(raLo, relative);
      raHi = Math.max(raHi, relative);
      decLo = Math.min(decLo, dec);
      decHi = Math.max(decHi, dec);
      if (p2 === 0.5) {
        bottomLo = Math.min(bottomLo, relative);
        bottomHi = Math.max(bottomHi, relative);
      }
    }
  }
  for (const pole of [90, -90]) {
    const p = worldToPixel(grid, 0, pole);
    if (p && p[0] >= 0.5 && p[0] <= grid.naxis1 + 0.5 && p[1] >= 0.5 && p[1] <= grid.naxis2 + 0.5) {
      [raLo, raHi] = [-180, 180];
      if (pole > 0) decHi = 90;
      else decLo = -90;
    }
  }
  return { ra: [raLo, raHi], dec: [decLo, decHi], bottomRaSpan: bottomHi - bottomLo };
}

/** Where a polyline crosses the line `coordinate` = `at` (0: x, 1: y): the other coordinate. */
function crossings(
  points: readonly (readonly [number, number])[],
  coordinate: 0 | 1,
  at: number,
): number[] {
  const found: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const da = a[coordinate] - at;
    const db = b[coordinate] - at;
    if (da === db || da * db > 0) continue;
    const f = da / (da - db);
    found.push(a[1 - coordinate]! + f * (b[1 - coordinate]! - a[1 - coordinate]!));
  }
  return found;
}

/** RA/Dec lines over the map and their labels on the left and bottom edges; returns the widest Dec label. */
function drawGraticule(raster: Raster, place: Placement): number {
  const { grid, left, top, size } = place;
  const ranges = worldRanges(grid);
  const decStep = angleStep(size / (grid.naxis2 * grid.cdelt2), 48);
  const raStep = angleStep(size / Math.max(ranges.bottomRaSpan, 1e-9), 60);
  const samples = 160;
  const line = (world: (f: number) => [number, number]): [number, number][] => {
    const points: [number, number][] = [];
    for (let k = 0; k <= samples; k++) {
      const [ra, dec] = world(k / samples);
      const p = worldToPixel(grid, ra, dec);
      if (p) points.push(screen(place, p[0], p[1]));
    }
    return points;
  };
  const style = { color: GRID_LINE, opacity: 0.45, dash: [5, 4] as const };
  const bottomEdge = top + size;
  let lastLabel = -Infinity;
  let lastWidth = 0;
  let widest = 0;
  for (
    let dec = Math.ceil(ranges.dec[0] / decStep) * decStep;
    dec <= ranges.dec[1];
    dec += decStep
  ) {
    const d = Number(dec.toFixed(6));
    if (Math.abs(d) >= 90) continue;
    const points = line((f) => [grid.crval1 + ranges.ra[0] + f * (ranges.ra[1] - ranges.ra[0]), d]);
    raster.clipped(left, top, size, size, () => raster.polyline(points, style));
    // One label a line (a circle round a pole crosses the edge twice), clear of the RA labels.
    const middle = top + size / 2;
    const [y] = crossings(points, 0, left)
      .filter((c) => c >= top && c <= bottomEdge - 10)
      .sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle));
    if (y !== undefined && Math.abs(y - lastLabel) >= 20) {
      const label = formatAngle(d, decStep, true);
      raster.text(label, left - 8, y, { align: 'right', baseline: 'middle' });
      widest = Math.max(widest, textWidth(label, 2));
      lastLabel = y;
    }
  }
  lastLabel = -Infinity;
  const raFirst = Math.ceil((grid.crval1 + ranges.ra[0]) / raStep) * raStep;
  for (let ra = raFirst; ra <= grid.crval1 + ranges.ra[1]; ra += raStep) {
    const r = Number(ra.toFixed(6));
    const points = line((f) => [r, ranges.dec[0] + f * (ranges.dec[1] - ranges.dec[0])]);
    raster.clipped(left, top, size, size, () => raster.polyline(points, style));
    const label = formatAngle(((r % 360) + 360) % 360, raStep, false);
    const width = textWidth(label, 2);
    for (const x of crossings(points, 1, bottomEdge)) {
      const crowded = Math.abs(x - lastLabel) < (width + lastWidth) / 2 + 12;
      if (x < left || x > left + size || crowded) continue;
      raster.text(label, x, bottomEdge + 8, { align: 'center' });
      lastLabel = x;
      lastWidth = width;
    }
  }
  return widest;
}

/** Ticks of the colour bar: whole counts, placed on the square-root scale. */
function colourBarTicks(peak: number): number[] {
  if (peak <= 6) return Array.from({ length: Math.floor(peak) + 1 }, (_, i) => i);
  return linearTicks(0, peak, 6).filter((v) => Number.isInteger(v));
}

function drawColourBar(raster: Raster, place: Placement, peak: number): void {
  const x = place.left + place.size + BAR_GAP;
  const { top, size } = place;
  for (let row = 0; row < size; row++) {
    raster.fillRect(x, top + row, BAR_WIDTH, 1, inferno(1 - row / (size - 1)));
  }
  raster.strokeRect(x - 1, top - 1, BAR_WIDTH + 2, size + 2, BLACK);
  let lastY = Infinity;
  for (const v of colourBarTicks(peak).reverse()) {
    const y = Math.round(top + (1 - Math.sqrt(v / Math.max(peak, 1e-9))) * (size - 1));
    raster.fillRect(x + BAR_WIDTH + 1, y, 5, 1, BLACK);
    if (Math.abs(lastY - y) < 18) continue;
    raster.text(formatNumber(v), x + BAR_WIDTH + 9, y, { baseline: 'middle' });
    lastY = y;
  }
  const pixel = `${Number(Math.abs(place.grid.cdelt1).toPrecision(3))}°`;
  raster.text(`counts per ${pixel} pixel`, x + BAR_WIDTH + 90, top + size / 2, {
    align: 'center',
    baseline: 'bottom',
    vertical: true,
    color: SUBTITLE_COLOR,
  });
}

function drawPointing(raster: Raster, place: Placement): void {
  const [x, y] = screen(place, place.grid.crpix1, place.grid.crpix2).map(Math.round) as [
    number,
    number,
  ];
  for (const [dx, dy] of [
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
  ] as const) {
    for (let k = 4; k <= 11; k++) {
      raster.plot(x + dx * k, y + dy * k, POINTING);
      raster.plot(x + dx * k + dy, y + dy * k + dx, POINTING);
    }
  }
}

/** Where the map sits in the PNG: its top-left corner and screen pixels per map pixel. */
export function countsMapPlacement(grid: TanGrid): Placement {
  const scale = Math.max(1, Math.floor(MAP_DISPLAY / Math.max(grid.naxis1, grid.naxis2)));
  return { grid, scale, left: LEFT, top: TOP, size: grid.naxis1 * scale };
}

/** The counts map as an image for people. */
export function renderCountsMap(info: EventListInfo, map: CountsMap, events: number): Raster {
  const { grid, counts } = map;
  const place = countsMapPlacement(grid);
  const { size } = place;
  const raster = new Raster(LEFT + size + RIGHT, TOP + size + BOTTOM);
  let peak = 0;
  for (const c of counts) peak = Math.max(peak, c);
  for (let row = 0; row < grid.naxis2; row++) {
    for (let column = 0; column < grid.naxis1; column++) {
      const c = counts[row * grid.naxis1 + column]!;
      const colour = inferno(peak > 0 ? Math.sqrt(c / peak) : 0);
      const [x, y] = screen(place, column + 0.5, row + 1.5);
      raster.fillRect(x, y, place.scale, place.scale, colour);
    }
  }
  const decLabels = drawGraticule(raster, place);
  drawPointing(raster, place);
  raster.strokeRect(LEFT - 1, TOP - 1, size + 2, size + 2, BLACK);
  drawColourBar(raster, place, peak);
  const date = mjdToIso(mjdOf(info, info.tstart)).slice(0, 10);
  drawTitles(
    raster,
    observationTitle(info, 'Counts map'),
    `${[info.telescope, date].filter(Boolean).join(' ')}, ${events} events, square-root scale`,
  );
  raster.text('+ pointing', LEFT + size + BAR_GAP, TOP + size + 36, { color: SUBTITLE_COLOR });
  raster.text('Right ascension (ICRS)', LEFT + size / 2, TOP + size + 36, { align: 'center' });
  raster.text('Declination (ICRS)', LEFT - 20 - decLabels, TOP + size / 2, {
    align: 'center',
    baseline: 'bottom',
    vertical: true,
  });
  return raster;
}

/** The counts map as a FITS primary image with its WCS (FITS WCS Papers I and II). */
export function countsMapHdu(info: EventListInfo, map: CountsMap): WritableHdu {
  const { grid } = map;
  const cards: Card[] = [
    { keyword: 'BUNIT', value: 'count', comment: 'events per pixel' },
    { keyword: 'WCSAXES', value: 2 },
    { keyword: 'CTYPE1', value: 'RA---TAN', comment: 'gnomonic projection' },
    { keyword: 'CTYPE2', value: 'DEC--TAN', comment: 'gnomonic projection' },
    { keyword: 'CRVAL1', value: grid.crval1, comment: '[deg] pointing RA' },
    { keyword: 'CRVAL2', value: grid.crval2, comment: '[deg] pointing Dec' },
    { keyword: 'CRPIX1', value: grid.crpix1, comment: 'reference pixel (the centre)' },
    { keyword: 'CRPIX2', value: grid.crpix2, comment: 'reference pixel (the centre)' },
    { keyword: 'CDELT1', value: grid.cdelt1, comment: '[deg] pixel size, RA grows to the left' },
    { keyword: 'CDELT2', value: grid.cdelt2, comment: '[deg] pixel size' },
    { keyword: 'CUNIT1', value: 'deg' },
    { keyword: 'CUNIT2', value: 'deg' },
    { keyword: 'LONPOLE', value: 180 },
    { keyword: 'RADESYS', value: 'ICRS' },
    { keyword: 'EQUINOX', value: 2000.0 },
    { keyword: 'TIMESYS', value: 'UTC', comment: 'DATE-OBS and DATE-END are UTC' },
    { keyword: 'DATE-OBS', value: mjdToIso(mjdOf(info, info.tstart)).slice(0, 23) },
    { keyword: 'DATE-END', value: mjdToIso(mjdOf(info, info.tstop)).slice(0, 23) },
    { keyword: 'MJD-OBS', value: mjdOf(info, info.tstart), comment: '[d] start (UTC)' },
    { keyword: 'MJD-END', value: mjdOf(info, info.tstop), comment: '[d] end (UTC)' },
  ];
  if (info.obsId !== undefined) {
    const obsId = Number(info.obsId);
    cards.push({
      keyword: 'OBS_ID',
      value: Number.isSafeInteger(obsId) ? obsId : BigInt(info.obsId),
      comment: 'observation',
    });
  }
  if (info.target) cards.push({ keyword: 'OBJECT', value: info.target });
  if (info.telescope) cards.push({ keyword: 'TELESCOP', value: info.telescope });
  cards.push(
    { keyword: 'RA_PNT', value: info.raPnt, comment: '[deg] pointing' },
    { keyword: 'DEC_PNT', value: info.decPnt, comment: '[deg] pointing' },
    { keyword: 'ORIGIN', value: 'hearc', comment: 'quick-look counts map' },
    {
      keyword: 'COMMENT',
      comment: 'Counts of all events per pixel; no cuts, no background subtraction.',
    },
  );
  return buildImage({
    bitpix: 32,
    shape: [grid.naxis1, grid.naxis2],
    data: map.counts,
    primary: true,
    header: cards,
  });
}
