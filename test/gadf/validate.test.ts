/**
 * hearc validate follows GADF 0.3's split: mandatory data is an error, mandatory
 * metadata a warning, optional keywords nothing; IRF files are checked alone too
 * (classes, axes, units, sizes); a wrong root says so.
 */
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateCommand } from '../../src/cli/validate.js';
import {
  type BinTableHdu,
  Header,
  readFits,
  type WritableHdu,
  writeFits,
} from '../../src/fits/index.js';
import { openEngine } from '../../src/engine/index.js';
import { validateDataStore } from '../../src/gadf/index.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { simulateDataStore, writeIrfFile } from '../../src/sim/simulate.js';
import { rebuilt } from '../helpers/fits-edit.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';

/** Writes an event file again with its EVENTS HDU changed by `change`, the others as they were. */
async function rewriteEvents(
  path: string,
  change: (events: BinTableHdu) => WritableHdu,
): Promise<void> {
  const file = await readFits(path);
  const hdus = file.hdus.slice(1).map((h) => {
    if (h.kind !== 'bintable') throw new Error('unexpected HDU');
    return h.name === 'EVENTS' ? change(h) : { header: h.header, data: h.data };
  });
  await writeFits(path, hdus, { gzip: true });
}

async function run(...args: string[]) {
  const io = captureIo();
  const code = await validateCommand.run(args, io);
  return { code, out: io.out() };
}

test('optional keywords (OBS_MODE, OBSERVER, TELAPSE, OBJECT, DATE-OBS) missing: exit 0, not reported', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 2, seed: 6, eventsPerObservation: 200 });
  const optional = ['OBS_MODE', 'OBSERVER', 'TELAPSE', 'OBJECT', 'DATE-OBS', 'DATE-END'];
  for (const obsId of [100001, 100002]) {
    await rewriteEvents(join(dir, 'data', `run_${obsId}.fits.gz`), (h) => ({
      header: new Header(h.header.cards.filter((c) => !optional.includes(c.keyword))),
      data: h.data,
    }));
  }
  const { code, out } = await run(dir);
  assert.equal(code, 0, out);
  assert.match(out, /2 observations, 0 errors, 0 warnings/);
  for (const keyword of optional) assert.doesNotMatch(out, new RegExp(keyword));
});

test('mandatory metadata missing is a warning naming what is assumed; mandatory data missing is an error', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 1, seed: 6, eventsPerObservation: 200 });
  const path = join(dir, 'data', 'run_100001.fits.gz');
  await rewriteEvents(path, (h) =>
    rebuilt(h, { withoutKeywords: ['CREATOR', 'TIMEREF', 'RA_PNT'] }),
  );
  let result = await run(dir);
  // RA_PNT is in the obs-index: not an error.
  assert.equal(result.code, 0, result.out);
  assert.match(
    result.out,
    /warning: data\/run_100001\.fits\.gz\[EVENTS\], obs 100001: EVENTS header has no CREATOR keyword \(mandatory in GADF 0\.3; published without it\)/,
  );
  assert.match(
    result.out,
    /EVENTS header has no TIMEREF keyword \(mandatory in GADF 0\.3; LOCAL is assumed\)/,
  );

  const events = (await readFits(path)).bintable('EVENTS');
  const others = (await readFits(path)).hdus.slice(2).map((h) => {
    if (h.kind !== 'bintable') throw new Error('unexpected HDU');
    return { header: h.header, data: h.data };
  });
  await writeFits(
    path,
    [rebuilt(events, { withoutKeywords: ['TSTART'], drop: ['ENERGY'] }), ...others],
    {
      gzip: true,
    },
  );
  result = await run(dir);
  assert.equal(result.code, 1);
  assert.match(result.out, /error: .*EVENTS has no ENERGY column \(mandatory in GADF 0\.3\)/);
  assert.match(
    result.out,
    /error: .*EVENTS header has no TSTART keyword \(mandatory in GADF 0\.3\)/,
  );
});

