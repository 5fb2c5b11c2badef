import { isReserved } from '../adql/index.js';

/** Minimal XML text helpers for the service documents (VOSI, UWS, capabilities). */

/** Characters XML 1.0 cannot carry at all. */
// eslint-disable-next-line no-control-regex
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(XML_ILLEGAL, '\uFFFD');
}

/** `<name>text</name>` when text is given, nothing otherwise. */
export function element(name: string, text: string | undefined | null, indent = ''): string {
  return text === undefined || text === null || text === ''
    ? ''
    : `${indent}<${name}>${escapeXml(text)}</${name}>\n`;
}

/**
 * A column name as ADQL queries must write it: reserved words (e.g. TAP_SCHEMA's
 * "size") are delimited, as TAP 1.1 asks of TAP_SCHEMA and VOSI tables.
 */
export function adqlName(name: string): string {
  return isReserved(name) ? `"${name}"` : name;
}
