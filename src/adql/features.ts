/**
 * The ADQL 2.1 language features this implementation supports, as TAPRegExt
 * `languageFeatures` groups (ADQL 2.1 Appendix B), for the TAP capabilities document.
 */
import { udfDeclarations } from './udfs.js';

export interface LanguageFeature {
  readonly form: string;
  readonly description?: string;
}

export interface LanguageFeatureGroup {
  readonly type: string;
  readonly features: readonly LanguageFeature[];
}

const tapRegExt = 'ivo://ivoa.net/std/TAPRegExt';

const group = (name: string, forms: string): LanguageFeatureGroup => ({
  type: `${tapRegExt}#${name}`,
  features: forms.split(' ').map((form) => ({ form })),
});

export const adqlVersion = {
  name: 'ADQL',
  version: '2.1',
  ivoid: 'ivo://ivoa.net/std/ADQL#v2.1',
} as const;

/** Every optional feature of ADQL 2.1, and the user-defined functions (features-udf). */
export const adqlLanguageFeatures: readonly LanguageFeatureGroup[] = Object.freeze([
  { type: `${tapRegExt}#features-udf`, features: udfDeclarations() },
  group(
    'features-adqlgeo',
    'AREA BOX CENTROID CIRCLE CONTAINS COORD1 COORD2 COORDSYS DISTANCE INTERSECTS POINT POLYGON',
  ),
  group('features-adql-string', 'LOWER UPPER ILIKE'),
  group('features-adql-sets', 'UNION EXCEPT INTERSECT'),
  group('features-adql-common-table', 'WITH'),
  group('features-adql-type', 'CAST'),
  group('features-adql-unit', 'IN_UNIT'),
  group('features-adql-offset', 'OFFSET'),
  group('features-adql-conditional', 'COALESCE'),
]);
