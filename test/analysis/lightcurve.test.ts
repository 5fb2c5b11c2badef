/**
 * Light curves (DL5): the request checks, agreement with gammapy 1.0's
 * LightCurveEstimator (the stacked power-law fit's shape, norm fitted per run or per
 * time bin on the runs cut by Observations.select_time) on the H.E.S.S. Crab runs,
 * gammapy reading hearc's light-curve FITS, and the HTTP service (sync and async).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  checkLightCurveRequest,
  type LightCurveBin,
  lightCurveRequest,
  makeLightCurve,
  storeDatasets,
} from '../../src/analysis/index.js';
import { PNG_SIGNATURE } from '../../src/preview/index.js';
import { requireGammapy, requireTestData } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { createJob, uwsValue, waitForEnd } from '../uws/fixtures.js';
import { onRegionForm, paramsOf, refuserOf, provenanceOf, servedSimulation } from './fixtures.js';

const GAMMAPY_SCRIPT = readFileSync(new URL('./gammapy_spectrum.py', import.meta.url), 'utf8');
const CRAB_RUNS = ['23523', '23526', '23559', '23592'];

interface GammapyLightCurve {
  parameters: Record<string, { value: number; error: number }>;
  lightcurve: {
    time_min: number[];
    time_max: number[];
    e_min: number[];
    e_max: number[];
    flux: number[];
    flux_err: number[];
    flux_ul: number[];
    ts: number[];
  };
  lightcurve_read: { sed_type: string; time_min: number[]; flux: number[] };
}

describe('light-curve requests', () => {
  const good = {
    ID: 'ivo://x/y?1',
    CENTER: '83.63 22.01',
    RADIUS: '0.11',
    ENERGY: '0.5 50 12',
  };
  const refused = refuserOf(lightCurveRequest);

  it('reads a request: the whole ENERGY range and one bin per run by default', () => {
    const r = lightCurveRequest(paramsOf(good));
    assert.deepEqual(r.energyBins, [0, 12]);
    assert.equal(r.timeEdges, undefined);
    assert.equal(r.model, 'powerlaw');
  });

  it('snaps THRESHOLD to the nearest ENERGY edge, as gammapy snaps energy_edges', () => {
    // Edges 0.5 · 10^(k/6): 1 TeV lies nearest edge 2 (1.077 TeV).
    const r = lightCurveRequest(paramsOf({ ...good, THRESHOLD: '1' }));
    assert.deepEqual(r.energyBins, [2, 12]);
    assert.ok(Math.abs(r.geometry.energy[2]! - 1.0772173450159417) < 1e-12);
    assert.deepEqual(
      lightCurveRequest(paramsOf({ ...good, THRESHOLD: '0.1' })).energyBins,
      [0, 12],
    );
  });

  it('reads TIME as MJD bin edges', () => {
    const r = lightCurveRequest(paramsOf({ ...good, TIME: '53343.9 53344 53348' }));
    assert.deepEqual([...r.timeEdges!], [53343.9, 53344, 53348]);
  });

  it('refuses bad parameters with a message naming them', () => {
    refused({ ...good, THRESHOLD: '60' }, /THRESHOLD 60 TeV leaves no ENERGY bin/);
    refused({ ...good, THRESHOLD: '-1' }, /THRESHOLD must be an energy in TeV, 0 or above/);
    assert.deepEqual(lightCurveRequest(paramsOf({ ...good, THRESHOLD: '0' })).energyBins, [0, 12]);
    refused({ ...good, TIME: '53343.9' }, /TIME must be two or more MJD \(UTC\) bin edges/);
    refused({ ...good, TIME: '53344 53343' }, /TIME edges must increase/);
    refused({ ...good, TIME: '53344 x' }, /TIME must be/);
  });
});

describe('light curves against gammapy 1.0', () => {
  /** A store, its runs, the gammapy setup and the extra request parameters. */
  interface CurveCase {
    readonly data: string;
    readonly subdir?: string;
    readonly runs: readonly string[];
    readonly setup: {
      readonly center: readonly number[];
      readonly radius: number | null;
      readonly energy: readonly number[];
      readonly energy_true: readonly number[];
      readonly offset_max: number;
      readonly background?: 'reflected';
    };
    /** THRESHOLD, snapped to an ENERGY edge: the flux's energy range. */
    readonly threshold: number;
    readonly fluxEnergy: readonly [number, number];
  }
  const hess: CurveCase = {
    data: 'hess-dl3-dr1',
    runs: CRAB_RUNS,
    setup: {
      center: [83.633, 22.014],
      radius: 0.11,
      energy: [0.5, 50, 12],
      energy_true: [0.3, 100, 20],
      offset_max: 2.5,
    },
    threshold: 1,
    fluxEnergy: [1, 50],
  };

  /** hearc's light curve and gammapy's of the Crab runs, with these TIME edges (none: per run). */
  async function both(t: TestContext, timeEdges?: readonly number[], c: CurveCase = hess) {
    const data = requireTestData(t, c.data);
    if (!data || !requireGammapy(t)) return undefined;
    const store = c.subdir ? join(data, c.subdir) : data;
    const { setup } = c;
    const datasets = await storeDatasets(store, c.runs);
    const request = lightCurveRequest(
      paramsOf({
        ID: datasets.map((d) => d.did),
        CENTER: setup.center.join(' '),
        ...(setup.radius !== null ? { RADIUS: String(setup.radius) } : {}),
        ENERGY: setup.energy.join(' '),
        ENERGY_TRUE: setup.energy_true.join(' '),
        OFFSET_MAX: String(setup.offset_max),
        THRESHOLD: String(c.threshold),
        ...(setup.background ? { BACKGROUND: setup.background } : {}),
        ...(timeEdges ? { TIME: timeEdges.join(' ') } : {}),
      }),
    );
    await checkLightCurveRequest(datasets, request);
    const dir = tempDir(t);
    const outputs = {
      votable: join(dir, 'lightcurve.xml'),
      fits: join(dir, 'lightcurve.fits'),
      plot: join(dir, 'lightcurve.png'),
    };
    const ours = await makeLightCurve(datasets, request, outputs);
    const theirs = runPythonJson<GammapyLightCurve>(GAMMAPY_SCRIPT, [
      JSON.stringify({
        store,
        obs: c.runs.map(Number),
        ...setup,
        lightcurve: {
          energy: c.fluxEnergy,
          ...(timeEdges ? { time_edges: timeEdges } : {}),
          hearc: outputs.fits,
        },
      }),
    ]);
    return { ours, theirs, outputs };
  }

  /** Each bin's times, energy range, flux, error, upper limit and TS as gammapy's. */
  function sameCurve(bins: readonly LightCurveBin[], theirs: GammapyLightCurve['lightcurve']) {
    assert.equal(bins.length, theirs.flux.length, 'time bins');
    bins.forEach((b, i) => {
      const at = `bin ${i} (MJD ${b.timeMin})`;
      // Times within 10 ms.
      assert.ok(Math.abs(b.timeMin - theirs.time_min[i]!) * 86400 < 0.01, `${at} start`);
      assert.ok(Math.abs(b.timeMax - theirs.time_max[i]!) * 86400 < 0.01, `${at} stop`);
      assert.ok(Math.abs(b.eMin / theirs.e_min[i]! - 1) < 1e-9, `${at} e_min`);
      assert.ok(Math.abs(b.eMax / theirs.e_max[i]! - 1) < 1e-9, `${at} e_max`);
      const flux = b.norm * b.refFlux;
      assert.ok(
        Math.abs(flux - theirs.flux[i]!) < 0.02 * theirs.flux_err[i]!,
        `${at} flux ${flux} against gammapy's ${theirs.flux[i]} ± ${theirs.flux_err[i]}`,
      );
      assert.ok(
        Math.abs((b.normErr * b.refFlux) / theirs.flux_err[i]! - 1) < 0.01,
        `${at} flux_err ${b.normErr * b.refFlux} against ${theirs.flux_err[i]}`,
      );
      assert.ok(Math.abs((b.normUl * b.refFlux) / theirs.flux_ul[i]! - 1) < 0.01, `${at} flux_ul`);
      assert.ok(Math.abs(b.ts / theirs.ts[i]! - 1) < 0.01, `${at} ts ${b.ts} ${theirs.ts[i]}`);
    });
  }

  it('gives gammapy LightCurveEstimator fluxes per run on the Crab runs, and gammapy reads the FITS', async (t) => {
    const result = await both(t);
    if (!result) return;
    const { ours, theirs, outputs } = result;
    // The shape is the stacked fit's, as gammapy's.
    const index = ours.fit.parameters.find((p) => p.name === 'index')!;
    assert.ok(
      Math.abs(index.value - theirs.parameters.index!.value) < theirs.parameters.index!.error,
    );
    assert.deepEqual(
      ours.bins.map((b) => b.runs),
      CRAB_RUNS.map((r) => [r]),
    );
    sameCurve(ours.bins, theirs.lightcurve);
    // The Crab is seen in every run.
    assert.ok(ours.bins.every((b) => b.ts > 100 && !b.isUl));
    // gammapy's FluxPoints.read(format="lightcurve") gives back the times and fluxes.
    assert.equal(theirs.lightcurve_read.sed_type, 'flux');
    theirs.lightcurve_read.flux.forEach((f, i) => {
      const b = ours.bins[i]!;
      assert.ok(Math.abs(f / (b.norm * b.refFlux) - 1) < 1e-12, `read flux ${i}`);
      assert.ok(Math.abs(theirs.lightcurve_read.time_min[i]! - b.timeMin) * 86400 < 0.01);
    });
    const votable = readFileSync(outputs.votable, 'utf8');
    assert.match(votable, /<TABLE name="light_curve"/);
    assert.match(votable, /<FIELD name="flux" datatype="double" unit="cm-2 s-1" ucd="phot.flux"/);
    assert.match(votable, /<FIELD name="time_min" datatype="double" unit="d" ucd="time.start"/);
    assert.match(votable, /<PARAM name="index" datatype="double" ucd="spect.index" value="2\.6/);
    assert.deepEqual(new Uint8Array(readFileSync(outputs.plot).subarray(0, 8)), PNG_SIGNATURE);
  });

  it('gives gammapy fluxes in TIME bins that cut runs, as Observations.select_time cuts them', async (t) => {
    // Bins cut 23523 in two, share one with the end of 23523 and the start of 23526,
    // cut 23559, and hold all of 23592.
    const edges = [53343.9, 53343.9315, 53343.96, 53345.97, 53346.0, 53348.0];
    const result = await both(t, edges);
    if (!result) return;
    const { ours, theirs } = result;
    assert.deepEqual(
      ours.bins.map((b) => b.runs),
      [['23523'], ['23523', '23526'], ['23526', '23559'], ['23559'], ['23592']],
    );
    assert.deepEqual(
      ours.bins.map((b) => b.timeMin),
      edges.slice(0, -1),
    );
    sameCurve(ours.bins, theirs.lightcurve);
  });

  it('gives gammapy fluxes per run of the MAGIC point-like runs, the background from wobble OFF regions (WStat)', async (t) => {
    const result = await both(t, undefined, {
      data: 'magic-rad-max',
      subdir: 'data',
      runs: ['5029747', '5029748'],
      setup: {
        center: [83.633, 22.014],
        radius: null,
        energy: [0.05, 20, 10],
        energy_true: [0.01, 50, 20],
        offset_max: 2.5,
        background: 'reflected',
      },
      threshold: 0.2,
      fluxEnergy: [0.2, 20],
    });
    if (!result) return;
    const { ours, theirs } = result;
    assert.deepEqual(
      ours.bins.map((b) => b.runs),
      [['5029747'], ['5029748']],
    );
    sameCurve(ours.bins, theirs.lightcurve);
  });
});

