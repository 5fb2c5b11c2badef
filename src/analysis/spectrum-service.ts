/**
 * The spectrum service: the selection's rights and IRFs checked before any work, then
 * run after run reduced in the ON region and stacked (cancellable between runs), the
 * model fitted, flux points estimated, and the VOTable, FITS flux points and SED plot written.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { PublishedDataset } from '../datalink/index.js';
import { DaliError } from '../dali/index.js';
import { GadfError, readIrf } from '../gadf/index.js';
import { writeFits } from '../fits/index.js';
import { writeChunksTo } from '../votable/index.js';
import { type Direction, RadMax, reflectedCircles, wobbleOffRegions } from './reflected.js';
import { allHave, datasetFile, EDISP_CLASSES, isPointLike, openRun, PSF_CLASSES } from './runs.js';
import { checkIrfRanges, type MapDatasetProgress } from './service.js';
import { type FluxPoint, fitSpectrum, fluxPoints, type SpectralFit } from './spectral-fit.js';
import { type BackgroundSetup, makeRunSpectrum, StackedSpectrum } from './spectrum.js';
import { fluxPointsHdus, sedPlot, spectrumVotable } from './spectrum-products.js';
import type { BackgroundMethod, SpectrumRequest } from './spectrum-request.js';
import { separation } from './sky.js';

export interface SpectrumOutputs {
  /** The VOTable of flux points and fit. */
  readonly votable: string;
  /** gammapy FluxPoints FITS (none when undefined). */
  readonly fluxPoints?: string;
  /** PNG of the SED (none when undefined). */
  readonly plot?: string;
}

export interface SpectrumSummary {
  readonly runs: number;
  readonly counts: number;
  readonly spectrum: StackedSpectrum;
  readonly fit: SpectralFit;
  readonly points: readonly FluxPoint[];
}

/**
 * The background method of a request over `datasets`: as asked (BACKGROUND), else the BKG
 * IRF when every run has one and reflected regions when not; a DaliError when the runs
 * cannot give it, or mix point-like and full-enclosure IRFs.
 */
export function backgroundMethod(
  datasets: readonly PublishedDataset[],
  request: SpectrumRequest,
): BackgroundMethod {
  const pointLike = datasets.filter(isPointLike);
  const { radius } = request.geometry.region;
  if (pointLike.length > 0 && pointLike.length < datasets.length) {
    throw new DaliError(
      400,
      `the selection mixes point-like IRFs (${pointLike[0]!.did}, with a RAD_MAX cut) and full-enclosure ones: their ON regions differ, ask for them apart`,
    );
  }
  if (pointLike.length > 0 && radius !== undefined) {
    throw new DaliError(
      400,
      `the IRFs of ${pointLike[0]!.did} are point-like: the ON region's radius is their energy-dependent RAD_MAX cut, so leave RADIUS out`,
    );
  }
  if (pointLike.length === 0 && radius === undefined) {
    throw new DaliError(400, 'RADIUS is required: the radius of the ON region around CENTER, deg');
  }
  const withBkg = datasets.every((d) => d.irfs.some((i) => i.component === 'bkgrate'));
  const method = request.background ?? (withBkg && pointLike.length === 0 ? 'irf' : 'reflected');
  if (method === 'irf' && (!withBkg || pointLike.length > 0)) {
    const without = datasets.find((d) => !d.irfs.some((i) => i.component === 'bkgrate'));
    throw new DaliError(
      400,
      `BACKGROUND=irf needs a BKG IRF, which ${(without ?? pointLike[0]!).did} has not: use BACKGROUND=reflected (OFF regions, WStat)`,
    );
  }
  return method;
}

/** The setup of each run's background. */
function backgroundSetup(
  datasets: readonly PublishedDataset[],
  request: SpectrumRequest,
): BackgroundSetup {
  return {
    method: backgroundMethod(datasets, request),
    wobbleOffRegions: request.wobbleOffRegions,
  };
}

/**
 * What can be refused before any run is read: the background method, the IRF ranges, an
 * energy dispersion for every run, an ON region inside the field of view (OFFSET_MAX) of
 * some run, and for reflected regions around a circle some run where one fits.
 */
