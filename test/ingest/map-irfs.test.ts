/**
 * Map-type IRFs (PSF map, energy-dispersion kernel map, HEALPix exposure and background
 * maps) of a HAWC-like drift store: recognised in the hdu-index, validated, kept in
 * hearc.irf with their class, served as `#calibration` links whose files hold the whole
 * component (map, BANDS, exposure) and that gammapy 1.0 opens; a broken map is refused
 * with a message naming the problem.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { didOf, serveStore } from '../datalink/fixtures.js';
import { readFits, scanHdus, writeFits } from '../../src/fits/index.js';
import { validateDataStore } from '../../src/gadf/index.js';
import { irfTable } from '../../src/obscore/schema.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requireGammapy } from '../helpers/env.js';
import { rebuilt } from '../helpers/fits-edit.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

async function hawcLikeStore(dir: string) {
  return simulateDataStore({
    outDir: dir,
    observations: 1,
    seed: 31,
    eventsPerObservation: 300,
    drift: true,
    eventClasses: ['fHit6', 'fHit7'],
    mapIrfs: true,
    gzip: false,
  });
}

const READ_WITH_GAMMAPY = `
import json, sys
from gammapy.irf import PSFMap, EDispKernelMap
from gammapy.maps import Map
from astropy.io import fits
out = {}
for kind, path in json.loads(sys.argv[1]).items():
    with fits.open(path) as f:
        names = [h.name for h in f]
    if kind == 'psf':
        m = PSFMap.read(path)
        value = float(m.containment_radius(0.68, energy_true=[1] * __import__('astropy.units').units.TeV).to_value('deg').ravel()[0])
        out[kind] = dict(hdus=names, exposure=m.exposure_map is not None, r68=value)
    elif kind == 'edisp':
        m = EDispKernelMap.read(path)
        out[kind] = dict(hdus=names, exposure=m.exposure_map is not None,
                         shape=list(m.edisp_map.data.shape))
    else:
        m = Map.read(path)
        out[kind] = dict(hdus=names, unit=str(m.unit), geom=type(m.geom).__name__,
                         axes=[a.name for a in m.geom.axes])
print(json.dumps(out))
`;

test('map IRFs of a HAWC-like drift store: hearc.irf rows, #calibration files gammapy reads', async (t) => {
  const dir = tempDir(t);
  await hawcLikeStore(dir);
  const validation = await validateDataStore(dir);
  assert.equal(validation.errors, 0, JSON.stringify(validation.problems));
  assert.ok(!validation.problems.some((p) => /map|BANDS/i.test(p.message)));

  const served = await serveStore(t, dir, 'hawc');
  const irfs = await served.engine.selectRows(irfTable);
  const did = didOf('hawc-fHit6', '100001');
  const mine = irfs.filter((r) => r.obs_publisher_did === did);
  assert.deepEqual(
    mine.map((r) => `${String(r.component)} ${String(r.hdu_class)} ${String(r.hdu_name)}`).sort(),
    [
      'aeff map EXPOSURE',
      'bkgrate map BACKGROUND',
      'edisp edisp_kernel_map EDISP',
      'psf psf_map PSF',
    ],
  );
  for (const row of mine) {
    assert.ok(Math.abs(Number(row.energy_lo) - 0.3) < 1e-9, `${String(row.hdu_name)} energy_lo`);
    assert.ok(Math.abs(Number(row.energy_hi) - 300) < 1e-6, `${String(row.hdu_name)} energy_hi`);
  }

  // The DataLink document: one #calibration link per component, with the HE qualifiers.
  const document = await (
    await fetch(`${served.address}/datalink?ID=${encodeURIComponent(did)}&RESPONSEFORMAT=votable`)
  ).text();
  const links = [...document.matchAll(/<TR>([\s\S]*?)<\/TR>/g)].map((m) =>
    [...(m[1] ?? '').matchAll(/<TD>([^<]*)<\/TD>/g)].map((c) => c[1] ?? ''),
  );
  const calibration = links.filter((row) => row.includes('#calibration'));
  const qualifiers = calibration.map((row) =>
    row.find((c) => /^(aeff|psf|edisp|bkgrate)$/.test(c)),
  );
  assert.deepEqual(qualifiers.sort(), ['aeff', 'bkgrate', 'edisp', 'psf']);
  const work = tempDir(t);
  const files: Record<string, string> = {};
  for (const row of calibration) {
    const url = row.find((c) => c.startsWith('http'))?.replace(/&amp;/g, '&');
    const kind = row.find((c) => /^(aeff|psf|edisp|bkgrate)$/.test(c));
    assert.ok(url && kind);
    const response = await fetch(url);
    assert.equal(response.status, 200, url);
    const path = join(work, `${kind}.fits`);
    writeFileSync(path, Buffer.from(await response.arrayBuffer()));
    files[kind] = path;
  }
  const names = async (kind: string) => (await scanHdus(files[kind]!)).map((h) => h.name);
  assert.deepEqual(await names('psf'), [
    '',
    'PSF',
    'PSF_BANDS',
    'PSF_EXPOSURE',
    'PSF_EXPOSURE_BANDS',
  ]);
  assert.deepEqual(await names('edisp'), [
    '',
    'EDISP',
    'EDISP_BANDS',
    'EDISP_EXPOSURE',
    'EDISP_EXPOSURE_BANDS',
  ]);
  assert.deepEqual(await names('aeff'), ['', 'EXPOSURE', 'EXPOSURE_BANDS']);
  assert.deepEqual(await names('bkgrate'), ['', 'BACKGROUND', 'BACKGROUND_BANDS']);

  if (!requireGammapy(t)) return;
  const read = await runPythonJsonAsync<Record<string, Record<string, unknown>>>(
    READ_WITH_GAMMAPY,
    [JSON.stringify(files)],
  );
  assert.equal(read.psf?.exposure, true);
  // The simulated PSF at 1 TeV: a Gaussian of sigma 0.5 deg x E^-0.4 (bin centre ~0.95 TeV), r68 = 1.515 sigma.
  const r68 = Number(read.psf?.r68);
  assert.ok(r68 > 0.5 && r68 < 1.0, `r68 ${r68}`);
  assert.equal(read.edisp?.exposure, true);
  assert.deepEqual(read.edisp?.shape, [6, 6, 4, 5]);
  assert.deepEqual(read.aeff, {
    hdus: ['PRIMARY', 'EXPOSURE', 'EXPOSURE_BANDS'],
    unit: 'm2 s',
    geom: 'HpxGeom',
    axes: ['energy_true'],
  });
  assert.equal(read.bkgrate?.geom, 'HpxGeom');
  assert.deepEqual(read.bkgrate?.axes, ['energy']);
});

test('a broken map IRF is refused with a message naming the problem', async (t) => {
  const dir = tempDir(t);
  const [run] = await hawcLikeStore(dir);
  const irfPath = join(dir, 'data', `irfmap_${run!.classes![0]!.fileName.replace('data/', '')}`);
  const file = await readFits(irfPath);
  // The PSF axes without units: RAD_MIN/RAD_MAX in no unit of angle.
  const hdus = file.hdus
    .slice(1)
    .map((hdu) =>
      hdu.name === 'PSF_BANDS' && hdu.kind === 'bintable'
        ? rebuilt(hdu, { replace: { RAD_MIN: { unit: 'm' } } })
        : hdu,
    );
  await writeFits(irfPath, hdus);
  const validation = await validateDataStore(dir);
  assert.ok(
    validation.problems.some(
      (p) =>
        p.severity === 'error' &&
        /psf_map table 'PSF_BANDS' column RAD_MIN has unit 'm', not a unit of angle/.test(
          p.message,
        ),
    ),
    JSON.stringify(validation.problems),
  );
});
