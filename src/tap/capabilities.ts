/**
 * VOSI capabilities of the service (VOSI 1.1, TAPRegExt 1.0): the TAP capability with
 * its languages, ADQL features and UDFs, output formats and limits, plus the VOSI,
 * DALI examples and DataLink endpoints.
 */
import { udfDeclarations } from '../adql/index.js';
import { RESULT_FORMATS } from './formats.js';
import type { ServiceLimits } from './query.js';
import { DEFAULT_UPLOAD_LIMITS } from './upload.js';
import { element, escapeXml } from '../dali/index.js';

export interface CapabilityOptions {
  /** Public base URL of the server, without trailing slash. */
  readonly baseUrl: string;
  readonly limits: ServiceLimits;
  /** Whether /tap/async is served. */
  readonly async?: boolean;
  /** Async jobs: execution duration and retention, default and hard, s (TAPRegExt §2.4-2.5). */
  readonly jobs?: {
    readonly executionDuration: readonly [number, number];
    readonly retention: readonly [number, number];
  };
  /** Whether /datalink is served. */
  readonly datalink?: boolean;
  /**
   * The map-dataset analysis service (/analysis/sync and /analysis/async), declared with
   * this standardID (hearc's own, under the service's authority: there is no IVOA standard).
   */
  readonly analysis?: {
    readonly standardId: string;
    readonly spectrumStandardId?: string;
    readonly lightCurveStandardId?: string;
  };
  /** Whether bearer tokens are accepted next to anonymous access (declared on each interface). */
  readonly bearerTokens?: boolean;
}

/**
 * Bearer tokens (RFC 6750, OAuth 2.0) as IVOA SSO 2.0 names them: hearc API tokens and
 * OIDC access tokens both go in the Authorization header.
 */
export const SSO_OAUTH = 'ivo://ivoa.net/sso#OAuth';

/**
 * The interface of one endpoint. With bearer tokens accepted it lists its security methods
 * (VOResource 1.1 Erratum 1): anonymous (a securityMethod without standardID) and tokens,
 * on the one URL, so that the capability has a single standard interface.
 */
function interfacesXml(
  options: CapabilityOptions,
  attributes: string,
  url: string,
  use: 'base' | 'full',
): string {
  const security = options.bearerTokens
    ? `      <securityMethod/>\n      <securityMethod standardID="${SSO_OAUTH}"/>\n`
    : '';
  return `    <interface xsi:type="vs:ParamHTTP"${attributes}>\n      <accessURL use="${use}">${escapeXml(url)}</accessURL>\n${security}    </interface>\n`;
}

const TAPREGEXT = 'ivo://ivoa.net/std/TAPRegExt';

/** ADQL 2.1 optional features, grouped by their TAPRegExt feature type. */
const ADQL_FEATURES: readonly (readonly [type: string, forms: readonly string[]])[] = [
  [
    'features-adqlgeo',
    [
      'POINT',
      'CIRCLE',
      'POLYGON',
      'BOX',
      'CENTROID',
      'AREA',
      'CONTAINS',
      'INTERSECTS',
      'DISTANCE',
      'COORD1',
      'COORD2',
      'COORDSYS',
    ],
  ],
  ['features-adql-string', ['LOWER', 'UPPER', 'ILIKE']],
  ['features-adql-sets', ['UNION', 'EXCEPT', 'INTERSECT']],
  ['features-adql-common-table', ['WITH']],
  ['features-adql-type', ['CAST']],
  ['features-adql-unit', ['IN_UNIT']],
  ['features-adql-offset', ['OFFSET']],
  // COALESCE (features-adql-conditional) works, but STILTS 3.4 (Debian 12) rejects that key.
];

function feature(form: string, description?: string): string {
  return `        <feature>\n          <form>${escapeXml(form)}</form>\n${element('description', description, '          ')}        </feature>\n`;
}

function languageXml(): string {
  let xml = '    <language>\n      <name>ADQL</name>\n';
  xml += `      <version ivo-id="ivo://ivoa.net/std/ADQL#v2.0">2.0</version>\n`;
  xml += `      <version ivo-id="ivo://ivoa.net/std/ADQL#v2.1">2.1</version>\n`;
  xml +=
    '      <description>ADQL 2.1 with geometry, string, set, CTE, CAST, IN_UNIT, OFFSET and COALESCE features</description>\n';
  xml += `      <languageFeatures type="${TAPREGEXT}#features-udf">\n`;
  for (const udf of udfDeclarations()) xml += feature(udf.form, udf.description);
  xml += '      </languageFeatures>\n';
  for (const [type, forms] of ADQL_FEATURES) {
    xml += `      <languageFeatures type="ivo://ivoa.net/std/TAPRegExt#${type}">\n`;
    for (const form of forms) xml += feature(form);
    xml += '      </languageFeatures>\n';
  }
  return `${xml}    </language>\n`;
}

