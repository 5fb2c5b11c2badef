/**
 * DuckDB result chunks live in native memory V8 does not see: the engine counts the
 * bytes of the chunks it fetches and asks for a young-generation collection past a
 * threshold, so that chunks already read are freed while young.
 */
import assert from 'node:assert/strict';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { test } from 'node:test';
import { DOUBLE, LIST, VARCHAR } from '@duckdb/node-api';
import {
  CHUNK_BYTES_PER_COLLECTION,
  chunkBytes,
  chunkFetched,
} from '../../src/engine/duckdb-chunk-memory.js';
import { openEngine } from '../../src/engine/index.js';

/** Young-generation collections seen while `work` runs (and the turn after it). */
async function youngCollections(work: () => Promise<void>): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    observer.disconnect();
  }
  const kind = (e: PerformanceEntry): number | undefined =>
    (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return seen.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MINOR).length;
}

test('a chunk is counted at full capacity, 2048 rows of every column', () => {
  assert.equal(chunkBytes([DOUBLE, VARCHAR]), 2048 * (8 + 16) + 2 * 256);
  assert.equal(chunkBytes([LIST(DOUBLE)]), 2048 * 24 + 256);
});

test('the young generation is collected once the chunks fetched reach the threshold', async () => {
  // Below the threshold nothing is asked; reaching it asks once.
  const quiet = await youngCollections(async () => {
    chunkFetched(CHUNK_BYTES_PER_COLLECTION / 4);
  });
  const asked = await youngCollections(async () => {
    for (let i = 0; i < 4; i++) chunkFetched(CHUNK_BYTES_PER_COLLECTION / 4);
  });
  assert.ok(asked >= quiet + 1, `collections: ${quiet} below the threshold, ${asked} at it`);
});

test('streaming a sparse wide result collects the young generation as its chunks pile up', async () => {
  const engine = await openEngine(':memory:', { connections: 1 });
  try {
    const columns = Array.from({ length: 40 }, (_, c) => `i * ${c + 1}.5 AS c${c}`).join(', ');
    for await (const _ of await engine.stream(
      `CREATE TABLE t AS SELECT i, ${columns} FROM range(409600) r(i)`,
    ));
    // One row in every vector of 2048: 200 chunks of one row, 40 DOUBLE columns each.
    const bytes = 200 * chunkBytes(Array.from({ length: 41 }, () => DOUBLE));
    let rows = 0;
    const collections = await youngCollections(async () => {
      for await (const batch of await engine.stream('SELECT * FROM t WHERE i % 2048 = 7')) {
        rows += batch.length;
      }
    });
    assert.equal(rows, 200);
    assert.ok(
      collections >= Math.floor(bytes / CHUNK_BYTES_PER_COLLECTION),
      `${collections} young-generation collections for ${(bytes / 2 ** 20).toFixed(0)} MB of chunks`,
    );
  } finally {
    await engine.close();
  }
});
