/**
 * The one configuration loader: the service description from a TOML file, then
 * environment variables (HEARC_<KEY>), then command-line flags, the same for every
 * command. Every value is checked here; a mistake names the key and where it came from.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  type CollectionDescription,
  DEFAULT_LIMITS_DESCRIPTION,
  type ServiceDescription,
  type ServiceLimitsDescription,
  RESULT_COMPRESSIONS,
  type ResultCompression,
} from './description.js';
import { SOFTWARE } from './software.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'url' | 'authority' | 'list' | 'integer' | 'path';

/** Top-level keys: TOML name → kind (env HEARC_<NAME upper-cased>). */
const TOP_KEYS: Readonly<Record<string, Kind>> = {
  authority: 'authority',
  public_url: 'url',
  trusted_proxies: 'list',
  title: 'string',
  short_name: 'string',
  description: 'string',
  publisher: 'string',
  creators: 'list',
  rights: 'string',
  licence_url: 'url',
  reference_url: 'url',
  subjects: 'list',
  cache_dir: 'path',
  compress_results: 'string',
};

/** The processes `hearc serve` runs (a number, or 'auto': one per CPU); read apart from TOP_KEYS. */
const PROCESSES_KEY = 'processes';
const CONTACT_KEYS: Readonly<Record<string, Kind>> = {
  name: 'string',
  email: 'string',
  url: 'url',
};
/** [limits] keys and the ServiceLimitsDescription field each sets. */
const LIMIT_KEYS: Readonly<Record<string, keyof ServiceLimitsDescription>> = {
  default_maxrec: 'defaultMaxrec',
  hard_maxrec: 'hardMaxrec',
  sync_timeout_s: 'syncTimeoutS',
  execution_duration_s: 'executionDurationS',
  max_execution_duration_s: 'maxExecutionDurationS',
  destruction_s: 'destructionS',
  max_destruction_s: 'maxDestructionS',
  upload_max_bytes: 'uploadMaxBytes',
  upload_max_rows: 'uploadMaxRows',
  upload_max_tables: 'uploadMaxTables',
  job_result_max_bytes: 'jobResultMaxBytes',
  active_jobs_per_user: 'activeJobsPerUser',
  jobs_min_free_bytes: 'jobsMinFreeBytes',
  analysis_max_pixels: 'analysisMaxPixels',
  analysis_sync_max_runs: 'analysisSyncMaxRuns',
  analysis_max_runs: 'analysisMaxRuns',
  analysis_cache_entries: 'analysisCacheEntries',
};

export const DEFAULT_AUTHORITY = 'hearc.local';

/** Settings given on the command line (each command maps its own flags here). */
export interface ConfigOverrides {
  readonly authority?: string;
  readonly publicUrl?: string;
  readonly trustedProxies?: readonly string[];
  readonly cacheDir?: string;
  /** `hearc serve --processes`: a number or 'auto'. */
  readonly processes?: string;
}

export interface LoadConfigOptions {
  /** The --config file, else HEARC_CONFIG; none: defaults and environment only. */
  readonly file?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly overrides?: ConfigOverrides;
}

type Raw = Record<string, unknown>;

