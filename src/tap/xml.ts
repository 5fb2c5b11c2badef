/** ADQL names in the service documents (TAP_SCHEMA, VOSI tables). */
import { isReserved } from '../adql/index.js';

/**
 * A column name as ADQL queries must write it: reserved words (e.g. TAP_SCHEMA's
 * "size") are delimited, as TAP 1.1 asks of TAP_SCHEMA and VOSI tables.
 */
export function adqlName(name: string): string {
  return isReserved(name) ? `"${name}"` : name;
}