function outputFormatsXml(): string {
  return RESULT_FORMATS.map((format) => {
    const id = format.ivoId ? ` ivo-id="${format.ivoId}"` : '';
    const aliases = format.aliases.filter((a) => !a.includes('/') && !a.includes(';'));
    return `    <outputFormat${id}>\n      <mime>${escapeXml(format.mime)}</mime>\n${aliases.map((a) => `      <alias>${escapeXml(a)}</alias>\n`).join('')}    </outputFormat>\n`;
  }).join('');
}

function simpleCapability(options: CapabilityOptions, standardId: string, url: string): string {
  return `  <capability standardID="${standardId}">\n${interfacesXml(options, '', url, 'full')}  </capability>\n`;
}

/** The capability elements of the service (VOSI capabilities, registry records). */
export function capabilityElements(options: CapabilityOptions): string {
  const tap = `${options.baseUrl}/tap`;
  const { limits } = options;
  let xml = '  <capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">\n';
  xml += interfacesXml(options, ' role="std" version="1.1"', tap, 'base');
  xml += '    <dataModel ivo-id="ivo://ivoa.net/std/ObsCore#core-1.1">ObsCore-1.1</dataModel>\n';
  xml += languageXml();
  xml += outputFormatsXml();
  xml += `    <uploadMethod ivo-id="${TAPREGEXT}#upload-inline"/>\n`;
  // Tables by URL are fetched from public hosts only (see src/tap/fetch-table.ts).
  xml += `    <uploadMethod ivo-id="${TAPREGEXT}#upload-http"/>\n`;
  xml += `    <uploadMethod ivo-id="${TAPREGEXT}#upload-https"/>\n`;
  const seconds = Math.round(limits.timeoutMs / 1000);
  const pair = (name: string, [value, hard]: readonly [number, number]): string =>
    `    <${name}>\n      <default>${value}</default>\n      <hard>${hard}</hard>\n    </${name}>\n`;
  if (options.jobs) xml += pair('retentionPeriod', options.jobs.retention);
  xml += pair('executionDuration', options.jobs?.executionDuration ?? [seconds, seconds]);
  xml += `    <outputLimit>\n      <default unit="row">${limits.defaultMaxrec}</default>\n      <hard unit="row">${limits.hardMaxrec}</hard>\n    </outputLimit>\n`;
  const uploadBytes = (limits.upload ?? DEFAULT_UPLOAD_LIMITS).maxBytes;
  xml += `    <uploadLimit>\n      <default unit="byte">${uploadBytes}</default>\n      <hard unit="byte">${uploadBytes}</hard>\n    </uploadLimit>\n`;
  xml += '  </capability>\n';
  const simple = (standardId: string, url: string): string =>
    simpleCapability(options, standardId, url);
  xml += simple('ivo://ivoa.net/std/VOSI#capabilities', `${tap}/capabilities`);
  xml += simple('ivo://ivoa.net/std/VOSI#availability', `${tap}/availability`);
  xml += simple('ivo://ivoa.net/std/VOSI#tables-1.1', `${tap}/tables`);
  xml += simple('ivo://ivoa.net/std/DALI#examples', `${tap}/examples`);
  if (options.datalink)
    xml += simple('ivo://ivoa.net/std/DataLink#links-1.1', `${options.baseUrl}/datalink`);
  if (options.analysis) {
    xml += `  <capability standardID="${escapeXml(options.analysis.standardId)}">\n`;
    xml += `    <description>Map datasets (gammapy MapDataset FITS) of a selection of event lists: sync, and async through UWS</description>\n`;
    xml += interfacesXml(options, '', `${options.baseUrl}/analysis/sync`, 'full');
    xml += interfacesXml(options, '', `${options.baseUrl}/analysis/async`, 'base');
    xml += '  </capability>\n';
    const product = (standardId: string | undefined, path: string, description: string) => {
      if (!standardId) return;
      xml += `  <capability standardID="${escapeXml(standardId)}">\n`;
      xml += `    <description>${description}: sync, and async through UWS</description>\n`;
      xml += interfacesXml(options, '', `${options.baseUrl}/analysis/${path}/sync`, 'full');
      xml += interfacesXml(options, '', `${options.baseUrl}/analysis/${path}/async`, 'base');
      xml += '  </capability>\n';
    };
    product(
      options.analysis.spectrumStandardId,
      'spectrum',
      'Spectra (DL5) of an ON region: forward-folded fit and flux points (VOTable, gammapy FluxPoints FITS, PNG)',
    );
    product(
      options.analysis.lightCurveStandardId,
      'lightcurve',
      'Light curves (DL5) of an ON region: flux of the fitted spectral shape per run or time bin (VOTable, gammapy light-curve FITS, PNG)',
    );
  }
  return xml;
}

export function capabilitiesDocument(options: CapabilityOptions): string {
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  xml += '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" ';
  xml +=
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" ';
  xml += 'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0">\n';
  return `${xml}${capabilityElements(options)}</vosi:capabilities>\n`;
}
