/**
 * The native memory of DuckDB result chunks, which V8 does not see.
 *
 * Each chunk fetched holds vectors of full capacity (2048 rows) for every column,
 * whatever rows it holds, and DuckDB frees it only when the collector finalises its JS
 * wrapper. A selective scan over a wide table streams many chunks of a few rows (a time
 * window on ObsCore in sky order: 45 chunks of 27 rows, 57 columns, about 50 MB), while
 * it allocates little on the JS heap: young-generation collections are then far apart,
 * the chunks pile up in native memory, and the allocator hands out fresh pages that the
 * kernel must zero, then purges them when they are finally freed (bench/PROFILE.md,
 * "DuckDB chunks freed when fetched": a fifth of the served peak memory of such queries).
 *
 * So the engine counts the bytes of the chunks it fetches and, past a threshold,
 * asks V8 for a young-generation collection, which finalises them while they are still
 * young.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { collectGarbage } from '../service/memory.js';

/** Rows a DuckDB vector holds. */
const VECTOR_CAPACITY = 2048;

/** Bytes of chunks fetched between two young-generation collections. */
export const CHUNK_BYTES_PER_COLLECTION = 32 * 1024 * 1024;

/** Bytes per row of a vector of this type (a list counts its entry and one child value). */
function rowBytes(type: DuckDBType): number {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
      return 1;
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.USMALLINT:
      return 2;
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DATE:
      return 4;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 8;
    case DuckDBTypeId.LIST:
      return 24;
    default:
      return 16;
  }
}

/** The native bytes of one chunk of a result with these column types. */
export const chunkBytes = (types: readonly DuckDBType[]): number =>
  VECTOR_CAPACITY * types.reduce((sum, type) => sum + rowBytes(type) + 1 / 8, 0);

let fetched = 0;

/**
 * Counts a chunk fetched; once enough bytes have been, collects the young generation,
 * where the chunks already read are by then (the one in hand and the one asked ahead
 * survive it).
 */
export function chunkFetched(bytes: number): void {
  fetched += bytes;
  if (fetched < CHUNK_BYTES_PER_COLLECTION) return;
  fetched = 0;
  collectGarbage('young');
}
