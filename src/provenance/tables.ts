/**
 * The provenance tables (IVOA Provenance DM 1.0, its PROV-VOTable mapping and the
 * ProvTAP draft): the graph itself is kept in them and TAP serves them as the
 * `provenance` schema. Rows about a dataset carry its obs_publisher_did, so that the
 * rights gate filters them like hearc.irf; agents and activity descriptions are public.
 *
 * Identifiers are stored as identity, never as a location: a publisher DID
 * (ivo://...), or a path under the service ('/products/...', '/cutout/...'), which
 * becomes a URL of the answering service when provenance is served.
 */
import { type ColumnDef, columnDef, type TableDef } from '../schema/types.js';

export const PROVENANCE_SCHEMA = 'provenance';

const ID_NOTE = 'a publisher DID, or a path relative to the public URL of this service';

const id = (name: string, what: string, utype: string, extra: Partial<ColumnDef> = {}): ColumnDef =>
  columnDef(name, 'char', `${what} (${ID_NOTE}).`, {
    ucd: 'meta.id',
    utype: `voprov:${utype}`,
    principal: true,
    ...extra,
  });

const text = (name: string, description: string, ucd: string, utype: string): ColumnDef =>
  columnDef(name, 'char', description, { ucd, utype: `voprov:${utype}` });

const time = (name: string, description: string, ucd: string, utype: string): ColumnDef =>
  columnDef(name, 'char', description, { xtype: 'timestamp', ucd, utype: `voprov:${utype}` });

const datasetKey = columnDef(
  'obs_publisher_did',
  'char',
  'The published dataset whose access rights govern this row (NULL: only its owner sees it).',
  { ucd: 'meta.ref.ivoid', indexed: true },
);

const rightsBearing = (table: Omit<TableDef, 'schema' | 'rightsKey'>): TableDef => ({
  schema: PROVENANCE_SCHEMA,
  ...table,
  columns: [...table.columns, datasetKey],
  rightsKey: 'obs_publisher_did',
});

export const entityTable = rightsBearing({
  name: 'entity',
  description:
    'Entities: published datasets, their components, original files and derived products.',
  utype: 'voprov:Entity',
  columns: [
    id('id', 'Identifier of the entity', 'Entity.id', { nullable: false, indexed: true }),
    text('name', 'Human-readable name.', 'meta.title', 'Entity.name'),
    text(
      'type',
      'Kind of entity (e.g. hea-event-list, response-function, file, cutout).',
      'meta.code.class',
      'Entity.type',
    ),
    text('annotation', 'Free-text description.', 'meta.description', 'Entity.annotation'),
    text(
      'rights',
      'Access rights when generated: public, proprietary or secure.',
      'meta.code.class',
      'Entity.rights',
    ),
    columnDef('location', 'char', `Where the entity can be obtained (${ID_NOTE}).`, {
      ucd: 'meta.ref.url',
      utype: 'voprov:Entity.location',
    }),
    text(
      'content_type',
      'MIME type of the entity.',
      'meta.code.mime',
      'EntityDescription.content_type',
    ),
    time(
      'generated_at',
      'When the entity was generated (UTC), if known.',
      'time.creation',
      'Entity.generatedAtTime',
    ),
  ],
  primaryKey: ['id'],
});

export const activityDescriptionTable: TableDef = {
  schema: PROVENANCE_SCHEMA,
  name: 'activitydescription',
  description: 'What each kind of activity does (ActivityDescription).',
  utype: 'voprov:ActivityDescription',
  columns: [
    id('id', 'Identifier of the activity description', 'ActivityDescription.id', {
      nullable: false,
    }),
    text('name', 'Name of the kind of activity.', 'meta.title', 'ActivityDescription.name'),
    text(
      'type',
      'Type of activity (e.g. Reduction, Calibration, Cutout).',
      'meta.code.class',
      'ActivityDescription.type',
    ),
    text('subtype', 'Subtype of activity.', 'meta.code.class', 'ActivityDescription.subtype'),
    text(
      'annotation',
      'What the activity does.',
      'meta.description',
      'ActivityDescription.annotation',
    ),
    text(
      'version',
      'Version of the software or pipeline.',
      'meta.version',
      'ActivityDescription.version',
    ),
    text(
      'doculink',
      'Documentation of the activity.',
      'meta.ref.url',
      'ActivityDescription.doculink',
    ),
  ],
  primaryKey: ['id'],
};

export const activityTable = rightsBearing({
  name: 'activity',
  description:
    'Activities: the processing that produced the files, hearc ingest, and derived products.',
  utype: 'voprov:Activity',
  columns: [
    id('id', 'Identifier of the activity', 'Activity.id', { nullable: false, indexed: true }),
    text('name', 'Human-readable name.', 'meta.title', 'Activity.name'),
    time(
      'start_time',
      'Start of the activity (UTC), if known.',
      'time.start',
      'Activity.startTime',
    ),
    time('end_time', 'End of the activity (UTC), if known.', 'time.end', 'Activity.endTime'),
    text('annotation', 'Free-text description.', 'meta.description', 'Activity.annotation'),
    id('activitydescription_id', 'What kind of activity this is', 'Activity.activityDescription'),
  ],
  primaryKey: ['id'],
});

