/**
 * What a light-curve job returns: a VOTable of the time bins (units, UCDs) with the
 * spectral fit whose shape they share, the light curve as FITS in gammapy's
 * "lightcurve" FluxPoints format (SED_TYPE flux, one energy bin per row:
 * FluxPoints.read(…, format="lightcurve") opens it) and a PNG of the flux against time.
 */
import type { WritableHdu } from '../fits/index.js';
import {
  drawTitles,
  encodePng,
  PLOT_AREA,
  PLOT_HEIGHT,
  PLOT_WIDTH,
  PlotFrame,
  Raster,
} from '../preview/index.js';
import { type FieldDescription, type InfoElement, writeVotable } from '../votable/index.js';
import type { LightCurveBin } from './lightcurve.js';
import type { SpectralFit } from './spectral-fit.js';
import type { StackedSpectrum } from './spectrum.js';
import {
  drawPoint,
  fitElements,
  NORM_FIELDS,
  normCells,
  sedTableHdus,
  stackInfos,
} from './spectrum-products.js';

const FLUX_UNIT = 'cm-2 s-1';

const FIELDS: readonly FieldDescription[] = [
  {
    name: 'time_min',
    datatype: 'double',
    unit: 'd',
    ucd: 'time.start',
    description: 'start of the time bin, MJD (UTC)',
  },
  {
    name: 'time_max',
    datatype: 'double',
    unit: 'd',
    ucd: 'time.end',
    description: 'end of the time bin, MJD (UTC)',
  },
  {
    name: 'e_min',
    datatype: 'double',
    unit: 'TeV',
    ucd: 'em.energy;stat.min',
    description: 'lower end of the energy range of the flux (reconstructed)',
  },
  {
    name: 'e_max',
    datatype: 'double',
    unit: 'TeV',
    ucd: 'em.energy;stat.max',
    description: 'upper end of the energy range of the flux (reconstructed)',
  },
  {
    name: 'runs',
    datatype: 'char',
    arraysize: '*',
    ucd: 'meta.id;obs',
    description: 'obs_id of the runs in the bin',
  },
  {
    name: 'livetime',
    datatype: 'double',
    unit: 's',
    ucd: 'time.duration;obs.exposure',
    description: 'dead-time corrected good time in the bin',
  },
  ...NORM_FIELDS,
  {
    name: 'flux',
    datatype: 'double',
    unit: FLUX_UNIT,
    ucd: 'phot.flux',
    description: 'integral flux from e_min to e_max',
  },
  { name: 'flux_err', datatype: 'double', unit: FLUX_UNIT, ucd: 'stat.error;phot.flux' },
  {
    name: 'flux_ul',
    datatype: 'double',
    unit: FLUX_UNIT,
    ucd: 'phot.flux;stat.max',
    description: 'upper limit at 2 sigma (delta stat = 4)',
  },
  {
    name: 'is_ul',
    datatype: 'boolean',
    ucd: 'meta.code',
    description: 'true when ts < 4: use flux_ul',
  },
];

const binRow = (b: LightCurveBin): (number | bigint | boolean | string)[] => [
  b.timeMin,
  b.timeMax,
  b.eMin,
  b.eMax,
  b.runs.join(' '),
  b.livetime,
  ...normCells(b),
  b.norm * b.refFlux,
  b.normErr * b.refFlux,
  b.normUl * b.refFlux,
  b.isUl,
];

/** The light-curve VOTable: the time bins as the table, the spectral fit as INFOs and PARAM groups. */
export function lightCurveVotable(
  spectrum: StackedSpectrum,
  fit: SpectralFit,
  bins: readonly LightCurveBin[],
): AsyncGenerator<Buffer> {
  const { infos, groups } = fitElements(fit);
  const range: InfoElement[] = bins[0]
    ? [{ name: 'energy_range', value: `${bins[0].eMin} ${bins[0].eMax}`, unit: 'TeV' }]
    : [];
  return writeVotable(FIELDS, [bins.map(binRow)], {
    serialization: 'TABLEDATA',
    infos: [...infos, ...stackInfos(spectrum), ...range],
    tableName: 'light_curve',
    tableDescription:
      'flux of the best-fit spectral shape (norm fitted) in each time bin (LightCurveEstimator)',
    resources: [{ type: 'results', name: 'model', description: `best-fit ${fit.model}`, groups }],
  });
}

