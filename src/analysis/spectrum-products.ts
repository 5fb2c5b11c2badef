/**
 * What a spectrum job returns: a VOTable of the flux points with the fitted model's
 * parameters (units, UCDs), the flux points as FITS in gammapy's FluxPoints format
 * (gadf-sed, SED_TYPE dnde: FluxPoints.read opens it) and a PNG of the SED with the model.
 */
import {
  type BinTableColumnSpec,
  buildBinTable,
  type Card,
  emptyPrimaryHeader,
  type WritableHdu,
} from '../fits/index.js';
import {
  drawTitles,
  encodePng,
  PLOT_AREA,
  PLOT_HEIGHT,
  PLOT_WIDTH,
  PlotFrame,
  Raster,
  type Rgb,
} from '../preview/index.js';
import {
  type FieldDescription,
  type GroupElement,
  type InfoElement,
  writeVotable,
} from '../votable/index.js';
import type { FluxPoint, NormResult, SpectralFit } from './spectral-fit.js';
import type { StackedSpectrum } from './spectrum.js';

const DNDE_UNIT = 'cm-2 s-1 TeV-1';
const E2DNDE_UNIT = 'TeV cm-2 s-1';

/** The columns of a norm fit (flux point or time bin), as normCells fills them. */
export const NORM_FIELDS: readonly FieldDescription[] = [
  { name: 'counts', datatype: 'long', ucd: 'phot.count', description: 'events in the ON region' },
  {
    name: 'background',
    datatype: 'double',
    ucd: 'phot.count;instr.background',
    description:
      'background counts in the ON region: predicted by the BKG IRF, or alpha times the OFF counts (BACKGROUND=reflected)',
  },
  {
    name: 'npred',
    datatype: 'double',
    ucd: 'phot.count;stat.fit',
    description: 'predicted counts at the best norm',
  },
  {
    name: 'norm',
    datatype: 'double',
    ucd: 'stat.fit.param',
    description: 'flux relative to the best-fit model (of the stacked runs)',
  },
  { name: 'norm_err', datatype: 'double', ucd: 'stat.error;stat.fit.param' },
  {
    name: 'ts',
    datatype: 'double',
    ucd: 'stat.value',
    description: 'test statistic against no source flux',
  },
  { name: 'sqrt_ts', datatype: 'double', ucd: 'stat.snr' },
];

export const normCells = (p: NormResult): (number | bigint)[] => [
  BigInt(Math.round(p.counts)),
  p.background,
  p.npred,
  p.norm,
  p.normErr,
  p.ts,
  p.sqrtTs,
];

const FIELDS: readonly FieldDescription[] = [
  {
    name: 'e_ref',
    datatype: 'double',
    unit: 'TeV',
    ucd: 'em.energy',
    description: 'reference energy (geometric bin centre)',
  },
  {
    name: 'e_min',
    datatype: 'double',
    unit: 'TeV',
    ucd: 'em.energy;stat.min',
    description: 'lower bin edge, reconstructed energy',
  },
  {
    name: 'e_max',
    datatype: 'double',
    unit: 'TeV',
    ucd: 'em.energy;stat.max',
    description: 'upper bin edge, reconstructed energy',
  },
  ...NORM_FIELDS,
  {
    name: 'dnde',
    datatype: 'double',
    unit: DNDE_UNIT,
    ucd: 'phot.flux.density',
    description: 'differential flux at e_ref',
  },
  { name: 'dnde_err', datatype: 'double', unit: DNDE_UNIT, ucd: 'stat.error;phot.flux.density' },
  {
    name: 'dnde_ul',
    datatype: 'double',
    unit: DNDE_UNIT,
    ucd: 'phot.flux.density;stat.max',
    description: 'upper limit at 2 sigma (delta stat = 4)',
  },
  {
    name: 'e2dnde',
    datatype: 'double',
    unit: E2DNDE_UNIT,
    ucd: 'phot.flux.density;em.energy',
    description: 'E² dN/dE at e_ref',
  },
  {
    name: 'e2dnde_err',
    datatype: 'double',
    unit: E2DNDE_UNIT,
    ucd: 'stat.error;phot.flux.density;em.energy',
  },
  {
    name: 'is_ul',
    datatype: 'boolean',
    ucd: 'meta.code',
    description: 'true when ts < 4: use dnde_ul',
  },
];

function pointRow(p: FluxPoint): (number | bigint | boolean)[] {
  const e2 = p.eRef * p.eRef;
  return [
    p.eRef,
    p.eMin,
    p.eMax,
    ...normCells(p),
    p.norm * p.dndeRef,
    p.normErr * p.dndeRef,
    p.normUl * p.dndeRef,
    e2 * p.norm * p.dndeRef,
    e2 * p.normErr * p.dndeRef,
    p.isUl,
  ];
}

const UCD_OF_PARAMETER: Readonly<Record<string, string>> = {
  index: 'spect.index',
  alpha: 'spect.index',
  beta: 'spect.index;stat.fit.param',
  amplitude: 'phot.flux.density',
  reference: 'em.energy',
};

