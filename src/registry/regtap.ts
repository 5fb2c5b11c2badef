/**
 * RegTAP 1.1: VOResource records as rows of the `rr` tables. One reader serves both
 * this service's own records (the XML its OAI-PMH endpoint publishes) and records
 * harvested from other publishing registries, so rr says exactly what /oai says.
 * Columns the standard names are lowercased, hash-joined and indexed as it prescribes.
 */
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import {
  regtapTables,
  rrAltIdentifier,
  rrCapability,
  rrInterface,
  rrIntfParam,
  rrRelationship,
  rrResDate,
  rrResDetail,
  rrResource,
  rrResRole,
  rrResSchema,
  rrResSubject,
  rrResTable,
  rrStcSpatial,
  rrStcSpectral,
  rrStcTemporal,
  rrTableColumn,
  rrValidation,
} from '../schema/regtap.js';
import type { TableDef } from '../schema/types.js';
import {
  parseXmlTree,
  VotableError,
  xmlChild,
  xmlChildren,
  type XmlElement,
} from '../votable/index.js';

/** A record that cannot become rr rows, with what is wrong. */
export class RegistryRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryRecordError';
  }
}

/** The rows of one or more records, by rr table. */
export type RegtapRows = Map<TableDef, CatalogRow[]>;

/** RegTAP 1.1 appendix A: res_detail xpaths under a capability (the ones records carry). */
const CAPABILITY_DETAILS = new Set([
  '/capability/dataModel',
  '/capability/dataModel/@ivo-id',
  '/capability/executionDuration/default',
  '/capability/executionDuration/hard',
  '/capability/interface/securityMethod/@standardID',
  '/capability/interface/testQueryString',
  '/capability/language/name',
  '/capability/language/version/@ivo-id',
  '/capability/maxRecords',
  '/capability/maxSR',
  '/capability/outputFormat/@ivo-id',
  '/capability/outputFormat/alias',
  '/capability/outputFormat/mime',
  '/capability/outputLimit/default',
  '/capability/outputLimit/default/@unit',
  '/capability/outputLimit/hard',
  '/capability/outputLimit/hard/@unit',
  '/capability/retentionPeriod/default',
  '/capability/retentionPeriod/hard',
  '/capability/uploadLimit/default',
  '/capability/uploadLimit/default/@unit',
  '/capability/uploadLimit/hard',
  '/capability/uploadLimit/hard/@unit',
  '/capability/uploadMethod/@ivo-id',
]);

/** Resource-level res_detail xpaths (appendix A) that are plain child elements or attributes. */
const RESOURCE_DETAILS = [
  'managedAuthority',
  'managingOrg',
  'full',
  'facility',
  'instrument',
  'format',
  'accessURL',
];

/** VOResource 1.0 terms RegTAP maps to their 1.1 forms (appendix C). */
const NEW_TERMS: Readonly<Record<string, string>> = {
  representative: 'Collected',
  creation: 'Created',
  update: 'Updated',
  'mirror-of': 'IsIdenticalTo',
  'service-for': 'IsServiceFor',
  'served-by': 'IsServedBy',
  'derived-from': 'IsDerivedFrom',
};

const trimmed = (element: XmlElement | undefined): string | null => {
  const value = element?.text.trim();
  return value === undefined || value === '' ? null : value;
};
const lower = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : value.toLowerCase();
const attribute = (element: XmlElement | undefined, name: string): string | null =>
  element?.attributes.get(name) ?? null;
const hashJoined = (elements: readonly XmlElement[]): string | null => {
  const values = elements.map(trimmed).filter((v): v is string => v !== null);
  return values.length > 0 ? values.map((v) => v.toLowerCase()).join('#') : null;
};
const vocabulary = (value: string | null): string | null =>
  value === null ? null : (NEW_TERMS[value.toLowerCase()] ?? value).toLowerCase();

