/**
 * The stacked map dataset of the shared H.E.S.S. Crab runs (issue 19): hearc's maker
 * against gammapy 1.0's MapDatasetMaker (all its maps: counts, exposure, background,
 * energy-dispersion kernel, PSF) + SafeMaskMaker(offset-max) on the same runs and
 * geometry, in the same invocation (gammapy in a python subprocess, timed from inside it,
 * so python's start-up is not counted against it). Prints both times and the ratio.
 * Then the spectrum of the Crab in a 0.11° ON region (reduction, power-law fit, flux
 * points, files written) against gammapy's 1D analysis of the same runs
 * (SpectrumDatasetMaker + SafeMaskMaker + Fit + FluxPointsEstimator), with the BKG IRF,
 * then with reflected OFF regions (WStat), then on the MAGIC point-like runs (ON region
 * cut by RAD_MAX, wobble OFF regions). Then the light
 * curve above 1 TeV, one bin per run (reduction, stacked fit, norm per run, files
 * written) against gammapy's reduction and stacked fit plus LightCurveEstimator on the
 * per-run datasets (the estimator timed alone: the runs are reduced once, for both).
 *
 *   HEARC_TEST_DATA=/work/shared/data node --import tsx bench/analysis.ts [--binsz 0.02] [--width 5] [--repeat 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkIrfRanges,
  checkLightCurveRequest,
  checkSpectrumRequest,
  lightCurveRequest,
  makeLightCurve,
  makeMapDataset,
  makeSpectrum,
  mapDatasetRequest,
  spectrumRequest,
  storeDatasets,
} from '../src/analysis/index.js';
import { DaliParameters } from '../src/dali/index.js';
import type { PublishedDataset } from '../src/datalink/index.js';
import { peakRssDuring } from './measure.js';

const { values } = parseArgs({
  options: {
    binsz: { type: 'string' },
    width: { type: 'string' },
    repeat: { type: 'string' },
  },
});
const binsz = Number(values.binsz ?? 0.02);
const width = Number(values.width ?? 5);
const repeat = Number(values.repeat ?? 2);
const data = process.env.HEARC_TEST_DATA;
if (!data) {
  console.error('set HEARC_TEST_DATA to the shared DL3 data (see ../shared/data/README.md)');
  process.exit(2);
}
const store = join(data, 'hess-dl3-dr1');
const runs = ['23523', '23526', '23559', '23592'];
const energy = [0.5, 50, 12] as const;
const energyTrue = [0.3, 100, 20] as const;
const center = [83.633, 22.014] as const;
const offsetMax = 2.5;

const datasets = await storeDatasets(store, runs);
const request = mapDatasetRequest(
  new DaliParameters([
    ...datasets.map((d) => ['ID', d.did] as const),
    ['CENTER', center.join(' ')],
    ['WIDTH', String(width)],
    ['BINSZ', String(binsz)],
    ['ENERGY', energy.join(' ')],
    ['ENERGY_TRUE', energyTrue.join(' ')],
    ['OFFSET_MAX', String(offsetMax)],
  ]),
);
const dir = mkdtempSync(join(tmpdir(), 'hearc-bench-analysis-'));
try {
  let peak = 0;
  const hearcBest = await bestOf(repeat, async () => {
    const { seconds, peakMb } = await peakRssDuring(async () => {
      await checkIrfRanges(datasets, request);
      await makeMapDataset(datasets, request, { fits: join(dir, 'hearc.fits') });
    });
    peak = Math.max(peak, peakMb);
    return seconds;
  });
  const gammapyBest = await bestOf(repeat, () => {
    const out = gammapy('gammapy_mapdataset.py', {
      store,
      obs: runs.map(Number),
      energy,
      energy_true: energyTrue,
      center,
      binsz,
      width: [width, width],
      frame: 'icrs',
      proj: 'CAR',
      offset_max: offsetMax,
    });
    return out.seconds;
  });
  const { grid } = request.geometry;
  console.log(
    `stacked map dataset, ${runs.length} Crab runs, ${grid.nx}×${grid.ny} px, ${energy[2]} reco / ${energyTrue[2]} true energy bins (best of ${repeat})`,
  );
  console.log(`  hearc    ${hearcBest.toFixed(3)} s   (peak RSS ${peak.toFixed(0)} MiB)`);
  console.log(
    `  gammapy  ${gammapyBest.toFixed(3)} s   (MapDatasetMaker with EDISP and PSF + SafeMaskMaker, inside python)`,
  );
  console.log(`  ratio gammapy / hearc: ${(gammapyBest / hearcBest).toFixed(2)}×`);

  const radius = 0.11;
  const spectrumParams: (readonly [string, string])[] = [
    ...datasets.map((d) => ['ID', d.did] as const),
    ['CENTER', center.join(' ')],
    ['RADIUS', String(radius)],
    ['ENERGY', energy.join(' ')],
    ['ENERGY_TRUE', energyTrue.join(' ')],
    ['OFFSET_MAX', String(offsetMax)],
  ];
  const spectrumArgs = {
    store,
    obs: runs.map(Number),
    energy,
    energy_true: energyTrue,
    center,
    radius,
    offset_max: offsetMax,
  };
  await compareSpectra(
    `spectrum, ${runs.length} Crab runs, ON region ${radius}°, BKG IRF (cash), ${energy[2]} reco / ${energyTrue[2]} true energy bins, power law + flux points (best of ${repeat})`,
    datasets,
    spectrumParams,
    spectrumArgs,
  );
  await compareSpectra(
    `spectrum, the same with reflected OFF regions (WStat, PSF containment correction)`,
    datasets,
    [...spectrumParams, ['BACKGROUND', 'reflected']],
    { ...spectrumArgs, background: 'reflected' },
  );
  const magic = join(data, 'magic-rad-max', 'data');
  const magicRuns = ['5029747', '5029748'];
  const magicEnergy = [0.05, 20, 10] as const;
  const magicEnergyTrue = [0.01, 50, 20] as const;
  await compareSpectra(
    `spectrum, ${magicRuns.length} MAGIC point-like Crab runs, ON region cut by RAD_MAX, 3 wobble OFF regions (WStat), ${magicEnergy[2]} reco / ${magicEnergyTrue[2]} true energy bins`,
    await storeDatasets(magic, magicRuns),
    [
      ['CENTER', center.join(' ')],
      ['ENERGY', magicEnergy.join(' ')],
      ['ENERGY_TRUE', magicEnergyTrue.join(' ')],
    ],
    {
      store: magic,
      obs: magicRuns.map(Number),
      energy: magicEnergy,
      energy_true: magicEnergyTrue,
      center,
      radius: null,
      offset_max: offsetMax,
      background: 'reflected',
    },
  );

  const threshold = 1;
  const curve = lightCurveRequest(
    new DaliParameters([...spectrumParams, ['THRESHOLD', String(threshold)]]),
  );
  let bins = 0;
  const hearcCurve = await bestOf(repeat, () =>
    secondsOf(async () => {
      await checkLightCurveRequest(datasets, curve);
      const made = await makeLightCurve(datasets, curve, productPaths(dir, 'lightcurve'));
      bins = made.bins.length;
    }),
  );
  const gammapyCurve = await bestOf(repeat, () => {
    const out = gammapy('gammapy_spectrum.py', {
      ...spectrumArgs,
      lightcurve: { energy: [threshold, energy[1]] },
    });
    return out.fit_seconds! + out.lightcurve_seconds!;
  });
  console.log(
    `light curve above ${threshold} TeV, ${runs.length} Crab runs, ${bins} bins (one per run), shape from the stacked power-law fit (best of ${repeat})`,
  );
  console.log(`  hearc    ${hearcCurve.toFixed(3)} s`);
  console.log(
    `  gammapy  ${gammapyCurve.toFixed(3)} s   (SpectrumDatasetMaker + SafeMaskMaker + stacked Fit + LightCurveEstimator, inside python)`,
  );
  console.log(`  ratio gammapy / hearc: ${(gammapyCurve / hearcCurve).toFixed(2)}×`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** hearc's spectrum of `selection` (the request `params` besides its IDs) against gammapy's (`args`), timed and printed. */
