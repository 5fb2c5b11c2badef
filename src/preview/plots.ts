/**
 * The two plots of an observation: the energy distribution (events per
 * logarithmic energy bin, log-log) and the light curve (event rate in time bins
 * over the good time intervals, with Poisson error bars).
 */
import type { EnergyHistogram, LightCurve } from './binning.js';
import { type EventListInfo, mjdOf } from './events.js';
import { drawTitles, PlotFrame, type Rect } from './frame.js';
import { Raster, type Rgb } from './raster.js';
import { linearTicks } from './ticks.js';
import { mjdToIso } from '../gadf/index.js';

export const PLOT_WIDTH = 720;
export const PLOT_HEIGHT = 480;
export const PLOT_AREA: Rect = { x: 110, y: 62, width: 580, height: 334 };

const BAR_FILL: Rgb = [158, 190, 222];
const BAR_EDGE: Rgb = [31, 78, 140];
const POINT: Rgb = [31, 78, 140];
const GAP: Rgb = [215, 215, 215];
const GAP_NOTE: Rgb = [120, 120, 120];

/** "Crab Nebula - observation 23523", with what is known. */
export function observationTitle(info: EventListInfo, what: string): string {
  const parts = [what, info.target, info.obsId !== undefined ? `obs ${info.obsId}` : undefined];
  return parts.filter((p) => p !== undefined && p !== '').join(' - ');
}

function dateOf(info: EventListInfo): string {
  return mjdToIso(mjdOf(info, info.tstart)).slice(0, 19).replace('T', ' ');
}

/** Events per energy bin on log-log axes, bars from the bottom of the plot. */
export function renderEnergyPlot(info: EventListInfo, histogram: EnergyHistogram): Raster {
  const raster = new Raster(PLOT_WIDTH, PLOT_HEIGHT);
  const { edges, counts } = histogram;
  let first = counts.findIndex((c) => c > 0);
  let last = counts.length - 1;
  while (last > 0 && counts[last] === 0) last--;
  if (first < 0) [first, last] = [0, counts.length - 1];
  const peak = Math.max(1, ...counts);
  const total = counts.reduce((a, b) => a + b, 0);
  const frame = new PlotFrame(
    raster,
    PLOT_AREA,
    {
      label: 'Energy (TeV)',
      min: edges[first]! / 1.5,
      max: edges[last + 1]! * 1.5,
      log: true,
    },
    {
      label: 'Events per bin',
      min: 0.5,
      max: 10 ** Math.ceil(Math.log10(peak * 2)),
      log: true,
    },
  );
  drawTitles(
    raster,
    observationTitle(info, 'Energy distribution'),
    `${total} events, ${histogram.binsPerDecade} bins per decade of energy`,
  );
  frame.drawGrid();
  frame.inside(() => {
    const bottom = frame.area.y + frame.area.height;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]!;
      if (n === 0) continue;
      const x0 = Math.round(frame.x(edges[i]!));
      const x1 = Math.round(frame.x(edges[i + 1]!));
      const top = Math.round(frame.y(n));
      raster.fillRect(x0, top, x1 - x0, bottom - top, BAR_FILL);
      raster.fillRect(x0, top, x1 - x0 + 1, 2, BAR_EDGE);
      raster.fillRect(x0, top, 1, bottom - top, BAR_EDGE);
      raster.fillRect(x1, top, 1, bottom - top, BAR_EDGE);
    }
  });
  frame.drawAxes();
  return raster;
}

interface TimeUnit {
  readonly seconds: number;
  readonly name: string;
}

/** Minutes for a run, hours for a night or a few, days beyond. */
function timeUnitFor(span: number): TimeUnit {
  if (span <= 6 * 3600) return { seconds: 60, name: 'min' };
  if (span <= 10 * 86400) return { seconds: 3600, name: 'h' };
  return { seconds: 86400, name: 'd' };
}

/** A rate unit in which the mean rate reads between about 0.1 and 1000. */
function rateUnitFor(meanRate: number): TimeUnit {
  if (meanRate >= 0.1) return { seconds: 1, name: 's' };
  if (meanRate * 60 >= 0.1) return { seconds: 60, name: 'min' };
  if (meanRate * 3600 >= 0.1) return { seconds: 3600, name: 'h' };
  return { seconds: 86400, name: 'day' };
}

