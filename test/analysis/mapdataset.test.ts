/**
 * Map datasets (DL4): the request checks, agreement with gammapy 1.0's MapDatasetMaker +
 * SafeMaskMaker(offset-max) on the H.E.S.S. Crab runs (bkg_3d) and on a simulated store
 * (bkg_2d, galactic TAN), a run beyond OFFSET_MAX adding nothing, runs reduced on worker
 * threads giving the same files as on one thread, and the HTTP service:
 * sync and async (UWS) answers, a proprietary run refused to an anonymous caller.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  checkIrfRanges,
  makeMapDataset,
  mapDatasetRequest,
  perRunNames,
  storeDatasets,
} from '../../src/analysis/index.js';
import { DaliError } from '../../src/dali/index.js';
import { readFits } from '../../src/fits/index.js';
import { PNG_SIGNATURE } from '../../src/preview/index.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requireGammapy, requireTestData } from '../helpers/env.js';
import { withoutChecksums } from '../helpers/fits-edit.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { createJob, uwsValue, waitForEnd } from '../uws/fixtures.js';
import { analysisForm, paramsOf, refuserOf, servedSimulation } from './fixtures.js';

const GAMMAPY_SCRIPT = readFileSync(new URL('./gammapy_mapdataset.py', import.meta.url), 'utf8');
const CRAB_RUNS = ['23523', '23526', '23559', '23592'];

interface Geometry {
  readonly center: [number, number];
  readonly width: [number, number];
  readonly binsz: number;
  readonly proj: 'CAR' | 'TAN';
  readonly frame: 'icrs' | 'galactic';
  readonly energy: [number, number, number];
  readonly energyTrue: [number, number, number];
  readonly offsetMax: number;
}

const requestOf = (ids: readonly string[], g: Geometry) =>
  mapDatasetRequest(
    paramsOf({
      ID: [...ids],
      CENTER: g.center.join(' '),
      WIDTH: g.width.join(' '),
      BINSZ: String(g.binsz),
      PROJ: g.proj,
      FRAME: g.frame,
      ENERGY: g.energy.join(' '),
      ENERGY_TRUE: g.energyTrue.join(' '),
      OFFSET_MAX: String(g.offsetMax),
    }),
  );

interface Relative {
  max_relative: number;
  max_abs_small: number;
  sum: [number, number];
}

interface FitResult {
  success: boolean;
  index: number;
  error: number;
}

interface Comparison {
  seconds: number;
  counts_equal: boolean;
  counts_sum: [number, number];
  mask_equal: boolean;
  geom_equal: boolean;
  exposure: Relative;
  background: Relative;
  has_irf_maps: [edisp: boolean, psf: boolean];
  edisp: Relative;
  edisp_exposure: Relative;
  psf: Relative;
  psf_exposure: Relative;
  gti_equal: boolean;
  coarse_pixels: number;
  coarse_pixels_apart: number;
  fit?: { hearc: FitResult; gammapy: FitResult };
}

/** hearc's stacked dataset of `obsIds` in `store`, compared by gammapy with its own. */
async function compareWithGammapy(
  t: TestContext,
  store: string,
  obsIds: readonly string[],
  g: Geometry,
  options: { readonly fit?: boolean } = {},
): Promise<Comparison> {
  const datasets = await storeDatasets(store, obsIds);
  const request = requestOf(
    datasets.map((d) => d.did),
    g,
  );
  await checkIrfRanges(datasets, request);
  const fits = join(tempDir(t), 'mapdataset.fits');
  await makeMapDataset(datasets, request, { fits });
  return runPythonJson<Comparison>(GAMMAPY_SCRIPT, [
    JSON.stringify({
      store,
      obs: obsIds.map(Number),
      energy: g.energy,
      energy_true: g.energyTrue,
      center: g.center,
      binsz: g.binsz,
      width: g.width,
      frame: g.frame,
      proj: g.proj,
      offset_max: g.offsetMax,
      hearc: fits,
      fit: options.fit === true,
    }),
  ]);
}

