/**
 * Honest ingest reports: one line per store and per observation, a summary, exit 1
 * when nothing could be published or anything failed, and --json for machines.
 */
import assert from 'node:assert/strict';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestCommand } from '../../src/cli/ingest.js';
import { Header, readFits, writeFits } from '../../src/fits/index.js';
import { writeOgipPhotonFile } from '../../src/sim/ogip.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';

async function ingest(dir: string, t: Parameters<typeof tempDir>[0], ...extra: string[]) {
  const io = captureIo();
  const db = join(tempDir(t), 'catalog.duckdb');
  const code = await ingestCommand.run([dir, '--db', db, '--collection', 'sim', ...extra], io);
  return { code, out: io.out(), err: io.err() };
}

test('a store: one line per observation, a summary, exit 0; --json gives the same report', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 2, seed: 2, eventsPerObservation: 200 });
  const text = await ingest(dir, t);
  assert.equal(text.code, 0, text.out);
  const lines = text.out.trim().split('\n');
  assert.deepEqual(lines.slice(1), [
    'store hdu-index.fits.gz, GADF 0.3: collection sim',
    'published: sim 100001 (data/run_100001.fits.gz)',
    'published: sim 100002 (data/run_100002.fits.gz)',
    'added 2, updated 0, unchanged 0, skipped 0, failed 0',
  ]);

  const json = await ingest(dir, t, '--json');
  assert.equal(json.code, 0);
  const report = JSON.parse(json.out) as {
    stores: { collection: string; formatVersion: string }[];
    observations: { obsId: string; status: string; did: string }[];
  };
  assert.deepEqual(
    report.stores.map((s) => [s.collection, s.formatVersion]),
    [['sim', 'GADF 0.3']],
  );
  assert.deepEqual(
    report.observations.map((o) => [o.obsId, o.status, o.did]),
    [
      ['100001', 'added', 'ivo://hearc.local/sim?100001'],
      ['100002', 'added', 'ivo://hearc.local/sim?100002'],
    ],
  );
});

test('a folder of IRF files only: each file is named with what it holds, nothing published, exit 1', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 1, seed: 2, eventsPerObservation: 100 });
  unlinkSync(join(dir, 'hdu-index.fits.gz'));
  unlinkSync(join(dir, 'obs-index.fits.gz'));
  const path = join(dir, 'data', 'run_100001.fits.gz');
  const file = await readFits(path);
  const irfs = file.hdus.slice(3).map((h) => {
    if (h.kind !== 'bintable') throw new Error('unexpected HDU');
    return { header: h.header, data: h.data };
  });
  rmSync(path);
  await writeFits(join(dir, 'data', 'irfs.fits.gz'), irfs, { gzip: true });

  const { code, out } = await ingest(dir, t);
  assert.equal(code, 1);
  assert.match(
    out,
    /warning: data\/irfs\.fits\.gz: holds instrument responses only \(aeff_2d, edisp_2d, psf_3gauss, bkg_2d\) and no EVENTS table/,
  );
  assert.match(out, /added 0, updated 0, unchanged 0, skipped 0, failed 0/);
  assert.match(out, /error: nothing was published: no event list found under /);
});

test('an OGIP (Fermi-LAT) photon file is published as OBS_ID its TSTART; one without TSTART is named and refused, exit 1', async (t) => {
  const dir = tempDir(t);
  await writeOgipPhotonFile(join(dir, 'lat_photons.fits'), { seed: 1, events: 50 });
  const published = await ingest(dir, t);
  assert.equal(published.code, 0, published.out);
  assert.match(published.out, /published: sim 700000000 \(lat_photons\.fits\)/);

  // Without TSTART there is nothing to number it by.
  const path = join(dir, 'lat_photons.fits');
  const file = await readFits(path);
  const hdus = file.hdus.slice(1).map((h) => ({
    header: new Header(h.header.cards.filter((c) => c.keyword !== 'TSTART')),
    data: h.data,
  }));
  await writeFits(path, hdus);
  const { code, out } = await ingest(dir, t);
  assert.equal(code, 1);
  assert.doesNotMatch(out, /undefined/);
  assert.match(
    out,
    /error: .*lat_photons\.fits: an OGIP photon event file \(TELESCOP 'GLAST', INSTRUME 'LAT', HDUCLASS 'OGIP'\) without OBS_ID and without a TSTART to number it by/,
  );
  assert.match(out, /failed 1/);
});

test('what validate would say of the published event lists is summarised', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 2, seed: 2, eventsPerObservation: 100 });
  for (const obsId of ['100001', '100002']) {
    const path = join(dir, 'data', `run_${obsId}.fits.gz`);
    const file = await readFits(path);
    const hdus = file.hdus.slice(1).map((h) => {
      if (h.kind !== 'bintable') throw new Error('unexpected HDU');
      const header =
        h.name === 'EVENTS'
          ? new Header(h.header.cards.filter((c) => c.keyword !== 'CREATOR'))
          : h.header;
      return { header, data: h.data };
    });
    await writeFits(path, hdus, { gzip: true });
  }
  const { code, out } = await ingest(dir, t);
  assert.equal(code, 0, out);
  assert.match(
    out,
    /validate would warn on 2 observation\(s\): EVENTS header has no CREATOR keyword/,
  );
});
