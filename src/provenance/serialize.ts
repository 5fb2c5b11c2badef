/**
 * PROV-JSON, PROV-XML and PROV-N of a provenance document (W3C PROV serialisations,
 * with the namespaces the IVOA Provenance DM uses). Times are written as ISO 8601
 * with an explicit +00:00 offset and microseconds when there is a fraction, the form
 * the W3C PROV tools write back, so a document survives a round trip unchanged.
 */
import { xmlAttributes, xmlText } from '../dali/index.js';
import { FORMAL, type ProvDocument, type ProvRecord, type ProvValue, XSD_NS } from './document.js';

export type ProvFormat = 'PROV-JSON' | 'PROV-XML' | 'PROV-N';

export const PROV_MEDIA_TYPES: Readonly<Record<ProvFormat | 'SVG', string>> = {
  'PROV-JSON': 'application/json',
  'PROV-XML': 'application/xml',
  'PROV-N': 'text/provenance-notation; charset=utf-8',
  SVG: 'image/svg+xml',
};

/** xsd:dateTime in UTC as the PROV tools write it (2026-01-02T03:04:05.678000+00:00). */
export function provTime(date: Date): string {
  const iso = date.toISOString();
  const ms = date.getUTCMilliseconds();
  return ms === 0
    ? `${iso.slice(0, 19)}+00:00`
    : `${iso.slice(0, 19)}.${String(ms).padStart(3, '0')}000+00:00`;
}

function jsonValue(value: ProvValue): unknown {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if ('qname' in value) return { $: value.qname, type: 'prov:QUALIFIED_NAME' };
  if ('uri' in value) return { $: value.uri, type: 'xsd:anyURI' };
  return { $: provTime(value.time), type: 'xsd:dateTime' };
}

/** PROV-JSON (W3C Member Submission), relations keyed by blank identifiers. */
export function provJson(doc: ProvDocument): string {
  const out: Record<string, Record<string, unknown>> = {
    prefix: Object.fromEntries(doc.prefixes),
  };
  let blank = 0;
  for (const record of doc.records) {
    const body: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(record.formal)) {
      body[name] = value instanceof Date ? provTime(value) : value;
    }
    for (const [name, value] of record.attributes) body[name] = jsonValue(value);
    (out[record.kind] ??= {})[record.id ?? `_:${record.kind}${++blank}`] = body;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** A PROV-N string literal as the PROV tools write it. */
function provnString(text: string): string {
  const escaped = text.replace(/"/g, '\\"');
  return escaped.includes('\n') ? `"""${escaped}"""` : `"${escaped}"`;
}

function provnValue(value: ProvValue): string {
  if (typeof value === 'string') return provnString(value);
  if (typeof value === 'number') return String(value);
  if ('qname' in value) return `'${value.qname}'`;
  if ('uri' in value) return `"${value.uri}" %% xsd:anyURI`;
  return `"${provTime(value.time)}" %% xsd:dateTime`;
}

function provnRecord(record: ProvRecord): string {
  const items: string[] = record.id !== undefined ? [record.id] : [];
  for (const name of FORMAL[record.kind]) {
    const value = record.formal[name];
    items.push(value === undefined ? '-' : value instanceof Date ? provTime(value) : value);
  }
  if (record.attributes.length > 0) {
    items.push(`[${record.attributes.map(([n, v]) => `${n}=${provnValue(v)}`).join(', ')}]`);
  }
  return `${record.kind}(${items.join(', ')})`;
}

/** PROV-N (W3C PROV Notation); prov itself is predeclared there. */
export function provN(doc: ProvDocument): string {
  const lines = ['document'];
  for (const [prefix, uri] of doc.prefixes) {
    if (prefix !== 'prov') lines.push(`prefix ${prefix} <${uri}>`);
  }
  lines.push('');
  for (const record of doc.records) lines.push(provnRecord(record));
  return `${lines.join('\n  ')}\nendDocument\n`;
}

/** PROV-XML element order: what the schema lists first, then the extension attributes. */
const XML_FIRST = ['prov:label', 'prov:location', 'prov:role', 'prov:type', 'prov:value'];

function xmlValue(name: string, value: ProvValue, indent: string): string {
  const [type, text] =
    typeof value === 'string'
      ? [undefined, value]
      : typeof value === 'number'
        ? ['xsd:int', String(value)]
        : 'qname' in value
          ? ['xsd:QName', value.qname]
          : 'uri' in value
            ? ['xsd:anyURI', value.uri]
            : ['xsd:dateTime', provTime(value.time)];
  const typeAttr = xmlAttributes({ 'xsi:type': type });
  return `${indent}<${name}${typeAttr}>${xmlText(text)}</${name}>\n`;
}

/** PROV-XML (W3C Note). */
export function provXml(doc: ProvDocument): string {
  const ns = xmlAttributes({
    ...Object.fromEntries(doc.prefixes.map(([p, uri]) => [`xmlns:${p}`, uri])),
    'xmlns:xsd': XSD_NS.slice(0, -1),
    'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
  });
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<prov:document${ns}>\n`;
  for (const record of doc.records) {
    const id = xmlAttributes({ 'prov:id': record.id });
    xml += `  <prov:${record.kind}${id}>\n`;
    for (const name of FORMAL[record.kind]) {
      const value = record.formal[name];
      if (value === undefined) continue;
      xml +=
        value instanceof Date
          ? `    <${name}>${provTime(value)}</${name}>\n`
          : `    <${name}${xmlAttributes({ 'prov:ref': value })}/>\n`;
    }
    const rank = (name: string): number => {
      const i = XML_FIRST.indexOf(name);
      return i < 0 ? XML_FIRST.length : i;
    };
    const ordered = [...record.attributes].sort((a, b) => rank(a[0]) - rank(b[0]));
    for (const [name, value] of ordered) xml += xmlValue(name, value, '    ');
    xml += `  </prov:${record.kind}>\n`;
  }
  return `${xml}</prov:document>\n`;
}

export function serialize(doc: ProvDocument, format: ProvFormat): string {
  if (format === 'PROV-XML') return provXml(doc);
  if (format === 'PROV-N') return provN(doc);
  return provJson(doc);
}
