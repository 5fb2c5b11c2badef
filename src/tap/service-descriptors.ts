/**
 * DataLink service descriptors of a TAP result (DataLink 1.1 §4): for each column of
 * dataset identifiers, a RESOURCE type="meta" utype="adhoc:service" whose ID PARAM refs
 * the column's FIELD, so that clients (pyvo's iter_datalinks, TOPCAT) find the links of
 * every row; and the SODA cutout service on the same identifiers.
 */
import type { ResultColumn } from '../adql/index.js';
import { serviceIdentityParams } from '../datalink/index.js';
import { cutoutParams, SODA_SYNC_STANDARD_ID } from '../soda/index.js';
import type { FieldDescription, MetaResource } from '../votable/index.js';

export const DATALINK_LINKS_STANDARD_ID = 'ivo://ivoa.net/std/DataLink#links-1.1';

/**
 * Another service offered on a result's dataset identifiers: its descriptor, whose ID
 * PARAM refs `idField` (the FIELD of `column`), under `serviceUrl`.
 */
export type ResultService = (
  idField: string,
  serviceUrl: string,
  column: string,
) => Omit<MetaResource, 'id'>;

export interface DescribedResult {
  /** The result's FIELDs, with an ID on each identifier column the descriptors ref. */
  readonly fields: readonly FieldDescription[];
  readonly resources: readonly MetaResource[];
}

/** Adds the descriptors of the DataLink and SODA services (and `others`) under `serviceUrl`. */
export function describeResult(
  columns: readonly ResultColumn[],
  fields: readonly FieldDescription[],
  serviceUrl: string | undefined,
  others: readonly ResultService[] = [],
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
      params: serviceIdentityParams(DATALINK_LINKS_STANDARD_ID, `${serviceUrl}/datalink`),
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
      params: serviceIdentityParams(SODA_SYNC_STANDARD_ID, `${serviceUrl}/soda`),
      groups: [{ name: 'inputParams', params: cutoutParams({}, id) }],
    });
    for (const [k, other] of others.entries()) {
      resources.push({ ...other(id, serviceUrl, field.name), id: `service_${k + 1}_${i + 1}` });
    }
    return { ...field, id };
  });
  return { fields: withIds, resources };
}
