/**
 * Spectra (DL5): the request checks, agreement with gammapy 1.0's own 1D analysis
 * (SpectrumDatasetMaker + SafeMaskMaker(offset-max, aeff-default) + Fit of a power law
 * + FluxPointsEstimator) on the H.E.S.S. Crab runs, gammapy reading hearc's flux points,
 * refusals before any work, and the HTTP service (sync and async). With the background
 * from OFF regions (BACKGROUND=reflected, WStat), against ReflectedRegionsBackgroundMaker +
 * SpectrumDatasetOnOff: the H.E.S.S. runs with a circular ON region (ReflectedRegionsFinder),
 * and the MAGIC point-like runs whose ON region is cut by RAD_MAX (WobbleRegionsFinder).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  checkSpectrumRequest,
  makeSpectrum,
  spectrumRequest,
  storeDatasets,
} from '../../src/analysis/index.js';
import { DaliError } from '../../src/dali/index.js';
import { PNG_SIGNATURE } from '../../src/preview/index.js';
import { requireGammapy, requireTestData } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';
import { createJob, uwsValue, waitForEnd } from '../uws/fixtures.js';
import { onRegionForm, paramsOf, refuserOf, provenanceOf, servedSimulation } from './fixtures.js';
import { didOf, serveStore } from '../datalink/fixtures.js';

const GAMMAPY_SCRIPT = readFileSync(new URL('./gammapy_spectrum.py', import.meta.url), 'utf8');
const CRAB_RUNS = ['23523', '23526', '23559', '23592'];

interface GammapySpectrum {
  counts: number[];
  mask: number[];
  success: boolean;
  stat: number;
  parameters: Record<string, { value: number; error: number }>;
  points: {
    e_ref: number[];
    dnde: number[];
    dnde_err: number[];
    ts: number[];
    success: boolean[];
  };
  read: { sed_type: string; e_ref: number[]; dnde: number[] };
}

describe('spectrum requests', () => {
  const good = {
    ID: 'ivo://x/y?1',
    CENTER: '83.63 22.01',
    RADIUS: '0.11',
    ENERGY: '1 10 5',
  };
  const refused = refuserOf(spectrumRequest);

  it('reads a request: the ON region, energies, a power law by default', () => {
    const r = spectrumRequest(paramsOf(good));
    assert.deepEqual(r.geometry.region, { ra: 83.63, dec: 22.01, radius: 0.11 });
    assert.equal(r.geometry.energy.length, 6);
    assert.equal(r.model, 'powerlaw');
    assert.equal(spectrumRequest(paramsOf({ ...good, MODEL: 'LogParabola' })).model, 'logparabola');
  });

  it('refuses bad parameters with a message naming them', () => {
    // RADIUS may be left out for point-like IRFs: whether it is needed is checked against the runs.
    const { RADIUS: _, ...noRadius } = good;
    assert.equal(spectrumRequest(paramsOf(noRadius)).geometry.region.radius, undefined);
    refused({ ...good, RADIUS: '3' }, /RADIUS must be above 0 and at most 1°/);
    refused({ ...good, RADIUS: '0' }, /RADIUS must be above 0/);
    refused({ ...good, RADIUS: '0.5', OFFSET_MAX: '0.4' }, /smaller than OFFSET_MAX/);
    refused({ ...good, ID: [] }, /selection is empty/);
    refused({ ...good, ENERGY: '10 1 5' }, /ENERGY must be/);
    refused({ ...good, MODEL: 'cutoff' }, /MODEL must be one of powerlaw, logparabola/);
    refused({ ...good, CENTER: '83' }, /CENTER/);
  });
});

describe('spectra against gammapy 1.0', () => {
  it('gives gammapy 1D analysis counts per bin, power-law index and amplitude, and flux points on the Crab runs', async (t: TestContext) => {
    const store = requireTestData(t, 'hess-dl3-dr1');
    if (!store || !requireGammapy(t)) return;
    const datasets = await storeDatasets(store, CRAB_RUNS);
    const setup = {
      center: [83.633, 22.014],
      radius: 0.11,
      energy: [0.5, 50, 12],
      energy_true: [0.3, 100, 20],
      offset_max: 2.5,
    };
    const request = spectrumRequest(
      paramsOf({
        ID: datasets.map((d) => d.did),
        CENTER: setup.center.join(' '),
        RADIUS: String(setup.radius),
        ENERGY: setup.energy.join(' '),
        ENERGY_TRUE: setup.energy_true.join(' '),
        OFFSET_MAX: String(setup.offset_max),
      }),
    );
    await checkSpectrumRequest(datasets, request);
    const dir = tempDir(t);
    const outputs = {
      votable: join(dir, 'spectrum.xml'),
      fluxPoints: join(dir, 'fluxpoints.fits'),
      plot: join(dir, 'sed.png'),
    };
    const ours = await makeSpectrum(datasets, request, outputs);
    const theirs = runPythonJson<GammapySpectrum>(GAMMAPY_SCRIPT, [
      JSON.stringify({
        store,
        obs: CRAB_RUNS.map(Number),
        ...setup,
        hearc_fluxpoints: outputs.fluxPoints,
      }),
    ]);
    assert.deepEqual([...ours.spectrum.counts], theirs.counts, 'counts per bin');
    assert.deepEqual([...ours.spectrum.mask], theirs.mask, 'safe mask');
    assert.ok(ours.counts > 300, `${ours.counts} counts`);
    assert.ok(ours.fit.success && theirs.success);
    const value = (name: string) => ours.fit.parameters.find((p) => p.name === name)!;
    for (const name of ['index', 'amplitude']) {
      const g = theirs.parameters[name]!;
      assert.ok(
        Math.abs(value(name).value - g.value) < g.error,
        `${name} ${value(name).value} against gammapy's ${g.value} ± ${g.error}`,
      );
      // The errors from the covariance agree too.
      assert.ok(Math.abs(value(name).error / g.error - 1) < 0.02, `${name} error`);
    }
    assert.ok(Math.abs(ours.fit.stat - theirs.stat) < 0.01, `stat ${ours.fit.stat} ${theirs.stat}`);
    // Flux points where the source is seen: the same dN/dE within a small part of its error.
    const significant = theirs.points.ts.flatMap((ts, i) => (ts > 4 ? [i] : []));
    assert.ok(significant.length >= 5);
    for (const i of significant) {
      const point = ours.points.find((p) => Math.abs(p.eRef / theirs.points.e_ref[i]! - 1) < 1e-9)!;
      const dnde = point.norm * point.dndeRef;
      assert.ok(
        Math.abs(dnde - theirs.points.dnde[i]!) < 0.05 * theirs.points.dnde_err[i]!,
        `dnde at ${point.eRef} TeV: ${dnde} against ${theirs.points.dnde[i]}`,
      );
      assert.ok(Math.abs(point.ts - theirs.points.ts[i]!) < 0.01 * theirs.points.ts[i]!);
    }
    // gammapy's FluxPoints.read opens the FITS flux points.
    assert.equal(theirs.read.sed_type, 'dnde');
    assert.equal(theirs.read.e_ref.length, ours.points.length);
    const votable = readFileSync(outputs.votable, 'utf8');
    assert.match(
      votable,
      /<FIELD name="dnde" datatype="double" unit="cm-2 s-1 TeV-1" ucd="phot.flux.density"/,
    );
    assert.match(votable, /<PARAM name="index" datatype="double" ucd="spect.index" value="2\.6/);
    assert.deepEqual(new Uint8Array(readFileSync(outputs.plot).subarray(0, 8)), PNG_SIGNATURE);
  });

  it('refuses an ON region outside every run and energies outside the IRFs', async (t: TestContext) => {
    const store = requireTestData(t, 'hess-dl3-dr1');
    if (!store) return;
    const datasets = await storeDatasets(store, CRAB_RUNS.slice(0, 1));
    const ask = (extra: Record<string, string>) =>
      spectrumRequest(
        paramsOf({
          ID: datasets.map((d) => d.did),
          CENTER: '83.633 22.014',
          RADIUS: '0.1',
          ENERGY: '0.5 50 6',
          ...extra,
        }),
      );
    await assert.rejects(
      checkSpectrumRequest(datasets, ask({ ENERGY: '500 1000 2', ENERGY_TRUE: '400 2000 3' })),
      /outside the aeff IRF/,
    );
    const far = ask({ CENTER: '120 -10' });
    await assert.rejects(
      makeSpectrum(datasets, far, { votable: join(tempDir(t), 'x.xml') }),
      (e: unknown) =>
        e instanceof DaliError &&
        e.status === 400 &&
        /no run has a safe energy bin/.test(e.message),
    );
  });
});

describe('the spectrum service over HTTP', () => {
  it('answers sync and async requests, and refuses bad ones before any work', async (t) => {
    const { address, dids, secret } = await servedSimulation(t);
    const form = onRegionForm;
    const sync = (body: URLSearchParams) =>
      fetch(`${address}/analysis/spectrum/sync`, { method: 'POST', body });
    const ok = await sync(form(dids.slice(0, 2)));
    const text = await ok.text();
    assert.equal(ok.status, 200, text);
    assert.match(ok.headers.get('content-type') ?? '', /^application\/x-votable\+xml/);
    assert.match(text, /<TABLE name="flux_points"/);
    assert.match(text, /<INFO name="model" value="powerlaw"/);
    // A sync spectrum names its provenance too, which records both runs and the parameters.
    const syncRecord = await provenanceOf(ok);
    assert.ok(syncRecord.includes(dids[0]!) && syncRecord.includes(dids[1]!), syncRecord);
    assert.match(syncRecord, /RADIUS/);

    const refusedRadius = await sync(form(dids.slice(0, 1), { RADIUS: '5' }));
    assert.equal(refusedRadius.status, 400);
    assert.match(await refusedRadius.text(), /RADIUS must be above 0 and at most/);
    const outside = await sync(form(dids.slice(0, 1), { CENTER: '200 -60' }));
    assert.equal(outside.status, 400);
    assert.match(await outside.text(), /lies beyond OFFSET_MAX/);
    // Reflected regions: a spectrum around the target, none when the ON region sits on the pointing.
    const reflected = await sync(form(dids.slice(0, 2), { BACKGROUND: 'reflected' }));
    const reflectedText = await reflected.text();
    assert.equal(reflected.status, 200, reflectedText);
    assert.match(reflectedText, /<INFO name="background_method" value="reflected"/);
    const [row] = await tapRows(
      address,
      `SELECT s_ra, s_dec FROM ivoa.obscore WHERE obs_publisher_did = '${dids[0]}'`,
    );
    const pointing = `${String(row!.s_ra)} ${String(row!.s_dec)}`;
    const onPointing = await sync(
      form(dids.slice(0, 1), { BACKGROUND: 'reflected', CENTER: pointing }),
    );
    assert.equal(onPointing.status, 400);
    assert.match(await onPointing.text(), /no reflected OFF region of RADIUS 0.3° fits/);
    const proprietary = await sync(form([secret]));
    assert.ok([401, 403].includes(proprietary.status), String(proprietary.status));

    const jobs = `${address}/analysis/spectrum/async`;
    const params = Object.fromEntries(form([]));
    const jobUrl = await createJob(jobs, { ...params, ID: dids[0]!, PHASE: 'RUN' });
    const done = await waitForEnd(jobUrl);
    assert.equal(uwsValue(done, 'phase'), 'COMPLETED', done);
    assert.match(done, /<uws:result id="spectrum"[^>]*mime-type="application\/x-votable\+xml/);
    assert.match(done, /<uws:result id="fluxpoints"[^>]*mime-type="application\/fits"/);
    assert.match(done, /<uws:result id="plot"[^>]*mime-type="image\/png"/);
    const fits = new Uint8Array(await (await fetch(`${jobUrl}/results/fluxpoints`)).arrayBuffer());
    assert.equal(Buffer.from(fits.subarray(0, 6)).toString('latin1'), 'SIMPLE');
    const png = new Uint8Array(await (await fetch(`${jobUrl}/results/plot`)).arrayBuffer());
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    const votable = await fetch(`${jobUrl}/results/spectrum`);
    assert.match(await votable.text(), /flux_points/);
    // The result names its provenance (PROV-AQ), which records the run it was made from.
    assert.ok((await provenanceOf(votable)).includes(dids[0]!), 'the provenance names the run');
    // The service declares the capability (VOSI).
    const capabilities = await (await fetch(`${address}/tap/capabilities`)).text();
    assert.match(capabilities, /standardID="ivo:\/\/[^"]+\/analysis#spectrum-1\.0"/);
    assert.ok(capabilities.includes(`${address}/analysis/spectrum/async`));

    const badJob = await createJob(jobs, { ...params, ID: dids[0]!, RADIUS: '', PHASE: 'RUN' });
    const bad = await waitForEnd(badJob);
    assert.equal(uwsValue(bad, 'phase'), 'ERROR');
    assert.match(bad, /RADIUS/);
  });
});

const MAGIC_CRAB_RUNS = ['5029747', '5029748'];
const CRAB = [83.633, 22.014];

interface GammapyOnOff {
  runs: { obs_id: number; counts: number[]; counts_off: number[]; alpha: number[] }[];
  counts: number[];
  counts_off: number[];
  alpha: number[];
  exposure: number[];
  mask: number[];
  success: boolean;
  stat: number;
  parameters: Record<string, { value: number; error: number }>;
  points: GammapySpectrum['points'];
}

interface Setup {
  readonly store: string;
  readonly runs: readonly string[];
  readonly radius: number | null;
  readonly energy: readonly number[];
  readonly energyTrue: readonly number[];
  readonly nOff?: number;
}

/** Our spectrum and gammapy's of the same runs and parameters. */
async function bothSpectra(t: TestContext, setup: Setup) {
  const datasets = await storeDatasets(setup.store, setup.runs);
  const request = spectrumRequest(
    paramsOf({
      ID: datasets.map((d) => d.did),
      CENTER: CRAB.join(' '),
      ...(setup.radius !== null ? { RADIUS: String(setup.radius) } : {}),
      ENERGY: setup.energy.join(' '),
      ENERGY_TRUE: setup.energyTrue.join(' '),
      BACKGROUND: 'reflected',
      ...(setup.nOff ? { N_OFF: String(setup.nOff) } : {}),
    }),
  );
  await checkSpectrumRequest(datasets, request);
  const ours = await makeSpectrum(datasets, request, { votable: join(tempDir(t), 'spectrum.xml') });
  const theirs = runPythonJson<GammapyOnOff>(GAMMAPY_SCRIPT, [
    JSON.stringify({
      store: setup.store,
      obs: setup.runs.map(Number),
      energy: setup.energy,
      energy_true: setup.energyTrue,
      center: CRAB,
      radius: setup.radius,
      offset_max: 2.5,
      background: 'reflected',
      n_off: setup.nOff ?? 3,
    }),
  ]);
  return { ours, theirs };
}