/**
 * The light curve as gammapy's FluxPoints.write(format="lightcurve") lays it out (MJD
 * time columns, one-element energy columns), with SED_TYPE flux so that FluxPoints.read
 * gives back the fluxes without the reference model (norm and ref_flux ride along).
 */
export function lightCurveHdus(bins: readonly LightCurveBin[]): WritableHdu[] {
  const one = [1];
  return sedTableHdus(
    'LIGHTCURVE',
    'flux',
    bins,
    (column) => [
      column('time_min', '', (b) => b.timeMin),
      column('time_max', '', (b) => b.timeMax),
      column('e_ref', 'TeV', (b) => b.eRef, one),
      column('e_min', 'TeV', (b) => b.eMin, one),
      column('e_max', 'TeV', (b) => b.eMax, one),
      column('flux', FLUX_UNIT, (b) => b.norm * b.refFlux, one),
      column('flux_err', FLUX_UNIT, (b) => b.normErr * b.refFlux, one),
      column('flux_ul', FLUX_UNIT, (b) => b.normUl * b.refFlux, one),
      column('ts', '', (b) => b.ts, one),
      column('sqrt_ts', '', (b) => b.sqrtTs, one),
      column('norm', '', (b) => b.norm, one),
      column('norm_err', '', (b) => b.normErr, one),
      column('ref_flux', FLUX_UNIT, (b) => b.refFlux, one),
      { name: 'is_ul', format: 'L', dim: one, values: bins.map((b) => b.isUl) },
    ],
    [{ keyword: 'TIMESYS', value: 'utc' }],
  );
}

/** The flux against time (MJD), upper limits as arrows. */
export function lightCurvePlot(
  spectrum: StackedSpectrum,
  fit: SpectralFit,
  bins: readonly LightCurveBin[],
): Buffer {
  const raster = new Raster(PLOT_WIDTH, PLOT_HEIGHT);
  const values = bins.flatMap((b) =>
    (b.isUl ? [b.normUl] : [b.norm - b.normErr, b.norm + b.normErr]).map((n) => n * b.refFlux),
  );
  const finite = [0, ...values.filter(Number.isFinite)];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const t0 = Math.min(...bins.map((b) => b.timeMin));
  const t1 = Math.max(...bins.map((b) => b.timeMax));
  const tPad = Math.max((t1 - t0) * 0.05, 1 / 1440);
  const yPad = Math.max((hi - lo) * 0.1, hi * 0.1, 1e-20);
  const frame = new PlotFrame(
    raster,
    PLOT_AREA,
    { label: 'Time (MJD, UTC)', min: t0 - tPad, max: t1 + tPad, log: false },
    { label: 'Flux (cm-2 s-1)', min: Math.min(lo - yPad, 0), max: hi + yPad, log: false },
  );
  const range = bins[0] ? `${bins[0].eMin.toPrecision(3)}-${bins[0].eMax.toPrecision(3)} TeV` : '';
  drawTitles(
    raster,
    `Light curve: ${bins.length} bin${bins.length === 1 ? '' : 's'}, ${range}`,
    `${fit.model} shape of ${spectrum.runs.length} stacked run${spectrum.runs.length === 1 ? '' : 's'}, norm fitted per bin`,
  );
  frame.drawGrid();
  frame.inside(() => {
    for (const b of bins) {
      if (!Number.isFinite(b.norm)) continue;
      const at = { x: (b.timeMin + b.timeMax) / 2, x0: b.timeMin, x1: b.timeMax };
      if (b.isUl) drawPoint(raster, frame, { ...at, ul: b.normUl * b.refFlux });
      else {
        drawPoint(raster, frame, {
          ...at,
          y: b.norm * b.refFlux,
          low: (b.norm - b.normErr) * b.refFlux,
          high: (b.norm + b.normErr) * b.refFlux,
        });
      }
    }
  });
  frame.drawAxes();
  return encodePng(raster, { Title: 'hearc light curve' });
}
