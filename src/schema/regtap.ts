/**
 * The RegTAP 1.1 relational registry (schema `rr`): VOResource records as tables, with
 * the names, types, units and xpath utypes the standard gives. Only the definitions live
 * here (a leaf, so the catalog's table list can include them); the rows are made from
 * the registry records by src/registry.
 */
import { type ColumnDef, columnDef, type TableDef, type VoDatatype } from './types.js';

/** The data model identifier of the rr schema (TAP_SCHEMA.schemas.utype, tableset). */
export const REGTAP_UTYPE = 'ivo://ivoa.net/std/RegTAP#1.1';
export const REGTAP_SCHEMA = 'rr';

/** A standard RegTAP column; `path` is its xpath (relative to the table's, or absolute). */
function rr(
  name: string,
  datatype: VoDatatype,
  description: string,
  path?: string,
  extra: Partial<ColumnDef> = {},
): ColumnDef {
  return columnDef(name, datatype, description, {
    std: true,
    principal: true,
    ...(path !== undefined ? { utype: `xpath:${path}` } : {}),
    ...extra,
  });
}

/** Free text may hold any character: unicodeChar, so nothing is lost in VOTable. */
const text = (name: string, description: string, path?: string, extra?: Partial<ColumnDef>) =>
  rr(name, 'unicodeChar', description, path, extra);
const word = (name: string, description: string, path?: string, extra?: Partial<ColumnDef>) =>
  rr(name, 'char', description, path, extra);
const integer = (name: string, description: string, path?: string, extra?: Partial<ColumnDef>) =>
  rr(name, 'int', description, path, extra);

const ivoid = (description = 'The parent resource.'): ColumnDef =>
  word('ivoid', description, '/identifier', {
    nullable: false,
    indexed: true,
    ucd: 'meta.ref.ivoid',
  });

const toResource = {
  targetTable: 'rr.resource',
  columns: [{ from: 'ivoid', target: 'ivoid' }],
  description: 'The resource this row belongs to.',
} as const;

/** The foreign key of a child table to the row (ivoid, `index`) of its parent. */
const partOf = (targetTable: string, index: string, description: string) => ({
  foreignKeys: [
    {
      targetTable,
      columns: [
        { from: 'ivoid', target: 'ivoid' },
        { from: index, target: index },
      ],
      description,
    },
  ],
});

function table(
  name: string,
  path: string | undefined,
  description: string,
  columns: readonly ColumnDef[],
  extra: Partial<TableDef> = {},
): TableDef {
  return {
    schema: REGTAP_SCHEMA,
    name,
    description,
    ...(path !== undefined ? { utype: `xpath:${path}` } : {}),
    columns,
    foreignKeys: [toResource],
    ...extra,
  };
}

const dataTypeColumns = (what: string): ColumnDef[] => [
  word('datatype', `The type of the data contained in the ${what}.`, 'dataType'),
  word(
    'extended_schema',
    'An identifier for the schema that the value given by the extended attribute is drawn from.',
    'dataType/@extendedSchema',
  ),
  word(
    'extended_type',
    `A custom type for the values this ${what} contains.`,
    'dataType/@extendedType',
  ),
  word(
    'arraysize',
    'The shape of the array that constitutes the value, e.g., 4, *, 4*, 5x4, or 5x*, as specified by VOTable.',
    'dataType/@arraysize',
  ),
  word(
    'delim',
    "The string that is used to delimit elements of an array value when arraysize is not '1'.",
    'dataType/@delim',
  ),
];

const fieldColumns = (what: string): ColumnDef[] => [
  word('name', `The name of the ${what}.`, 'name'),
  word(
    'ucd',
    `A unified content descriptor that describes the scientific content of the ${what}.`,
    'ucd',
  ),
  word('unit', `The unit associated with all values in the ${what}.`, 'unit'),
  word(
    'utype',
    `An identifier for a role in a data model that the data in this ${what} represents.`,
    'utype',
  ),
  integer(
    'std',
    `If 1, the meaning and use of this ${what} is reserved and defined by a standard model. If 0, it represents a database-specific ${what} that effectively extends beyond the standard.`,
    '@std',
  ),
];

