/**
 * The coverage of the catalog kept in the catalog between starts, with the state of the
 * catalog it was computed from: a start that finds the catalog in that state loads it
 * (a few megabytes) instead of reading every observation's space MOC (250 MB of ASCII
 * at 1e5 observations) and uniting them again. The state is what `hearc ingest`, withdrawals
 * and rights change: rows written into ivoa.obscore by other means leave it as it was, so
 * whoever writes them deletes this table's rows too.
 */
import { endianness } from 'node:os';
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import { columnDef, type TableDef, tableColumns } from '../schema/types.js';
import { SOFTWARE } from '../service/index.js';
import type { CoverageParts, CoverageSummary } from './coverage.js';
import type { SpanSlab } from './space-time-moc.js';
import type { TimeRanges } from './time-moc.js';

/**
 * What the stored coverage is valid for besides the catalog's state: the software that
 * computed it (a new version may compute it otherwise) and the byte order of its arrays.
 * The layout goes up whenever what is stored, or how it is computed, changes.
 */
const MADE_BY = `${SOFTWARE.name} ${SOFTWARE.version}, coverage layout 1, ${endianness()}`;

const required = { nullable: false } as const;

/**
 * One row for the service, one per collection and one per collection whose observations
 * are all hidden (it has no coverage, and is not withdrawn whole). Arrays are typed
 * arrays' bytes in base64: exact, and read back without parsing numbers.
 */
export const coverageCacheTable: TableDef = {
  schema: 'hearc_internal',
  name: 'coverage_cache',
  description: 'The coverage of the catalog as last computed, and the state it was computed from.',
  columns: [
    columnDef('state', 'char', 'Digest of the catalog state the coverage is of.', required),
    columnDef('made_by', 'char', 'The software and layout that wrote the row.', required),
    columnDef('position', 'int', 'Order of the rows: the service first.', required),
    columnDef('kind', 'char', "'service', 'collection' or 'hidden' (all hidden).", required),
    columnDef('collection', 'char', 'The collection (NULL for the service).'),
    columnDef('observations', 'int', 'Observations covered.'),
    columnDef('space_cells', 'char', 'Sky covered: uint32 [start, end) cell ranges, order 10.'),
    columnDef('space_summary', 'char', 'The sky covered at the registry order (ASCII MOC).'),
    columnDef('time_ranges', 'char', 'Merged good time intervals: int64 ticks (depth 61).'),
    columnDef('span_counts', 'char', 'Per observation: uint32 time range and cell bound counts.'),
    columnDef('span_cells', 'char', 'Per observation: uint32 cell ranges, order 6.'),
    columnDef('span_times', 'char', 'Per observation: int64 good time intervals (ticks).'),
    columnDef('em_min', 'double', 'Shortest wavelength (m).'),
    columnDef('em_max', 'double', 'Longest wavelength (m).'),
    columnDef('messengers', 'char', 'Messengers, tab-separated.'),
    columnDef('created', 'char', 'First ingest (ISO 8601).'),
    columnDef('updated', 'char', 'Last ingest (ISO 8601).'),
  ],
  primaryKey: ['position'],
};

/** What a stored coverage holds: the summary, and the collections all of whose observations are hidden. */
export interface StoredCoverage {
  readonly summary: CoverageSummary;
  readonly hiddenCollections: readonly string[];
}

const KEY = tableColumns(coverageCacheTable, ['state', 'made_by']);

