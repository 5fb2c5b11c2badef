/**
 * The catalog's tables, described once: ObsCore 1.1 (ivoa.obscore), the high-energy
 * ObsCore extension (ivoa.obscore_hea, ivoa/HighEnergyObsCoreExt), the per-observation
 * IRF components (hearc.irf), and hearc's internal bookkeeping. TAP_SCHEMA, VOSI
 * tables, ADQL resolution and the catalog DDL are all derived from these definitions.
 */
import { eventsTable } from '../events/index.js';
import {
  belongsToDataset,
  type ColumnDef,
  columnDef,
  datasetKeyColumn,
  type PublishedSchema,
  type TableDef,
} from '../schema/types.js';

const OBSCORE_UTYPE = 'obscore:';

function std(
  name: string,
  datatype: ColumnDef['datatype'],
  ucd: string,
  utype: string,
  description: string,
  extra: Partial<ColumnDef> = {},
): ColumnDef {
  return columnDef(name, datatype, description, {
    ucd,
    utype: OBSCORE_UTYPE + utype,
    std: true,
    principal: true,
    ...extra,
  });
}

/** ObsCore 1.1 mandatory and optional columns we fill, then GADF obs-index columns. */
const obscoreColumns: readonly ColumnDef[] = [
  std(
    'dataproduct_type',
    'char',
    'meta.code.class',
    'ObsDataset.dataProductType',
    "Data product type: 'event' for event lists (ObsCore 1.1 vocabulary).",
    { nullable: false, indexed: true },
  ),
  std(
    'dataproduct_subtype',
    'char',
    'meta.code.class',
    'ObsDataset.dataProductSubtype',
    "Data product subtype: 'hea-event-list' (high-energy ObsCore extension).",
    { principal: false },
  ),
  std(
    'calib_level',
    'short',
    'meta.code;obs.calib',
    'ObsDataset.calibLevel',
    'Calibration level: 2 for reconstructed event lists (DL3).',
    { nullable: false },
  ),
  std('obs_collection', 'char', 'meta.id', 'DataID.Collection', 'Name of the data collection.', {
    nullable: false,
    indexed: true,
  }),
  std(
    'obs_id',
    'char',
    'meta.id',
    'DataID.observationID',
    'Observation identifier (GADF OBS_ID).',
    { nullable: false, indexed: true },
  ),
  std(
    'obs_publisher_did',
    'char',
    'meta.ref.ivoid',
    'Curation.PublisherDID',
    'IVOA dataset identifier given by the publisher.',
    { nullable: false, indexed: true, datalinkId: true },
  ),
  std(
    'access_url',
    'char',
    'meta.ref.url',
    'Access.Reference',
    'URL of the DataLink document (or of the file) for this dataset.',
    { servicePath: true },
  ),
  std(
    'access_format',
    'char',
    'meta.code.mime',
    'Access.Format',
    'Content format of what access_url returns.',
  ),
  std(
    'access_estsize',
    'long',
    'phys.size;meta.file',
    'Access.Size',
    'Estimated size of the dataset.',
    { unit: 'kbyte' },
  ),
  std('target_name', 'char', 'meta.id;src', 'Target.Name', 'Name of the observed target.', {
    indexed: true,
  }),
  std(
    's_ra',
    'double',
    'pos.eq.ra',
    'Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1',
    'Right ascension (ICRS) of the pointing direction.',
    { unit: 'deg', indexed: true },
  ),
  std(
    's_dec',
    'double',
    'pos.eq.dec',
    'Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2',
    'Declination (ICRS) of the pointing direction.',
    { unit: 'deg', indexed: true },
  ),
  std(
    's_fov',
    'double',
    'phys.angSize;instr.fov',
    'Char.SpatialAxis.Coverage.Bounds.Extent.diameter',
    'Diameter of the field of view: the offsets covered by the full-enclosure IRFs, else the offset holding 99% of the events.',
    { unit: 'deg' },
  ),
  std(
    's_region',
    'double',
    'pos.outline;obs.field',
    'Char.SpatialAxis.Coverage.Support.Area',
    'Field of view (a polygon enclosing the circle of diameter s_fov), as STC-S; usable in ADQL geometry functions.',
    { unit: 'deg', arraysize: '*', xtype: 'polygon', presentation: { as: 'stc-s' } },
  ),
  std(
    's_resolution',
    'double',
    'pos.angResolution',
    'Char.SpatialAxis.Resolution.Refval.value',
    'Typical angular resolution (68% PSF containment radius at s_ref_energy), when known.',
    { unit: 'arcsec' },
  ),
  std(
    's_xel1',
    'long',
    'meta.number',
    'Char.SpatialAxis.numBins1',
    'Number of elements along the first spatial axis: -1 for event lists.',
  ),
  std(
    's_xel2',
    'long',
    'meta.number',
    'Char.SpatialAxis.numBins2',
    'Number of elements along the second spatial axis: -1 for event lists.',
  ),
  std(
    't_xel',
    'long',
    'meta.number',
    'Char.TimeAxis.numBins',
    'Number of elements along the time axis: -1 for event lists.',
  ),
  std(
    't_min',
    'double',
    'time.start;obs.exposure',
    'Char.TimeAxis.Coverage.Bounds.Limits.StartTime',
    'Start time of the observation (MJD, UTC).',
    { unit: 'd', indexed: true },
  ),
  std(
    't_max',
    'double',
    'time.end;obs.exposure',
    'Char.TimeAxis.Coverage.Bounds.Limits.StopTime',
    'Stop time of the observation (MJD, UTC).',
    { unit: 'd', indexed: true },
  ),
  std(
    't_exptime',
    'double',
    'time.duration;obs.exposure',
    'Char.TimeAxis.Coverage.Support.Extent',
    'Exposure time: the dead-time-corrected livetime.',
    { unit: 's' },
  ),
  std(
    't_resolution',
    'double',
    'time.resolution',
    'Char.TimeAxis.Resolution.Refval.value',
    'Time resolution of the event times, when known.',
    { unit: 's' },
  ),
  std(
    'em_xel',
    'long',
    'meta.number',
    'Char.SpectralAxis.numBins',
    'Number of elements along the spectral axis: -1 for event lists.',
  ),
  std(
    'em_min',
    'double',
    'em.wl;stat.min',
    'Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit',
    'Shortest wavelength covered: hc / energy_max.',
    { unit: 'm', indexed: true },
  ),
  std(
    'em_max',
    'double',
    'em.wl;stat.max',
    'Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit',
    'Longest wavelength covered: hc / energy_min.',
    { unit: 'm', indexed: true },
  ),
  std(
    'em_res_power',
    'double',
    'spect.resolution',
    'Char.SpectralAxis.Resolution.ResolPower.refVal',
    'Typical spectral resolving power E/dE, when known.',
  ),
  std(
    'o_ucd',
    'char',
    'meta.ucd',
    'Char.ObservableAxis.ucd',
    "UCDs of the observables in the event list, separated by '#' (high-energy extension).",
  ),
  std(
    'pol_states',
    'char',
    'meta.code;phys.polarization',
    'Char.PolarizationAxis.stateList',
    'Polarization states: NULL for event lists.',
  ),
  std(
    'pol_xel',
    'long',
    'meta.number',
    'Char.PolarizationAxis.numBins',
    'Number of polarization states: -1 for event lists.',
  ),
  std(
    'facility_name',
    'char',
    'meta.id;instr.tel',
    'Provenance.ObsConfig.Facility.name',
    'Observatory that took the data (FITS TELESCOP).',
    { indexed: true },
  ),
  std(
    'instrument_name',
    'char',
    'meta.id;instr',
    'Provenance.ObsConfig.Instrument.name',
    'Instrument that took the data (FITS INSTRUME).',
  ),
  std('obs_title', 'char', 'meta.title;obs', 'DataID.Title', 'Short human-readable description.', {
    principal: false,
  }),
  std(
    'obs_creator_did',
    'char',
    'meta.id',
    'DataID.CreatorDID',
    'Identifier given by the creator.',
    { principal: false },
  ),
  std(
    'data_rights',
    'char',
    'meta.code',
    'Curation.Rights',
    "Access rights: 'public', 'proprietary' or 'secure'.",
    { nullable: false },
  ),
  std(
    'obs_release_date',
    'char',
    'time.release',
    'Curation.releaseDate',
    'Date when the data became or become public (UTC).',
    { xtype: 'timestamp', arraysize: '*' },
  ),
  std(
    'proposal_id',
    'char',
    'meta.id;obs.proposal',
    'Provenance.Proposal.identifier',
    'Proposal identifier, when known.',
    { principal: false },
  ),
  // GADF obs-index columns, lower case, so that gammapy can rebuild an obs-index from a TAP result.
  columnDef('obs_mode', 'char', 'GADF observation mode (POINTING, WOBBLE, SCAN, DRIFT).', {
    ucd: 'meta.code;obs.param',
    nullable: false,
  }),
  columnDef('ra_pnt', 'double', 'Pointing right ascension (ICRS).', {
    unit: 'deg',
    ucd: 'pos.eq.ra;instr.pointing',
  }),
  columnDef('dec_pnt', 'double', 'Pointing declination (ICRS).', {
    unit: 'deg',
    ucd: 'pos.eq.dec;instr.pointing',
  }),
  columnDef('alt_pnt', 'double', 'Pointing altitude (mean over the observation).', {
    unit: 'deg',
    ucd: 'pos.az.alt;instr.pointing',
  }),
  columnDef('az_pnt', 'double', 'Pointing azimuth (mean over the observation).', {
    unit: 'deg',
    ucd: 'pos.az.azi;instr.pointing',
  }),
  columnDef('zen_pnt', 'double', 'Pointing zenith angle (mean over the observation).', {
    unit: 'deg',
    ucd: 'pos.az.zd;instr.pointing',
  }),
  columnDef('tstart', 'double', 'Start time in seconds since the reference time MJDREFI+MJDREFF.', {
    unit: 's',
    ucd: 'time.start;obs.exposure',
  }),
  columnDef('tstop', 'double', 'Stop time in seconds since the reference time MJDREFI+MJDREFF.', {
    unit: 's',
    ucd: 'time.end;obs.exposure',
  }),
  columnDef('mjdrefi', 'int', 'Integer part of the reference time (MJD).', {
    unit: 'd',
    ucd: 'time.epoch;meta.ref',
  }),
  columnDef('mjdreff', 'double', 'Fractional part of the reference time (MJD).', {
    unit: 'd',
    ucd: 'time.epoch;meta.ref',
  }),
  columnDef('timesys', 'char', 'Time scale of tstart/tstop (FITS TIMESYS, e.g. TT, UTC).', {
    ucd: 'time.scale',
  }),
  columnDef('ontime', 'double', 'Total good time (sum of GTIs).', {
    unit: 's',
    ucd: 'time.duration;obs.exposure',
  }),
  columnDef('livetime', 'double', 'Dead-time-corrected observation time.', {
    unit: 's',
    ucd: 'time.duration;obs.exposure',
  }),
  columnDef('deadc', 'double', 'Dead time correction: livetime / ontime.', {
    ucd: 'arith.factor;instr.det',
  }),
  columnDef('object', 'char', 'Target name as written in the event file (FITS OBJECT).', {
    ucd: 'meta.id;src',
  }),
  columnDef('ra_obj', 'double', 'Target right ascension.', { unit: 'deg', ucd: 'pos.eq.ra;src' }),
  columnDef('dec_obj', 'double', 'Target declination.', { unit: 'deg', ucd: 'pos.eq.dec;src' }),
  columnDef('n_tels', 'int', 'Number of telescopes that took part.', {
    ucd: 'meta.number;instr.tel',
  }),
  columnDef('event_count', 'long', 'Number of events in the event list.', {
    ucd: 'meta.number;phys.particle',
  }),
  columnDef('geolon', 'double', 'Observatory longitude.', {
    unit: 'deg',
    ucd: 'pos.earth.lon;instr.tel',
  }),
  columnDef('geolat', 'double', 'Observatory latitude.', {
    unit: 'deg',
    ucd: 'pos.earth.lat;instr.tel',
  }),
  columnDef('altitude', 'double', 'Observatory altitude above sea level.', {
    unit: 'm',
    ucd: 'pos.earth.altitude;instr.tel',
  }),
];