/** The same counts, OFF counts and α per bin (run by run and stacked), and an index within gammapy's error. */
function assertAgreement(
  ours: Awaited<ReturnType<typeof bothSpectra>>['ours'],
  theirs: GammapyOnOff,
): void {
  const { spectrum } = ours;
  theirs.runs.forEach((run, k) => {
    const mine = spectrum.runs[k]!;
    assert.equal(mine.obsId, String(run.obs_id));
    assert.deepEqual([...mine.counts], run.counts, `ON counts of ${run.obs_id}`);
    assert.deepEqual([...mine.off!.counts], run.counts_off, `OFF counts of ${run.obs_id}`);
    assert.deepEqual([...mine.off!.alpha], run.alpha, `alpha of ${run.obs_id}`);
  });
  assert.deepEqual([...spectrum.mask], theirs.mask, 'safe mask');
  const safe = (values: ArrayLike<number>) =>
    Array.from(values).filter((_, i) => theirs.mask[i] === 1);
  assert.deepEqual(safe(spectrum.counts), safe(theirs.counts), 'stacked ON counts');
  assert.deepEqual(safe(spectrum.off!.counts), safe(theirs.counts_off), 'stacked OFF counts');
  // gammapy's stacked maps are float32.
  safe(spectrum.off!.alpha).forEach((a, i) =>
    assert.ok(Math.abs(a / safe(theirs.alpha)[i]! - 1) < 1e-6, `stacked alpha ${a}`),
  );
  // The exposure (with the PSF containment in a circle), within gammapy's float32.
  theirs.exposure.forEach((x, j) => {
    const mine = spectrum.exposure[j]!;
    assert.ok(x === 0 ? mine === 0 : Math.abs(mine / x - 1) < 1e-4, `exposure ${j}: ${mine} ${x}`);
  });
  assert.ok(ours.fit.success && theirs.success);
  for (const name of ['index', 'amplitude']) {
    const mine = ours.fit.parameters.find((p) => p.name === name)!;
    const g = theirs.parameters[name]!;
    assert.ok(
      Math.abs(mine.value - g.value) < g.error,
      `${name} ${mine.value} against gammapy's WStat fit ${g.value} ± ${g.error}`,
    );
    assert.ok(Math.abs(mine.error / g.error - 1) < 0.05, `${name} error ${mine.error} ${g.error}`);
  }
  assert.ok(Math.abs(ours.fit.stat - theirs.stat) < 0.05, `stat ${ours.fit.stat} ${theirs.stat}`);
  // Flux points (WStat per bin, negative norms where the excess is): dN/dE within a small
  // part of its error, the error and TS within 1 %.
  let unconverged = 0;
  for (const point of ours.points) {
    const i = theirs.points.e_ref.findIndex((e) => Math.abs(e / point.eRef - 1) < 1e-9);
    const at = `flux point at ${point.eRef} TeV`;
    if (!theirs.points.success[i]) {
      // gammapy's fit of a bin with almost no counts can fail (NaN): nothing to compare,
      // but the bin must be one where nothing is seen, and such bins must be rare.
      assert.ok(point.ts < 1, `${at}: gammapy's fit failed where we see TS ${point.ts}`);
      unconverged++;
      continue;
    }
    assert.ok(
      Math.abs(point.norm * point.dndeRef - theirs.points.dnde[i]!) <
        0.05 * theirs.points.dnde_err[i]!,
      `${at}: dN/dE ${point.norm * point.dndeRef} against gammapy's ${theirs.points.dnde[i]} ± ${theirs.points.dnde_err[i]} (TS ${point.ts} and ${theirs.points.ts[i]})`,
    );
    assert.ok(
      Math.abs((point.normErr * point.dndeRef) / theirs.points.dnde_err[i]! - 1) < 0.01,
      `${at}: error`,
    );
    assert.ok(
      Math.abs(point.ts - theirs.points.ts[i]!) <= 0.01 * theirs.points.ts[i]!,
      `${at}: ts`,
    );
  }
  assert.ok(unconverged <= 1, `gammapy's fit failed in ${unconverged} bins`);
}

