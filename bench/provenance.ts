/**
 * What recording provenance costs: ingest time and SODA cutout latency with and
 * without it, measured in the same run on the same simulated store (runs interleaved,
 * medians compared). Target: under 5 % more for each.
 *
 *   node --import tsx bench/provenance.ts [--obs 200] [--events 3000] [--cutouts 40] [--store DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { openEngine } from '../src/engine/index.js';
import type { Engine } from '../src/engine/types.js';
import { sodaPlugin } from '../src/http/soda.js';
import { ingestDataStore } from '../src/ingest/ingest.js';
import { obscoreTable } from '../src/obscore/schema.js';
import { ProductProvenance } from '../src/provenance/index.js';
import { loadServiceDescription } from '../src/service/index.js';
import { simulateDataStore } from '../src/sim/simulate.js';

const { values } = parseArgs({
  options: {
    obs: { type: 'string' },
    events: { type: 'string' },
    cutouts: { type: 'string' },
    store: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const observations = Number(values.obs ?? 200);
const events = Number(values.events ?? 3000);
const cutouts = Number(values.cutouts ?? 40);
const rounds = Number(values.rounds ?? 3);
const work = mkdtempSync(join(tmpdir(), 'hearc-bench-provenance-'));
const service = loadServiceDescription({ env: {} });
const config = {
  authority: 'bench.hearc',
  collection: 'sim',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const seconds = async (work: () => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
};

try {
  let store = values.store;
  if (store === undefined) {
    store = join(work, 'store');
    console.log(`simulating ${observations} observations (~${events} events each) in ${store}`);
    await simulateDataStore({
      outDir: store,
      observations,
      seed: 5,
      eventsPerObservation: events,
    });
  }

  // Ingest: a fresh catalog each time, with and without provenance, interleaved.
  const ingestTimes = { without: [] as number[], with: [] as number[] };
  let catalog: Engine | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const provenance of [false, true]) {
      const engine = await openEngine(join(work, `catalog-${round}-${provenance}.duckdb`));
      const time = await seconds(() =>
        ingestDataStore(engine, store, config, { service, provenance }),
      );
      ingestTimes[provenance ? 'with' : 'without'].push(time);
      if (provenance && round === rounds - 1) catalog = engine;
      else await engine.close();
    }
  }

  // Cutouts: the same requests through SODA with and without the record, interleaved.
  const engine = catalog!;
  const rows = await engine.selectRows(obscoreTable);
  const products = new ProductProvenance(engine, service);
  const apps = await Promise.all(
    [false, true].map(async (provenance) => {
      const app = Fastify();
      await app.register(sodaPlugin, {
        engine,
        workDir: join(work, 'cutouts'),
        ...(provenance
          ? {
              provenance: {
                products,
                naming: () => ({ baseUrl: 'http://bench.local', prefix: 'hearc' }),
              },
            }
          : {}),
      });
      await app.ready();
      return app;
    }),
  );
  const cutoutTimes = { without: [] as number[], with: [] as number[] };
  for (let i = 0; i < cutouts; i++) {
    const row = rows[i % rows.length]!;
    const url = `/soda?ID=${encodeURIComponent(String(row.obs_publisher_did))}&CIRCLE=${String(row.s_ra)}+${String(row.s_dec)}+1&ENERGY=0.5+20`;
    for (const [index, app] of apps.entries()) {
      const time = await seconds(async () => {
        const response = await app.inject({ method: 'GET', url });
        if (response.statusCode !== 200) throw new Error(`${url}: ${response.body}`);
      });
      // The first round warms the caches up.
      if (i > 0) cutoutTimes[index === 1 ? 'with' : 'without'].push(time);
    }
  }
  await products.settled();
  for (const app of apps) await app.close();
  await engine.close();

  const table = [
    ['', 'without provenance', 'with provenance', 'ratio'],
    ...(
      [
        ['ingest (s, median)', ingestTimes],
        ['cutout (ms, median)', cutoutTimes],
      ] as const
    ).map(([name, times]) => {
      const scale = name.startsWith('cutout') ? 1000 : 1;
      const [a, b] = [median(times.without), median(times.with)];
      return [name, (a * scale).toFixed(3), (b * scale).toFixed(3), (b / a).toFixed(3)];
    }),
  ];
  console.log(
    `\n${rows.length} observations, ${rounds} ingest rounds, ${cutouts - 1} cutouts each way`,
  );
  for (const row of table) {
    console.log(row.map((c, i) => (i === 0 ? c.padEnd(22) : c.padStart(20))).join(''));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
