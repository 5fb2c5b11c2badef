/**
 * The analysis service as DataLink sees it (DataLink 1.1 §4): a service descriptor
 * (RESOURCE type="meta" utype="adhoc:service" with standardID and accessURL) whose
 * input PARAMs say what a map-dataset request takes, with the ranges of the dataset at
 * hand: CENTER at its pointing, ENERGY and ENERGY_TRUE within its IRFs' energies,
 * OFFSET_MAX within its background's offsets. Offered as a #proc row of every event
 * list's links, and on every TAP result with dataset identifiers (many IDs at once).
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

/** The input parameters of a map-dataset request, with `dataset`'s ranges where known. */
export function mapDatasetParams(
  dataset: Pick<PublishedDataset, 'coverage' | 'irfs'> | undefined,
  idField: string,
  idDescription: string,
  maxEnergyBins: number = DEFAULT_ANALYSIS_LIMITS.maxEnergyBins,
): ParamElement[] {
  const c = dataset?.coverage ?? {};
  const pointing = c.ra !== undefined && c.dec !== undefined ? [c.ra, c.dec] : undefined;
  const bkgOffset = dataset?.irfs.find((i) => i.component === 'bkgrate')?.offsetMax;
  const degrees = (name: string, description: string, value: string, max?: number) =>
    ({
      name,
      datatype: 'double',
      unit: 'deg',
      value,
      description,
      ...(max !== undefined ? { values: { min: '0', max: text(max) } } : {}),
    }) satisfies ParamElement;
  return [
    idParam(idField, idDescription),
    {
      name: 'CENTER',
      datatype: 'double',
      arraysize: '2',
      unit: 'deg',
      ucd: 'pos.eq;meta.main',
      value: pointing ? pointing.map(text).join(' ') : '',
      description: 'Centre of the map: ra dec (ICRS); by default the pointing of the observation',
    },
    {
      ...degrees('WIDTH', 'Width of the map: w, or w h', String(DEFAULT_WIDTH), 360),
      arraysize: '*',
    },
    degrees('BINSZ', 'Pixel size', String(DEFAULT_BINSZ), 10),
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
    degrees(
      'OFFSET_MAX',
      'Safe-mask radius around each pointing',
      String(
        bkgOffset !== undefined ? Math.min(DEFAULT_OFFSET_MAX, bkgOffset) : DEFAULT_OFFSET_MAX,
      ),
      bkgOffset,
    ),
    charParam('PROJ', 'Map projection', 'CAR', ['CAR', 'TAN']),
    charParam('FRAME', 'Map frame', 'icrs', ['icrs', 'galactic']),
  ];
}

function descriptor(
  standardId: string,
  baseUrl: string,
  params: readonly ParamElement[],
): Omit<MetaResource, 'id'> {
  return {
    type: 'meta',
    utype: 'adhoc:service',
    params: serviceIdentityParams(standardId, `${baseUrl}/analysis/sync`),
    groups: [{ name: 'inputParams', params }],
  };
}

/** The map-dataset service as a #proc row of each event list's links. */
export function analysisDatasetService(standardId: string): DatasetService {
  return {
    linkFor(dataset: PublishedDataset, baseUrl: string): ServiceLink | undefined {
      // A map needs an effective area and a background.
      const has = (c: string) => dataset.irfs.some((i) => i.component === c);
      if (!has('aeff') || !has('bkgrate')) return undefined;
      return {
        semantics: '#proc',
        description: `Map dataset (gammapy MapDataset, DL4) of observation ${dataset.obsId}: counts, exposure, background, safe mask (${baseUrl}/analysis/async for many runs)`,
        contentType: 'application/fits',
        descriptor: descriptor(
          standardId,
          baseUrl,
          mapDatasetParams(dataset, LINKS_ID_FIELD, 'The publisher DID of the observation'),
        ),
      };
    },
  };
}

/**
 * The map-dataset service on a TAP result: its ID PARAM refs the result's column of
 * dataset identifiers; the service takes ID repeated, one per row to stack.
 */
export function analysisResultDescriptor(
  standardId: string,
  baseUrl: string,
  idField: string,
  column: string,
): Omit<MetaResource, 'id'> {
  return {
    ...descriptor(
      standardId,
      baseUrl,
      mapDatasetParams(
        undefined,
        idField,
        `The publisher DIDs of the runs to stack (column ${column}); give ID once per row`,
      ),
    ),
    name: 'analysis',
    description: `Stacked map dataset (gammapy MapDataset) of the datasets in column ${column}: repeat ID for each row`,
  };
}