/** The fit as INFOs (model, success, statistic) and one GROUP of PARAMs (value, error) per model parameter. */
export function fitElements(fit: SpectralFit): { infos: InfoElement[]; groups: GroupElement[] } {
  const infos: InfoElement[] = [
    { name: 'model', value: fit.model },
    { name: 'fit_success', value: String(fit.success) },
    { name: 'fit_statistic', value: 'cash', content: 'sum of 2(mu - n ln mu) over the safe bins' },
    { name: 'stat', value: String(fit.stat) },
  ];
  const groups: GroupElement[] = fit.parameters.map((p) => ({
    name: p.name,
    params: [
      {
        name: p.name,
        datatype: 'double',
        value: String(p.value),
        unit: p.unit || undefined,
        ucd: UCD_OF_PARAMETER[p.name],
      },
      {
        name: `${p.name}_err`,
        datatype: 'double',
        value: Number.isFinite(p.error) ? String(p.error) : 'NaN',
        unit: p.unit || undefined,
        ucd: `stat.error;${UCD_OF_PARAMETER[p.name]}`,
        description: p.frozen
          ? 'fixed'
          : 'from the covariance (2 H^-1 of the cash or WStat statistic)',
      },
    ],
  }));
  return { infos, groups };
}

/** The ON region and what went into the stack, as INFOs. */
export function stackInfos(spectrum: StackedSpectrum): InfoElement[] {
  const { region } = spectrum.geom;
  const off = spectrum.off;
  return [
    region.radius !== undefined
      ? {
          name: 'on_region',
          value: `${region.ra} ${region.dec} ${region.radius}`,
          unit: 'deg',
          xtype: 'circle',
        }
      : {
          name: 'on_region',
          value: `${region.ra} ${region.dec}`,
          unit: 'deg',
          xtype: 'point',
          content:
            'point-like IRFs: the ON region is a circle of the energy-dependent RAD_MAX cut around this point (no PSF containment correction)',
        },
    {
      name: 'background_method',
      value: off ? 'reflected' : 'irf',
      content: off
        ? 'OFF counts from reflected regions (wobble positions for point-like IRFs), WStat likelihood; known sources are not excluded'
        : 'BKG IRF in the ON region, cash likelihood',
    },
    ...(off
      ? [
          {
            name: 'off_regions',
            value: spectrum.runs.map((r) => `${r.obsId}:${r.off?.regions.length ?? 0}`).join(' '),
            content: 'OFF regions per run (obs_id:count)',
          },
        ]
      : []),
    { name: 'runs', value: String(spectrum.runs.length) },
    { name: 'livetime', value: String(spectrum.livetime), unit: 's' },
  ];
}

/** The spectrum VOTable: flux points as the table, the fit as INFOs and one GROUP of PARAMs per model parameter. */
export function spectrumVotable(
  spectrum: StackedSpectrum,
  fit: SpectralFit,
  points: readonly FluxPoint[],
): AsyncGenerator<Buffer> {
  const { infos, groups } = fitElements(fit);
  return writeVotable(FIELDS, [points.map(pointRow)], {
    serialization: 'TABLEDATA',
    infos: [...infos, ...stackInfos(spectrum)],
    tableName: 'flux_points',
    tableDescription: 'flux points of the best-fit model in the ENERGY bins (FluxPointsEstimator)',
    resources: [{ type: 'results', name: 'model', description: `best-fit ${fit.model}`, groups }],
  });
}

/** A double column of a FluxPoints table, one value per row (a one-element vector with `dim` [1]). */
type SedColumn<T> = (
  name: string,
  unit: string,
  values: (row: T) => number,
  dim?: readonly number[],
) => BinTableColumnSpec;

/**
 * A table as gammapy's FluxPoints.write makes it: an empty primary HDU, then `name`
 * with SED_TYPE, UL_CONF (2σ upper limits), more `cards`, and the columns of `rows`.
 */
export function sedTableHdus<T>(
  name: string,
  sedType: string,
  rows: readonly T[],
  columns: (column: SedColumn<T>) => BinTableColumnSpec[],
  cards: readonly Card[] = [],
): WritableHdu[] {
  const column: SedColumn<T> = (columnName, unit, values, dim) => ({
    name: columnName,
    format: 'D',
    ...(dim ? { dim } : {}),
    ...(unit ? { unit } : {}),
    values: Float64Array.from(rows, values),
  });
  return [
    { header: emptyPrimaryHeader(), data: new Uint8Array(0) },
    buildBinTable({
      name,
      header: [
        { keyword: 'SED_TYPE', value: sedType },
        { keyword: 'UL_CONF', value: 0.9544997361036416 },
        ...cards,
      ],
      columns: columns(column),
      ...(rows.length === 0 ? { rowCount: 0 } : {}),
    }),
  ];
}

