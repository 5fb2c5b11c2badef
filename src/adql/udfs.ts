/**
 * User-defined functions this service offers, declared in the TAP capabilities with
 * TAPRegExt's `ivo://ivoa.net/std/TAPRegExt#features-udf` (form = signature).
 * Every dialect implements each of them with the same results.
 */
import { AdqlError, type SourcePosition } from './errors.js';
import { builtinFunctions } from './functions.js';
import { suggestion } from './suggest.js';
import { type ValueKind, type ValueType, types } from './types.js';

export interface UdfParameter {
  readonly name: string;
  /** The TAPRegExt type name used in the signature. */
  readonly adqlType: 'INTEGER' | 'BIGINT' | 'DOUBLE PRECISION' | 'TEXT' | 'POINT';
  /** Kinds of value accepted. */
  readonly accepts: readonly ValueKind[];
}

export interface UserDefinedFunction {
  /** Lower case, as matched (case-insensitively) in queries. */
  readonly name: string;
  readonly parameters: readonly UdfParameter[];
  readonly returns: ValueType;
  readonly returnTypeName: string;
  /** True for aggregate functions (like SUM, they summarise rows). */
  readonly aggregate: boolean;
  readonly description: string;
}

const numbers: readonly ValueKind[] = ['integer', 'real', 'null'];
const integers: readonly ValueKind[] = ['integer', 'null'];
const strings: readonly ValueKind[] = ['string', 'null'];

export const userDefinedFunctions: readonly UserDefinedFunction[] = Object.freeze([
  {
    name: 'ivo_healpix_index',
    parameters: [
      { name: 'hpxOrder', adqlType: 'INTEGER', accepts: integers },
      { name: 'ra', adqlType: 'DOUBLE PRECISION', accepts: numbers },
      { name: 'dec', adqlType: 'DOUBLE PRECISION', accepts: numbers },
    ],
    returns: { ...types.long, ucd: 'pos.healpix' },
    returnTypeName: 'BIGINT',
    aggregate: false,
    description:
      'The index of the HEALPix cell (nested scheme, order hpxOrder from 0 to 29) that contains the position ra, dec (degrees, ICRS).',
  },
  {
    name: 'ivo_healpix_center',
    parameters: [
      { name: 'hpxOrder', adqlType: 'INTEGER', accepts: integers },
      { name: 'hpxIndex', adqlType: 'BIGINT', accepts: integers },
    ],
    returns: types.point,
    returnTypeName: 'POINT',
    aggregate: false,
    description:
      'The centre of the HEALPix cell hpxIndex (nested scheme) at order hpxOrder, as a POINT.',
  },
  {
    name: 'ivo_hasword',
    parameters: [
      { name: 'haystack', adqlType: 'TEXT', accepts: strings },
      { name: 'needle', adqlType: 'TEXT', accepts: strings },
    ],
    returns: types.int,
    returnTypeName: 'INTEGER',
    aggregate: false,
    description:
      'Returns 1 if needle appears in haystack as a whole word or phrase, ignoring case; words are runs of letters and digits. 0 otherwise.',
  },
  {
    name: 'ivo_hashlist_has',
    parameters: [
      { name: 'hashlist', adqlType: 'TEXT', accepts: strings },
      { name: 'item', adqlType: 'TEXT', accepts: strings },
    ],
    returns: types.int,
    returnTypeName: 'INTEGER',
    aggregate: false,
    description:
      "Returns 1 if item is, ignoring case, one of the words of hashlist, a list of words joined by '#' (as RegTAP's waveband or content_type), 0 otherwise.",
  },
  {
    name: 'ivo_nocasematch',
    parameters: [
      { name: 'value', adqlType: 'TEXT', accepts: strings },
      { name: 'pattern', adqlType: 'TEXT', accepts: strings },
    ],
    returns: types.int,
    returnTypeName: 'INTEGER',
    aggregate: false,
    description:
      'Returns 1 if value matches the LIKE pattern ignoring case (as value ILIKE pattern), 0 otherwise.',
  },
  {
    name: 'ivo_interval_overlaps',
    parameters: [
      { name: 'l1', adqlType: 'DOUBLE PRECISION', accepts: numbers },
      { name: 'h1', adqlType: 'DOUBLE PRECISION', accepts: numbers },
      { name: 'l2', adqlType: 'DOUBLE PRECISION', accepts: numbers },
      { name: 'h2', adqlType: 'DOUBLE PRECISION', accepts: numbers },
    ],
    returns: types.int,
    returnTypeName: 'INTEGER',
    aggregate: false,
    description:
      'Returns 1 if the closed intervals [l1, h1] and [l2, h2] have a point in common, 0 otherwise.',
  },
  {
    name: 'ivo_string_agg',
    parameters: [
      { name: 'expr', adqlType: 'TEXT', accepts: strings },
      { name: 'delim', adqlType: 'TEXT', accepts: strings },
    ],
    returns: types.string,
    returnTypeName: 'TEXT',
    aggregate: true,
    description:
      'An aggregate function: the non-NULL values of expr in a group joined with delim, in no particular order; an empty string for a group without values.',
  },
]);

const byName: ReadonlyMap<string, UserDefinedFunction> = new Map(
  userDefinedFunctions.map((f) => [f.name, f]),
);

export function findUserDefinedFunction(name: string): UserDefinedFunction | undefined {
  return byName.get(name.toLowerCase());
}

/** The TAPRegExt form, e.g. `ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER`. */
/** The error for a call to a function that is neither ADQL's nor one this service declares. */
export function unknownFunction(name: string, at: SourcePosition): AdqlError {
  const own = userDefinedFunctions.map((f) => f.name);
  const hint =
    suggestion(name, [...own, ...[...builtinFunctions.keys()].map((n) => n.toLowerCase())]) ||
    `; the functions this service adds to ADQL are ${own.join(', ')}`;
  return new AdqlError(
    `unknown function '${name}' (neither an ADQL function nor one this service declares)${hint}`,
    at,
  );
}

export function udfSignature(f: UserDefinedFunction): string {
  const params = f.parameters.map((p) => `${p.name} ${p.adqlType}`).join(', ');
  return `${f.name}(${params}) -> ${f.returnTypeName}`;
}

/** What the TAP capabilities document declares for each UDF. */
export function udfDeclarations(): readonly {
  readonly form: string;
  readonly description: string;
}[] {
  return userDefinedFunctions.map((f) => ({ form: udfSignature(f), description: f.description }));
}
