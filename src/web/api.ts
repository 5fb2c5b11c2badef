/**
 * The public HTTP API as the portal uses it: the service document, TAP sync (JSON), DataLink
 * (VOTable), the TAP examples. Every request goes to this server (relative URLs) and
 * carries the signed-in user's API token, when there is one.
 */
const TOKEN_KEY = 'hearc.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export function authHeaders(): Record<string, string> {
  const token = session.token();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** An absolute URL of a path under the service (the page's <base>). */
export const serviceUrl = (path: string): string => new URL(path, document.baseURI).href;

export interface ServiceDocument {
  title: string;
  shortName: string;
  description: string;
  publisher: string;
  contact: { name: string; email?: string; url?: string };
  rights: string;
  licenceUrl: string | null;
  referenceUrl: string | null;
  collections: { name: string; title: string; description?: string }[];
  limits: { defaultMaxrec: number; hardMaxrec: number; syncTimeoutS: number };
  software: { name: string; version: string };
  /** Sign-in through an OIDC issuer, when the service offers it. */
  signIn: { issuer: string; clientId: string; scope: string } | null;
  urls: Record<
    'base' | 'tap' | 'capabilities' | 'tables' | 'availability' | 'examples' | 'datalink' | 'soda',
    string
  >;
}

let serviceDocument: Promise<ServiceDocument> | undefined;
export function service(): Promise<ServiceDocument> {
  serviceDocument ??= fetch(serviceUrl('service.json')).then((r) => {
    if (!r.ok) throw new Error(`service.json: HTTP ${r.status}`);
    return r.json() as Promise<ServiceDocument>;
  });
  return serviceDocument;
}

export interface Column {
  name: string;
  datatype: string;
  unit?: string;
  ucd?: string;
  description?: string;
}

export interface TapResult {
  columns: Column[];
  rows: unknown[][];
  /** More rows exist than the limit asked for. */
  overflow: boolean;
}

/** A TAP error, with where in the query it is when the service says so. */
export class TapQueryError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** The message of a VOTable error document (or the text itself). */
function errorMessage(text: string): string {
  const match = /<INFO[^>]*name="QUERY_STATUS"[^>]*>([\s\S]*?)<\/INFO>/.exec(text);
  const raw = (match?.[1] ?? text).trim();
  const doc = new DOMParser().parseFromString(`<x>${raw}</x>`, 'text/html');
  return doc.body.textContent?.trim() || raw;
}

export function tapParams(query: string, format: string, maxrec?: number): URLSearchParams {
  const params = new URLSearchParams({ REQUEST: 'doQuery', LANG: 'ADQL', QUERY: query });
  params.set('RESPONSEFORMAT', format);
  if (maxrec !== undefined) params.set('MAXREC', String(maxrec));
  return params;
}

/** Runs ADQL through TAP sync; `limit` rows at most (overflow says when there were more). */
export async function tap(query: string, limit?: number): Promise<TapResult> {
  const response = await fetch(serviceUrl('tap/sync'), {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/x-www-form-urlencoded' },
    body: tapParams(query, 'json', limit === undefined ? undefined : limit + 1),
  });
  const text = await response.text();
  if (!response.ok || !text.trimStart().startsWith('{')) {
    const message = errorMessage(text) || `HTTP ${response.status}`;
    const at = /line (\d+), column (\d+)/.exec(message);
    throw new TapQueryError(
      message,
      at ? Number(at[1]) : undefined,
      at ? Number(at[2]) : undefined,
    );
  }
  const json = JSON.parse(text) as { metadata: Column[]; data: unknown[][] };
  const overflow = limit !== undefined && json.data.length > limit;
  return {
    columns: json.metadata,
    rows: overflow ? json.data.slice(0, limit) : json.data,
    overflow,
  };
}

/** Rows as objects keyed by column name. */
export async function tapRecords(
  query: string,
  limit?: number,
): Promise<Record<string, unknown>[]> {
  const { columns, rows } = await tap(query, limit);
  return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i]])));
}

/** An ADQL string literal. */
export const adqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export interface DataLinkRow {
  access_url: string | null;
  service_def: string | null;
  error_message: string | null;
  description: string | null;
  semantics: string;
  content_type: string | null;
  content_length: number | null;
  content_qualifier: string | null;
}

export interface ServiceDescriptor {
  readonly id: string;
  readonly standardId: string;
  readonly accessUrl: string;
  /** Input parameters with their MIN and MAX values (space-separated, as written). */
  readonly params: Record<string, { min?: string; max?: string }>;
}

export interface DataLinks {
  readonly rows: DataLinkRow[];
  readonly services: ServiceDescriptor[];
}

function descriptors(doc: Document): ServiceDescriptor[] {
  return [...doc.getElementsByTagName('RESOURCE')]
    .filter((r) => r.getAttribute('type') === 'meta' && r.getAttribute('utype') === 'adhoc:service')
    .map((r) => {
      const param = (name: string) =>
        [...r.children]
          .find((c) => c.tagName === 'PARAM' && c.getAttribute('name') === name)
          ?.getAttribute('value') ?? '';
      const params: ServiceDescriptor['params'] = {};
      for (const p of r.querySelectorAll('GROUP[name="inputParams"] > PARAM')) {
        const values = p.getElementsByTagName('VALUES')[0];
        const min = values?.getElementsByTagName('MIN')[0]?.getAttribute('value') ?? undefined;
        const max = values?.getElementsByTagName('MAX')[0]?.getAttribute('value') ?? undefined;
        params[p.getAttribute('name') ?? ''] = { ...(min ? { min } : {}), ...(max ? { max } : {}) };
      }
      return {
        id: r.getAttribute('ID') ?? '',
        standardId: param('standardID'),
        accessUrl: param('accessURL'),
        params,
      };
    });
}