describe('reflected-region spectra against gammapy 1.0', () => {
  it('H.E.S.S. Crab runs, a 0.11° circle: reflected regions, WStat', async (t) => {
    const store = requireTestData(t, 'hess-dl3-dr1');
    if (!store || !requireGammapy(t)) return;
    const { ours, theirs } = await bothSpectra(t, {
      store,
      runs: CRAB_RUNS,
      radius: 0.11,
      energy: [0.5, 50, 12],
      energyTrue: [0.3, 100, 20],
    });
    assertAgreement(ours, theirs);
    assert.ok(ours.spectrum.runs.every((r) => r.off!.regions.length >= 10));
  });

  it('MAGIC point-like runs: the ON region cut by RAD_MAX, 3 wobble OFF regions', async (t) => {
    const store = requireTestData(t, 'magic-rad-max');
    if (!store || !requireGammapy(t)) return;
    const { ours, theirs } = await bothSpectra(t, {
      store: join(store, 'data'),
      runs: MAGIC_CRAB_RUNS,
      radius: null,
      energy: [0.05, 20, 10],
      energyTrue: [0.01, 50, 20],
      nOff: 3,
    });
    assertAgreement(ours, theirs);
    assert.equal(ours.spectrum.geom.region.radius, undefined);
  });
});

