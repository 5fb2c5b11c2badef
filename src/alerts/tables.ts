/** The alerts tables: hearc.alerts (published, one row per revision) and the stored maps. */
import { type ColumnDef, columnDef, type TableDef } from '../schema/types.js';

const deg = (name: string, ucd: string, description: string): ColumnDef =>
  columnDef(name, 'double', description, { unit: 'deg', ucd });

export const alertsTable: TableDef = {
  schema: 'hearc',
  name: 'alerts',
  description:
    'Multi-messenger alerts (GCN notices, VOEvents, gravitational-wave skymaps), one row per revision; their localisations as probability maps, with 50 % and 90 % credible regions as MOCs.',
  columns: [
    columnDef('alert_id', 'char', 'Alert identifier (event name, superevent id or IVORN).', {
      ucd: 'meta.id;meta.main',
      nullable: false,
      principal: true,
      indexed: true,
    }),
    columnDef('revision', 'int', 'Revision of the alert (notices of one event are numbered).', {
      ucd: 'meta.version',
      nullable: false,
      principal: true,
    }),
    columnDef('messenger', 'char', "Messenger: 'neutrino', 'gravitational-wave', 'photon'.", {
      ucd: 'meta.id;phys.particle',
      principal: true,
    }),
    columnDef('t_event', 'double', 'Event time, MJD (UTC).', {
      unit: 'd',
      ucd: 'time.epoch;meta.main',
      nullable: false,
      principal: true,
      indexed: true,
    }),
    columnDef('t_event_iso', 'char', 'Event time as the document wrote it (ISO 8601, UTC).', {
      ucd: 'time.epoch',
    }),
    deg('ra', 'pos.eq.ra;meta.main', 'Best position, right ascension (ICRS).'),
    deg('dec', 'pos.eq.dec;meta.main', 'Best position, declination (ICRS).'),
    deg('err50', 'stat.error;pos.eq', 'Radius of the 50 % error circle, as given.'),
    deg('err68', 'stat.error;pos.eq', 'Radius of the 68 % error circle, as given.'),
    deg(
      'err90',
      'stat.error;pos.eq',
      'Radius of the 90 % error circle (given, or from another containment for a Gaussian).',
    ),
    deg('err99', 'stat.error;pos.eq', 'Radius of the 99 % error circle, as given.'),
    columnDef('area50', 'double', 'Area of the 50 % credible region of the localisation.', {
      unit: 'deg**2',
      ucd: 'phys.angArea',
    }),
    columnDef('area90', 'double', 'Area of the 90 % credible region of the localisation.', {
      unit: 'deg**2',
      ucd: 'phys.angArea',
    }),
    columnDef('moc50', 'char', 'The 50 % credible region as a MOC 2.0 ASCII string.', {
      xtype: 'moc',
      ucd: 'pos.outline',
    }),
    columnDef('moc90', 'char', 'The 90 % credible region as a MOC 2.0 ASCII string.', {
      xtype: 'moc',
      ucd: 'pos.outline',
    }),
    columnDef('source', 'char', 'IVORN or URL of the document (VOEvent ivorn, GCN schema).', {
      ucd: 'meta.ref.ivoid',
    }),
    columnDef('author', 'char', 'IVORN of the author (VOEvent).', { ucd: 'meta.ref.ivoid' }),
    columnDef('format', 'char', "Document format: 'gcn-json', 'voevent', 'healpix-fits'.", {
      ucd: 'meta.code.mime',
    }),
    columnDef('document', 'char', 'The original document (text; FITS maps base64-encoded).', {
      ucd: 'meta.record',
    }),
    columnDef('ingested_at', 'char', 'When this revision was ingested.', {
      xtype: 'timestamp',
      arraysize: '*',
      ucd: 'time.processing',
    }),
  ],
  primaryKey: ['alert_id', 'revision'],
};

/** Internal: the probability map of each revision (NUNIQ cells and probabilities, encoded). */
export const alertMapTable: TableDef = {
  schema: 'hearc_internal',
  name: 'alert_map',
  description: 'Localisation probability maps of the alerts.',
  columns: [
    columnDef('alert_id', 'char', 'Alert identifier.', { nullable: false }),
    columnDef('revision', 'int', 'Revision.', { nullable: false }),
    columnDef('cells', 'char', 'NUNIQ and probability of each cell, float64 LE, base64.', {
      nullable: false,
    }),
  ],
  primaryKey: ['alert_id', 'revision'],
};

export const alertTables: readonly TableDef[] = [alertsTable, alertMapTable];
