/** Metadata that used to be lost quietly: an empty INSTRUME, EDISP energy axes named ETRUE. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { readFits, writeFits } from '../../src/fits/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { irfTable, obscoreTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { rebuilt } from '../helpers/fits-edit.js';
import { tempDir } from '../helpers/tmp.js';

test('an empty INSTRUME is published as NULL; an EDISP with ETRUE_LO/HI gives hearc.irf its energy range', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 1, seed: 12, eventsPerObservation: 200 });
  const path = join(dir, 'data', 'run_100001.fits.gz');
  const file = await readFits(path);
  const edispTable = file.bintable('EDISP');
  const lo = edispTable.readColumn('ENERG_LO').values as Float32Array;
  const hi = edispTable.readColumn('ENERG_HI').values as Float32Array;
  const edges: readonly [number, number] = [lo[0] as number, hi[hi.length - 1] as number];
  const hdus = file.hdus.slice(1).map((h) => {
    if (h.kind !== 'bintable') throw new Error('unexpected HDU');
    if (h.name === 'EVENTS')
      return rebuilt(h, { editCards: (c) => (c.keyword === 'INSTRUME' ? { ...c, value: '' } : c) });
    if (h.name === 'EDISP')
      return rebuilt(h, { renameColumns: (name) => name.replace(/^ENERG_/, 'ETRUE_') });
    return { header: h.header, data: h.data };
  });
  await writeFits(path, hdus, { gzip: true });

  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: 'sim',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.validation, [
    {
      severity: 'warning',
      message: 'EVENTS header INSTRUME is empty (instrument_name is NULL)',
      observations: 1,
    },
  ]);
  const [row] = await engine.selectRows(obscoreTable);
  assert.equal(row?.instrument_name, null);
  const edisp = (await engine.selectRows(irfTable)).find((r) => r.component === 'edisp');
  assert.ok(edisp);
  assert.ok(Math.abs(Number(edisp.energy_lo) - edges[0]) < 1e-9, `energy_lo ${edisp.energy_lo}`);
  assert.ok(Math.abs(Number(edisp.energy_hi) - edges[1]) < 1e-9, `energy_hi ${edisp.energy_hi}`);
});
