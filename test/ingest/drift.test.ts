/**
 * Drift-scan (survey) observations: no fixed pointing, a string OBS_ID in the headers.
 * Published with the index's OBS_ID, a sky region covering the events, the HE
 * extension's tracking mode, and previews and SODA cutouts that work.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  allowEveryone,
  DatasetCatalog,
  previewFile,
  ProductCache,
} from '../../src/datalink/index.js';
import { openEngine } from '../../src/engine/index.js';
import { readFits } from '../../src/fits/index.js';
import {
  angularSeparation,
  loadObservation,
  openDataStore,
  validateDataStore,
} from '../../src/gadf/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { observationRows } from '../../src/obscore/rows.js';
import { obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { SodaService } from '../../src/soda/index.js';
import { tempDir } from '../helpers/tmp.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

test('a drift scan is published with the index OBS_ID, an s_region covering its events, previews and cutouts', async (t) => {
  const dir = tempDir(t);
  const runs = await simulateDataStore({
    outDir: dir,
    observations: 2,
    seed: 21,
    eventsPerObservation: 400,
    drift: true,
  });
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: 'survey',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.added, ['100001', '100002']);
  assert.deepEqual(report.observations[0]?.notes, [
    "EVENTS header OBS_ID 'transit 100001' is not an integer: the index's OBS_ID 100001 is used",
    "no fixed pointing (OBS_MODE DRIFT): the sky region is the events' footprint",
  ]);

  const rows = await engine.selectRows(obscoreTable);
  const hea = await engine.selectRows(obscoreHeaTable);
  for (const run of runs) {
    const row = rows.find((r) => r.obs_id === String(run.obsId));
    assert.ok(row);
    assert.equal(row.ra_pnt, null);
    assert.equal(row.dec_pnt, null);
    assert.equal(row.obs_mode, 'DRIFT');
    assert.equal(Number(row.event_count), run.eventCount);
    const extension = hea.find((r) => r.obs_publisher_did === row.obs_publisher_did);
    assert.equal(extension?.tracking_mode, 'fixed-az-el-transit');
    assert.equal(extension?.scan_mode, null);
    assert.equal(extension?.pointing_mode, null);

    // Independently: the mean direction of the events, and every event inside s_fov/2 of it.
    const events = (await readFits(join(dir, run.fileName))).bintable('EVENTS');
    const ra = events.readColumn('RA').values as Float32Array;
    const dec = events.readColumn('DEC').values as Float32Array;
    let [x, y, z] = [0, 0, 0];
    const rad = Math.PI / 180;
    for (let i = 0; i < ra.length; i++) {
      x += Math.cos(dec[i]! * rad) * Math.cos(ra[i]! * rad);
      y += Math.cos(dec[i]! * rad) * Math.sin(ra[i]! * rad);
      z += Math.sin(dec[i]! * rad);
    }
    const centreRa = (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
    const centreDec = Math.atan2(z, Math.hypot(x, y)) / rad;
    assert.ok(angularSeparation(centreRa, centreDec, Number(row.s_ra), Number(row.s_dec)) < 1e-6);
    const radius = Number(row.s_fov) / 2;
    let farthest = 0;
    for (let i = 0; i < ra.length; i++) {
      farthest = Math.max(farthest, angularSeparation(centreRa, centreDec, ra[i]!, dec[i]!));
    }
    assert.ok(farthest <= radius + 1e-4, `an event ${farthest} deg out, s_fov/2 ${radius}`);
    // The polygon's vertices lie outside that circle: the polygon covers every event.
    const region = row.s_region as number[];
    assert.equal(region.length, 32);
    for (let k = 0; k < region.length; k += 2) {
      const out = angularSeparation(centreRa, centreDec, region[k]!, region[k + 1]!);
      assert.ok(out >= radius, `vertex at ${out} deg, inside the footprint radius ${radius}`);
    }
  }

  // Previews and SODA work from what was published.
  const catalog = new DatasetCatalog(engine);
  const products = new ProductCache(join(tempDir(t), 'cache'));
  const counts = await previewFile({ catalog, products }, 'survey', '100001', 'counts.png');
  assert.ok(counts);
  const countsPath = await counts.path();
  assert.ok(countsPath);
  assert.deepEqual(readFileSync(countsPath).subarray(0, 4), PNG);
  const [row] = rows.filter((r) => r.obs_id === '100001');
  const soda = new SodaService({ catalog, workDir: tempDir(t) });
  const cutout = await soda.cutout(
    [
      ['ID', String(row!.obs_publisher_did)],
      ['CIRCLE', `${row!.s_ra} ${row!.s_dec} 0.5`],
    ],
    allowEveryone,
    { headers: {} },
  );
  t.after(() => cutout.dispose());
  const kept = (await readFits(cutout.path)).bintable('EVENTS');
  const keptRa = kept.readColumn('RA').values as Float32Array;
  const keptDec = kept.readColumn('DEC').values as Float32Array;
  assert.ok(keptRa.length > 0 && keptRa.length < runs[0]!.eventCount);
  for (let i = 0; i < keptRa.length; i++) {
    assert.ok(
      angularSeparation(Number(row!.s_ra), Number(row!.s_dec), keptRa[i]!, keptDec[i]!) <=
        0.5 + 1e-6,
    );
  }

  const validation = await validateDataStore(dir);
  assert.equal(validation.errors, 0, JSON.stringify(validation.problems));
  assert.ok(
    validation.problems.some(
      (p) => /OBS_ID is not an integer, as GADF 0.3 asks/.test(p.message) && p.obsId === '100001',
    ),
  );
});

test('a drift scan whose events fill more than a hemisphere: the cap of its declination band, or no polygon', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({
    outDir: dir,
    observations: 1,
    seed: 22,
    eventsPerObservation: 100,
    drift: true,
  });
  const [entry] = (await openDataStore(dir)).observations;
  assert.ok(entry);
  const summary = await loadObservation(entry);
  const config = {
    authority: 'a',
    collection: 'c',
    accessMode: 'datalink',
    dataRights: 'public',
  } as const;
  // Events round the sky between declinations 10 and 70: the cap about the north pole down to 10.
  const north = observationRows({ ...summary, maxOffset: 120, decRange: [10, 70] }, config);
  const cap = north.obscore.s_region as number[];
  assert.equal(cap.length, 32);
  // The corners lie just below declination 10, the edges touch it.
  const edge = 90 - 80 / Math.cos(Math.PI / 16);
  for (let k = 1; k < cap.length; k += 2)
    assert.ok(Math.abs(cap[k]! - edge) < 1e-5, `vertex dec ${cap[k]}`);
  // A band across the equator is no polygon: s_region NULL, s_fov still says how wide.
  const across = observationRows({ ...summary, maxOffset: 120, decRange: [-20, 60] }, config);
  assert.equal(across.obscore.s_region, null);
  assert.equal(across.obscore.s_fov, 240);
});