export const obscoreTable: TableDef = {
  schema: 'ivoa',
  name: 'obscore',
  description:
    'ObsCore 1.1: one row per published event list, with the GADF obs-index columns gammapy needs.',
  utype: 'ivo://ivoa.net/std/ObsCore#table-1.1',
  // Results read rows of every column from wherever a cone or a time window finds them
  // (the engine applies the hint to the columns it stores as numbers).
  columns: obscoreColumns.map((c) => ({ ...c, numberStorage: 'uncompressed' as const })),
  primaryKey: ['obs_publisher_did'],
  rightsKey: 'obs_publisher_did',
  // Ingest refuses a run that stops before it starts.
  intervals: [{ low: 't_min', high: 't_max' }],
};

const heaColumns: readonly ColumnDef[] = [
  columnDef(
    'obs_publisher_did',
    'char',
    'IVOA dataset identifier, as in ivoa.obscore (the join key).',
    {
      ucd: 'meta.ref.ivoid',
      utype: 'obscore:Curation.PublisherDID',
      nullable: false,
      principal: true,
      indexed: true,
      datalinkId: true,
    },
  ),
  columnDef('ev_xel', 'long', 'Number of events in the event list.', {
    ucd: 'meta.number;instr.detection;phys.particle',
    principal: true,
    std: true,
  }),
  columnDef('energy_min', 'double', 'Lowest event energy (the energy matching em_max).', {
    unit: 'eV',
    ucd: 'em.energy;stat.min',
    principal: true,
    std: true,
    indexed: true,
  }),
  columnDef('energy_max', 'double', 'Highest event energy (the energy matching em_min).', {
    unit: 'eV',
    ucd: 'em.energy;stat.max',
    principal: true,
    std: true,
    indexed: true,
  }),
  columnDef(
    's_ref_energy',
    'double',
    'Energy at which s_fov, s_region and s_resolution are given.',
    {
      unit: 'eV',
      ucd: 'meta.ref;em.energy;pos',
      std: true,
    },
  ),
  columnDef('em_ref_energy', 'double', 'Energy at which em_res_power is given.', {
    unit: 'eV',
    ucd: 'meta.ref;em.energy;em',
    std: true,
  }),
  columnDef(
    's_ref_oaa',
    'double',
    'Off-axis angle at which s_fov, s_region and s_resolution are given.',
    { unit: 'deg', ucd: 'pos.posAng;instr.offset;pos', std: true },
  ),
  columnDef('em_ref_oaa', 'double', 'Off-axis angle at which em_res_power is given.', {
    unit: 'deg',
    ucd: 'pos.posAng;instr.offset;em',
    std: true,
  }),
  columnDef(
    't_intervals',
    'char',
    'Good time intervals as a time MOC (MOC 2.0 ASCII; barycentric JD in TCB, 1 microsecond resolution).',
    { xtype: 'moc', std: true },
  ),
  columnDef(
    'obs_mode',
    'char',
    'Observation mode (GADF OBS_MODE: POINTING, WOBBLE, SCAN, DRIFT).',
    {
      ucd: 'meta.code;obs.param',
      principal: true,
      std: true,
      nullable: false,
    },
  ),
  columnDef(
    'tracking_mode',
    'char',
    "Tracking: 'sidereal', 'fixed-az-el-transit', 'solar-system-object-tracking' or 'none'.",
    { ucd: 'meta.code;obs.param', std: true },
  ),
  columnDef(
    'scan_mode',
    'char',
    "Scan mode: 'on-source', 'on-off', 'raster-map', 'on-the-fly-cross-map' (wobble), ...",
    { ucd: 'meta.code;obs.param', std: true },
  ),
  columnDef(
    'pointing_mode',
    'char',
    "Relative pointing of the telescopes: 'parallel', 'convergent', 'divergent'.",
    { ucd: 'meta.code;obs.param', std: true },
  ),
  columnDef(
    'analysis_mode',
    'char',
    "Data reduction mode: 'full-enclosure' or 'point-like' IRFs.",
    {
      ucd: 'meta.code;obs.param',
      principal: true,
      std: true,
    },
  ),
  columnDef(
    'event_type',
    'char',
    'Event quality class of this list, when the instrument defines one.',
    { ucd: 'meta.code.qual;instr.detection;phys.particle', std: true },
  ),
  columnDef('messenger', 'char', "Messenger particle: 'photon', 'neutrino', 'cosmic-ray', ...", {
    ucd: 'meta.id;phys.particle',
    principal: true,
    std: true,
  }),
  columnDef(
    'messenger_name',
    'char',
    'Same as messenger (name used by earlier drafts of the extension).',
    { ucd: 'meta.id;phys.particle' },
  ),
  columnDef('messenger_pdgid', 'char', "PDG identifier of the messenger, with sign (e.g. '+22').", {
    ucd: 'meta.ref.pdgid;phys.particle',
    std: true,
  }),
];

