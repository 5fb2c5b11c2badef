/**
 * Harvesting another publishing registry (OAI-PMH 2.0, IVOA Registry Interfaces) into
 * the rr tables: ListRecords in ivo_vor, followed through its resumption tokens. A full
 * harvest replaces every record earlier harvested from that endpoint; one with `from`
 * replaces the records changed since and removes those marked deleted.
 */
import type { Engine } from '../engine/types.js';
import { xmlChild, xmlChildren, type XmlElement } from '../votable/index.js';
import { readRecord, RegistryRecordError, regtapRows, writeRegtapRows } from './regtap.js';

export interface HarvestOptions {
  /** Only records changed since this OAI datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ). */
  readonly from?: string;
  /** Answers followed at most (resumption tokens), against endless loops. */
  readonly maxPages?: number;
  readonly fetch?: typeof fetch;
}

export interface HarvestReport {
  readonly endpoint: string;
  readonly records: number;
  readonly deleted: number;
  readonly pages: number;
}

const OAI_DATESTAMP = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\dZ)?$/;
const text = (element: XmlElement | undefined): string => element?.text.trim() ?? '';

/** The endpoint as given, without query: harvests from it are one origin in rr. */
export function harvestEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RegistryRecordError(`'${url}' is not a URL of an OAI-PMH endpoint`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RegistryRecordError(`'${url}' is not an http(s) URL of an OAI-PMH endpoint`);
  }
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}

async function listRecords(
  endpoint: string,
  parameters: Record<string, string>,
  get: typeof fetch,
): Promise<XmlElement | undefined> {
  const url = `${endpoint}?${new URLSearchParams({ verb: 'ListRecords', ...parameters })}`;
  let answer: Response;
  try {
    answer = await get(url, { headers: { Accept: 'text/xml' } });
  } catch (error) {
    throw new RegistryRecordError(`cannot reach ${endpoint}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!answer.ok) {
    throw new RegistryRecordError(`${endpoint} answered HTTP ${answer.status} to ListRecords`);
  }
  const root = readRecord(await answer.text(), `the answer of ${endpoint}`);
  if (root?.name !== 'OAI-PMH') {
    throw new RegistryRecordError(`${endpoint} did not answer an OAI-PMH document`);
  }
  const error = xmlChild(root, 'error');
  if (error) {
    // noRecordsMatch: nothing changed since `from`.
    if (error.attributes.get('code') === 'noRecordsMatch') return undefined;
    throw new RegistryRecordError(
      `${endpoint} answered ListRecords with the OAI error ${error.attributes.get('code') ?? '?'}: ${text(error)}`,
    );
  }
  return xmlChild(root, 'ListRecords');
}

/** Loads the VOResource records of the publishing registry at `url` into rr. */
export async function harvestRegistry(
  engine: Engine,
  url: string,
  options: HarvestOptions = {},
): Promise<HarvestReport> {
  const endpoint = harvestEndpoint(url);
  if (options.from !== undefined && !OAI_DATESTAMP.test(options.from)) {
    throw new RegistryRecordError(
      `from '${options.from}' is not an OAI datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)`,
    );
  }
  const get = options.fetch ?? fetch;
  const maxPages = options.maxPages ?? 10_000;
  const resources: XmlElement[] = [];
  const deleted: string[] = [];
  let parameters: Record<string, string> = {
    metadataPrefix: 'ivo_vor',
    ...(options.from !== undefined ? { from: options.from } : {}),
  };
  let pages = 0;
  for (;;) {
    if (++pages > maxPages) {
      throw new RegistryRecordError(
        `${endpoint} kept sending resumption tokens after ${maxPages} answers`,
      );
    }
    const list = await listRecords(endpoint, parameters, get);
    for (const record of xmlChildren(list, 'record')) {
      const header = xmlChild(record, 'header');
      const identifier = text(xmlChild(header, 'identifier'));
      if (header?.attributes.get('status') === 'deleted') {
        if (identifier !== '') deleted.push(identifier);
        continue;
      }
      const resource = xmlChild(xmlChild(record, 'metadata'), 'Resource');
      if (!resource) {
        throw new RegistryRecordError(
          `${endpoint}: the record ${identifier} holds no <ri:Resource>`,
        );
      }
      // Only active records belong in rr (RegTAP 1.1 §4.1).
      const status = resource.attributes.get('status') ?? 'active';
      if (status === 'active') resources.push(resource);
      else deleted.push(text(xmlChild(resource, 'identifier')) || identifier);
    }
    const token = text(xmlChild(list, 'resumptionToken'));
    if (token === '') break;
    parameters = { resumptionToken: token };
  }
  const rows = regtapRows(resources, endpoint);
  await writeRegtapRows(engine, rows, {
    harvestedFrom: endpoint,
    replaceAll: options.from === undefined,
    deleted,
  });
  return { endpoint, records: resources.length, deleted: deleted.length, pages };
}