function base64(array: Uint32Array | BigInt64Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

/** The bytes of base64 text in a buffer of their own (aligned for any typed array). */
function bytesOf(value: SqlValue | undefined): ArrayBuffer {
  return new Uint8Array(Buffer.from(String(value ?? ''), 'base64')).buffer;
}

const uint32s = (value: SqlValue | undefined): Uint32Array => new Uint32Array(bytesOf(value));
const int64s = (value: SqlValue | undefined): BigInt64Array => new BigInt64Array(bytesOf(value));

function timeRangesOf(value: SqlValue | undefined): TimeRanges {
  const ticks = int64s(value);
  const ranges: [bigint, bigint][] = [];
  for (let i = 0; i < ticks.length; i += 2) ranges.push([ticks[i]!, ticks[i + 1]!]);
  return ranges;
}

function partsRow(parts: CoverageParts, spans: SpanSlab | undefined): Record<string, SqlValue> {
  return {
    observations: parts.observations,
    space_cells: base64(parts.cells),
    space_summary: parts.spaceSummary,
    time_ranges: base64(BigInt64Array.from(parts.timeRanges.flat())),
    span_counts: spans ? base64(spans.counts) : null,
    span_cells: spans ? base64(spans.cells) : null,
    span_times: spans ? base64(spans.times) : null,
    em_min: parts.wavelength?.[0] ?? null,
    em_max: parts.wavelength?.[1] ?? null,
    messengers: parts.messengers.join('\t'),
    created: parts.created ?? null,
    updated: parts.updated ?? null,
  };
}

function partsOfRow(row: CatalogRow, spans: readonly SpanSlab[]): CoverageParts {
  const text = (name: string): string | undefined =>
    row[name] === null || row[name] === undefined ? undefined : String(row[name]);
  const [emMin, emMax] = [row.em_min, row.em_max];
  const messengers = text('messengers');
  const created = text('created');
  const updated = text('updated');
  return {
    observations: Number(row.observations),
    cells: uint32s(row.space_cells),
    timeRanges: timeRangesOf(row.time_ranges),
    ...(typeof emMin === 'number' && typeof emMax === 'number'
      ? { wavelength: [emMin, emMax] as const }
      : {}),
    messengers: messengers ? messengers.split('\t') : [],
    ...(created !== undefined ? { created } : {}),
    ...(updated !== undefined ? { updated } : {}),
    spaceSummary: String(row.space_summary),
    spans,
  };
}

/** Every row of a stored coverage, the service's first. */
function coverageRows(state: string, stored: StoredCoverage): CatalogRow[] {
  const { summary, hiddenCollections } = stored;
  const key = { state, made_by: MADE_BY };
  const rows: CatalogRow[] = [
    {
      ...key,
      position: 0,
      kind: 'service',
      collection: null,
      ...partsRow(summary.service, undefined),
    },
  ];
  for (const [name, parts] of summary.collections) {
    // A collection's observations are one slab: the service's are its collections'.
    const row = partsRow(parts, parts.spans[0]);
    rows.push({ ...key, position: rows.length, kind: 'collection', collection: name, ...row });
  }
  for (const name of hiddenCollections) {
    rows.push({ ...key, position: rows.length, kind: 'hidden', collection: name });
  }
  return rows;
}

/**
 * The coverage stored for the catalog in state `state`, or undefined when none is (a
 * catalog from before the table, one whose state changed since, or another version's)
 * or it cannot be read: then it is computed again.
 */
export async function loadCoverage(
  engine: Engine,
  state: string,
): Promise<StoredCoverage | undefined> {
  const current = (rows: readonly CatalogRow[]): boolean =>
    rows.length > 0 && rows.every((row) => row.state === state && row.made_by === MADE_BY);
  try {
    // The key first: a stale coverage is not read whole.
    if (!current(await engine.selectRows(KEY))) return undefined;
    const rows = await engine.selectRows(coverageCacheTable);
    // Replaced meanwhile by another process sharing the catalog.
    return current(rows) ? storedCoverage(rows) : undefined;
  } catch {
    return undefined;
  }
}

/** The coverage stored in these rows. */
function storedCoverage(rows: CatalogRow[]): StoredCoverage | undefined {
  rows.sort((a, b) => Number(a.position) - Number(b.position));
  const collections = new Map<string, CoverageParts>();
  const hiddenCollections: string[] = [];
  let service: CatalogRow | undefined;
  for (const row of rows) {
    const name = String(row.collection);
    if (row.kind === 'service') service = row;
    else if (row.kind === 'hidden') hiddenCollections.push(name);
    else {
      const spans: SpanSlab = {
        counts: uint32s(row.span_counts),
        cells: uint32s(row.span_cells),
        times: int64s(row.span_times),
      };
      collections.set(name, partsOfRow(row, [spans]));
    }
  }
  if (!service) return undefined;
  const allSpans = [...collections.values()].flatMap((parts) => parts.spans);
  return { summary: { collections, service: partsOfRow(service, allSpans) }, hiddenCollections };
}

/** Stores the coverage of the catalog in state `state` in place of the one stored before. */
export async function storeCoverage(
  engine: Engine,
  state: string,
  stored: StoredCoverage,
): Promise<void> {
  const rows = coverageRows(state, stored);
  await engine.ensureTables([coverageCacheTable]);
  await engine.transaction(async (tx) => {
    await tx.deleteRows(coverageCacheTable, 'kind', ['service', 'collection', 'hidden']);
    await tx.insertRows(coverageCacheTable, rows);
  });
}