export const rrResource = table(
  'resource',
  '/',
  'The resources (like services, data collections, organizations) present in this registry.',
  [
    ivoid('Unambiguous reference to the resource conforming to the IVOA standard for identifiers.'),
    word(
      'res_type',
      'Resource type (something like vg:authority, vs:catalogservice, etc).',
      '@xsi:type',
    ),
    word(
      'created',
      'The UTC date and time this resource metadata description was created.',
      '@created',
      {
        xtype: 'timestamp',
      },
    ),
    text(
      'short_name',
      'A short name or abbreviation given to something, for presentation in space-constrained fields (up to 16 characters).',
      'shortName',
    ),
    text('res_title', 'The full name given to the resource.', 'title'),
    word(
      'updated',
      'The UTC date this resource metadata description was last updated.',
      '@updated',
      {
        xtype: 'timestamp',
      },
    ),
    word(
      'content_level',
      'A hash-separated list of content levels specifying the intended audience.',
      'content/contentLevel',
    ),
    text('res_description', 'An account of the nature of the resource.', 'content/description'),
    word(
      'reference_url',
      'URL pointing to a human-readable document describing this resource.',
      'content/referenceURL',
      { servicePath: 'if-relative' },
    ),
    text(
      'creator_seq',
      'The creator(s) of the resource in the order given by the resource record author, separated by semicolons.',
      'curation/creator/name',
    ),
    word(
      'content_type',
      'A hash-separated list of natures or genres of the content of the resource.',
      'content/type',
    ),
    word(
      'source_format',
      'The format of source_value. This, in particular, can be "bibcode".',
      'content/source/@format',
    ),
    text(
      'source_value',
      'A bibliographic reference from which the present resource is derived or extracted.',
      'content/source',
    ),
    text(
      'res_version',
      'Label associated with creation or availablilty of a version of a resource.',
      'curation/version',
    ),
    rr(
      'region_of_regard',
      'float',
      'A single numeric value representing the angle, given in decimal degrees, by which a positional query against this resource should be "blurred" in order to get an appropriate match.',
      'coverage/regionOfRegard',
      { unit: 'deg' },
    ),
    word(
      'waveband',
      "A hash-separated list of regions of the electro-magnetic spectrum that the resource's spectral coverage overlaps with.",
      'coverage/waveband',
    ),
    text(
      'rights',
      'A statement of usage conditions (license, attribution, embargo, etc).',
      '/rights',
    ),
    word(
      'rights_uri',
      'A URI identifying a license the data is made available under.',
      '/rights/@rightsURI',
    ),
    word(
      'harvested_from',
      'Local addition: the OAI-PMH endpoint this record was harvested from; NULL for the records of this service itself.',
      undefined,
      { std: false, principal: false },
    ),
  ],
  { primaryKey: ['ivoid'], foreignKeys: [] },
);

export const rrResRole = table(
  'res_role',
  undefined,
  'Entities (persons or organizations) operating on resources: creators, contacts, publishers, contributors.',
  [
    ivoid(),
    text('role_name', 'The real-world name or title of a person or organization.'),
    word('role_ivoid', 'An IVOA identifier of a person or organization.'),
    text('street_address', 'A mailing address for a person or organization.'),
    text('email', 'An email address the entity can be reached at.'),
    text('telephone', 'A telephone number the entity can be reached at.'),
    word(
      'logo',
      'URL pointing to a graphical logo, which may be used to help identify the entity.',
    ),
    word(
      'base_role',
      'The role played by this entity; this is one of contact, publisher, contributor, or creator.',
    ),
  ],
);

export const rrResSubject = table(
  'res_subject',
  '/content/',
  'Topics, object types, or other descriptive keywords about the resource.',
  [
    ivoid(),
    text(
      'res_subject',
      'Topics, object types, or other descriptive keywords about the resource.',
      'subject',
    ),
  ],
);

export const rrCapability = table(
  'capability',
  '/capability/',
  'Pieces of behaviour of a resource.',
  [
    ivoid(),
    integer(
      'cap_index',
      'An arbitrary identifier of this capability within the resource.',
      undefined,
      {
        nullable: false,
      },
    ),
    word(
      'cap_type',
      'The type of capability covered here. If looking for endpoints implementing a certain standard, you should not use this column but rather match against standard_id.',
      '@xsi:type',
    ),
    text(
      'cap_description',
      'A human-readable description of what this capability provides as part of the over-all service.',
      'description',
    ),
    word('standard_id', 'A URI for a standard this capability conforms to.', '@standardID'),
  ],
  { primaryKey: ['ivoid', 'cap_index'] },
);

export const rrResSchema = table(
  'res_schema',
  '/tableset/schema/',
  'Sets of tables related to resources.',
  [
    ivoid(),
    integer(
      'schema_index',
      'An arbitrary identifier for the res_schema rows belonging to a resource.',
      undefined,
      {
        nullable: false,
      },
    ),
    text(
      'schema_description',
      'A free text description of the tableset explaining in general how all of the tables are related.',
      'description',
    ),
    word('schema_name', 'A name for the set of tables.', 'name'),
    text('schema_title', 'A descriptive, human-interpretable name for the table set.', 'title'),
    word(
      'schema_utype',
      'An identifier for a concept in a data model that the data in this schema as a whole represent.',
      'utype',
    ),
  ],
  { primaryKey: ['ivoid', 'schema_index'] },
);