/** The flux points as a gadf-sed table (SED_TYPE dnde), as gammapy's FluxPoints.write makes it. */
export function fluxPointsHdus(points: readonly FluxPoint[]): WritableHdu[] {
  return sedTableHdus('FLUXPOINTS', 'dnde', points, (column) => [
    column('e_ref', 'TeV', (p) => p.eRef),
    column('e_min', 'TeV', (p) => p.eMin),
    column('e_max', 'TeV', (p) => p.eMax),
    column('dnde', DNDE_UNIT, (p) => p.norm * p.dndeRef),
    column('dnde_err', DNDE_UNIT, (p) => p.normErr * p.dndeRef),
    column('dnde_ul', DNDE_UNIT, (p) => p.normUl * p.dndeRef),
    { name: 'is_ul', format: 'L', values: points.map((p) => p.isUl) },
    column('ts', '', (p) => p.ts),
    column('sqrt_ts', '', (p) => p.sqrtTs),
    column('norm', '', (p) => p.norm),
    column('norm_err', '', (p) => p.normErr),
  ]);
}

const POINT: Rgb = [31, 78, 140];

/** Where a point goes (x, its bin x0–x1) and its value with its error bar, or an upper limit. */
type PlotPoint = { readonly x: number; readonly x0: number; readonly x1: number } & (
  { readonly y: number; readonly low: number; readonly high: number } | { readonly ul: number }
);

/** A point with its horizontal bin and vertical error bar (clipped to the frame), or an arrow down from an upper limit. */
export function drawPoint(raster: Raster, frame: PlotFrame, p: PlotPoint): void {
  const x = Math.round(frame.x(p.x));
  const x0 = Math.round(frame.x(p.x0));
  const x1 = Math.round(frame.x(p.x1));
  const bottom = frame.area.y + frame.area.height;
  if ('ul' in p) {
    const y = Math.round(frame.y(p.ul));
    raster.fillRect(x0, y, x1 - x0 + 1, 1, POINT);
    raster.fillRect(x, y, 1, 24, POINT);
    raster.line(x - 4, y + 18, x, y + 24, { color: POINT });
    raster.line(x + 4, y + 18, x, y + 24, { color: POINT });
    return;
  }
  const y = Math.round(frame.y(p.y));
  const yTop = Math.round(frame.y(p.high));
  // On a log axis a bar reaching zero or below goes to the bottom of the frame.
  const yBottom =
    frame.yAxis.log && !(p.low > 0) ? bottom : Math.min(bottom, Math.round(frame.y(p.low)));
  raster.fillRect(x0, y, x1 - x0 + 1, 1, POINT);
  raster.fillRect(x, yTop, 1, yBottom - yTop + 1, POINT);
  raster.fillRect(x - 2, y - 2, 5, 5, POINT);
}
const MODEL: Rgb = [200, 60, 40];

/** E² dN/dE of the flux points (upper limits as arrows) and the model, log-log. */
export function sedPlot(
  spectrum: StackedSpectrum,
  fit: SpectralFit,
  points: readonly FluxPoint[],
): Buffer {
  const raster = new Raster(PLOT_WIDTH, PLOT_HEIGHT);
  const edges = spectrum.geom.energy;
  const e2 = (e: number, dnde: number) => e * e * dnde;
  const values = points.flatMap((p) => {
    const v = p.isUl ? [p.normUl] : [p.norm - p.normErr, p.norm + p.normErr];
    return v.map((n) => e2(p.eRef, n * p.dndeRef)).filter((x) => x > 0);
  });
  const model = Array.from({ length: 100 }, (_, k) => {
    const e = edges[0]! * (edges[edges.length - 1]! / edges[0]!) ** (k / 99);
    return [e, e2(e, fit.dnde(e))] as const;
  });
  const all = [...values, ...model.map((m) => m[1]).filter((v) => v > 0)];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const frame = new PlotFrame(
    raster,
    PLOT_AREA,
    { label: 'Energy (TeV)', min: edges[0]! / 1.3, max: edges[edges.length - 1]! * 1.3, log: true },
    { label: 'E^2 dN/dE (TeV cm-2 s-1)', min: lo / 3, max: hi * 3, log: true },
  );
  const index = fit.parameters.find((p) => p.name === 'index' || p.name === 'alpha')!;
  drawTitles(
    raster,
    `Spectrum: ${fit.model}, ${spectrum.runs.length} run${spectrum.runs.length === 1 ? '' : 's'}`,
    `${index.name} ${index.value.toFixed(3)} +/- ${index.error.toFixed(3)}, livetime ${(spectrum.livetime / 3600).toPrecision(3)} h`,
  );
  frame.drawGrid();
  frame.inside(() => {
    raster.polyline(
      model.filter((m) => m[1] > 0).map(([e, v]) => [frame.x(e), frame.y(v)] as const),
      { color: MODEL, width: 2 },
    );
    for (const p of points) {
      const at = { x: p.eRef, x0: p.eMin, x1: p.eMax };
      if (p.isUl) drawPoint(raster, frame, { ...at, ul: e2(p.eRef, p.normUl * p.dndeRef) });
      else {
        drawPoint(raster, frame, {
          ...at,
          y: e2(p.eRef, p.norm * p.dndeRef),
          low: e2(p.eRef, (p.norm - p.normErr) * p.dndeRef),
          high: e2(p.eRef, (p.norm + p.normErr) * p.dndeRef),
        });
      }
    }
  });
  frame.drawAxes();
  return encodePng(raster, { Title: 'hearc spectrum: SED' });
}
