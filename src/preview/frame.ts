/**
 * The frame of a plot: a data rectangle with linear or logarithmic axes, grid lines,
 * ticks with labels, axis titles, and the title lines above. Plots draw their data
 * through `x()` and `y()` and `inside()`.
 */
import { textWidth } from './font.js';
import { type Raster, type Rgb, BLACK } from './raster.js';
import { formatNumber, linearTicks, logTicks } from './ticks.js';

export interface AxisSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly log?: boolean;
  /** Tick values to use instead of the automatic ones (linear axes). */
  readonly ticks?: readonly number[];
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const GRID: Rgb = [225, 225, 225];
const MINOR_GRID: Rgb = [242, 242, 242];
const TICK = 6;
const LABEL_SCALE = 2;
export const TITLE_COLOR: Rgb = [20, 20, 60];
export const SUBTITLE_COLOR: Rgb = [90, 90, 90];

/** Title and subtitle centred at the top of the image; a subtitle too long for the width gets small print. */
export function drawTitles(raster: Raster, title: string, subtitle?: string): void {
  raster.text(title, raster.width / 2, 10, { align: 'center', color: TITLE_COLOR });
  if (subtitle) {
    const scale = textWidth(subtitle, 2) <= raster.width - 16 ? 2 : 1;
    raster.text(subtitle, raster.width / 2, 32, { align: 'center', color: SUBTITLE_COLOR, scale });
  }
}

export class PlotFrame {
  constructor(
    private readonly raster: Raster,
    readonly area: Rect,
    readonly xAxis: AxisSpec,
    readonly yAxis: AxisSpec,
  ) {}

  private static fraction(axis: AxisSpec, value: number): number {
    return axis.log
      ? Math.log10(value / axis.min) / Math.log10(axis.max / axis.min)
      : (value - axis.min) / (axis.max - axis.min);
  }

  /** Pixel column of a data x value. */
  x(value: number): number {
    return this.area.x + PlotFrame.fraction(this.xAxis, value) * (this.area.width - 1);
  }

  /** Pixel row of a data y value. */
  y(value: number): number {
    return this.area.y + (1 - PlotFrame.fraction(this.yAxis, value)) * (this.area.height - 1);
  }

  /** Draws inside the data rectangle only. */
  inside(draw: () => void): void {
    const { x, y, width, height } = this.area;
    this.raster.clipped(x, y, width, height, draw);
  }

  private ticksOf(axis: AxisSpec): { major: number[]; minor: number[] } {
    if (axis.log) return logTicks(axis.min, axis.max);
    return { major: [...(axis.ticks ?? linearTicks(axis.min, axis.max, 6))], minor: [] };
  }

  /** The ticks of the x or y axis with their pixel column or row, minor ones first. */
  private marks(axis: 'x' | 'y'): { at: number; major: boolean }[] {
    const { major, minor } = this.ticksOf(axis === 'x' ? this.xAxis : this.yAxis);
    const at = (v: number): number => Math.round(axis === 'x' ? this.x(v) : this.y(v));
    return [
      ...minor.map((v) => ({ at: at(v), major: false })),
      ...major.map((v) => ({ at: at(v), major: true })),
    ];
  }

  /** Grid lines behind the data. */
  drawGrid(): void {
    const { x, y, width, height } = this.area;
    for (const { at, major } of this.marks('x')) {
      this.raster.fillRect(at, y, 1, height, major ? GRID : MINOR_GRID);
    }
    for (const { at, major } of this.marks('y')) {
      this.raster.fillRect(x, at, width, 1, major ? GRID : MINOR_GRID);
    }
  }

  /** The frame, ticks, tick labels and axis titles, over the data. */
  drawAxes(): void {
    const r = this.raster;
    const { x, y, width, height } = this.area;
    r.strokeRect(x, y, width, height, BLACK);
    const bottom = y + height - 1;
    for (const { at, major } of this.marks('x')) {
      const length = major ? TICK : TICK / 2;
      r.fillRect(at, bottom - length, 1, length, BLACK);
      r.fillRect(at, y, 1, length, BLACK);
    }
    for (const { at, major } of this.marks('y')) {
      const length = major ? TICK : TICK / 2;
      r.fillRect(x, at, length, 1, BLACK);
      r.fillRect(x + width - length, at, length, 1, BLACK);
    }
    const xt = this.ticksOf(this.xAxis);
    const yt = this.ticksOf(this.yAxis);
    for (const v of xt.major) {
      r.text(formatNumber(v), this.x(v), bottom + 8, { align: 'center', scale: LABEL_SCALE });
    }
    let widest = 0;
    for (const v of yt.major) {
      const w = r.text(formatNumber(v), x - 8, this.y(v), {
        align: 'right',
        baseline: 'middle',
        scale: LABEL_SCALE,
      });
      widest = Math.max(widest, w);
    }
    r.text(this.xAxis.label, x + width / 2, bottom + 34, { align: 'center' });
    r.text(this.yAxis.label, x - 8 - widest - 12, y + height / 2, {
      align: 'center',
      baseline: 'bottom',
      vertical: true,
    });
  }
}
