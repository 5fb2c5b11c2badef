/**
 * hearc.events: every published event, one row each, so that ADQL reaches the events
 * themselves (cones, energies, arrival times over the whole archive). Filled at ingest
 * from the one event-list reader; its rows follow the rights of their observation.
 */
import {
  belongsToDataset,
  type ColumnDef,
  columnDef,
  datasetKeyColumn,
  type TableDef,
} from '../schema/types.js';

/** Order of the HEALPix cell stored with each event (nside 256, cells of about 0.23 deg). */
export const EVENT_HEALPIX_ORDER = 8;

/** A GADF EVENTS column that is published when an event list has it (NULL otherwise). */
export interface OptionalEventColumn {
  /** The FITS column (GADF 0.3 EVENTS optional columns, and GAMMANESS). */
  readonly fits: string;
  readonly column: ColumnDef;
  /** What its unit converts to, when it has one. */
  readonly quantity?: 'angle' | 'energy';
}

const optional = (
  fits: string,
  datatype: ColumnDef['datatype'],
  description: string,
  extra: Partial<ColumnDef> & { quantity?: 'angle' | 'energy'; name?: string } = {},
): OptionalEventColumn => {
  const { quantity, name, ...rest } = extra;
  return {
    fits,
    column: columnDef(name ?? fits.toLowerCase(), datatype, description, rest),
    ...(quantity ? { quantity } : {}),
  };
};

export const OPTIONAL_EVENT_COLUMNS: readonly OptionalEventColumn[] = [
  optional('ALT', 'double', 'Reconstructed altitude of the event (horizontal system).', {
    unit: 'deg',
    ucd: 'pos.az.alt',
    quantity: 'angle',
  }),
  optional('AZ', 'double', 'Reconstructed azimuth of the event (horizontal system).', {
    unit: 'deg',
    ucd: 'pos.az.azi',
    quantity: 'angle',
  }),
  optional('DETX', 'double', 'Reconstructed X coordinate in the nominal (field-of-view) system.', {
    unit: 'deg',
    ucd: 'pos.cartesian.x;instr.fov',
    quantity: 'angle',
  }),
  optional('DETY', 'double', 'Reconstructed Y coordinate in the nominal (field-of-view) system.', {
    unit: 'deg',
    ucd: 'pos.cartesian.y;instr.fov',
    quantity: 'angle',
  }),
  optional('THETA', 'double', 'Reconstructed offset from the pointing position.', {
    unit: 'deg',
    ucd: 'pos.angDistance;instr.fov',
    quantity: 'angle',
  }),
  optional(
    'PHI',
    'double',
    'Position angle from the pointing position (from north, counter-clockwise).',
    {
      unit: 'deg',
      ucd: 'pos.posAng;instr.fov',
      quantity: 'angle',
    },
  ),
  optional('MULTIP', 'int', 'Telescope multiplicity: how many telescopes saw the event.', {
    ucd: 'meta.number;instr.tel',
  }),
  optional('GAMMANESS', 'double', 'Gamma/hadron separation score (higher is more gamma-like).', {
    ucd: 'stat.likelihood;phys.particle',
  }),
  optional('DIR_ERR', 'double', 'Direction error of the reconstruction.', {
    unit: 'deg',
    ucd: 'stat.error;pos',
    quantity: 'angle',
  }),
  optional('ENERGY_ERR', 'double', 'Error of the reconstructed energy.', {
    unit: 'TeV',
    ucd: 'stat.error;em.energy',
    quantity: 'energy',
  }),
  optional('COREX', 'double', 'Reconstructed shower core position, X.', {
    unit: 'm',
    ucd: 'pos.cartesian.x;phys.atmol',
  }),
  optional('COREY', 'double', 'Reconstructed shower core position, Y.', {
    unit: 'm',
    ucd: 'pos.cartesian.y;phys.atmol',
  }),
  // PostgreSQL reserves the column name xmax.
  optional('XMAX', 'double', 'Depth of the shower maximum (GADF XMAX, in radiation lengths).', {
    name: 'shower_xmax',
    ucd: 'phys.columnDensity',
  }),
];

const columns: readonly ColumnDef[] = [
  datasetKeyColumn('Dataset the event belongs to (ivoa.obscore).', { lowCardinality: true }),
  columnDef('obs_id', 'char', 'Observation identifier (GADF OBS_ID).', {
    ucd: 'meta.id;obs',
    nullable: false,
    principal: true,
    lowCardinality: true,
  }),
  columnDef('event_id', 'long', 'Event identifier within its observation (GADF EVENT_ID).', {
    ucd: 'meta.id',
    principal: true,
  }),
  columnDef('ra', 'double', 'Reconstructed right ascension (ICRS).', {
    unit: 'deg',
    ucd: 'pos.eq.ra;meta.main',
    nullable: false,
    principal: true,
  }),
  columnDef('dec', 'double', 'Reconstructed declination (ICRS).', {
    unit: 'deg',
    ucd: 'pos.eq.dec;meta.main',
    nullable: false,
    principal: true,
  }),
  columnDef('energy', 'double', 'Reconstructed energy.', {
    unit: 'TeV',
    ucd: 'em.energy',
    nullable: false,
    principal: true,
  }),
  // ADQL reserves TIME, so the arrival time is event_time.
  columnDef(
    'event_time',
    'double',
    'Arrival time as MJD (UTC), from the TIME column with TIMEZERO and the header reference applied.',
    { unit: 'd', ucd: 'time.epoch', nullable: false, principal: true },
  ),
  columnDef(
    'event_type',
    'long',
    'Event quality partition (GADF EVENT_TYPE), when the list has one.',
    {
      ucd: 'meta.code.qual;instr.detection',
    },
  ),
  columnDef('event_class', 'char', 'Event class of the list (header EV_CLASS), when it says one.', {
    ucd: 'meta.code.class;instr.detection',
    lowCardinality: true,
  }),
  ...OPTIONAL_EVENT_COLUMNS.map((c) => c.column),
  columnDef(
    'healpix_index',
    'long',
    `HEALPix index (nested scheme, order ${EVENT_HEALPIX_ORDER}) of the cell holding ra, dec; cone queries use it to read only the cells they may touch.`,
    { ucd: 'pos.healpix', nullable: false, indexed: true },
  ),
];

export const eventsTable: TableDef = {
  schema: 'hearc',
  name: 'events',
  description:
    'Every published event (reconstructed direction, energy and arrival time), one row per event of each event list in ivoa.obscore.',
  columns,
  ...belongsToDataset('The event list the event comes from.'),
  healpixIndex: { column: 'healpix_index', order: EVENT_HEALPIX_ORDER, ra: 'ra', dec: 'dec' },
  // One partition per HEALPix base cell: a cone reads one, rarely two or three.
  partitions: { column: 'healpix_index', count: 12, end: 12 * 4 ** EVENT_HEALPIX_ORDER },
};