function checkValue(kind: Kind, key: string, value: unknown, where: string): string | string[] {
  if (kind === 'list') {
    if (typeof value === 'string')
      return value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    throw new ConfigError(`${key} in ${where} must be a list of strings`);
  }
  if (typeof value !== 'string') throw new ConfigError(`${key} in ${where} must be a string`);
  const text = value.trim();
  if (kind === 'url') {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`${key} in ${where} is not a URL: '${value}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(`${key} in ${where} must be an http(s) URL (got '${value}')`);
    if (url.search || url.hash)
      throw new ConfigError(`${key} in ${where} must not have a query or fragment`);
    return text.replace(/\/+$/, '');
  }
  if (kind === 'authority' && !/^[A-Za-z0-9][A-Za-z0-9._~-]{2,}$/.test(text)) {
    throw new ConfigError(
      `${key} in ${where} '${value}' is not a valid IVOA authority (letters, digits, . _ ~ -, at least 3)`,
    );
  }
  if (text === '') throw new ConfigError(`${key} in ${where} is empty`);
  return text;
}

function integerValue(
  key: string,
  value: unknown,
  where: string,
  min = 0,
  expected = `an integer >= ${min}`,
): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min)
    throw new ConfigError(`${key} in ${where} must be ${expected} (got '${String(value)}')`);
  return n;
}

function processesValue(key: string, value: unknown, where: string): number | 'auto' {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'auto') return 'auto';
  return integerValue(key, value, where, 1, "'auto' or an integer >= 1");
}

function compressionOf(value: string): ResultCompression {
  const found = RESULT_COMPRESSIONS.find((c) => c === value.toLowerCase());
  if (found === undefined)
    throw new ConfigError(
      `compress_results must be one of ${RESULT_COMPRESSIONS.join(', ')} (got '${value}')`,
    );
  return found;
}

function readFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read the configuration file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  try {
    return parseToml(text) as Raw;
  } catch (err) {
    const detail = err instanceof TomlError ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`the configuration file ${file} is not valid TOML: ${detail}`);
  }
}

function collectionsOf(value: unknown, where: string): CollectionDescription[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new ConfigError(`collections in ${where} must be a list of [[collections]] tables`);
  return value.map((entry: unknown, i) => {
    const at = `collections[${i}] in ${where}`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${at} is not a table`);
    const { name, title, description, ...rest } = entry as Raw;
    const unknown = Object.keys(rest);
    if (unknown.length > 0)
      throw new ConfigError(`${at} has unknown key '${unknown[0]}' (name, title, description)`);
    const n = checkValue('string', 'name', name, at) as string;
    return {
      name: n,
      title: title === undefined ? n : (checkValue('string', 'title', title, at) as string),
      ...(description !== undefined
        ? { description: checkValue('string', 'description', description, at) as string }
        : {}),
    };
  });
}