function assertAgreement(c: Comparison): void {
  assert.ok(c.geom_equal, 'gammapy reads the same geometry');
  assert.ok(c.counts_sum[1] > 0, 'the comparison has counts');
  assert.ok(c.counts_equal, `counts differ: ${JSON.stringify(c.counts_sum)}`);
  assert.ok(c.mask_equal, 'safe masks differ');
  assert.ok(c.exposure.max_relative < 0.01, `exposure: ${JSON.stringify(c.exposure)}`);
  assert.ok(c.background.max_relative < 0.02, `background: ${JSON.stringify(c.background)}`);
  // MapDataset.read finds the energy-dispersion kernel and PSF maps; they agree where significant.
  assert.deepEqual(c.has_irf_maps, [true, true]);
  // Only coarse pixels whose centre is a tie between fine pixels on a safe-mask edge may differ.
  assert.ok(
    c.coarse_pixels_apart <= 0.05 * c.coarse_pixels,
    `${c.coarse_pixels_apart} of ${c.coarse_pixels} IRF-map pixels stack other runs`,
  );
  for (const name of ['edisp', 'edisp_exposure', 'psf', 'psf_exposure'] as const) {
    assert.ok(c[name].max_relative < 0.01, `${name}: ${JSON.stringify(c[name])}`);
  }
  assert.ok(c.gti_equal, 'the GTI tables differ');
}

describe('map dataset requests', () => {
  const good = {
    ID: 'ivo://x/y?1',
    CENTER: '83.63 22.01',
    WIDTH: '2',
    BINSZ: '0.02',
    ENERGY: '1 10 5',
  };
  const refused = refuserOf(mapDatasetRequest);

  it('reads a request, with a wider default true-energy axis', () => {
    const r = mapDatasetRequest(paramsOf(good));
    assert.deepEqual(r.ids, ['ivo://x/y?1']);
    assert.equal(r.geometry.grid.nx, 100);
    assert.equal(r.geometry.energy.length, 6);
    assert.ok(r.geometry.energyTrue[0]! < 1 && r.geometry.energyTrue.at(-1)! > 10);
    assert.equal(r.offsetMax, 2.5);
  });

  it('refuses bad parameters with a message naming them', () => {
    refused({ ...good, ID: [] }, /selection is empty/);
    refused({ ...good, WIDTH: '100', BINSZ: '0.01' }, /pixels; this service makes at most/);
    refused({ ...good, ENERGY: '10 1 5' }, /ENERGY must be/);
    refused({ ...good, ENERGY: '1 10 0' }, /bins/);
    refused({ ...good, PROJ: 'AIT' }, /PROJ must be one of CAR, TAN/);
    refused({ ...good, FRAME: 'fk4' }, /FRAME must be one of/);
    refused({ ...good, CENTER: '400 0' }, /CENTER/);
    refused({ ...good, OFFSET_MAX: '-1' }, /OFFSET_MAX/);
    refused({ ...good, BINSZ: 'x' }, /BINSZ/);
  });
});

describe('agreement with gammapy 1.0', () => {
  it('stacks the H.E.S.S. Crab runs as gammapy does (bkg_3d, CAR; psf_table), and a power-law fit agrees', async (t) => {
    const store = requireTestData(t, 'hess-dl3-dr1');
    if (!store || !requireGammapy(t)) return;
    const c = await compareWithGammapy(
      t,
      store,
      CRAB_RUNS,
      {
        center: [83.633, 22.014],
        width: [4, 3],
        binsz: 0.02,
        proj: 'CAR',
        frame: 'icrs',
        energy: [0.5, 50, 8],
        energyTrue: [0.3, 100, 15],
        offsetMax: 2.0,
      },
      { fit: true },
    );
    assertAgreement(c);
    // A point source with a power law, fitted by gammapy on both datasets: the same index.
    const { hearc, gammapy } = c.fit!;
    assert.ok(hearc.success && gammapy.success, JSON.stringify(c.fit));
    assert.ok(
      Math.abs(hearc.index - gammapy.index) < gammapy.error,
      `index ${hearc.index} against gammapy's ${gammapy.index} ± ${gammapy.error}`,
    );
  });

  it('stacks simulated runs as gammapy does (bkg_2d, galactic TAN; psf_3gauss), a run beyond OFFSET_MAX adding nothing', async (t) => {
    if (!requireGammapy(t)) return;
    const store = join(tempDir(t), 'store');
    // Six runs a night per target: the seventh run looks at the far target.
    const runs = await simulateDataStore({
      outDir: store,
      observations: 7,
      seed: 11,
      eventsPerObservation: 1500,
      targets: [
        { name: 'Crab Nebula', ra: 83.6331, dec: 22.0145 },
        { name: 'Far away', ra: 120, dec: -10 },
      ],
    });
    const geometry: Geometry = {
      center: [83.6331, 22.0145],
      width: [5, 5],
      binsz: 0.05,
      proj: 'TAN',
      frame: 'galactic',
      energy: [0.3, 30, 6],
      energyTrue: [0.2, 60, 10],
      offsetMax: 2.5,
    };
    const near = runs.filter((r) => r.target === 'Crab Nebula').slice(0, 2);
    const far = runs.find((r) => r.target === 'Far away')!;
    const c = await compareWithGammapy(
      t,
      store,
      [...near, far].map((r) => String(r.obsId)),
      geometry,
    );
    assertAgreement(c);
    // The far run's mask is empty everywhere: stacking it changes nothing.
    const alone = await compareWithGammapy(
      t,
      store,
      near.map((r) => String(r.obsId)),
      geometry,
    );
    assert.deepEqual(alone.counts_sum, c.counts_sum);
    assert.equal(alone.exposure.sum[0], c.exposure.sum[0]);
  });
});