describe('the light-curve service over HTTP', () => {
  it('answers sync and async requests with their provenance, and refuses bad ones', async (t) => {
    const { address, dids, secret } = await servedSimulation(t);
    const form = onRegionForm;
    const sync = (body: URLSearchParams) =>
      fetch(`${address}/analysis/lightcurve/sync`, { method: 'POST', body });
    const ok = await sync(form(dids.slice(0, 2)));
    const text = await ok.text();
    assert.equal(ok.status, 200, text);
    assert.match(ok.headers.get('content-type') ?? '', /^application\/x-votable\+xml/);
    assert.match(text, /<TABLE name="light_curve"/);
    // One bin per run.
    assert.equal(text.match(/<TR>/g)?.length, 2);
    const record = await provenanceOf(ok);
    assert.ok(record.includes(dids[0]!) && record.includes(dids[1]!), 'the inputs are recorded');

    const badTime = await sync(form(dids.slice(0, 1), { TIME: '1 0' }));
    assert.equal(badTime.status, 400);
    assert.match(await badTime.text(), /TIME edges must increase/);
    const elsewhen = await sync(form(dids.slice(0, 2), { TIME: '40000 40001' }));
    assert.equal(elsewhen.status, 400);
    assert.match(await elsewhen.text(), /no selected run was observed between MJD 40000 and 40001/);
    const proprietary = await sync(form([secret]));
    assert.ok([401, 403].includes(proprietary.status), String(proprietary.status));

    const jobs = `${address}/analysis/lightcurve/async`;
    const params = Object.fromEntries(form([]));
    const jobUrl = await createJob(jobs, { ...params, ID: dids[0]!, PHASE: 'RUN' });
    const done = await waitForEnd(jobUrl);
    assert.equal(uwsValue(done, 'phase'), 'COMPLETED', done);
    assert.match(done, /<uws:result id="lightcurve"[^>]*mime-type="application\/x-votable\+xml/);
    assert.match(done, /<uws:result id="lightcurve-fits"[^>]*mime-type="application\/fits"/);
    assert.match(done, /<uws:result id="plot"[^>]*mime-type="image\/png"/);
    assert.match(done, /1 of 1 runs reduced/);
    const fits = new Uint8Array(
      await (await fetch(`${jobUrl}/results/lightcurve-fits`)).arrayBuffer(),
    );
    assert.equal(Buffer.from(fits.subarray(0, 6)).toString('latin1'), 'SIMPLE');
    const png = new Uint8Array(await (await fetch(`${jobUrl}/results/plot`)).arrayBuffer());
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    const votable = await fetch(`${jobUrl}/results/lightcurve`);
    assert.match(await votable.text(), /light_curve/);
    assert.ok((await provenanceOf(votable)).includes(dids[0]!));
    const capabilities = await (await fetch(`${address}/tap/capabilities`)).text();
    assert.match(capabilities, /standardID="ivo:\/\/[^"]+\/analysis#lightcurve-1\.0"/);
    assert.ok(capabilities.includes(`${address}/analysis/lightcurve/async`));
  });
});
