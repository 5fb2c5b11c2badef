import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { irfTable, obscoreHeaTable, obscoreTable } from '../../src/obscore/schema.js';
import { requireTestData } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';

test('MAGIC point-like runs: RAD_MAX published, field of view from the events, UTC times', async (t) => {
  const dir = requireTestData(t, 'magic-rad-max');
  if (!dir) return;
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: 'magic',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.added, ['5029747', '5029748']);
  const rows = await engine.selectRows(obscoreTable);
  for (const row of rows) {
    assert.equal(row.facility_name, 'MAGIC');
    assert.equal(row.timesys, 'UTC');
    // Point-like IRFs say nothing about the camera: 99% of the events lie within ~2 deg.
    const fov = row.s_fov as number;
    assert.ok(fov > 3 && fov < 4.5, `s_fov ${fov}`);
    // MJD 56569 is 2013-10-04.
    assert.equal(Math.floor(row.t_min as number), 56569);
  }
  const hea = await engine.selectRows(obscoreHeaTable);
  assert.deepEqual(
    hea.map((r) => r.analysis_mode),
    ['point-like', 'point-like'],
  );
  const components = (await engine.selectRows(irfTable)).map((r) => r.component).sort();
  assert.deepEqual(components, ['aeff', 'aeff', 'edisp', 'edisp', 'rad_max', 'rad_max']);
});