describe('runs reduced on worker threads', () => {
  it('gives the same stacked and per-run files as one thread, and the same error for a broken run', async (t) => {
    const dir = tempDir(t);
    const store = join(dir, 'store');
    const runs = await simulateDataStore({
      outDir: store,
      observations: 5,
      seed: 23,
      eventsPerObservation: 1500,
      targets: [{ name: 'Crab Nebula', ra: 83.6331, dec: 22.0145 }],
    });
    const datasets = await storeDatasets(
      store,
      runs.map((r) => String(r.obsId)),
    );
    const request = requestOf(
      datasets.map((d) => d.did),
      {
        center: [83.6331, 22.0145],
        width: [4, 4],
        binsz: 0.05,
        proj: 'CAR',
        frame: 'icrs',
        energy: [0.5, 30, 6],
        energyTrue: [0.3, 60, 10],
        offsetMax: 2.5,
      },
    );
    const names = perRunNames(datasets).map((n) => n.file);
    const make = async (threads: number) => {
      const out = join(dir, `threads-${threads}`);
      const done: number[] = [];
      const summary = await makeMapDataset(
        datasets,
        request,
        {
          fits: join(out, 'stacked.fits'),
          preview: join(out, 'preview.png'),
          perRun: (file) => join(out, file),
          index: join(out, 'datasets.yaml'),
        },
        { threads, onProgress: (p) => done.push(p.done) },
      );
      const read = (file: string) => readFileSync(join(out, file));
      return {
        summary,
        done,
        fits: ['stacked.fits', ...names].map((f) => withoutChecksums(read(f))),
        others: ['preview.png', 'datasets.yaml'].map(read),
      };
    };
    for (const threads of [1, 2]) mkdirSync(join(dir, `threads-${threads}`));
    const one = await make(1);
    const two = await make(2);
    assert.ok(one.summary.counts > 0);
    assert.deepEqual(two.summary, one.summary);
    assert.deepEqual(two.done, [1, 2, 3, 4, 5], 'progress after each run, in order');
    assert.equal(two.fits.length, 6);
    two.fits.forEach((f, i) => assert.ok(f.equals(one.fits[i]!), `file ${i} differs`));
    two.others.forEach((f, i) => assert.ok(f.equals(one.others[i]!), `file ${i} differs`));

    // A run whose event file is gone: the same error from a worker as from this thread.
    rmSync(join(store, datasets[3]!.files[0]!));
    const failure = async (threads: number) => {
      try {
        await makeMapDataset(datasets, request, { fits: join(dir, 'broken.fits') }, { threads });
      } catch (error) {
        return error;
      }
      assert.fail('a run without its events was stacked');
    };
    const [alone, parallel] = [await failure(1), await failure(2)];
    assert.ok(alone instanceof DaliError && parallel instanceof DaliError);
    assert.equal(parallel.status, alone.status);
    assert.equal(parallel.message, alone.message);
  });
});