export async function checkSpectrumRequest(
  datasets: readonly PublishedDataset[],
  request: SpectrumRequest,
): Promise<void> {
  const method = backgroundMethod(datasets, request);
  await checkIrfRanges(datasets, request, method === 'irf');
  const circle = request.geometry.region.radius !== undefined;
  const withoutPsf = datasets.find((d) => !allHave([d], 'psf', PSF_CLASSES));
  if (method === 'reflected' && circle && withoutPsf) {
    throw new DaliError(
      400,
      `${withoutPsf.did} has no PSF: reflected regions around a circle correct the exposure for the PSF's containment in it`,
    );
  }
  const without = datasets.find((d) => !allHave([d], 'edisp', EDISP_CLASSES));
  if (without) {
    throw new DaliError(
      400,
      `${without.did} has no edisp_2d energy dispersion: a spectrum needs one`,
    );
  }
  const { region } = request.geometry;
  const pointed = datasets.filter(
    (d) => d.coverage?.ra !== undefined && d.coverage.dec !== undefined,
  );
  if (
    pointed.length === datasets.length &&
    pointed.every(
      (d) =>
        separation(region.ra, region.dec, d.coverage!.ra!, d.coverage!.dec!) >= request.offsetMax,
    )
  ) {
    throw new DaliError(
      400,
      `the ON region (CENTER ${region.ra} ${region.dec}) lies beyond OFFSET_MAX ${request.offsetMax}° of every selected run: there is nothing to measure`,
    );
  }
  const { radius } = region;
  if (
    method === 'reflected' &&
    radius !== undefined &&
    pointed.length === datasets.length &&
    pointed.every(
      (d) =>
        reflectedCircles([d.coverage!.ra!, d.coverage!.dec!], [region.ra, region.dec], radius)
          .count === 0,
    )
  ) {
    throw new DaliError(
      400,
      `no reflected OFF region of RADIUS ${radius}° fits around the pointing of any selected run (the ON region at CENTER ${region.ra} ${region.dec} is too close to the pointing or too large): use a smaller RADIUS or BACKGROUND=irf`,
    );
  }
  if (radius === undefined && pointed.length === datasets.length) {
    const fits = await Promise.all(pointed.map((d) => wobbleRegionsFit(d, request)));
    if (!fits.some(Boolean)) {
      throw new DaliError(
        400,
        `the ${request.wobbleOffRegions} OFF regions (N_OFF) around the pointing of every selected run would overlap the ON region or each other within their RAD_MAX cut over ENERGY ${request.geometry.energy[0]}–${request.geometry.energy.at(-1)} TeV: ask for fewer OFF regions or a higher lowest ENERGY`,
      );
    }
  }
}

/** Whether the wobble OFF regions of a point-like run (its pointing from the catalog) keep clear of each other and of the ON region. */
async function wobbleRegionsFit(
  dataset: PublishedDataset,
  request: SpectrumRequest,
): Promise<boolean> {
  const ref = dataset.irfs.find((i) => i.component === 'rad_max' && i.hduClass === 'rad_max_2d');
  if (!ref) return true;
  let table;
  try {
    table = await readIrf(await datasetFile(dataset, ref.filePath), ref.hduName, ['rad_max_2d']);
  } catch (error) {
    if (error instanceof GadfError) {
      throw new DaliError(
        500,
        `the RAD_MAX cut of ${dataset.did} cannot be read: ${error.message}`,
      );
    }
    throw error;
  }
  const pointing: Direction = [dataset.coverage!.ra!, dataset.coverage!.dec!];
  const { region, energy } = request.geometry;
  const regions = wobbleOffRegions(
    pointing,
    [region.ra, region.dec],
    request.wobbleOffRegions,
    new RadMax(table),
    [energy[0]!, energy[energy.length - 1]!],
  );
  return regions.length > 0;
}

/** How a reduction reports on its way, and how it is stopped. */
export interface ReductionOptions {
  readonly signal?: AbortSignal;
  /** Called before the first run and after each. */
  readonly onProgress?: (progress: MapDatasetProgress) => void;
}

/**
 * The runs reduced in the ON region one by one (cut to `windows`, MJD UTC, too), stacked,
 * and the model fitted; a DaliError when no bin is safe or holds events.
 */
export async function stackedFit(
  datasets: readonly PublishedDataset[],
  request: SpectrumRequest,
  options: ReductionOptions,
  windows: readonly (readonly [number, number])[] = [],
): Promise<{ stacked: StackedSpectrum; counts: number; fit: SpectralFit }> {
  const setup = backgroundSetup(datasets, request);
  const stacked = new StackedSpectrum(request.geometry, setup.method === 'reflected');
  options.onProgress?.({ done: 0, total: datasets.length });
  for (const dataset of datasets) {
    options.signal?.throwIfAborted();
    const run = await openRun(dataset, {
      edisp: true,
      psf: setup.method === 'reflected' && request.geometry.region.radius !== undefined,
      background: setup.method === 'irf',
    });
    stacked.add(await makeRunSpectrum(request.geometry, run, request.offsetMax, windows, setup));
    options.onProgress?.({ done: stacked.runs.length, total: datasets.length });
  }
  options.signal?.throwIfAborted();
  if (!stacked.mask.some((m) => m === 1)) {
    throw new DaliError(
      400,
      `no run has a safe energy bin in the ON region (its centre within OFFSET_MAX ${request.offsetMax}° of the pointing, ENERGY inside the effective area's safe range${setup.method === 'reflected' ? ', OFF regions that fit around the pointing without overlapping' : ''})`,
    );
  }
  const counts = stacked.counts.reduce((a, b) => a + b, 0);
  if (counts === 0)
    throw new DaliError(400, 'the ON region holds no events in its safe energy bins');
  return { stacked, counts, fit: fitSpectrum(stacked, request.model) };
}

/** Makes the stacked spectrum of `datasets` (selected and checked), fits it and writes the products. */
export async function makeSpectrum(
  datasets: readonly PublishedDataset[],
  request: SpectrumRequest,
  outputs: SpectrumOutputs,
  options: ReductionOptions = {},
): Promise<SpectrumSummary> {
  const { stacked, counts, fit } = await stackedFit(datasets, request, options);
  const points = fluxPoints(stacked, fit);
  await writeChunksTo(spectrumVotable(stacked, fit, points), createWriteStream(outputs.votable));
  if (outputs.fluxPoints) await writeFits(outputs.fluxPoints, fluxPointsHdus(points));
  if (outputs.plot) await writeFile(outputs.plot, sedPlot(stacked, fit, points));
  return { runs: datasets.length, counts, spectrum: stacked, fit, points };
}
