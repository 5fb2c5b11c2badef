/**
 * Alerts in the catalog: each revision one row of hearc.alerts and one stored map.
 * Ingesting the same document again changes nothing; a new revision keeps the older ones.
 */
import { readFile } from 'node:fs/promises';
import type { CatalogRow, Engine } from '../engine/index.js';
import type { Alert, AlertFormat } from './alert.js';
import { AlertError } from './errors.js';
import { gcnAlert } from './gcn.js';
import {
  credibleRegions,
  decodeMap,
  encodeMap,
  gaussianSigma,
  type ProbabilityMap,
} from './localisation.js';
import { skymapAlert } from './skymap.js';
import { tableColumns } from '../schema/types.js';
import { alertMapTable, alertsTable } from './tables.js';
import { voeventAlert } from './voevent.js';

const FITS_SIGNATURE = 'SIMPLE  =';

/** The format a media type (Content-Type, without parameters) declares; undefined when it names none. */
export function alertFormatOfMediaType(mediaType: string): AlertFormat | undefined {
  const type = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) return 'gcn-json';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'voevent';
  if (type === 'application/fits' || type === 'image/fits' || type === 'application/gzip')
    return 'healpix-fits';
  return undefined;
}

const FORMAT_NAMES: Readonly<Record<AlertFormat, string>> = {
  'gcn-json': 'a GCN JSON notice',
  voevent: 'a VOEvent (XML)',
  'healpix-fits': 'a HEALPix FITS map',
};

/** The format of a document by its first bytes. */
function sniffFormat(bytes: Uint8Array): { format: AlertFormat; text?: string } | undefined {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const head = Buffer.from(bytes.subarray(0, 80)).toString('latin1');
  if (gzip || head.startsWith(FITS_SIGNATURE)) return { format: 'healpix-fits' };
  const text = Buffer.from(bytes)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const start = text.trimStart()[0];
  if (start === '{') return { format: 'gcn-json', text };
  if (start === '<') return { format: 'voevent', text };
  return undefined;
}

/**
 * Reads one alert document, whichever of the three formats it is. `declared` (from a
 * Content-Type) must agree with what the document is.
 */
export function parseAlert(bytes: Uint8Array, source: string, declared?: AlertFormat): Alert {
  const found = sniffFormat(bytes);
  if (!found) {
    throw new AlertError(
      'not an alert document: expected a GCN JSON notice, a VOEvent (XML) or a HEALPix FITS map',
      source,
    );
  }
  if (declared !== undefined && declared !== found.format) {
    throw new AlertError(
      `declared as ${FORMAT_NAMES[declared]} but it is ${FORMAT_NAMES[found.format]}`,
      source,
    );
  }
  if (found.format === 'healpix-fits') return skymapAlert(bytes, source);
  const text = found.text as string;
  return found.format === 'gcn-json' ? gcnAlert(text, source) : voeventAlert(text, source);
}

export async function readAlertFile(path: string): Promise<Alert> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new AlertError(`cannot read the file: ${(error as Error).message}`, path);
  }
  return parseAlert(bytes, path);
}

/** The 90 % radius: given, or from another containment assuming a circular Gaussian. */
export function err90Of(alert: Alert): number | undefined {
  if (alert.errors[90] !== undefined) return alert.errors[90];
  for (const level of [68, 50, 99] as const) {
    const radius = alert.errors[level];
    if (radius !== undefined)
      return gaussianSigma(radius, level / 100) * Math.sqrt(-2 * Math.log(0.1));
  }
  return undefined;
}

export interface IngestedAlert {
  readonly alertId: string;
  readonly revision: number;
  readonly status: 'added' | 'unchanged';
}

