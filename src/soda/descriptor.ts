/**
 * The SODA service descriptor of a dataset for its DataLink document (SODA 1.0 §4.2):
 * RESOURCE type="meta" utype="adhoc:service" with standardID and accessURL, and the
 * input parameters with the ranges that give data for this observation (VALUES MIN/MAX
 * from its ObsCore row: pointing and field of view, t_min/t_max, em_min/em_max).
 */
import {
  type DatasetService,
  LINKS_ID_FIELD,
  type PublishedDataset,
  type ServiceLink,
} from '../datalink/index.js';
import { circleToPolygon } from '../gadf/index.js';
import type { ParamElement } from '../votable/index.js';
import { HC_EV_M } from './params.js';

export const SODA_SYNC_STANDARD_ID = 'ivo://ivoa.net/std/SODA#sync-1.0';

const text = (value: number): string => String(Number(value.toPrecision(12)));
const list = (values: readonly number[]): string => values.map(text).join(' ');
const teV = (metres: number): number => HC_EV_M / metres / 1e12;

const interval = (
  name: string,
  unit: string,
  ucd: string,
  description: string,
  range: readonly [number | undefined, number | undefined],
): ParamElement => {
  const [min, max] = range;
  return {
    name,
    datatype: 'double',
    arraysize: '2',
    xtype: 'interval',
    unit,
    ucd,
    value: '',
    description,
    // Full precision: a rounded bound could leave out the first or last events.
    ...(min !== undefined && max !== undefined
      ? { values: { min: String(min), max: String(max) } }
      : {}),
  };
};

/**
 * The input parameters, with this dataset's ranges where the catalog knows them; the
 * ID PARAM refs `idField` (the links table's ID, or a TAP result's DID column).
 */
export function cutoutParams(
  dataset: Pick<PublishedDataset, 'coverage'>,
  idField: string = LINKS_ID_FIELD,
): ParamElement[] {
  const c = dataset.coverage ?? {};
  const radius = c.fov !== undefined ? c.fov / 2 : undefined;
  const field = c.ra !== undefined && c.dec !== undefined && radius !== undefined;
  return [
    {
      name: 'ID',
      datatype: 'char',
      arraysize: '*',
      ucd: 'meta.ref.url;meta.curation',
      // The value comes from the links row that names this descriptor (DataLink 1.1 §4.1).
      ref: idField,
      value: '',
      description: 'The publisher DID of the dataset of interest',
    },
    {
      name: 'CIRCLE',
      datatype: 'double',
      arraysize: '3',
      xtype: 'circle',
      unit: 'deg',
      ucd: 'pos.outline;obs',
      value: '',
      description: 'Keep the events inside this circle (ra dec radius, ICRS)',
      ...(field ? { values: { max: list([c.ra!, c.dec!, radius!]) } } : {}),
    },
    {
      name: 'POLYGON',
      datatype: 'double',
      arraysize: '*',
      xtype: 'polygon',
      unit: 'deg',
      ucd: 'pos.outline;obs',
      value: '',
      description: 'Keep the events inside this polygon (ra dec pairs, ICRS)',
      ...(field ? { values: { max: list(circleToPolygon(c.ra!, c.dec!, radius!)) } } : {}),
    },
    {
      name: 'POS',
      datatype: 'char',
      arraysize: '*',
      ucd: 'pos.outline;obs',
      value: '',
      description: 'Keep the events inside this region: CIRCLE, RANGE or POLYGON (ICRS deg)',
    },
    interval(
      'TIME',
      'd',
      'time.interval;obs.exposure',
      'Keep the events and good time intervals within this MJD (UTC) interval; ONTIME and LIVETIME follow',
      [c.tMin, c.tMax],
    ),
    interval(
      'BAND',
      'm',
      'em.wl;stat.interval',
      'Keep the events whose energy corresponds to these wavelengths (lambda = hc/E)',
      [c.emMin, c.emMax],
    ),
    interval(
      'ENERGY',
      'TeV',
      'em.energy;stat.interval',
      'Keep the events with a reconstructed energy in this interval',
      [
        c.emMax !== undefined ? teV(c.emMax) : undefined,
        c.emMin !== undefined ? teV(c.emMin) : undefined,
      ],
    ),
  ];
}

/** SODA cutouts as a DataLink service: a #proc row per dataset. */
export function sodaDatasetService(): DatasetService {
  return {
    linkFor(dataset: PublishedDataset, baseUrl: string): ServiceLink {
      return {
        semantics: '#proc',
        description: `Cutout of the event list of observation ${dataset.obsId} (sky region, time, energy; EVENT_TYPE where the events have one), with its IRFs (SODA)`,
        contentType: 'application/fits',
        contentQualifier: 'hea-event-bundle',
        descriptor: {
          type: 'meta',
          utype: 'adhoc:service',
          params: [
            {
              name: 'standardID',
              datatype: 'char',
              arraysize: '*',
              value: SODA_SYNC_STANDARD_ID,
            },
            {
              name: 'accessURL',
              datatype: 'char',
              arraysize: '*',
              ucd: 'meta.ref.url',
              value: `${baseUrl}/soda`,
            },
          ],
          groups: [{ name: 'inputParams', params: cutoutParams(dataset) }],
        },
      };
    },
  };
}
