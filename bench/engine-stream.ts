/**
 * Streaming a large result through each catalog engine: rows/s and peak RSS, for the
 * engine's cursor and for the bare client underneath it (the baseline, measured in
 * the same invocation). Each case runs in a child process of its own so that its
 * peak RSS is its own; a flat peak at 1,000,000 rows shows that results stream.
 *
 *   node --import tsx bench/engine-stream.ts [--rows 1000000] [--postgres postgres://…/test]
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import postgres from 'postgres';
import { openEngine } from '../src/engine/index.js';
import { runInChild } from './measure.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    postgres: { type: 'string' },
    case: { type: 'string' },
    url: { type: 'string' },
  },
});
const rows = Number(values.rows ?? 1_000_000);
const adminUrl =
  values.postgres ?? process.env.HEARC_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Six columns of the kinds a catalog query returns, including a DALI point. */
const query = `SELECT CAST(i AS INTEGER) AS id, CAST(i AS BIGINT) * 1000 AS big,
  CAST(i AS DOUBLE PRECISION) / 7 AS x, 'obs-' || CAST(i AS VARCHAR) AS name,
  TIMESTAMP '2020-01-01 00:00:00' AS t, POINT_SQL AS pos
  FROM generate_series(0, ${rows - 1}) AS s(i)`;
const pointSql: Record<string, string> = {
  duckdb: '[CAST(i % 360 AS DOUBLE), -45.5]',
  postgres: `spoint(radians(i % 360), radians(-45.5))`,
};

interface Measurement {
  readonly rows: number;
  readonly seconds: number;
  readonly peakMb: number;
}

/** Opens what a case streams through and returns how to stream and how to close. */
async function prepareCase(
  name: string,
  url: string,
  sql: string,
): Promise<{ stream: () => Promise<number>; close: () => Promise<void> }> {
  if (name === 'duckdb-client') {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    return {
      stream: async () => {
        let count = 0;
        const result = await connection.stream(sql);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) return count;
          count += chunk.getRows().length;
        }
      },
      close: async () => {
        connection.disconnectSync();
        instance.closeSync();
      },
    };
  }
  if (name === 'postgres-client') {
    const client = postgres(url, { max: 1 });
    return {
      stream: async () => {
        let count = 0;
        for await (const batch of client.unsafe(sql).values().cursor(2048)) count += batch.length;
        return count;
      },
      close: () => client.end(),
    };
  }
  const engine = await openEngine(name.startsWith('duckdb') ? ':memory:' : url);
  return {
    stream: async () => {
      let count = 0;
      for await (const batch of await engine.stream(sql, { batchSize: 2048 }))
        count += batch.length;
      return count;
    },
    close: () => engine.close(),
  };
}

/** Runs one case in this process: stream everything, count rows, watch RSS. */
async function measure(name: string, url: string): Promise<Measurement> {
  const dialect = name.startsWith('duckdb') ? 'duckdb' : 'postgres';
  const subject = await prepareCase(name, url, query.replace('POINT_SQL', pointSql[dialect]!));
  let peak = process.memoryUsage().rss;
  const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const start = process.hrtime.bigint();
  const count = await subject.stream();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(watch);
  await subject.close();
  return { rows: count, seconds, peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
}

function runCase(name: string, url = ''): Measurement {
  const args = ['--case', name, '--rows', String(rows), '--url', url];
  return runInChild<Measurement>(fileURLToPath(import.meta.url), args, `bench case ${name}`);
}

async function withBenchDatabase<T>(work: (url: string) => T): Promise<T | undefined> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined, connect_timeout: 3 });
  const name = `hearc_bench_${randomBytes(4).toString('hex')}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (error) {
    console.error(`PostgreSQL skipped (${adminUrl}): ${(error as Error).message}`);
    await admin.end();
    return undefined;
  }
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return work(url.toString());
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (values.case) {
  process.stdout.write(JSON.stringify(await measure(values.case, values.url ?? '')));
} else {
  const results: [string, Measurement, Measurement | undefined][] = [];
  const duckClient = runCase('duckdb-client');
  results.push(['duckdb client (baseline)', duckClient, undefined]);
  results.push(['duckdb engine', runCase('duckdb-engine'), duckClient]);
  await withBenchDatabase((url) => {
    // The engine installs pg_sphere; run it first so that the bare client finds spoint.
    const engine = runCase('postgres-engine', url);
    const client = runCase('postgres-client', url);
    results.push(['postgres client (baseline)', client, undefined]);
    results.push(['postgres engine', engine, client]);
  });
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(`streaming ${rows.toLocaleString('en')} rows of 6 columns, batches of 2048\n`);
  console.log(
    `${'case'.padEnd(28)}${pad('rows', 10)}${pad('seconds', 9)}${pad('rows/s', 12)}${pad('peak RSS MB', 13)}${pad('vs baseline', 13)}`,
  );
  for (const [name, m, baseline] of results) {
    const rate = m.rows / m.seconds;
    const ratio = baseline ? `${(rate / (baseline.rows / baseline.seconds)).toFixed(2)}x` : '';
    console.log(
      `${name.padEnd(28)}${pad(String(m.rows), 10)}${pad(m.seconds.toFixed(2), 9)}${pad(Math.round(rate).toLocaleString('en'), 12)}${pad(m.peakMb.toFixed(0), 13)}${pad(ratio, 13)}`,
    );
  }
}
