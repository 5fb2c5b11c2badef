/**
 * XML text safety for everything the module writes: escaping for element text and
 * attribute values, and the deliberate replacement of characters XML 1.0 cannot
 * carry (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF, lone surrogates).
 */

// Characters that are not allowed in an XML 1.0 document, even as character references.
/* eslint-disable no-control-regex -- matching the forbidden control characters is the point */
const XML_ILLEGAL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/* eslint-enable no-control-regex */
const XML_ILLEGAL_ALL = new RegExp(XML_ILLEGAL.source, 'g');

/** U+FFFD stands in for characters XML 1.0 cannot carry. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Replaces characters illegal in XML 1.0 by U+FFFD. */
export function sanitizeXmlText(text: string): string {
  return XML_ILLEGAL.test(text) ? text.replace(XML_ILLEGAL_ALL, REPLACEMENT_CHARACTER) : text;
}

// datatype="char" is 7-bit ASCII (VOTable 1.5 §6); tab, LF and CR are the only controls XML keeps.
const NOT_ASCII = /[^\t\n\r\u0020-\u007E]/u;
const NOT_ASCII_ALL = /[^\t\n\r\u0020-\u007E]/gu;

/** Replaces every code point that is not printable ASCII (or tab/LF/CR) by '?'. */
export function sanitizeAscii(text: string): string {
  return NOT_ASCII.test(text) ? text.replace(NOT_ASCII_ALL, '?') : text;
}

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_ALL = /[&<>\r]/g;
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/;
const ATTRIBUTE_SPECIAL_ALL = /[&<>"\t\n\r]/g;

// CR would be folded into LF by XML line-end handling, and tab/LF in attributes into spaces.
const ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const toEntity = (c: string): string => ENTITY[c] ?? c;

/** Escapes already-sanitised text for element content. */
export function escapeXmlText(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIAL_ALL, toEntity) : text;
}

/** Escapes already-sanitised text for a double-quoted attribute value. */
export function escapeXmlAttribute(text: string): string {
  return ATTRIBUTE_SPECIAL.test(text) ? text.replace(ATTRIBUTE_SPECIAL_ALL, toEntity) : text;
}

/** Sanitised and escaped element content for metadata text (descriptions, INFO content). */
export function xmlText(text: string): string {
  return escapeXmlText(sanitizeXmlText(text));
}

/** ` name="value"` for each defined attribute, sanitised and escaped. */
export function xmlAttributes(attributes: Readonly<Record<string, string | undefined>>): string {
  let out = '';
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) out += ` ${name}="${escapeXmlAttribute(sanitizeXmlText(value))}"`;
  }
  return out;
}

/** `<NAME attrs/>` or `<NAME attrs>content</NAME>` with escaped content. */
export function xmlElement(
  name: string,
  attributes: Readonly<Record<string, string | undefined>>,
  content?: string,
): string {
  const open = `<${name}${xmlAttributes(attributes)}`;
  return content === undefined || content === ''
    ? `${open}/>`
    : `${open}>${xmlText(content)}</${name}>`;
}

/** Sanitised text escaped for element content and attribute values alike. */
export function escapeXml(text: string): string {
  return escapeXmlAttribute(sanitizeXmlText(text));
}

/** `<name>text</name>` (indented, with a newline) when text is given, nothing otherwise. */
export function element(name: string, text: string | undefined | null, indent = ''): string {
  return text === undefined || text === null || text === ''
    ? ''
    : `${indent}<${name}>${xmlText(text)}</${name}>\n`;
}