/** A VOTable the service answered (TABLEDATA): its results table as text records, its INFOs. */
export interface VotableAnswer {
  readonly doc: Document;
  readonly records: Record<string, string | null>[];
  readonly infos: Record<string, string>;
}

/** Fetches a VOTable from the service with the user's credentials; an error document throws its message. */
export async function fetchVotable(url: string, what: string): Promise<VotableAnswer> {
  const response = await fetch(url, { headers: authHeaders() });
  const text = await response.text();
  if (!response.ok) throw new Error(errorMessage(text) || `${what}: HTTP ${response.status}`);
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const table =
    [...doc.getElementsByTagName('RESOURCE')].find((r) => r.getAttribute('type') === 'results') ??
    doc.documentElement;
  const names = [...table.getElementsByTagName('FIELD')].map((f) => f.getAttribute('name') ?? '');
  const records = [...table.getElementsByTagName('TR')].map((tr) => {
    const cells = [...tr.getElementsByTagName('TD')].map((td) => td.textContent ?? '');
    return Object.fromEntries(
      names.map((n, i) => [n, cells[i] === '' ? null : (cells[i] ?? null)]),
    );
  });
  const infos = Object.fromEntries(
    [...table.getElementsByTagName('INFO')].map((i) => [
      i.getAttribute('name') ?? '',
      i.getAttribute('value') ?? '',
    ]),
  );
  return { doc, records, infos };
}

/** The DataLink rows of one dataset (the VOTable TABLEDATA the service answers) and its service descriptors. */
export async function datalink(did: string): Promise<DataLinks> {
  const url = `${serviceUrl('datalink')}?ID=${encodeURIComponent(did)}`;
  const { doc, records } = await fetchVotable(url, 'DataLink');
  const links = records.map(
    (record) =>
      ({
        ...record,
        content_length: record.content_length ? Number(record.content_length) : null,
      }) as unknown as DataLinkRow,
  );
  return { rows: links, services: descriptors(doc) };
}

export interface Example {
  id: string;
  name: string;
  description: string;
  query: string;
}

/** The service's DALI examples (XHTML with RDFa). */
export async function examples(): Promise<Example[]> {
  const response = await fetch(serviceUrl('tap/examples'));
  if (!response.ok) throw new Error(`examples: HTTP ${response.status}`);
  const doc = new DOMParser().parseFromString(await response.text(), 'application/xhtml+xml');
  const prop = (el: Element, name: string) =>
    el.querySelector(`[property="${name}"]`)?.textContent?.trim() ?? '';
  return [...doc.querySelectorAll('[typeof="example"]')].map((el) => ({
    id: el.getAttribute('id') ?? '',
    name: prop(el, 'name'),
    description: prop(el, 'description'),
    query: prop(el, 'query'),
  }));
}

/**
 * Creates and starts a UWS job at `path` (tap/async, analysis/async): the service answers
 * 303 to the new job and fetch follows it, so the job's URL is where it ended.
 */
export async function createJob(path: string, body: URLSearchParams): Promise<string> {
  body.set('PHASE', 'RUN');
  const response = await fetch(serviceUrl(path), {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  if (!response.ok || !response.redirected) {
    throw new Error(
      `The async job was not created: ${errorMessage(await response.text()) || `HTTP ${response.status}`}`,
    );
  }
  return response.url;
}

/** Downloads a URL with the user's credentials (a plain link cannot send them). */
export async function download(url: string, fileName: string): Promise<void> {
  if (!session.token()) {
    const a = Object.assign(document.createElement('a'), { href: url, download: fileName });
    a.click();
    return;
  }
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok)
    throw new Error(errorMessage(await response.text()) || `HTTP ${response.status}`);
  const blob = URL.createObjectURL(await response.blob());
  const a = Object.assign(document.createElement('a'), { href: blob, download: fileName });
  a.click();
  setTimeout(() => URL.revokeObjectURL(blob), 10_000);
}

/** An image with the user's credentials: the object URL of its bytes. */
export async function imageUrl(url: string): Promise<string> {
  if (!session.token()) return url;
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return URL.createObjectURL(await response.blob());
}

// Units: ObsCore em_min/em_max are wavelengths (m); people read energies in TeV; times are MJD.
const HC_EV_M = 1.239841984e-6;
export const tevOfWavelength = (metres: number): number => HC_EV_M / metres / 1e12;
export const wavelengthOfTev = (tev: number): number => HC_EV_M / (tev * 1e12);
const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);
export const isoOfMjd = (mjd: number): string =>
  new Date(MJD_EPOCH_MS + mjd * 86_400_000).toISOString().replace('.000Z', 'Z');
export const dateOfMjd = (mjd: number): string => isoOfMjd(mjd).slice(0, 10);

/** MJD from an MJD number or an ISO date/time (UTC). */
export function mjdOf(text: string): number {
  const value = text.trim();
  if (/^[+-]?\d+(\.\d*)?$/.test(value)) return Number(value);
  const ms = Date.parse(
    /Z$|[+-]\d\d:?\d\d$/.test(value) || value.length <= 10 ? value : `${value}Z`,
  );
  if (Number.isNaN(ms))
    throw new Error(`'${text}' is neither an MJD nor an ISO date (e.g. 2004-12-04 or 53343.9)`);
  return (ms - MJD_EPOCH_MS) / 86_400_000;
}
