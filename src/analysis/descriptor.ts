/**
 * The analysis services as DataLink sees them (DataLink 1.1 §4): for map datasets,
 * spectra and light curves, a service descriptor (RESOURCE type="meta"
 * utype="adhoc:service" with standardID and accessURL) whose input PARAMs say what a
 * request takes, with the ranges of the dataset at hand: the map's CENTER at its
 * pointing, ENERGY and ENERGY_TRUE within its IRFs' energies, OFFSET_MAX within its
 * background's offsets, TIME within its observing time. Offered as #proc rows of every
 * event list's links, and on every TAP result with dataset identifiers (many IDs at once).
 */
import {
  type DatasetService,
  LINKS_ID_FIELD,
  type PublishedDataset,
  serviceIdentityParams,
  type ServiceLink,
} from '../datalink/index.js';
import type { MetaResource, ParamElement } from '../votable/index.js';
import { DEFAULT_ANALYSIS_LIMITS } from './request.js';
import {
  DEFAULT_WOBBLE_OFF_REGIONS,
  MAX_ON_RADIUS,
  MAX_WOBBLE_OFF_REGIONS,
} from './spectrum-request.js';

/** The analysis services' standardIDs: hearc's own, under the service's authority (there is no IVOA standard). */
export function analysisStandardIds(authority: string): {
  readonly mapdataset: string;
  readonly spectrum: string;
  readonly lightcurve: string;
} {
  const id = (name: string) => `ivo://${authority}/analysis#${name}-1.0`;
  return { mapdataset: id('mapdataset'), spectrum: id('spectrum'), lightcurve: id('lightcurve') };
}

export type AnalysisStandardIds = ReturnType<typeof analysisStandardIds>;
type AnalysisKind = keyof AnalysisStandardIds;

/** Where each service answers at once, under the service's base URL. */
const SYNC_PATH: Readonly<Record<AnalysisKind, string>> = {
  mapdataset: '/analysis/sync',
  spectrum: '/analysis/spectrum/sync',
  lightcurve: '/analysis/lightcurve/sync',
};

/** Full precision, no float noise. */
const text = (value: number): string => String(Number(value.toPrecision(10)));

const charParam = (
  name: string,
  description: string,
  value: string,
  options?: readonly string[],
): ParamElement => ({
  name,
  datatype: 'char',
  arraysize: '*',
  value,
  description,
  ...(options ? { values: { options: options.map((o) => ({ value: o })) } } : {}),
});

const DEFAULT_WIDTH = 4;
const DEFAULT_BINSZ = 0.02;
const DEFAULT_OFFSET_MAX = 2.5;
const DEFAULT_RADIUS = 0.11;

/** The ID PARAM: its value comes from the row (links table or TAP result) that names the descriptor. */
function idParam(idField: string, description: string): ParamElement {
  return {
    name: 'ID',
    datatype: 'char',
    arraysize: '*',
    ucd: 'meta.id;meta.main',
    ref: idField,
    value: '',
    description,
  };
}

/** The energy range of the dataset's `component` IRF, TeV, when the catalog records it. */
function energyRange(
  dataset: Pick<PublishedDataset, 'irfs'> | undefined,
  component: string,
): readonly [number, number] | undefined {
  return dataset?.irfs.find((i) => i.component === component)?.energyRange;
}

function energyParam(
  name: 'ENERGY' | 'ENERGY_TRUE',
  range: readonly [number, number] | undefined,
  maxBins: number,
  description: string,
): ParamElement {
  return {
    name,
    datatype: 'double',
    arraysize: '3',
    unit: 'TeV',
    ucd: 'em.energy;stat.interval',
    value: '',
    description,
    // Per element: emin and emax inside the IRF's energies, nbins from 1 to the limit.
    ...(range
      ? {
          values: {
            min: `${text(range[0])} ${text(range[0])} 1`,
            max: `${text(range[1])} ${text(range[1])} ${maxBins}`,
          },
        }
      : {}),
  };
}

/** The ID, ENERGY, ENERGY_TRUE and OFFSET_MAX PARAMs every analysis request takes, with `dataset`'s ranges. */
function commonParams(
  dataset: Pick<PublishedDataset, 'coverage' | 'irfs'> | undefined,
  idField: string,
  idDescription: string,
  maxEnergyBins: number,
): { id: ParamElement; energies: ParamElement[]; offsetMax: ParamElement } {
  const bkgOffset = dataset?.irfs.find((i) => i.component === 'bkgrate')?.offsetMax;
  return {
    id: idParam(idField, idDescription),
    energies: [
      energyParam(
        'ENERGY',
        energyRange(dataset, 'bkgrate') ?? energyRange(dataset, 'aeff'),
        maxEnergyBins,
        'Reconstructed-energy axis: emin emax nbins (log bins)',
      ),
      energyParam(
        'ENERGY_TRUE',
        energyRange(dataset, 'aeff'),
        maxEnergyBins,
        'True-energy axis: emin emax nbins (log bins); default half emin to twice emax',
      ),
    ],
    offsetMax: degrees(
      'OFFSET_MAX',
      'Safe-mask radius around each pointing',
      String(
        bkgOffset !== undefined ? Math.min(DEFAULT_OFFSET_MAX, bkgOffset) : DEFAULT_OFFSET_MAX,
      ),
      bkgOffset,
    ),
  };
}