export const rrResTable = table(
  'res_table',
  '/(tableset/schema/|)table/',
  '(Relational) tables that are part of schemata or resources.',
  [
    ivoid(),
    integer(
      'schema_index',
      'Index of the schema this table belongs to, if it belongs to a schema (otherwise NULL).',
    ),
    text('table_description', "A free-text description of the table's contents.", 'description'),
    word(
      'table_name',
      'The fully qualified name of the table. As per VODataService, this includes all catalog or schema prefixes needed to distinguish it in a query, and it comes with SQL delimiters where necessary.',
      'name',
    ),
    integer(
      'table_index',
      'An arbitrary identifier for the tables belonging to a resource.',
      undefined,
      {
        nullable: false,
      },
    ),
    text('table_title', 'A descriptive, human-interpretable name for the table.', 'title'),
    word(
      'table_type',
      'A name for the role this table plays. Recognized values include "output", "base_table" and "view"; other values are allowed.',
      '@type',
    ),
    word(
      'table_utype',
      'An identifier for a concept in a data model that the data in this table as a whole represent.',
      'utype',
    ),
  ],
  { primaryKey: ['ivoid', 'table_index'] },
);

export const rrTableColumn = table(
  'table_column',
  '/(tableset/schema/|)/table/column/',
  "Metadata on columns of a resource's tables.",
  [
    ivoid(),
    integer('table_index', 'Index of the table this column belongs to.'),
    ...fieldColumns('column'),
    ...dataTypeColumns('column'),
    word(
      'type_system',
      'The type system used, as a QName with a canonical prefix; this will ususally be one of vs:simpledatatype, vs:votabletype, and vs:taptype.',
      'dataType/@xsi:type',
    ),
    word(
      'flag',
      'Hash-separated keywords representing traits of the column. Recognized values include "indexed", "primary", and "nullable".',
      'flag',
    ),
    text('column_description', "A free-text description of the column's contents.", 'description'),
  ],
  {
    ...partOf('rr.res_table', 'table_index', 'The table this column belongs to.'),
  },
);

export const rrInterface = table(
  'interface',
  '/capability/interface/',
  'Information on access modes of a capability.',
  [
    ivoid(),
    integer('cap_index', 'The index of the parent capability.'),
    integer('intf_index', 'An arbitrary identifier for the interfaces of a resource.', undefined, {
      nullable: false,
    }),
    word('intf_type', 'The type of the interface (vr:webbrowser, vs:paramhttp, etc).', '@xsi:type'),
    word(
      'intf_role',
      'An identifier for the role the interface plays in the particular capability. If the value is equal to "std" or begins with "std:", then the interface refers to a standard interface defined by the standard referred to by the capability\'s standardID attribute.',
      '@role',
    ),
    word(
      'std_version',
      'The version of a standard interface specification that this interface complies with.',
      '@version',
    ),
    word(
      'query_type',
      'Hash-joined list of expected HTTP method (get or post) supported by the service.',
      'queryType',
    ),
    word('result_type', 'The MIME type of a document returned in the HTTP response.', 'resultType'),
    word(
      'wsdl_url',
      "The location of the WSDL that describes this Web Service. If NULL, the location can be assumed to be the accessURL with '?wsdl' appended.",
      'wsdlURL',
    ),
    word(
      'url_use',
      "A flag indicating whether this should be interpreted as a base URL ('base'), a full URL ('full'), or a URL to a directory that will produce a listing of files ('dir').",
      'accessURL/@use',
    ),
    word('access_url', 'The URL at which the interface is found.', 'accessURL', {
      servicePath: 'if-relative',
    }),
    word(
      'mirror_url',
      'Secondary access URLs of this interface, separated by hash characters.',
      'mirrorURL',
    ),
    integer(
      'authenticated_only',
      'A flag for whether an interface is available for anonymous use (=0) or only authenticated clients are served (=1).',
    ),
  ],
  {
    primaryKey: ['ivoid', 'intf_index'],
    ...partOf('rr.capability', 'cap_index', 'The capability this interface belongs to.'),
  },
);

export const rrIntfParam = table(
  'intf_param',
  '/capability/interface/param/',
  'Input parameters for services.',
  [
    ivoid(),
    integer('intf_index', 'The index of the interface this parameter belongs to.'),
    ...fieldColumns('parameter'),
    ...dataTypeColumns('parameter'),
    word(
      'param_use',
      'An indication of whether this parameter is required to be provided for the application or service to work properly (one of required, optional, ignored, or NULL).',
      '@use',
    ),
    text(
      'param_description',
      "A free-text description of the parameter's contents.",
      'description',
    ),
  ],
  {
    ...partOf('rr.interface', 'intf_index', 'The interface this parameter belongs to.'),
  },
);

