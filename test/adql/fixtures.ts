/**
 * A small published schema for the ADQL tests: an ObsCore-like table, its high-energy
 * companion, and a table with every storage type (geometry columns included).
 */
import type { ColumnDef, PublishedSchema, TableDef } from '../../src/schema/types.js';

const col = (
  name: string,
  datatype: ColumnDef['datatype'],
  extra: Partial<ColumnDef> = {},
): ColumnDef => ({
  name,
  datatype,
  description: `${name} column`,
  ...extra,
});

export const obscore: TableDef = {
  schema: 'ivoa',
  name: 'obscore',
  description: 'observations',
  columns: [
    col('obs_publisher_did', 'char', { arraysize: '*', ucd: 'meta.ref.ivoid' }),
    col('obs_id', 'char', { arraysize: '*', ucd: 'meta.id' }),
    col('obs_collection', 'char', { arraysize: '*' }),
    col('obs_title', 'char', { arraysize: '*' }),
    col('dataproduct_type', 'char', { arraysize: '*' }),
    col('s_ra', 'double', { unit: 'deg', ucd: 'pos.eq.ra;meta.main' }),
    col('s_dec', 'double', { unit: 'deg', ucd: 'pos.eq.dec;meta.main' }),
    col('s_fov', 'double', { unit: 'deg' }),
    col('s_region', 'double', { arraysize: '*', xtype: 'polygon', unit: 'deg' }),
    col('t_min', 'double', { unit: 'd', ucd: 'time.start;obs.exposure' }),
    col('t_max', 'double', { unit: 'd' }),
    col('t_exptime', 'double', { unit: 's', ucd: 'time.duration;obs.exposure' }),
    col('em_min', 'double', { unit: 'm' }),
    col('em_max', 'double', { unit: 'm' }),
    col('access_estsize', 'long', { unit: 'kbyte' }),
    col('obs_release_date', 'char', { arraysize: '*', xtype: 'timestamp' }),
  ],
  intervals: [{ low: 't_min', high: 't_max' }],
};

export const obscoreHea: TableDef = {
  schema: 'ivoa',
  name: 'obscore_hea',
  description: 'high-energy extension',
  columns: [
    col('obs_publisher_did', 'char', { arraysize: '*' }),
    col('energy_min', 'double', { unit: 'eV' }),
    col('energy_max', 'double', { unit: 'eV' }),
    col('ev_xel', 'long'),
    col('event_type', 'char', { arraysize: '*' }),
  ],
};

/** One column of every storage type the engines create. */
export const sample: TableDef = {
  schema: 'hearc',
  name: 'sample',
  description: 'every type',
  columns: [
    col('id', 'int'),
    col('small', 'short'),
    col('big', 'long'),
    col('real_value', 'float'),
    col('ra', 'double', { unit: 'deg' }),
    col('dec', 'double', { unit: 'deg' }),
    col('name', 'char', { arraysize: '*' }),
    col('flag', 'boolean'),
    col('pos', 'double', { arraysize: '2', xtype: 'point', unit: 'deg' }),
    col('cone', 'double', { arraysize: '3', xtype: 'circle', unit: 'deg' }),
    col('footprint', 'double', { arraysize: '*', xtype: 'polygon', unit: 'deg' }),
    col('obs_time', 'char', { arraysize: '*', xtype: 'timestamp' }),
    col('energy_range', 'double', { arraysize: '2', xtype: 'interval', unit: 'TeV' }),
  ],
};

export const testSchema: PublishedSchema = { tables: [obscore, obscoreHea, sample] };