async function compareSpectra(
  title: string,
  selection: readonly PublishedDataset[],
  params: readonly (readonly [string, string])[],
  args: object,
): Promise<void> {
  const request = spectrumRequest(
    new DaliParameters([
      ...selection.map((d) => ['ID', d.did] as const),
      ...params.filter(([name]) => name !== 'ID'),
    ]),
  );
  const dir = mkdtempSync(join(tmpdir(), 'hearc-bench-spectrum-'));
  let index = '';
  try {
    const hearc = await bestOf(repeat, () =>
      secondsOf(async () => {
        await checkSpectrumRequest(selection, request);
        const { fits, ...paths } = productPaths(dir, 'spectrum');
        const made = await makeSpectrum(selection, request, { ...paths, fluxPoints: fits });
        const p = made.fit.parameters.find((q) => q.name === 'index')!;
        index = `${p.value.toFixed(4)} ± ${p.error.toFixed(4)}`;
      }),
    );
    let gammapyIndex = '';
    const theirs = await bestOf(repeat, () => {
      const out = gammapy('gammapy_spectrum.py', args);
      const p = out.parameters!.index!;
      gammapyIndex = `${p.value.toFixed(4)} ± ${p.error.toFixed(4)}`;
      return out.seconds;
    });
    console.log(title);
    console.log(`  hearc    ${hearc.toFixed(3)} s   index ${index}`);
    console.log(
      `  gammapy  ${theirs.toFixed(3)} s   index ${gammapyIndex} (SpectrumDatasetMaker + background + SafeMaskMaker + Fit + FluxPointsEstimator, inside python)`,
    );
    console.log(`  ratio gammapy / hearc: ${(theirs / hearc).toFixed(2)}×`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where a DL5 product's VOTable, FITS and PNG go in `dir`. */
function productPaths(dir: string, name: string): { votable: string; fits: string; plot: string } {
  return {
    votable: join(dir, `${name}.xml`),
    fits: join(dir, `${name}.fits`),
    plot: join(dir, `${name}.png`),
  };
}

/** The seconds `work` takes. */
async function secondsOf(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** The shortest of `repeat` timings (s) that `once` returns. */
async function bestOf(repeat: number, once: () => Promise<number> | number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) best = Math.min(best, await once());
  return best;
}

/** One run of a gammapy script of the analysis tests (its arguments as JSON); what it prints, parsed. */
function gammapy(
  script: string,
  args: object,
): {
  seconds: number;
  fit_seconds?: number;
  lightcurve_seconds?: number;
  parameters?: Record<string, { value: number; error: number }>;
} {
  const source = readFileSync(new URL(`../test/analysis/${script}`, import.meta.url), 'utf8');
  const run = spawnSync('/usr/bin/python3', ['-c', source, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`gammapy failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ReturnType<typeof gammapy>;
}