const degrees = (name: string, description: string, value: string, max?: number) =>
  ({
    name,
    datatype: 'double',
    unit: 'deg',
    value,
    description,
    ...(max !== undefined ? { values: { min: '0', max: text(max) } } : {}),
  }) satisfies ParamElement;

const centerParam = (value: string, description: string): ParamElement => ({
  name: 'CENTER',
  datatype: 'double',
  arraysize: '2',
  unit: 'deg',
  ucd: 'pos.eq;meta.main',
  value,
  description,
});

/** The input parameters of a map-dataset request, with `dataset`'s ranges where known. */
export function mapDatasetParams(
  dataset: Pick<PublishedDataset, 'coverage' | 'irfs'> | undefined,
  idField: string,
  idDescription: string,
  maxEnergyBins: number = DEFAULT_ANALYSIS_LIMITS.maxEnergyBins,
): ParamElement[] {
  const c = dataset?.coverage ?? {};
  const pointing = c.ra !== undefined && c.dec !== undefined ? [c.ra, c.dec] : undefined;
  const { id, energies, offsetMax } = commonParams(dataset, idField, idDescription, maxEnergyBins);
  return [
    id,
    centerParam(
      pointing ? pointing.map(text).join(' ') : '',
      'Centre of the map: ra dec (ICRS); by default the pointing of the observation',
    ),
    {
      ...degrees('WIDTH', 'Width of the map: w, or w h', String(DEFAULT_WIDTH), 360),
      arraysize: '*',
    },
    degrees('BINSZ', 'Pixel size', String(DEFAULT_BINSZ), 10),
    ...energies,
    offsetMax,
    charParam('PROJ', 'Map projection', 'CAR', ['CAR', 'TAN']),
    charParam('FRAME', 'Map frame', 'icrs', ['icrs', 'galactic']),
  ];
}

/** The input parameters of a spectrum or light-curve request, with `dataset`'s ranges where known. */
export function dl5Params(
  kind: 'spectrum' | 'lightcurve',
  dataset: Pick<PublishedDataset, 'coverage' | 'irfs'> | undefined,
  idField: string,
  idDescription: string,
  maxEnergyBins: number = DEFAULT_ANALYSIS_LIMITS.maxEnergyBins,
): ParamElement[] {
  const { id, energies, offsetMax } = commonParams(dataset, idField, idDescription, maxEnergyBins);
  const pointLike = dataset?.irfs.some((i) => i.component === 'rad_max') ?? false;
  const withBkg = dataset?.irfs.some((i) => i.component === 'bkgrate') ?? true;
  const params: ParamElement[] = [
    id,
    // The ON region is the source's, not the pointing's (runs are often taken off-source).
    centerParam('', 'Centre of the ON region (the source): ra dec (ICRS); required'),
    degrees(
      'RADIUS',
      pointLike
        ? 'Leave empty: these IRFs are point-like, the ON region is cut by their energy-dependent RAD_MAX'
        : 'Radius of the ON region (required for full-enclosure IRFs; leave empty for point-like ones, whose RAD_MAX cut gives it)',
      pointLike ? '' : String(DEFAULT_RADIUS),
      MAX_ON_RADIUS,
    ),
    ...energies,
    offsetMax,
    charParam(
      'MODEL',
      'Spectral model fitted (forward folding; cash with the BKG IRF, WStat with OFF regions)',
      'powerlaw',
      ['powerlaw', 'logparabola'],
    ),
    charParam(
      'BACKGROUND',
      'Background: irf (the BKG IRF in the ON region, cash) or reflected (OFF regions at the same offset from the pointing, WStat); default irf when every run has a BKG IRF, else reflected',
      withBkg && !pointLike ? 'irf' : 'reflected',
      withBkg && !pointLike ? ['irf', 'reflected'] : ['reflected'],
    ),
    {
      name: 'N_OFF',
      datatype: 'int',
      value: String(DEFAULT_WOBBLE_OFF_REGIONS),
      description:
        'OFF regions around the pointing for point-like IRFs (wobble positions; none are used when their RAD_MAX circles could overlap)',
      values: { min: '1', max: String(MAX_WOBBLE_OFF_REGIONS) },
    },
  ];
  if (kind === 'spectrum') return params;
  const range = energyRange(dataset, 'bkgrate') ?? energyRange(dataset, 'aeff');
  const c = dataset?.coverage ?? {};
  return [
    ...params,
    {
      name: 'THRESHOLD',
      datatype: 'double',
      unit: 'TeV',
      ucd: 'em.energy;stat.min',
      // 0, not empty: pyvo cannot pass on a scalar number without a value.
      value: '0',
      description:
        'Lower end of the flux energy range, snapped to the nearest ENERGY edge (0: the lowest edge)',
      values: { min: '0', ...(range ? { max: text(range[1]) } : {}) },
    },
    {
      name: 'TIME',
      datatype: 'double',
      arraysize: '*',
      unit: 'd',
      ucd: 'time.epoch',
      value: '',
      description: 'Time bin edges t0 t1 ... tn, MJD (UTC); default one bin per run',
      ...(c.tMin !== undefined && c.tMax !== undefined
        ? { values: { min: String(c.tMin), max: String(c.tMax) } }
        : {}),
    },
  ];
}

