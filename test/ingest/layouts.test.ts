/**
 * Every layout of a data store: several stores in one folder tree, index files with
 * one table per event class (HAWC-like), and index entries whose files are missing.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDataStores } from '../../src/gadf/index.js';
import { validateDataStore } from '../../src/gadf/validate.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { tempCatalog } from '../helpers/catalog.js';
import { tempDir } from '../helpers/tmp.js';

const config = {
  authority: 'test.hearc',
  collection: 'tree',
  accessMode: 'datalink',
  dataRights: 'public',
} as const;

test('a folder holding several stores publishes each in a collection of its own', async (t) => {
  const dir = tempDir(t);
  const a = await simulateDataStore({
    outDir: join(dir, 'iact-a'),
    observations: 2,
    seed: 3,
    eventsPerObservation: 300,
  });
  const b = await simulateDataStore({
    outDir: join(dir, 'iact-b'),
    observations: 3,
    seed: 5,
    eventsPerObservation: 300,
  });
  const tree = await openDataStores(dir);
  assert.deepEqual(
    tree.stores.map((s) => [s.name, s.observations.length, s.formatVersion]),
    [
      ['iact-a', 2, 'GADF 0.3'],
      ['iact-b', 3, 'GADF 0.3'],
    ],
  );

  const engine = await tempCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(
    report.stores.map((s) => [s.collection, s.index]),
    [
      ['tree-iact-a', 'iact-a/hdu-index.fits.gz'],
      ['tree-iact-b', 'iact-b/hdu-index.fits.gz'],
    ],
  );
  assert.equal(report.added.length, 5);
  assert.deepEqual(report.failed, []);
  const rows = await engine.selectRows(obscoreTable);
  const byCollection = (c: string) =>
    rows
      .filter((r) => r.obs_collection === c)
      .map((r) => [r.obs_id, Number(r.event_count)])
      .sort();
  // The same OBS_IDs in both stores, each published with its own events.
  assert.deepEqual(
    byCollection('tree-iact-a'),
    a.map((o) => [String(o.obsId), o.eventCount]),
  );
  assert.deepEqual(
    byCollection('tree-iact-b'),
    b.map((o) => [String(o.obsId), o.eventCount]),
  );
  assert.ok(
    rows.every((r) =>
      String(r.obs_publisher_did).startsWith(`ivo://test.hearc/${r.obs_collection}?`),
    ),
  );

  const validation = await validateDataStore(dir);
  assert.equal(validation.observations, 5);
  assert.deepEqual(
    validation.problems.filter((p) => p.severity === 'error'),
    [],
  );
});

test('HAWC-like: two reconstructions, one index table per event class, absent class files skipped with their path', async (t) => {
  const dir = tempDir(t);
  const classes = ['fHit1', 'fHit2', 'fHit3'];
  const runs = new Map<string, Awaited<ReturnType<typeof simulateDataStore>>>();
  for (const [name, seed] of [
    ['GP', 8],
    ['NN', 9],
  ] as const) {
    runs.set(
      name,
      await simulateDataStore({
        outDir: dir,
        name,
        eventClasses: classes,
        observations: 2,
        seed,
        eventsPerObservation: 600,
      }),
    );
  }
  // One class of one run was never produced.
  const absent = runs.get('NN')?.[1]?.classes?.[2];
  assert.ok(absent);
  rmSync(join(dir, absent.fileName));

  const engine = await tempCatalog(t);
  const report = await ingestDataStore(engine, dir, config);
  assert.deepEqual(
    report.stores.map((s) => s.collection),
    ['GP', 'NN'].flatMap((r) => classes.map((c) => `tree-${r}-${c}`)),
  );
  assert.deepEqual(
    report.stores.map((s) => s.index),
    ['GP', 'NN'].flatMap((r) => [1, 2, 3].map((n) => `hdu-index-${r}.fits.gz[${n}]`)),
  );
  assert.equal(report.added.length, 11);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.skipped, [
    {
      obsId: '100002',
      path: absent.fileName,
      message: `its event file ${absent.fileName} does not exist`,
    },
  ]);
  assert.deepEqual(report.stores.find((s) => s.collection === 'tree-NN-fHit3')?.missingFiles, [
    { obsId: '100002', type: 'events', hduName: 'EVENTS', relativePath: absent.fileName },
    { obsId: '100002', type: 'gti', hduName: 'GTI', relativePath: absent.fileName },
    { obsId: '100002', type: 'aeff', hduName: 'AEFF', relativePath: absent.fileName },
    { obsId: '100002', type: 'edisp', hduName: 'EDISP', relativePath: absent.fileName },
    { obsId: '100002', type: 'psf', hduName: 'PSF', relativePath: absent.fileName },
    { obsId: '100002', type: 'bkg', hduName: 'BKG', relativePath: absent.fileName },
  ]);

  // One row per reconstruction, class and run, with that class's events.
  const rows = await engine.selectRows(obscoreTable);
  const hea = new Map(
    (await engine.selectRows(obscoreHeaTable)).map((r) => [r.obs_publisher_did, r]),
  );
  const expected = [...runs.entries()]
    .flatMap(([reco, list]) =>
      list.flatMap((run) =>
        (run.classes ?? [])
          .filter((c) => c.fileName !== absent.fileName)
          .map((c) => [`tree-${reco}-${c.name}`, String(run.obsId), c.eventCount, c.name]),
      ),
    )
    .sort();
  const published = rows
    .map((r) => [
      r.obs_collection,
      r.obs_id,
      Number(r.event_count),
      hea.get(r.obs_publisher_did)?.event_type,
    ])
    .sort();
  assert.deepEqual(published, expected);
});