export const obscoreHeaTable: TableDef = {
  schema: 'ivoa',
  name: 'obscore_hea',
  description:
    'High-energy ObsCore extension (IVOA HighEnergyObsCoreExt): one row per ivoa.obscore row, joined on obs_publisher_did.',
  columns: heaColumns,
  primaryKey: ['obs_publisher_did'],
  ...belongsToDataset('Each extension row describes one ObsCore dataset.'),
};

const irfColumns: readonly ColumnDef[] = [
  datasetKeyColumn('Dataset this response belongs to (ivoa.obscore).'),
  columnDef('obs_id', 'char', 'Observation identifier (GADF OBS_ID).', {
    ucd: 'meta.id',
    principal: true,
  }),
  columnDef(
    'component',
    'char',
    'IRF component as a DataLink content qualifier: aeff, edisp, psf, bkgrate, rad_max.',
    { ucd: 'meta.code.class', nullable: false, principal: true },
  ),
  columnDef(
    'hdu_class',
    'char',
    'GADF HDU class (aeff_2d, edisp_2d, psf_table, psf_3gauss, psf_king, bkg_2d, bkg_3d, rad_max_2d).',
    { ucd: 'meta.code.class', nullable: false, principal: true },
  ),
  columnDef('hdu_name', 'char', 'EXTNAME of the HDU holding the component.', {
    ucd: 'meta.id',
    nullable: false,
  }),
  columnDef('file_path', 'char', 'File holding the HDU, relative to the data store root.', {
    ucd: 'meta.ref;meta.file',
    nullable: false,
  }),
  columnDef('hdu_size', 'long', 'Size of the HDU (header and data).', {
    unit: 'byte',
    ucd: 'phys.size;meta.file',
  }),
  columnDef('enclosure', 'char', "'full-enclosure' or 'point-like'.", {
    ucd: 'meta.code',
    principal: true,
  }),
  columnDef('energy_lo', 'double', 'Lowest true energy for which the component is defined.', {
    unit: 'TeV',
    ucd: 'em.energy;stat.min',
  }),
  columnDef('energy_hi', 'double', 'Highest true energy for which the component is defined.', {
    unit: 'TeV',
    ucd: 'em.energy;stat.max',
  }),
  columnDef(
    'offset_max',
    'double',
    'Largest field-of-view offset for which the component is defined.',
    { unit: 'deg', ucd: 'pos.angDistance;instr.fov;stat.max' },
  ),
];