function descriptor(
  standardId: string,
  accessUrl: string,
  params: readonly ParamElement[],
): Omit<MetaResource, 'id'> {
  return {
    type: 'meta',
    utype: 'adhoc:service',
    params: serviceIdentityParams(standardId, accessUrl),
    groups: [{ name: 'inputParams', params }],
  };
}

/** What each service's descriptor says of itself. */
const SERVICE_TEXT: Readonly<
  Record<
    AnalysisKind,
    {
      readonly contentType: string;
      readonly onDataset: (obsId: string, baseUrl: string) => string;
      readonly onResult: (column: string) => string;
    }
  >
> = {
  mapdataset: {
    contentType: 'application/fits',
    onDataset: (obsId, baseUrl) =>
      `Map dataset (gammapy MapDataset, DL4) of observation ${obsId}: counts, exposure, background, safe mask (${baseUrl}/analysis/async for many runs)`,
    onResult: (column) =>
      `Stacked map dataset (gammapy MapDataset) of the datasets in column ${column}: repeat ID for each row`,
  },
  spectrum: {
    contentType: 'application/x-votable+xml',
    onDataset: (obsId, baseUrl) =>
      `Spectrum (DL5) of an ON region in observation ${obsId}: forward-folded fit and flux points (${baseUrl}/analysis/spectrum/async for FITS and PNG)`,
    onResult: (column) =>
      `Spectrum (DL5) of an ON region in the stacked datasets of column ${column}: repeat ID for each row`,
  },
  lightcurve: {
    contentType: 'application/x-votable+xml',
    onDataset: (obsId, baseUrl) =>
      `Light curve (DL5) of an ON region in observation ${obsId}: flux per time bin (${baseUrl}/analysis/lightcurve/async for FITS and PNG)`,
    onResult: (column) =>
      `Light curve (DL5) of an ON region, one bin per run of column ${column} or per TIME bin: repeat ID for each row`,
  },
};

function paramsOf(
  kind: AnalysisKind,
  dataset: Pick<PublishedDataset, 'coverage' | 'irfs'> | undefined,
  idField: string,
  idDescription: string,
): ParamElement[] {
  return kind === 'mapdataset'
    ? mapDatasetParams(dataset, idField, idDescription)
    : dl5Params(kind, dataset, idField, idDescription);
}

const KINDS: readonly AnalysisKind[] = ['mapdataset', 'spectrum', 'lightcurve'];

/**
 * The analysis services as #proc rows of each event list's links (a map needs an
 * effective area and a background and full-enclosure IRFs; a spectrum or light curve an
 * effective area and an energy dispersion, its background from the BKG IRF or OFF regions).
 */
export function analysisDatasetServices(ids: AnalysisStandardIds): DatasetService[] {
  return KINDS.map((kind) => ({
    linkFor(dataset: PublishedDataset, baseUrl: string): ServiceLink | undefined {
      const has = (c: string) => dataset.irfs.some((i) => i.component === c);
      const usable =
        kind === 'mapdataset'
          ? has('aeff') && has('bkgrate') && !has('rad_max')
          : has('aeff') && has('edisp');
      if (!usable) return undefined;
      return {
        semantics: '#proc',
        description: SERVICE_TEXT[kind].onDataset(dataset.obsId, baseUrl),
        contentType: SERVICE_TEXT[kind].contentType,
        descriptor: descriptor(
          ids[kind],
          `${baseUrl}${SYNC_PATH[kind]}`,
          paramsOf(kind, dataset, LINKS_ID_FIELD, 'The publisher DID of the observation'),
        ),
      };
    },
  }));
}

/**
 * The analysis services on a TAP result, one descriptor maker per service: the ID PARAM
 * refs the result's column of dataset identifiers; each service takes ID repeated, one
 * per row to stack.
 */
export function analysisResultServices(
  ids: AnalysisStandardIds,
): ((idField: string, baseUrl: string, column: string) => Omit<MetaResource, 'id'>)[] {
  return KINDS.map((kind) => (idField, baseUrl, column) => ({
    ...descriptor(
      ids[kind],
      `${baseUrl}${SYNC_PATH[kind]}`,
      paramsOf(
        kind,
        undefined,
        idField,
        `The publisher DIDs of the runs to stack (column ${column}); give ID once per row`,
      ),
    ),
    name: kind === 'mapdataset' ? 'analysis' : kind,
    description: SERVICE_TEXT[kind].onResult(column),
  }));
}
