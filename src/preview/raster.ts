/**
 * An RGB drawing surface for previews: rectangles, lines (solid or dashed, opaque
 * or blended), markers and text in the bitmap font. Coordinates are pixels from
 * the top-left corner; anything outside the clip rectangle is not drawn.
 */
import { CAP_HEIGHT, GLYPH_ADVANCE, glyphPixels, textWidth } from './font.js';
import type { RgbImage } from './png.js';

export type Rgb = readonly [number, number, number];

export const BLACK: Rgb = [0, 0, 0];
export const WHITE: Rgb = [255, 255, 255];

export interface TextStyle {
  readonly scale?: number;
  readonly color?: Rgb;
  /** Which point of the text (x, y) is: default left/top. */
  readonly align?: 'left' | 'center' | 'right';
  readonly baseline?: 'top' | 'middle' | 'bottom';
  /** Turned 90° counter-clockwise (reads bottom to top), for vertical axis labels. */
  readonly vertical?: boolean;
}

export interface LineStyle {
  readonly color: Rgb;
  /** 0..1, how much of the colour covers what is below (default 1). */
  readonly opacity?: number;
  /** Dash and gap lengths in pixels (default solid). */
  readonly dash?: readonly [number, number];
  readonly width?: number;
}

interface Clip {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export class Raster implements RgbImage {
  readonly pixels: Uint8Array;
  private clip: Clip;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    this.clip = { x0: 0, y0: 0, x1: width, y1: height };
    this.fillRect(0, 0, width, height, background);
  }

  /** Restricts drawing to a rectangle while `draw` runs. */
  clipped(x: number, y: number, width: number, height: number, draw: () => void): void {
    const saved = this.clip;
    this.clip = {
      x0: Math.max(saved.x0, x),
      y0: Math.max(saved.y0, y),
      x1: Math.min(saved.x1, x + width),
      y1: Math.min(saved.y1, y + height),
    };
    try {
      draw();
    } finally {
      this.clip = saved;
    }
  }

  /** Paints one pixel, mixed with what is there when opacity < 1. */
  plot(x: number, y: number, color: Rgb, opacity = 1): void {
    const { x0, y0, x1, y1 } = this.clip;
    if (x < x0 || y < y0 || x >= x1 || y >= y1) return;
    const at = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) {
      const below = this.pixels[at + c]!;
      this.pixels[at + c] = Math.round(below + (color[c]! - below) * opacity);
    }
  }

  fillRect(x: number, y: number, width: number, height: number, color: Rgb, opacity = 1): void {
    const xa = Math.round(x);
    const ya = Math.round(y);
    const xb = Math.round(x + width);
    const yb = Math.round(y + height);
    for (let py = ya; py < yb; py++)
      for (let px = xa; px < xb; px++) this.plot(px, py, color, opacity);
  }

  /** The outline of a rectangle, one pixel wide, inside (x, y, width, height). */
  strokeRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    this.fillRect(x, y, width, 1, color);
    this.fillRect(x, y + height - 1, width, 1, color);
    this.fillRect(x, y, 1, height, color);
    this.fillRect(x + width - 1, y, 1, height, color);
  }

  /** A straight line between pixel centres (Bresenham), dashes continuing along a polyline via `phase`. */
  line(xa: number, ya: number, xb: number, yb: number, style: LineStyle, phase = 0): number {
    let x = Math.round(xa);
    let y = Math.round(ya);
    const x1 = Math.round(xb);
    const y1 = Math.round(yb);
    const dx = Math.abs(x1 - x);
    const dy = -Math.abs(y1 - y);
    const sx = x < x1 ? 1 : -1;
    const sy = y < y1 ? 1 : -1;
    const width = style.width ?? 1;
    const half = Math.floor((width - 1) / 2);
    const [on, off] = style.dash ?? [1, 0];
    let error = dx + dy;
    let step = phase;
    for (;;) {
      if (off === 0 || step % (on + off) < on) {
        for (let i = -half; i < width - half; i++) {
          if (dx >= -dy) this.plot(x, y + i, style.color, style.opacity ?? 1);
          else this.plot(x + i, y, style.color, style.opacity ?? 1);
        }
      }
      if (x === x1 && y === y1) break;
      step++;
      const e2 = 2 * error;
      if (e2 >= dy) {
        error += dy;
        x += sx;
      }
      if (e2 <= dx) {
        error += dx;
        y += sy;
      }
    }
    return step;
  }

  /** Connected segments through the points; dashes run on across the joints. */
  polyline(points: readonly (readonly [number, number])[], style: LineStyle): void {
    let phase = 0;
    for (let i = 1; i < points.length; i++) {
      const [xa, ya] = points[i - 1]!;
      const [xb, yb] = points[i]!;
      phase = this.line(xa, ya, xb, yb, style, phase);
    }
  }

  /** Text in the bitmap font; returns its width in pixels. */
  text(text: string, x: number, y: number, style: TextStyle = {}): number {
    const scale = style.scale ?? 2;
    const color = style.color ?? BLACK;
    const length = textWidth(text, scale);
    const height = CAP_HEIGHT * scale;
    const along = style.align === 'center' ? length / 2 : style.align === 'right' ? length : 0;
    const across =
      style.baseline === 'middle' ? height / 2 : style.baseline === 'bottom' ? height : 0;
    // Start of the text and its unit vectors along and down the glyphs.
    const [ox, oy, ax, ay, dx, dy] = style.vertical
      ? [x - across, y + along, 0, -1, 1, 0]
      : [x - along, y - across, 1, 0, 0, 1];
    let cursor = 0;
    for (const char of text) {
      for (const [gx, gy] of glyphPixels(char)) {
        for (let i = 0; i < scale; i++) {
          for (let j = 0; j < scale; j++) {
            const u = cursor + gx * scale + i;
            const v = gy * scale + j;
            this.plot(Math.round(ox + ax * u + dx * v), Math.round(oy + ay * u + dy * v), color);
          }
        }
      }
      cursor += GLYPH_ADVANCE * scale;
    }
    return length;
  }
}