describe('reflected-region requests', () => {
  const good = { ID: 'ivo://x/y?1', CENTER: '83.63 22.01', ENERGY: '1 10 5' };
  const refused = refuserOf(spectrumRequest);

  it('reads BACKGROUND and N_OFF, and refuses bad values naming them', () => {
    const r = spectrumRequest(paramsOf({ ...good, BACKGROUND: 'Reflected', N_OFF: '5' }));
    assert.equal(r.background, 'reflected');
    assert.equal(r.wobbleOffRegions, 5);
    assert.equal(spectrumRequest(paramsOf(good)).background, undefined);
    refused({ ...good, BACKGROUND: 'ring' }, /BACKGROUND must be one of irf, reflected/);
    refused({ ...good, N_OFF: '0' }, /N_OFF must be a whole number/);
    refused({ ...good, N_OFF: '2.5' }, /N_OFF must be a whole number/);
  });

  it('refuses, before any work, what the runs cannot give', async (t) => {
    const magic = requireTestData(t, 'magic-rad-max');
    const hess = requireTestData(t, 'hess-dl3-dr1');
    if (!magic || !hess) return;
    const pointLike = await storeDatasets(join(magic, 'data'), MAGIC_CRAB_RUNS);
    const full = await storeDatasets(hess, CRAB_RUNS.slice(0, 1));
    const ask = (datasets: typeof full, extra: Record<string, string>) =>
      checkSpectrumRequest(
        datasets,
        spectrumRequest(
          paramsOf({
            ID: datasets.map((d) => d.did),
            CENTER: CRAB.join(' '),
            ENERGY: '0.5 20 6',
            ...extra,
          }),
        ),
      );
    const rejects = (promise: Promise<void>, pattern: RegExp) =>
      assert.rejects(
        promise,
        (e: unknown) => e instanceof DaliError && e.status === 400 && pattern.test(e.message),
      );
    await rejects(ask(pointLike, { RADIUS: '0.1' }), /point-like.*leave RADIUS out/);
    await rejects(ask(pointLike, { BACKGROUND: 'irf' }), /BACKGROUND=irf needs a BKG IRF/);
    await rejects(ask(full, {}), /RADIUS is required/);
    await rejects(ask([...full, ...pointLike], { RADIUS: '0.1' }), /mixes point-like/);
    // The point-like runs default to reflected regions and pass.
    await ask(pointLike, {});
  });
});

