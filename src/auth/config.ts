/**
 * The access settings of `hearc serve`: OIDC issuers, the SSO token endpoint and
 * whether proprietary metadata are hidden, from command-line options and an optional
 * JSON file (`--auth-config`), checked with errors that name the setting.
 */
import { readFileSync } from 'node:fs';
import type { OidcIssuerConfig } from './oidc.js';

export interface AuthSettings {
  readonly issuers: readonly OidcIssuerConfig[];
  /** Where clients obtain a bearer token (access_url of the ivoa_bearer challenge). */
  readonly tokenEndpoint?: string;
  /** Hide the ObsCore rows of data the caller may not read. */
  readonly hideMetadata?: boolean;
  readonly realm?: string;
}

/** A problem in the access settings; the message names the setting. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

const isWebUrl = (value: string): boolean => /^https?:\/\//i.test(value);

function checkedUrl(value: string, what: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return value;
  } catch {
    // Reported below.
  }
  throw new AuthConfigError(`${what} must be an http(s) URL (got '${value}')`);
}

/** Where an issuer's keys are: a JWKS URL, or else a local JWKS file. */
export function jwksLocation(value: string): Pick<OidcIssuerConfig, 'jwksUrl' | 'jwksFile'> {
  return isWebUrl(value) ? { jwksUrl: checkedUrl(value, 'the JWKS URL') } : { jwksFile: value };
}

/** One issuer, checked: issuer URL, audience, exactly one key location. */
export function issuerConfig(config: OidcIssuerConfig): OidcIssuerConfig {
  const where = `issuer '${config.issuer}'`;
  checkedUrl(config.issuer, 'an OIDC issuer');
  const audiences = typeof config.audience === 'string' ? [config.audience] : config.audience;
  if (audiences.length === 0 || audiences.some((a) => a === '')) {
    throw new AuthConfigError(`${where}: an audience is required`);
  }
  if (!config.jwksUrl === !config.jwksFile) {
    throw new AuthConfigError(`${where}: give exactly one of jwksUrl and jwksFile`);
  }
  if (config.jwksUrl) checkedUrl(config.jwksUrl, `${where}: jwksUrl`);
  return config;
}

function field<T>(
  object: Record<string, unknown>,
  name: string,
  where: string,
  is: (value: unknown) => value is T,
  kind: string,
): T | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (!is(value)) throw new AuthConfigError(`${where}: '${name}' must be ${kind}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const ISSUER_FIELDS = new Set([
  'issuer',
  'audience',
  'jwksUrl',
  'jwksFile',
  'groupsClaim',
  'userClaim',
  'clockToleranceSeconds',
  'clientId',
  'scope',
]);
const TOP_FIELDS = new Set(['issuers', 'tokenEndpoint', 'hideProprietaryMetadata', 'realm']);

function unknownFields(object: Record<string, unknown>, known: Set<string>, where: string): void {
  const extra = Object.keys(object).filter((k) => !known.has(k));
  if (extra.length > 0) {
    throw new AuthConfigError(`${where}: unknown setting(s) ${extra.join(', ')}`);
  }
}

/**
 * The settings of an --auth-config file: `{"issuers": [{"issuer", "audience",
 * "jwksUrl" | "jwksFile", "groupsClaim"?, "userClaim"?, "clientId"?, "scope"?}], "tokenEndpoint"?,
 * "hideProprietaryMetadata"?, "realm"?}`. A relative jwksFile is taken as it is given.
 */
export function parseAuthConfig(text: string, source: string): AuthSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AuthConfigError(`${source}: not JSON (${(error as Error).message})`);
  }
  if (!isObject(parsed)) throw new AuthConfigError(`${source}: expected a JSON object`);
  unknownFields(parsed, TOP_FIELDS, source);
  const list = parsed.issuers ?? [];
  if (!Array.isArray(list)) throw new AuthConfigError(`${source}: 'issuers' must be a list`);
  const issuers = list.map((entry: unknown, i): OidcIssuerConfig => {
    const where = `${source}: issuers[${i}]`;
    if (!isObject(entry)) throw new AuthConfigError(`${where} must be an object`);
    unknownFields(entry, ISSUER_FIELDS, where);
    const issuer = field(entry, 'issuer', where, isString, 'a URL');
    if (!issuer) throw new AuthConfigError(`${where}: 'issuer' is required`);
    const audience =
      field(
        entry,
        'audience',
        where,
        (v): v is string | string[] => isString(v) || isStrings(v),
        'a string or a list of strings',
      ) ?? '';
    const tolerance = field(
      entry,
      'clockToleranceSeconds',
      where,
      (v): v is number => typeof v === 'number' && v >= 0,
      'a number of seconds',
    );
    const optional = (name: string): string | undefined =>
      field(entry, name, where, isString, 'a non-empty string');
    const jwksUrl = optional('jwksUrl');
    const jwksFile = optional('jwksFile');
    const groupsClaim = optional('groupsClaim');
    const userClaim = optional('userClaim');
    const clientId = optional('clientId');
    const scope = optional('scope');
    return issuerConfig({
      issuer,
      audience,
      ...(jwksUrl ? { jwksUrl } : {}),
      ...(jwksFile ? { jwksFile } : {}),
      ...(groupsClaim ? { groupsClaim } : {}),
      ...(userClaim ? { userClaim } : {}),
      ...(clientId ? { clientId } : {}),
      ...(scope ? { scope } : {}),
      ...(tolerance !== undefined ? { clockToleranceSeconds: tolerance } : {}),
    });
  });
  const tokenEndpoint = field(parsed, 'tokenEndpoint', source, isString, 'a URL');
  const hide = field(parsed, 'hideProprietaryMetadata', source, isBoolean, 'true or false');
  const realm = field(parsed, 'realm', source, isString, 'a non-empty string');
  return {
    issuers,
    ...(tokenEndpoint
      ? { tokenEndpoint: checkedUrl(tokenEndpoint, `${source}: tokenEndpoint`) }
      : {}),
    ...(hide !== undefined ? { hideMetadata: hide } : {}),
    ...(realm ? { realm } : {}),
  };
}

export function readAuthConfig(path: string): AuthSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AuthConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseAuthConfig(text, path);
}