export const rrRelationship = table(
  'relationship',
  '/content/relationship/',
  'Relationships between resources (like mirroring, derivation, serving a data collection).',
  [
    ivoid(),
    word(
      'relationship_type',
      'The type of the relationship; these terms are drawn from a controlled vocabulary and are DataCite-compatible.',
      'relationshipType',
    ),
    word(
      'related_id',
      'The IVOA identifier for the resource referred to.',
      'relatedResource/@ivo-id',
    ),
    text(
      'related_name',
      'The name of resource that this resource is related to.',
      'relatedResource',
    ),
  ],
);

export const rrValidation = table(
  'validation',
  '/(capability/|)validationLevel',
  'Validation levels for resources and capabilities.',
  [
    ivoid(),
    word(
      'validated_by',
      'The IVOA ID of the registry or organisation that assigned the validation level.',
      'validationLevel/@validatedBy',
    ),
    integer(
      'val_level',
      'A numeric grade describing the quality of the resource description, when applicable, to be used to indicate the confidence an end-user can put in the resource as part of a VO application or research study.',
      'validationLevel',
    ),
    integer(
      'cap_index',
      'If non-NULL, the validation only refers to the capability referenced here.',
    ),
  ],
);

export const rrResDate = table(
  'res_date',
  '/curation/',
  'A date associated with an event in the life cycle of the resource.',
  [
    ivoid(),
    word(
      'date_value',
      'A date associated with an event in the life cycle of the resource.',
      'date',
      {
        xtype: 'timestamp',
      },
    ),
    word(
      'value_role',
      'A string indicating what the date refers to, e.g., created, availability, updated. This value is generally drawn from a controlled vocabulary.',
      'date/@role',
    ),
  ],
);

export const rrResDetail = table(
  'res_detail',
  undefined,
  'XPath-value pairs for members of resource or capability and their derivations that are less used and/or from VOResource extensions.',
  [
    ivoid(),
    integer(
      'cap_index',
      'The index of the parent capability; if NULL the xpath-value pair describes a member of the entire resource.',
    ),
    word('detail_xpath', 'The xpath of the data item.'),
    text('detail_value', '(Atomic) value of the member.'),
  ],
);

export const rrAltIdentifier = table(
  'alt_identifier',
  '/(curation/creator/|)altIdentifier',
  'An alternate identifier associated with this record.',
  [
    ivoid(),
    word(
      'alt_identifier',
      'An identifier for the resource or an entity related to the resource in URI form.',
    ),
  ],
);

export const rrStcSpatial = table(
  'stc_spatial',
  '/coverage/spatial',
  'The spatial coverage of resources.',
  [
    ivoid(),
    word(
      'coverage',
      'A geometry representing the area a resource contains data for, as a MOC (MOC 2.0 ASCII); this should be tight at least with a resolution of degrees.',
      '.',
      { xtype: 'moc' },
    ),
    word(
      'ref_system_name',
      'The reference frame coverage is written in. This is currently reserved and fixed to NULL.',
      '@frame',
    ),
  ],
);

export const rrStcTemporal = table(
  'stc_temporal',
  '/coverage/temporal',
  'The temporal coverage of resources, given as one or more intervals; the total coverage is (a subset of) the union of all intervals given for a resource.',
  [
    ivoid(),
    rr('time_start', 'double', 'Lower limit of a time interval covered by the resource.', '.', {
      unit: 'd',
    }),
    rr('time_end', 'double', 'Upper limit of a time interval covered by the resource.', '.', {
      unit: 'd',
    }),
  ],
);

export const rrStcSpectral = table(
  'stc_spectral',
  '/coverage/spectral',
  'The spectral coverage of resources, given as one or more intervals; the total coverage is (a subset of) the union of all intervals given for a resource.',
  [
    ivoid(),
    rr(
      'spectral_start',
      'double',
      'Lower limit of an energy interval covered by the resource (for the solar system barycenter).',
      '.',
      { unit: 'J' },
    ),
    rr(
      'spectral_end',
      'double',
      'Upper limit of an energy interval covered by the resource (for the solar system barycenter).',
      '.',
      { unit: 'J' },
    ),
  ],
);

/** The rr tables, parents before children. */
export const regtapTables: readonly TableDef[] = [
  rrResource,
  rrCapability,
  rrInterface,
  rrIntfParam,
  rrResSchema,
  rrResTable,
  rrTableColumn,
  rrResSubject,
  rrResRole,
  rrResDate,
  rrResDetail,
  rrRelationship,
  rrValidation,
  rrAltIdentifier,
  rrStcSpatial,
  rrStcTemporal,
  rrStcSpectral,
];