/** Reads the service description: file, then environment, then overrides. */
export function loadServiceDescription(options: LoadConfigOptions = {}): ServiceDescription {
  const env = options.env ?? process.env;
  const file = options.file ?? env.HEARC_CONFIG;
  const raw: Raw = file ? readFile(file) : {};
  const where = file ?? 'the configuration';
  const top: Record<string, string | string[]> = {};
  const contact: Record<string, string> = {};
  const limits: { -readonly [K in keyof ServiceLimitsDescription]: number } = {
    ...DEFAULT_LIMITS_DESCRIPTION,
  };
  let collections: CollectionDescription[] = [];
  let processes: number | 'auto' | undefined;
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'collections') collections = collectionsOf(value, where);
    else if (key === PROCESSES_KEY) processes = processesValue(key, value, where);
    else if (key === 'contact' || key === 'limits') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ConfigError(`[${key}] in ${where} must be a table`);
      for (const [k, v] of Object.entries(value as Raw)) {
        if (key === 'contact') {
          const kind = CONTACT_KEYS[k];
          if (!kind) throw new ConfigError(`unknown key contact.${k} in ${where}`);
          contact[k] = checkValue(kind, `contact.${k}`, v, where) as string;
        } else {
          const field = LIMIT_KEYS[k];
          if (!field) throw new ConfigError(`unknown key limits.${k} in ${where}`);
          limits[field] = integerValue(`limits.${k}`, v, where);
        }
      }
    } else {
      const kind = TOP_KEYS[key];
      if (!kind) throw new ConfigError(`unknown key '${key}' in ${where}`);
      top[key] = checkValue(kind, key, value, where);
    }
  }
  // Environment: HEARC_<KEY>, HEARC_CONTACT_<KEY>, HEARC_LIMITS_<KEY>.
  const fromEnv = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  for (const [key, kind] of Object.entries(TOP_KEYS)) {
    const v = fromEnv(`HEARC_${key.toUpperCase()}`);
    if (v !== undefined)
      top[key] = checkValue(kind, `HEARC_${key.toUpperCase()}`, v, 'the environment');
  }
  const processesFromEnv = fromEnv('HEARC_PROCESSES');
  if (processesFromEnv !== undefined)
    processes = processesValue('HEARC_PROCESSES', processesFromEnv, 'the environment');
  for (const [key, kind] of Object.entries(CONTACT_KEYS)) {
    const name = `HEARC_CONTACT_${key.toUpperCase()}`;
    const v = fromEnv(name);
    if (v !== undefined) contact[key] = checkValue(kind, name, v, 'the environment') as string;
  }
  for (const [key, field] of Object.entries(LIMIT_KEYS)) {
    const name = `HEARC_LIMITS_${key.toUpperCase()}`;
    const v = fromEnv(name);
    if (v !== undefined) limits[field] = integerValue(name, v, 'the environment');
  }
  const o = options.overrides ?? {};
  if (o.authority !== undefined)
    top.authority = checkValue('authority', '--authority', o.authority, 'the command line');
  if (o.publicUrl !== undefined)
    top.public_url = checkValue('url', '--base-url', o.publicUrl, 'the command line');
  if (o.trustedProxies !== undefined && o.trustedProxies.length > 0)
    top.trusted_proxies = [...o.trustedProxies];
  if (o.cacheDir !== undefined)
    top.cache_dir = checkValue('path', '--cache-dir', o.cacheDir, 'the command line');
  if (o.processes !== undefined)
    processes = processesValue('--processes', o.processes, 'the command line');
  if (limits.defaultMaxrec > limits.hardMaxrec)
    throw new ConfigError(
      `limits.default_maxrec (${limits.defaultMaxrec}) is larger than limits.hard_maxrec (${limits.hardMaxrec})`,
    );
  if (
    limits.executionDurationS > limits.maxExecutionDurationS ||
    limits.destructionS > limits.maxDestructionS
  )
    throw new ConfigError(
      'limits: a default execution duration or destruction time is larger than its maximum',
    );

  const s = (key: string): string | undefined => top[key] as string | undefined;
  const l = (key: string): readonly string[] => (top[key] as string[] | undefined) ?? [];
  const title = s('title') ?? 'hearc high-energy archive';
  return {
    authority: s('authority') ?? DEFAULT_AUTHORITY,
    ...(s('public_url') ? { publicUrl: s('public_url') } : {}),
    trustedProxies: l('trusted_proxies'),
    title,
    shortName: s('short_name') ?? 'hearc',
    description:
      s('description') ??
      'High-energy event data (gamma-ray and neutrino DL3 event lists with their instrument response functions), published with ObsCore and its high-energy extension over TAP, with DataLink, SODA cutouts and previews.',
    publisher: s('publisher') ?? 'the operator of this hearc service',
    creators: l('creators'),
    contact: {
      name: contact.name ?? s('publisher') ?? 'hearc operator',
      ...(contact.email ? { email: contact.email } : {}),
      ...(contact.url ? { url: contact.url } : {}),
    },
    rights: s('rights') ?? 'Public data are free to use; cite the data release of each collection.',
    ...(s('licence_url') ? { licenceUrl: s('licence_url') } : {}),
    ...(s('reference_url') ? { referenceUrl: s('reference_url') } : {}),
    subjects:
      l('subjects').length > 0
        ? l('subjects')
        : ['gamma-ray-astronomy', 'high-energy-astrophysics'],
    collections,
    limits,
    ...(s('cache_dir') ? { cacheDir: s('cache_dir') } : {}),
    ...(processes !== undefined ? { processes } : {}),
    ...(s('compress_results') ? { compressResults: compressionOf(s('compress_results')!) } : {}),
    software: SOFTWARE,
  };
}
