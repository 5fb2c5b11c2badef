/**
 * DataLink service descriptors of a TAP result (DataLink 1.1 §4): for each column of
 * dataset identifiers, a RESOURCE type="meta" utype="adhoc:service" whose ID PARAM refs
 * the column's FIELD, so that clients (pyvo's iter_datalinks, TOPCAT) find the links of
 * every row; and the SODA cutout service on the same identifiers.
 */
import type { ResultColumn } from '../adql/index.js';
import { cutoutParams, SODA_SYNC_STANDARD_ID } from '../soda/index.js';
import type { FieldDescription, MetaResource, ParamElement } from '../votable/index.js';

export const DATALINK_LINKS_STANDARD_ID = 'ivo://ivoa.net/std/DataLink#links-1.1';

const urlParam = (name: string, value: string, ucd?: string): ParamElement => ({
  name,
  datatype: 'char',
  arraysize: '*',
  ...(ucd ? { ucd } : {}),
  value,
});

export interface DescribedResult {
  /** The result's FIELDs, with an ID on each identifier column the descriptors ref. */
  readonly fields: readonly FieldDescription[];
  readonly resources: readonly MetaResource[];
}

/** Adds the descriptors of the DataLink and SODA services under `serviceUrl`. */
export function describeResult(
  columns: readonly ResultColumn[],
  fields: readonly FieldDescription[],
  serviceUrl: string | undefined,
): DescribedResult {
  if (serviceUrl === undefined) return { fields, resources: [] };
  const resources: MetaResource[] = [];
  const withIds = fields.map((field, i) => {
    if (columns[i]?.datalinkId !== true) return field;
    const id = `dataset_id_${i + 1}`;
    resources.push({
      id: `datalink_${i + 1}`,
      type: 'meta',
      utype: 'adhoc:service',
      name: 'datalink',
      description: `DataLink links of the datasets in column ${field.name}: event list, IRFs, previews, cutouts`,
      params: [
        urlParam('standardID', DATALINK_LINKS_STANDARD_ID),
        urlParam('accessURL', `${serviceUrl}/datalink`, 'meta.ref.url'),
      ],
      groups: [
        {
          name: 'inputParams',
          params: [
            {
              name: 'ID',
              datatype: 'char',
              arraysize: '*',
              ucd: 'meta.id;meta.main',
              ref: id,
              value: '',
            },
          ],
        },
      ],
    });
    resources.push({
      id: `soda_${i + 1}`,
      type: 'meta',
      utype: 'adhoc:service',
      name: 'soda',
      description: `Event-list cutouts (SODA) of the datasets in column ${field.name}`,
      params: [
        urlParam('standardID', SODA_SYNC_STANDARD_ID),
        urlParam('accessURL', `${serviceUrl}/soda`, 'meta.ref.url'),
      ],
      groups: [{ name: 'inputParams', params: cutoutParams({}, id) }],
    });
    return { ...field, id };
  });
  return { fields: withIds, resources };
}