/** Stores an alert as a new revision (or finds it already stored). */
export async function storeAlert(
  engine: Engine,
  alert: Alert,
  now = new Date(),
): Promise<IngestedAlert> {
  return engine.transaction(async (tx) => {
    const stored = await tx.selectRows(alertsTable, {
      column: 'alert_id',
      values: [alert.alertId],
    });
    const same = stored.find(
      (row) =>
        row.document === alert.document &&
        (alert.revision === undefined || row.revision === alert.revision),
    );
    if (same)
      return { alertId: alert.alertId, revision: Number(same.revision), status: 'unchanged' };
    const latest = stored.reduce((max, row) => Math.max(max, Number(row.revision)), 0);
    if (alert.revision !== undefined && stored.some((row) => row.revision === alert.revision)) {
      throw new AlertError(
        `revision ${alert.revision} of ${alert.alertId} is already stored with a different document`,
        alert.source,
      );
    }
    const revision = alert.revision ?? latest + 1;
    const regions = alert.localisation ? credibleRegions(alert.localisation) : undefined;
    const row: CatalogRow = {
      alert_id: alert.alertId,
      revision,
      messenger: alert.messenger,
      t_event: alert.tEvent,
      t_event_iso: alert.tEventIso,
      ra: alert.ra ?? null,
      dec: alert.dec ?? null,
      err50: alert.errors[50] ?? null,
      err68: alert.errors[68] ?? null,
      err90: err90Of(alert) ?? null,
      err99: alert.errors[99] ?? null,
      area50: regions?.c50.area ?? null,
      area90: regions?.c90.area ?? null,
      moc50: regions?.c50.moc ?? null,
      moc90: regions?.c90.moc ?? null,
      source: alert.source ?? null,
      author: alert.author ?? null,
      format: alert.format,
      document: alert.document,
      ingested_at: now,
    };
    await tx.insertRows(alertsTable, [row]);
    if (alert.localisation) {
      await tx.insertRows(alertMapTable, [
        { alert_id: alert.alertId, revision, cells: encodeMap(alert.localisation) },
      ]);
    }
    return { alertId: alert.alertId, revision, status: 'added' };
  });
}

export interface StoredAlert {
  readonly row: CatalogRow;
  readonly alertId: string;
  readonly revision: number;
  readonly tEvent: number;
  readonly localisation?: ProbabilityMap;
}

/** What locates a stored alert revision: not its document, which for a skymap is the whole FITS file. */
export interface AlertRevision {
  readonly alertId: string;
  readonly revision: number;
  readonly tEvent: number;
  /** When this revision was stored: with the id and revision, names its map for good. */
  readonly ingestedAt: string;
  /** Whether a localisation map is stored (its credible regions are). */
  readonly localised: boolean;
}

const alertRevisionColumns = tableColumns(alertsTable, [
  'alert_id',
  'revision',
  't_event',
  'area90',
  'ingested_at',
]);

function latestRow(
  rows: readonly CatalogRow[],
  revision: number | undefined,
): CatalogRow | undefined {
  return rows
    .filter((r) => revision === undefined || Number(r.revision) === revision)
    .sort((a, b) => Number(b.revision) - Number(a.revision))[0];
}

/** The latest revision of an alert (or the one asked for) without its document or map; undefined when none is stored. */
export async function findAlertRevision(
  engine: Engine,
  alertId: string,
  revision?: number,
): Promise<AlertRevision | undefined> {
  const rows = await engine.selectRows(alertRevisionColumns, {
    column: 'alert_id',
    values: [alertId],
  });
  const pick = latestRow(rows, revision);
  if (!pick) return undefined;
  const ingestedAt = pick.ingested_at;
  return {
    alertId,
    revision: Number(pick.revision),
    tEvent: Number(pick.t_event),
    ingestedAt: ingestedAt instanceof Date ? ingestedAt.toISOString() : String(ingestedAt),
    localised: pick.area90 !== null && pick.area90 !== undefined,
  };
}

/** The localisation map of one alert revision, decoded; undefined when it has none. */
export async function loadLocalisation(
  engine: Engine,
  alertId: string,
  revision: number,
): Promise<ProbabilityMap | undefined> {
  const maps = await engine.selectRows(alertMapTable, { column: 'alert_id', values: [alertId] });
  const cells = maps.find((m) => Number(m.revision) === revision)?.cells;
  return typeof cells === 'string' ? decodeMap(cells) : undefined;
}

/** The latest revision of an alert (or the one asked for); undefined when none is stored. */
export async function loadAlert(
  engine: Engine,
  alertId: string,
  revision?: number,
): Promise<StoredAlert | undefined> {
  const rows = await engine.selectRows(alertsTable, { column: 'alert_id', values: [alertId] });
  const pick = latestRow(rows, revision);
  if (!pick) return undefined;
  const chosen = Number(pick.revision);
  const localisation = await loadLocalisation(engine, alertId, chosen);
  return {
    row: pick,
    alertId,
    revision: chosen,
    tEvent: Number(pick.t_event),
    ...(localisation ? { localisation } : {}),
  };
}