describe('point-like runs over HTTP', () => {
  it('gives their spectrum and light curve from OFF regions, and refuses a map dataset or a RADIUS', async (t) => {
    const store = requireTestData(t, 'magic-rad-max');
    if (!store) return;
    const { address } = await serveStore(t, store, 'magic');
    const dids = MAGIC_CRAB_RUNS.map((obsId) => didOf('magic', obsId));
    const form = (path: string, extra: Record<string, string> = {}) => {
      const body = new URLSearchParams({ CENTER: CRAB.join(' '), ENERGY: '0.05 20 10', ...extra });
      for (const did of dids) body.append('ID', did);
      return fetch(`${address}/analysis/${path}`, { method: 'POST', body });
    };
    const spectrum = await form('spectrum/sync');
    const votable = await spectrum.text();
    assert.equal(spectrum.status, 200, votable);
    assert.match(votable, /<INFO name="on_region" value="83.633 22.014"[^>]*xtype="point"/);
    assert.match(votable, /<INFO name="background_method" value="reflected"/);
    assert.match(votable, /<INFO name="off_regions" value="5029747:3 5029748:3"/);
    assert.match(votable, /<PARAM name="index" datatype="double" ucd="spect.index" value="2\.2/);

    const curve = await form('lightcurve/sync', { THRESHOLD: '0.1' });
    const curveText = await curve.text();
    assert.equal(curve.status, 200, curveText);
    assert.equal((curveText.match(/<TR>/g) ?? []).length, 2, 'one flux per run');

    const radius = await form('spectrum/sync', { RADIUS: '0.1' });
    assert.equal(radius.status, 400);
    assert.match(
      await radius.text(),
      /point-like: the ON region's radius is their energy-dependent RAD_MAX/,
    );
    // Ten wobble positions 0.4° from the pointing lie closer than twice RAD_MAX.
    const crowded = await form('spectrum/sync', { N_OFF: '10' });
    assert.equal(crowded.status, 400);
    assert.match(await crowded.text(), /the 10 OFF regions \(N_OFF\).*would overlap/);
    const map = await form('sync', { WIDTH: '2', BINSZ: '0.1' });
    assert.equal(map.status, 400);
    assert.match(
      await map.text(),
      /point-like IRFs.*use the spectrum or light-curve service|point-like IRFs.*spectrum or light-curve service/,
    );

    // Their DataLink offers the spectrum and light curve, with reflected regions, and no map dataset.
    const links = await (
      await fetch(`${address}/datalink?ID=${encodeURIComponent(dids[0]!)}`)
    ).text();
    assert.ok(links.includes(`${address}/analysis/spectrum/sync`), links);
    assert.ok(links.includes(`${address}/analysis/lightcurve/sync`), links);
    assert.ok(!links.includes(`"${address}/analysis/sync"`), links);
    assert.match(links, /name="BACKGROUND"[^>]*value="reflected"/);
  });
});