test('a standalone IRF file of every GADF 0.3 class validates; broken axes, units and sizes are named', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'irfs.fits');
  await writeIrfFile(good);
  const ok = await run(good);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /0 observations, 1 standalone IRF files, 0 errors, 0 warnings/);
  const json = JSON.parse((await run(good, '--json')).out) as {
    standaloneFiles: number;
    errors: number;
  };
  assert.deepEqual([json.standaloneFiles, json.errors], [1, 0]);

  const file = await readFits(good);
  const table = (name: string): BinTableHdu => file.bintable(name);
  const aeff = table('AEFF');
  const energyLo = aeff.readColumn('ENERG_LO').values;
  const energyHi = aeff.readColumn('ENERG_HI').values;
  const broken = [
    // ENERG_LO and ENERG_HI swapped.
    rebuilt(aeff, { replace: { ENERG_LO: { values: energyHi }, ENERG_HI: { values: energyLo } } }),
    table('EDISP'),
    table('PSF'),
    table('PSF_TABLE'),
    rebuilt(table('PSF_KING'), { drop: ['GAMMA'] }),
    table('BKG'),
    rebuilt(table('BKG_3D'), {
      replace: { BKG: { format: '10E', dim: [10], values: new Float32Array(10) } },
    }),
    rebuilt(table('RAD_MAX'), { replace: { THETA_LO: { unit: 'm' } } }),
  ].map((h) => ('kind' in h ? { header: h.header, data: h.data } : h));
  const bad = join(dir, 'broken-irfs.fits');
  await writeFits(bad, broken);
  const { code, out } = await run(bad);
  assert.equal(code, 1);
  assert.match(
    out,
    /error: broken-irfs\.fits\[AEFF\]: aeff_2d axis ENERG: bin 0 has LO [\d.]+ not below HI [\d.]+/,
  );
  assert.match(out, /error: broken-irfs\.fits\[PSF_KING\]: psf_king table has no GAMMA column/);
  assert.match(
    out,
    /error: broken-irfs\.fits\[BKG_3D\]: bkg_3d column BKG holds 10 values per row, the axes give 24 x 10 x 10 = 2400/,
  );
  assert.match(
    out,
    /error: broken-irfs\.fits\[RAD_MAX\]: rad_max_2d column THETA_LO has unit 'm', which is not a unit of angle/,
  );
  assert.match(out, /4 errors/);
});

test('IRF files no index names are checked on their own within a store', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 1, seed: 6, eventsPerObservation: 200 });
  await writeIrfFile(join(dir, 'data', 'shared-irfs.fits.gz'), { gzip: true });
  const report = await validateDataStore(dir);
  assert.equal(report.standaloneFiles, 1);
  assert.equal(report.errors, 0);
});

test('a wrong root says so once, not once per HDU; a missing folder is named, exit 1', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 4, seed: 6, eventsPerObservation: 100 });
  renameSync(join(dir, 'data'), join(dir, 'moved'));
  const { code, out } = await run(dir);
  assert.equal(code, 1);
  assert.match(
    out,
    /error: hdu-index\.fits\.gz: none of the 4 files hdu-index\.fits\.gz names exists \(the first is data\/run_100001\.fits\.gz\): is .* the data store root/,
  );
  assert.match(out, /0 observations, 1 errors/);

  const missing = await run(join(dir, 'nowhere'));
  assert.equal(missing.code, 1);
  assert.match(
    missing.out,
    /^error: .*nowhere: is not a directory: give the folder that holds the hdu-index/,
  );
});

test('a run whose TSTOP is before its TSTART is an error naming both', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 1, seed: 6, eventsPerObservation: 200 });
  await rewriteEvents(join(dir, 'data', 'run_100001.fits.gz'), (h) => {
    const start = Number(h.header.cards.find((c) => c.keyword === 'TSTART')?.value);
    const cards = h.header.cards.map((c) =>
      c.keyword === 'TSTOP' ? { ...c, value: start - 10 } : c,
    );
    return { header: new Header(cards), data: h.data };
  });
  const { code, out } = await run(dir);
  assert.equal(code, 1, out);
  assert.match(out, /error: .*TSTOP \([\d.e+-]+\) is before TSTART \([\d.e+-]+\)/);
  // Ingest refuses it too (ObsCore's t_min <= t_max holds for every published row).
  const engine = await openEngine(':memory:');
  t.after(() => engine.close());
  const report = await ingestDataStore(engine, dir, {
    authority: 'test.hearc',
    collection: 'c',
    accessMode: 'datalink',
    dataRights: 'public',
  });
  assert.deepEqual(
    report.observations.filter((o) => o.status === 'added'),
    [],
  );
  assert.match(report.failed.map((f) => f.message).join('\n'), /TSTOP .* is before TSTART/);
});