/** Event rate per time bin with ±1σ Poisson errors; times outside the GTIs shaded. */
export function renderLightCurve(info: EventListInfo, curve: LightCurve): Raster {
  const raster = new Raster(PLOT_WIDTH, PLOT_HEIGHT);
  const { starts, stops, counts, exposure } = curve;
  const start = Math.min(info.gtis[0]![0], starts[0]!);
  const stop = Math.max(info.gtis[info.gtis.length - 1]![1], stops[stops.length - 1]!);
  const unit = timeUnitFor(stop - start);
  const totalExposure = exposure.reduce((a, b) => a + b, 0);
  const totalCounts = counts.reduce((a, b) => a + b, 0);
  const rateUnit = rateUnitFor(totalExposure > 0 ? totalCounts / totalExposure : 0);
  // Bins with little good time give wild rates; they are left out of the plot.
  const shown = [...counts.keys()].filter((i) => exposure[i]! >= 0.2 * (stops[i]! - starts[i]!));
  const rate = (i: number): number => (counts[i]! / exposure[i]!) * rateUnit.seconds;
  const error = (i: number): number =>
    (Math.sqrt(Math.max(counts[i]!, 1)) / exposure[i]!) * rateUnit.seconds;
  const top = Math.max(1e-9, ...shown.map((i) => rate(i) + error(i))) * 1.15;
  const spanUnits = (stop - start) / unit.seconds;
  const yTicks = linearTicks(0, top, 6);
  const frame = new PlotFrame(
    raster,
    PLOT_AREA,
    { label: `Time since ${dateOf(info)} UTC (${unit.name})`, min: 0, max: spanUnits },
    { label: `Rate (events / ${rateUnit.name})`, min: 0, max: top, ticks: yTicks },
  );
  drawTitles(
    raster,
    observationTitle(info, 'Light curve'),
    `${totalCounts} events, ${counts.length} bins of ${binWidths(starts, stops)}, ${formatSeconds(totalExposure)} of good time`,
  );
  if (curve.outside > 0) {
    const events = curve.outside === 1 ? '1 event' : `${curve.outside} events`;
    raster.text(`${events} outside the GTIs not shown`, 10, PLOT_HEIGHT - 22, { color: GAP_NOTE });
  }
  const t = (seconds: number): number => frame.x((seconds - start) / unit.seconds);
  frame.inside(() => {
    // Shade what lies between and around the GTIs.
    let from = start;
    for (const [a, b] of [...info.gtis, [stop, stop] as const]) {
      if (a > from) {
        const x0 = Math.round(t(from));
        raster.fillRect(x0, frame.area.y, Math.round(t(a)) - x0, frame.area.height, GAP);
      }
      from = Math.max(from, b);
    }
  });
  frame.drawGrid();
  frame.inside(() => {
    for (const i of shown) {
      const x0 = Math.round(t(starts[i]!));
      const x1 = Math.round(t(stops[i]!));
      const xm = Math.round((x0 + x1) / 2);
      const y = Math.round(frame.y(rate(i)));
      const yLo = Math.round(frame.y(Math.max(0, rate(i) - error(i))));
      const yHi = Math.round(frame.y(rate(i) + error(i)));
      raster.fillRect(x0, y, x1 - x0 + 1, 1, POINT);
      raster.fillRect(xm, yHi, 1, yLo - yHi + 1, POINT);
      raster.fillRect(xm - 2, y - 2, 5, 5, POINT);
    }
  });
  frame.drawAxes();
  return raster;
}

/** "60 s" when the bins are equal, else "about 60 s" (their median). */
function binWidths(starts: Float64Array, stops: Float64Array): string {
  const widths = starts.map((a, i) => stops[i]! - a).sort();
  const median = widths[widths.length >> 1]!;
  const equal = widths[widths.length - 1]! - widths[0]! <= 0.01 * median;
  return `${equal ? '' : 'about '}${formatSeconds(median)}`;
}

/** "60 s", "5 min", "2 h" or "1.5 d". */
export function formatSeconds(seconds: number): string {
  const [value, unit] =
    seconds < 120
      ? [seconds, 's']
      : seconds < 7200
        ? [seconds / 60, 'min']
        : seconds < 172800
          ? [seconds / 3600, 'h']
          : [seconds / 86400, 'd'];
  return `${Number(value.toPrecision(3))} ${unit}`;
}