export const agentTable: TableDef = {
  schema: PROVENANCE_SCHEMA,
  name: 'agent',
  description: 'Agents: the publisher, instruments, software and (pseudonymous) users.',
  utype: 'voprov:Agent',
  columns: [
    id('id', 'Identifier of the agent', 'Agent.id', { nullable: false, indexed: true }),
    text('name', 'Name of the agent.', 'meta.title', 'Agent.name'),
    text(
      'type',
      'prov:Organization, prov:Person or prov:SoftwareAgent (an instrument is an agent of type voprov:Instrument).',
      'meta.code.class',
      'Agent.type',
    ),
    text('annotation', 'Free-text description.', 'meta.description', 'Agent.annotation'),
    text('email', 'Contact address.', 'meta.email', 'Agent.email'),
  ],
  primaryKey: ['id'],
};

const relationColumn = (name: string, what: string, utype: string): ColumnDef =>
  id(name, what, utype, { nullable: false, indexed: true });

export const usedTable = rightsBearing({
  name: 'used',
  description: 'Entities used by activities.',
  utype: 'voprov:Used',
  columns: [
    relationColumn('activity_id', 'The activity', 'Used.activity'),
    relationColumn('entity_id', 'The entity it used', 'Used.entity'),
    text('role', 'Role of the entity in the activity.', 'meta.code.class', 'Used.role'),
    time('time', 'When it was used (UTC).', 'time.epoch', 'Used.time'),
  ],
});

export const wasGeneratedByTable = rightsBearing({
  name: 'wasgeneratedby',
  description: 'Entities generated by activities.',
  utype: 'voprov:WasGeneratedBy',
  columns: [
    relationColumn('entity_id', 'The entity', 'WasGeneratedBy.entity'),
    relationColumn('activity_id', 'The activity that generated it', 'WasGeneratedBy.activity'),
    text('role', 'Role of the entity for the activity.', 'meta.code.class', 'WasGeneratedBy.role'),
    time('time', 'When it was generated (UTC).', 'time.epoch', 'WasGeneratedBy.time'),
  ],
});

export const wasDerivedFromTable = rightsBearing({
  name: 'wasderivedfrom',
  description: 'Entities derived from other entities.',
  utype: 'voprov:WasDerivedFrom',
  columns: [
    relationColumn('generated_entity_id', 'The derived entity', 'WasDerivedFrom.generatedEntity'),
    relationColumn('used_entity_id', 'The entity it was derived from', 'WasDerivedFrom.usedEntity'),
    id('activity_id', 'The activity of the derivation', 'WasDerivedFrom.activity'),
  ],
});

export const wasAssociatedWithTable = rightsBearing({
  name: 'wasassociatedwith',
  description: 'Agents responsible for activities.',
  utype: 'voprov:WasAssociatedWith',
  columns: [
    relationColumn('activity_id', 'The activity', 'WasAssociatedWith.activity'),
    relationColumn('agent_id', 'The agent', 'WasAssociatedWith.agent'),
    text(
      'role',
      'Role of the agent (e.g. operator, software, user, instrument).',
      'meta.code.class',
      'WasAssociatedWith.role',
    ),
  ],
});

export const wasAttributedToTable = rightsBearing({
  name: 'wasattributedto',
  description: 'Agents entities are attributed to.',
  utype: 'voprov:WasAttributedTo',
  columns: [
    relationColumn('entity_id', 'The entity', 'WasAttributedTo.entity'),
    relationColumn('agent_id', 'The agent', 'WasAttributedTo.agent'),
    text(
      'role',
      'Role of the agent (e.g. publisher, instrument).',
      'meta.code.class',
      'WasAttributedTo.role',
    ),
  ],
});

export const parameterTable = rightsBearing({
  name: 'parameter',
  description:
    'Configuration parameters of activities (cut ranges, ADQL text, ingest settings, header values).',
  utype: 'voprov:Parameter',
  columns: [
    relationColumn('activity_id', 'The activity', 'Parameter.activity'),
    text('name', 'Name of the parameter.', 'meta.id', 'Parameter.name'),
    columnDef('value', 'char', 'Value, as text.', {
      ucd: 'meta.value',
      utype: 'voprov:Parameter.value',
    }),
    text('unit', 'Unit of the value, if any.', 'meta.unit', 'ParameterDescription.unit'),
  ],
  primaryKey: ['activity_id', 'name'],
});

/** Every provenance table, in display order. */
export const provenanceTables: readonly TableDef[] = [
  entityTable,
  activityTable,
  activityDescriptionTable,
  agentTable,
  usedTable,
  wasGeneratedByTable,
  wasDerivedFromTable,
  wasAssociatedWithTable,
  wasAttributedToTable,
  parameterTable,
];