function timestamp(value: string | null): Date | null {
  if (value === null) return null;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function integerOf(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  return Number.isInteger(n) ? n : null;
}

function booleanFlag(value: string | null): number | null {
  if (value === null) return null;
  return value.trim().toLowerCase() === 'true' || value.trim() === '1' ? 1 : 0;
}

/** Pairs of numbers of a VODataService `temporal` or `spectral` element. */
function interval(element: XmlElement): [number, number] | undefined {
  const parts = (trimmed(element) ?? '').split(/\s+/).map(Number);
  return parts.length === 2 && parts.every(Number.isFinite)
    ? [parts[0] as number, parts[1] as number]
    : undefined;
}

class RowSink {
  readonly rows: RegtapRows = new Map(regtapTables.map((t) => [t, []]));
  add(table: TableDef, row: Record<string, SqlValue>): void {
    this.rows.get(table)?.push(row);
  }
}

/** res_detail pairs below `element` whose xpaths (from `prefix`) are in `wanted`. */
function details(
  element: XmlElement,
  prefix: string,
  wanted: ReadonlySet<string>,
  emit: (xpath: string, value: string) => void,
): void {
  for (const [name, value] of element.attributes) {
    const xpath = `${prefix}/@${name}`;
    if (wanted.has(xpath)) emit(xpath, value);
  }
  const text = trimmed(element);
  if (text !== null && wanted.has(prefix)) emit(prefix, text);
  for (const child of element.children) details(child, `${prefix}/${child.name}`, wanted, emit);
}

/** The column-like fields (table columns, interface parameters) shared by two tables. */
function fieldRow(element: XmlElement): Record<string, SqlValue> {
  const dataType = xmlChild(element, 'dataType');
  return {
    name: lower(trimmed(xmlChild(element, 'name'))),
    ucd: lower(trimmed(xmlChild(element, 'ucd'))),
    unit: trimmed(xmlChild(element, 'unit')),
    utype: lower(trimmed(xmlChild(element, 'utype'))),
    std: booleanFlag(attribute(element, 'std')),
    datatype: lower(trimmed(dataType)),
    extended_schema: attribute(dataType, 'extendedSchema'),
    extended_type: attribute(dataType, 'extendedType'),
    arraysize: attribute(dataType, 'arraysize'),
    delim: attribute(dataType, 'delim'),
  };
}

function resourceRows(resource: XmlElement, sink: RowSink, harvestedFrom: string | null): void {
  const identifier = lower(trimmed(xmlChild(resource, 'identifier')));
  if (identifier === null) throw new RegistryRecordError('a record has no identifier');
  const ivoid = identifier;
  const content = xmlChild(resource, 'content');
  const curation = xmlChild(resource, 'curation');
  const coverage = xmlChild(resource, 'coverage');
  const rights = xmlChild(resource, 'rights');
  const source = xmlChild(content, 'source');
  const regionOfRegard = Number(trimmed(xmlChild(coverage, 'regionOfRegard')) ?? NaN);
  sink.add(rrResource, {
    ivoid,
    res_type: lower(attribute(resource, 'type')),
    created: timestamp(attribute(resource, 'created')),
    short_name: trimmed(xmlChild(resource, 'shortName')),
    res_title: trimmed(xmlChild(resource, 'title')),
    updated: timestamp(attribute(resource, 'updated')),
    content_level: hashJoined(xmlChildren(content, 'contentLevel')),
    res_description: trimmed(xmlChild(content, 'description')),
    reference_url: trimmed(xmlChild(content, 'referenceURL')),
    creator_seq:
      xmlChildren(curation, 'creator')
        .map((c) => trimmed(xmlChild(c, 'name')))
        .filter((n): n is string => n !== null)
        .join('; ') || null,
    content_type: hashJoined(xmlChildren(content, 'type')),
    source_format: lower(attribute(source, 'format')),
    source_value: trimmed(source),
    res_version: trimmed(xmlChild(curation, 'version')),
    region_of_regard: Number.isFinite(regionOfRegard) ? regionOfRegard : null,
    waveband: hashJoined(xmlChildren(coverage, 'waveband')),
    rights: trimmed(rights),
    rights_uri: attribute(rights, 'rightsURI'),
    harvested_from: harvestedFrom,
  });

  for (const subject of xmlChildren(content, 'subject')) {
    const value = trimmed(subject);
    if (value !== null) sink.add(rrResSubject, { ivoid, res_subject: value });
  }
  const role = (element: XmlElement, base: string, named: XmlElement | undefined): void => {
    sink.add(rrResRole, {
      ivoid,
      role_name: trimmed(named),
      role_ivoid: lower(attribute(named, 'ivo-id')),
      street_address: base === 'contact' ? trimmed(xmlChild(element, 'address')) : null,
      email: base === 'contact' ? trimmed(xmlChild(element, 'email')) : null,
      telephone: base === 'contact' ? trimmed(xmlChild(element, 'telephone')) : null,
      logo: base === 'contact' || base === 'creator' ? trimmed(xmlChild(element, 'logo')) : null,
      base_role: base,
    });
  };
  for (const publisher of xmlChildren(curation, 'publisher'))
    role(publisher, 'publisher', publisher);
  for (const contributor of xmlChildren(curation, 'contributor'))
    role(contributor, 'contributor', contributor);
  for (const creator of xmlChildren(curation, 'creator'))
    role(creator, 'creator', xmlChild(creator, 'name'));
  for (const contact of xmlChildren(curation, 'contact'))
    role(contact, 'contact', xmlChild(contact, 'name'));
  for (const date of xmlChildren(curation, 'date')) {
    sink.add(rrResDate, {
      ivoid,
      date_value: timestamp(trimmed(date)),
      value_role: vocabulary(attribute(date, 'role') ?? 'representative'),
    });
  }
  for (const alt of [
    ...xmlChildren(resource, 'altIdentifier'),
    ...xmlChildren(curation, 'creator').flatMap((c) => xmlChildren(c, 'altIdentifier')),
  ]) {
    const value = trimmed(alt);
    if (value !== null) sink.add(rrAltIdentifier, { ivoid, alt_identifier: value });
  }
  for (const relationship of xmlChildren(content, 'relationship')) {
    const type = vocabulary(trimmed(xmlChild(relationship, 'relationshipType')));
    for (const related of xmlChildren(relationship, 'relatedResource')) {
      sink.add(rrRelationship, {
        ivoid,
        relationship_type: type,
        related_id: lower(attribute(related, 'ivo-id')),
        related_name: trimmed(related),
      });
    }
  }
  const validations = (of: XmlElement, capIndex: number | null): void => {
    for (const level of xmlChildren(of, 'validationLevel')) {
      sink.add(rrValidation, {
        ivoid,
        validated_by: lower(attribute(level, 'validatedBy')),
        val_level: integerOf(trimmed(level)),
        cap_index: capIndex,
      });
    }
  };
  validations(resource, null);
  const resourceDetail = (xpath: string, value: string | null): void => {
    if (value !== null)
      sink.add(rrResDetail, { ivoid, cap_index: null, detail_xpath: xpath, detail_value: value });
  };
  for (const name of RESOURCE_DETAILS) {
    for (const element of xmlChildren(resource, name)) {
      resourceDetail(`/${name}`, trimmed(element));
      if (name === 'instrument')
        resourceDetail('/instrument/@ivo-id', attribute(element, 'ivo-id'));
    }
  }
  resourceDetail('/rights', trimmed(rights));
  resourceDetail('/rights/@rightsURI', attribute(rights, 'rightsURI'));

  // Capabilities and their interfaces: indices count within the resource.
  let intfIndex = 0;
  xmlChildren(resource, 'capability').forEach((capability, capIndex) => {
    sink.add(rrCapability, {
      ivoid,
      cap_index: capIndex,
      cap_type: lower(attribute(capability, 'type')),
      cap_description: trimmed(xmlChild(capability, 'description')),
      standard_id: lower(attribute(capability, 'standardID')),
    });
    validations(capability, capIndex);
    details(capability, '/capability', CAPABILITY_DETAILS, (xpath, value) =>
      sink.add(rrResDetail, {
        ivoid,
        cap_index: capIndex,
        detail_xpath: xpath,
        detail_value: value,
      }),
    );
    for (const intf of xmlChildren(capability, 'interface')) {
      const index = intfIndex++;
      const accessUrl = xmlChild(intf, 'accessURL');
      const security = xmlChildren(intf, 'securityMethod');
      sink.add(rrInterface, {
        ivoid,
        cap_index: capIndex,
        intf_index: index,
        intf_type: lower(attribute(intf, 'type')),
        intf_role: lower(attribute(intf, 'role')),
        std_version: lower(attribute(intf, 'version')),
        query_type: hashJoined(xmlChildren(intf, 'queryType')),
        result_type: lower(trimmed(xmlChild(intf, 'resultType'))),
        wsdl_url: trimmed(xmlChild(intf, 'wsdlURL')),
        url_use: lower(attribute(accessUrl, 'use')),
        access_url: trimmed(accessUrl),
        mirror_url:
          xmlChildren(intf, 'mirrorURL')
            .map(trimmed)
            .filter((u): u is string => u !== null)
            .join('#') || null,
        // RegTAP 1.1: 0 unless every securityMethod names a standard (none means anonymous).
        authenticated_only:
          security.length > 0 && security.every((s) => attribute(s, 'standardID') !== null) ? 1 : 0,
      });
      for (const param of xmlChildren(intf, 'param')) {
        sink.add(rrIntfParam, {
          ivoid,
          intf_index: index,
          ...fieldRow(param),
          param_use: lower(attribute(param, 'use')),
          param_description: trimmed(xmlChild(param, 'description')),
        });
      }
    }
  });

  // Tableset: schema and table indices count within the resource.
  let tableIndex = 0;
  const tableRows = (table: XmlElement, schemaIndex: number | null): void => {
    const index = tableIndex++;
    sink.add(rrResTable, {
      ivoid,
      schema_index: schemaIndex,
      table_description: trimmed(xmlChild(table, 'description')),
      table_name: trimmed(xmlChild(table, 'name')),
      table_index: index,
      table_title: trimmed(xmlChild(table, 'title')),
      table_type: lower(attribute(table, 'type')),
      table_utype: lower(trimmed(xmlChild(table, 'utype'))),
    });
    for (const column of xmlChildren(table, 'column')) {
      const dataType = xmlChild(column, 'dataType');
      const typeSystem = attribute(dataType, 'type');
      sink.add(rrTableColumn, {
        ivoid,
        table_index: index,
        ...fieldRow(column),
        type_system:
          typeSystem === null ? null : `vs:${typeSystem.replace(/^.*:/, '')}`.toLowerCase(),
        flag: hashJoined(xmlChildren(column, 'flag')),
        column_description: trimmed(xmlChild(column, 'description')),
      });
    }
  };
  const tableset = xmlChild(resource, 'tableset');
  xmlChildren(tableset, 'schema').forEach((schema, schemaIndex) => {
    sink.add(rrResSchema, {
      ivoid,
      schema_index: schemaIndex,
      schema_description: trimmed(xmlChild(schema, 'description')),
      schema_name: lower(trimmed(xmlChild(schema, 'name'))),
      schema_title: trimmed(xmlChild(schema, 'title')),
      schema_utype: lower(trimmed(xmlChild(schema, 'utype'))),
    });
    for (const table of xmlChildren(schema, 'table')) tableRows(table, schemaIndex);
  });
  // VODataService 1.0 records put tables straight under the resource.
  for (const table of xmlChildren(resource, 'table')) tableRows(table, null);

  // Coverage (VODataService 1.2): the MOC, MJD intervals, energies in J.
  const spatial = xmlChild(coverage, 'spatial');
  if (trimmed(spatial) !== null) {
    sink.add(rrStcSpatial, { ivoid, coverage: trimmed(spatial), ref_system_name: null });
  }
  for (const temporal of xmlChildren(coverage, 'temporal')) {
    const range = interval(temporal);
    if (range) sink.add(rrStcTemporal, { ivoid, time_start: range[0], time_end: range[1] });
  }
  for (const spectral of xmlChildren(coverage, 'spectral')) {
    const range = interval(spectral);
    if (range) sink.add(rrStcSpectral, { ivoid, spectral_start: range[0], spectral_end: range[1] });
  }
}

/** The rr rows of VOResource records: ri:Resource documents, or elements already read. */
export function regtapRows(
  records: readonly (string | XmlElement)[],
  harvestedFrom: string | null = null,
): RegtapRows {
  const sink = new RowSink();
  for (const record of records) {
    const resource = typeof record === 'string' ? readRecord(record) : record;
    if (resource?.name !== 'Resource') {
      throw new RegistryRecordError(
        `a record is <${resource?.name ?? 'nothing'}>, not a VOResource <ri:Resource>`,
      );
    }
    resourceRows(resource, sink, harvestedFrom);
  }
  return sink.rows;
}

/** An XML document read as a tree; a document that is not well-formed is a RegistryRecordError. */
export function readRecord(xml: string, what = 'a record'): XmlElement | undefined {
  try {
    return parseXmlTree(xml);
  } catch (error) {
    if (error instanceof VotableError) {
      throw new RegistryRecordError(`${what} is not well-formed XML: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Replaces, in one transaction, the rr rows of records from one origin (this service,
 * or one harvested endpoint): all of that origin's rows when `replaceAll`, else those of
 * the records given (incremental harvests) and of the `deleted` identifiers. This
 * service's own records win: a harvest never replaces or removes them.
 */
export async function writeRegtapRows(
  engine: Engine,
  rows: RegtapRows,
  options: {
    readonly harvestedFrom?: string | null;
    readonly replaceAll?: boolean;
    readonly deleted?: readonly string[];
  } = {},
): Promise<void> {
  await engine.ensureTables(regtapTables);
  const origin = options.harvestedFrom ?? null;
  const originOf = new Map(
    (await engine.selectRows(rrResource)).map((r) => [String(r.ivoid), r.harvested_from ?? null]),
  );
  // Harvested copies of this service's own records are left out.
  const others = (ivoid: string): boolean => origin !== null && originOf.get(ivoid) === null;
  const kept: RegtapRows = new Map(
    [...rows].map(([table, tableRows]) => [
      table,
      tableRows.filter((r) => !others(String(r.ivoid))),
    ]),
  );
  const incoming = (kept.get(rrResource) ?? []).map((r) => String(r.ivoid));
  const previous = options.replaceAll
    ? [...originOf].filter(([, from]) => from === origin).map(([ivoid]) => ivoid)
    : [];
  const deleted = (options.deleted ?? [])
    .map((d) => d.toLowerCase())
    .filter((d) => originOf.get(d) === origin);
  const gone = [...new Set([...previous, ...incoming, ...deleted])];
  await engine.transaction(async (tx) => {
    for (const table of [...regtapTables].reverse()) await tx.deleteRows(table, 'ivoid', gone);
    for (const table of regtapTables) await tx.insertRows(table, kept.get(table) ?? []);
  });
}