export const irfTable: TableDef = {
  schema: 'hearc',
  name: 'irf',
  description:
    'Instrument response components (GADF IRF HDUs), one row per component per observation.',
  columns: irfColumns,
  primaryKey: ['obs_publisher_did', 'component', 'hdu_name'],
  ...belongsToDataset('The dataset the response belongs to.'),
};

/**
 * Internal: what each ingested observation was made from, so that re-ingesting an
 * unchanged data store changes nothing. Never published.
 */
export const ingestStateTable: TableDef = {
  schema: 'hearc_internal',
  name: 'ingested_observation',
  description: 'Fingerprint of the files each observation was ingested from.',
  columns: [
    columnDef('obs_publisher_did', 'char', 'Dataset identifier.', { nullable: false }),
    columnDef('data_store', 'char', 'Absolute path of the data store root.', { nullable: false }),
    columnDef('fingerprint', 'char', 'Digest of the file names, sizes and modification times.', {
      nullable: false,
    }),
    columnDef('files', 'char', 'JSON list of the files (relative to the data store root).', {
      nullable: false,
    }),
    columnDef('ingested_at', 'char', 'When it was ingested.', {
      xtype: 'timestamp',
      nullable: false,
    }),
  ],
  primaryKey: ['obs_publisher_did'],
};

/**
 * Observations withdrawn by an operator (hearc withdraw), until they are ingested again:
 * what tells the registry that a collection's record is deleted (every one of its
 * datasets withdrawn) and when, and ingest that their provenance records are kept.
 */
export const withdrawnObservationTable: TableDef = {
  schema: 'hearc_internal',
  name: 'withdrawn_observation',
  description: 'Observations withdrawn from publication, with who withdrew them and when.',
  columns: [
    columnDef('obs_publisher_did', 'char', 'Dataset identifier.', { nullable: false }),
    columnDef('obs_collection', 'char', 'The collection it was published in.', {
      nullable: false,
    }),
    columnDef('obs_id', 'char', 'Its obs_id.', { nullable: false }),
    columnDef('withdrawn_at', 'char', 'When it was withdrawn.', {
      xtype: 'timestamp',
      nullable: false,
    }),
    columnDef('withdrawn_by', 'char', 'Who withdrew it.', { nullable: false }),
  ],
  primaryKey: ['obs_publisher_did'],
};

/** The tables TAP serves. */
export const publishedSchema: PublishedSchema = {
  tables: [obscoreTable, obscoreHeaTable, irfTable, eventsTable],
};