describe('the analysis service over HTTP', () => {
  it('answers sync and async requests, and refuses what the caller may not read', async (t) => {
    const { address, dids, secret } = await servedSimulation(t);
    const form = analysisForm;
    const sync = (body: URLSearchParams) =>
      fetch(`${address}/analysis/sync`, { method: 'POST', body });

    const ok = await sync(form(dids.slice(0, 2)));
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(ok.headers.get('content-type'), 'application/fits');
    const file = join(tempDir(t), 'sync.fits');
    (await import('node:fs')).writeFileSync(file, Buffer.from(await ok.arrayBuffer()));
    const names = (await readFits(file)).hdus.map((h) => h.name);
    assert.deepEqual(names.slice(1, 18), [
      'COUNTS',
      'COUNTS_BANDS',
      'EXPOSURE',
      'EXPOSURE_BANDS',
      'BACKGROUND',
      'BACKGROUND_BANDS',
      'EDISP',
      'EDISP_BANDS',
      'EDISP_EXPOSURE',
      'EDISP_EXPOSURE_BANDS',
      'PSF',
      'PSF_BANDS',
      'PSF_EXPOSURE',
      'PSF_EXPOSURE_BANDS',
      'MASK_SAFE',
      'MASK_SAFE_BANDS',
      'GTI',
    ]);

    const proprietary = await sync(form([dids[0]!, secret]));
    assert.ok([401, 403].includes(proprietary.status), String(proprietary.status));
    const refusal = await proprietary.text();
    assert.match(refusal, /QUERY_STATUS/);
    assert.match(refusal, new RegExp(`ID ${secret.replace(/[?.]/g, '\\$&')}`));

    const unknown = await sync(form(['ivo://nowhere/none?1']));
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /not a dataset published by this service/);
    const empty = await sync(form([]));
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /selection is empty/);
    const outside = await sync(
      form(dids.slice(0, 1), { ENERGY: '500 1000 2', ENERGY_TRUE: '400 2000 3' }),
    );
    assert.equal(outside.status, 400);
    assert.match(await outside.text(), /outside the aeff IRF/);

    // VOSI capabilities declare the service under the authority's own standardID.
    const capabilities = await (await fetch(`${address}/tap/capabilities`)).text();
    assert.match(capabilities, /standardID="ivo:\/\/[^"]+\/analysis#mapdataset-1.0"/);
    assert.ok(capabilities.includes(`${address}/analysis/async</accessURL>`));

    // Async: a job with a public run, its FITS result and PNG preview.
    const jobs = `${address}/analysis/async`;
    const params = Object.fromEntries(form([]));
    const jobUrl = await createJob(jobs, { ...params, ID: dids[0]!, PHASE: 'RUN' });
    const done = await waitForEnd(jobUrl);
    assert.equal(uwsValue(done, 'phase'), 'COMPLETED', done);
    assert.match(done, /<uws:result id="mapdataset"[^>]*mime-type="application\/fits"/);
    assert.match(done, /<uws:result id="preview"[^>]*mime-type="image\/png"/);
    const fitsBytes = new Uint8Array(
      await (await fetch(`${jobUrl}/results/mapdataset`)).arrayBuffer(),
    );
    assert.equal(Buffer.from(fitsBytes.subarray(0, 6)).toString('latin1'), 'SIMPLE');
    const png = new Uint8Array(await (await fetch(`${jobUrl}/results/preview`)).arrayBuffer());
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);

    // The owner (anonymous) may not read the proprietary run: the job ends in ERROR naming it.
    const refusedJob = await createJob(jobs, { ...params, ID: secret, PHASE: 'RUN' });
    const failed = await waitForEnd(refusedJob);
    assert.equal(uwsValue(failed, 'phase'), 'ERROR');
    assert.match(failed, /may not read this dataset/);
    // Bad parameters end the job at once, before any work.
    const badJob = await createJob(jobs, {
      ...params,
      ID: dids[0]!,
      WIDTH: '170',
      BINSZ: '0.01',
      PHASE: 'RUN',
    });
    const bad = await waitForEnd(badJob);
    assert.equal(uwsValue(bad, 'phase'), 'ERROR');
    assert.match(bad, /pixels; this service makes at most/);
  });
});
