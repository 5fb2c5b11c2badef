/**
 * RESOURCE-level metadata: PARAM (with VALUES), GROUP and RESOURCE elements after
 * the results, as DataLink service descriptors need them (DataLink 1.1 §4, SODA 1.0
 * §4: RESOURCE type="meta" utype="adhoc:service" with accessURL, standardID and a
 * GROUP name="inputParams").
 */
import { VotableError } from './errors.js';
import { checkFieldDescription, isXmlId, type FieldDescription } from './field.js';
import { xmlAttributes, xmlElement, xmlText } from '../dali/index.js';

/** A VALUES element: the range (MIN/MAX) or the enumerated OPTIONs a PARAM may take. */
export interface ValuesElement {
  /** MIN value, as written (several numbers for arrays, separated by blanks). */
  readonly min?: string;
  readonly max?: string;
  readonly options?: readonly { readonly value: string; readonly name?: string }[];
}

/** A PARAM: a FIELD description with its value (empty for an input left to the client). */
export interface ParamElement extends FieldDescription {
  readonly value: string;
  readonly values?: ValuesElement;
}

export interface GroupElement {
  readonly name: string;
  readonly description?: string;
  readonly params: readonly ParamElement[];
}

/** A RESOURCE written after the results one, e.g. a service descriptor. */
export interface MetaResource {
  readonly id?: string;
  readonly type: 'meta' | 'results';
  readonly utype?: string;
  readonly name?: string;
  readonly description?: string;
  readonly params?: readonly ParamElement[];
  readonly groups?: readonly GroupElement[];
}

function description(text: string | undefined): string {
  return text === undefined || text === '' ? '' : `<DESCRIPTION>${xmlText(text)}</DESCRIPTION>`;
}

function valuesElement(values: ValuesElement): string {
  let body = '';
  if (values.min !== undefined) body += xmlElement('MIN', { value: values.min });
  if (values.max !== undefined) body += xmlElement('MAX', { value: values.max });
  for (const option of values.options ?? []) {
    body += xmlElement('OPTION', { name: option.name, value: option.value });
  }
  return body === '' ? '' : `<VALUES>${body}</VALUES>`;
}

export function paramElement(param: ParamElement): string {
  checkFieldDescription(param);
  const attributes = xmlAttributes({
    ID: param.id,
    name: param.name,
    datatype: param.datatype,
    arraysize: param.arraysize,
    xtype: param.xtype,
    unit: param.unit,
    ucd: param.ucd,
    utype: param.utype,
    ref: param.ref,
    value: param.value,
  });
  const body = description(param.description) + (param.values ? valuesElement(param.values) : '');
  return body === '' ? `<PARAM${attributes}/>` : `<PARAM${attributes}>${body}</PARAM>`;
}

function groupElement(group: GroupElement): string {
  const params = group.params.map((p) => `${paramElement(p)}\n`).join('');
  return `<GROUP${xmlAttributes({ name: group.name })}>\n${description(group.description)}${params}</GROUP>`;
}

/** The RESOURCE element: DESCRIPTION, then PARAMs and GROUPs (VOTable 1.4 schema order). */
export function resourceElement(resource: MetaResource): string {
  let body = description(resource.description);
  if (body !== '') body += '\n';
  for (const param of resource.params ?? []) body += `${paramElement(param)}\n`;
  for (const group of resource.groups ?? []) body += `${groupElement(group)}\n`;
  const attributes = xmlAttributes({
    ID: resource.id,
    name: resource.name,
    type: resource.type,
    utype: resource.utype,
  });
  return `<RESOURCE${attributes}>\n${body}</RESOURCE>\n`;
}

/** Every PARAM of a resource, in and out of its groups. */
function paramsOf(resource: MetaResource): ParamElement[] {
  return [...(resource.params ?? []), ...(resource.groups ?? []).flatMap((g) => g.params)];
}

/**
 * Declares the IDs of `resources` in `ids` and checks their refs: a PARAM's ref must
 * name an element of the document (`ids` holds those declared before).
 */
export function checkResources(resources: readonly MetaResource[], ids: Set<string>): void {
  const declare = (id: string | undefined, what: string): void => {
    if (id === undefined) return;
    if (!isXmlId(id)) throw new VotableError(`${what} ID '${id}' is not an XML identifier`);
    if (ids.has(id)) throw new VotableError(`ID '${id}' is used twice in the document`);
    ids.add(id);
  };
  for (const resource of resources) {
    declare(resource.id, 'RESOURCE');
    for (const param of paramsOf(resource)) declare(param.id, 'PARAM');
  }
  for (const param of resources.flatMap(paramsOf)) {
    checkFieldDescription(param);
    if (param.ref !== undefined && !ids.has(param.ref)) {
      throw new VotableError(`ref '${param.ref}' names no element of the document`, {
        field: param.name,
      });
    }
  }
}
