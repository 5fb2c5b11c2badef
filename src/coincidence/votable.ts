const SERIALIZATIONS: Readonly<Record<string, VotableSerialization>> = {
  'votable-binary2': 'BINARY2',
  'votable-binary': 'BINARY',
  'votable-tabledata': 'TABLEDATA',
};

/** The VOTable serialization RESPONSEFORMAT asks for (default BINARY2); other formats are refused. */
export function coincidenceSerialization(responseFormat: string | undefined): VotableSerialization {
  const format = resolveFormat(responseFormat);
  const serialization = SERIALIZATIONS[format.name];
  if (serialization === undefined) {
    throw new DaliError(
      400,
      `RESPONSEFORMAT '${responseFormat ?? ''}' is not offered here: use votable, votable/b or votable/td`,
    );
  }
  return serialization;
}

/** The coincidence result as a VOTable, with DataLink (and SODA) service descriptors on its identifiers. */
import type { ResultColumn } from '../adql/index.js';
import { describeResult } from '../tap/service-descriptors.js';
import { DaliError } from '../dali/index.js';
import { resolveFormat } from '../tap/formats.js';
import {
  type CellValue,
  type FieldDescription,
  type InfoElement,
  type VotableSerialization,
  writeVotable,
} from '../votable/index.js';
import type { CoincidenceResult } from './service.js';

export const COINCIDENCE_COLUMNS: readonly ResultColumn[] = [
  {
    name: 'obs_publisher_did',
    datatype: 'char',
    arraysize: '*',
    ucd: 'meta.ref.ivoid',
    datalinkId: true,
    description: 'IVOA dataset identifier of the observation (ivoa.obscore).',
  },
  {
    name: 'obs_id',
    datatype: 'char',
    arraysize: '*',
    ucd: 'meta.id',
    description: 'Observation identifier.',
  },
  {
    name: 'prob',
    datatype: 'double',
    ucd: 'stat.probability',
    description: 'Probability of the alert localisation inside the field of view (s_region).',
  },
  {
    name: 'dt',
    datatype: 'double',
    unit: 'd',
    ucd: 'time.interval',
    description:
      'Days from the event to the nearest good time interval (0 during one; negative before the event).',
  },
  {
    name: 'livetime',
    datatype: 'double',
    unit: 's',
    ucd: 'time.duration;obs.exposure',
    description: 'Livetime of the observation within the search window.',
  },
];

/** The VOTable of a coincidence result; DataLink descriptors point under `serviceUrl`. */
export function coincidenceVotable(
  result: CoincidenceResult,
  serviceUrl: string | undefined,
  serialization: VotableSerialization = 'BINARY2',
): AsyncGenerator<Buffer, unknown, undefined> {
  const fields: FieldDescription[] = COINCIDENCE_COLUMNS.map((c) => ({
    name: c.name,
    datatype: c.datatype,
    ...(c.arraysize ? { arraysize: c.arraysize } : {}),
    ...(c.unit ? { unit: c.unit } : {}),
    ...(c.ucd ? { ucd: c.ucd } : {}),
    ...(c.description ? { description: c.description } : {}),
  }));
  const described = describeResult(COINCIDENCE_COLUMNS, fields, serviceUrl);
  const { query } = result;
  const infos: InfoElement[] = [
    ...(query.alertId !== undefined ? [{ name: 'alert_id', value: query.alertId }] : []),
    ...(query.revision !== undefined ? [{ name: 'revision', value: String(query.revision) }] : []),
    { name: 't_event', value: String(query.window.tEvent), unit: 'd' },
    {
      name: 'window',
      value: `${query.window.tEvent - query.window.before} ${query.window.tEvent + query.window.after}`,
      unit: 'd',
    },
    {
      name: 'hidden_observations',
      value: String(result.hidden),
      content: 'coincident observations not shown: their data are not open to the caller',
    },
  ];
  // One batch of columns, in the order of COINCIDENCE_COLUMNS: no row arrays to build and take apart.
  const { visible } = result;
  const columns = COINCIDENCE_COLUMNS.map(() => new Array<CellValue>(visible.length));
  const [did, obsId, prob, dt, livetime] = columns as [
    CellValue[],
    CellValue[],
    CellValue[],
    CellValue[],
    CellValue[],
  ];
  visible.forEach((c, r) => {
    did[r] = c.observation.did;
    obsId[r] = c.observation.obsId;
    prob[r] = c.prob;
    dt[r] = c.dt;
    livetime[r] = c.livetime;
  });
  return writeVotable(described.fields, [{ rowCount: visible.length, columns }], {
    infos,
    tableName: 'coincidence',
    serialization,
    resources: described.resources,
  });
}
