/**
 * The spectrum service: the selection's rights and IRFs checked before any work, then
 * run after run reduced in the ON region and stacked (cancellable between runs), the
 * model fitted, flux points estimated, and the VOTable, FITS flux points and SED plot written.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { PublishedDataset } from '../datalink/index.js';
import { DaliError } from '../dali/index.js';
import { writeFits } from '../fits/index.js';
import { writeChunksTo } from '../votable/index.js';
import { allHave, EDISP_CLASSES, openRun } from './runs.js';
import { checkIrfRanges, type MapDatasetProgress } from './service.js';
import { type FluxPoint, fitSpectrum, fluxPoints, type SpectralFit } from './spectral-fit.js';
import { makeRunSpectrum, StackedSpectrum } from './spectrum.js';
import { fluxPointsHdus, sedPlot, spectrumVotable } from './spectrum-products.js';
import type { SpectrumRequest } from './spectrum-request.js';
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
 * What can be refused before any run is read: the IRF ranges, an energy dispersion for
 * every run, and an ON region inside the field of view (OFFSET_MAX) of some run.
 */
export async function checkSpectrumRequest(
  datasets: readonly PublishedDataset[],
  request: SpectrumRequest,
): Promise<void> {
  await checkIrfRanges(datasets, request);
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
  const stacked = new StackedSpectrum(request.geometry);
  options.onProgress?.({ done: 0, total: datasets.length });
  for (const dataset of datasets) {
    options.signal?.throwIfAborted();
    const run = await openRun(dataset, { edisp: true, psf: false });
    stacked.add(await makeRunSpectrum(request.geometry, run, request.offsetMax, windows));
    options.onProgress?.({ done: stacked.runs.length, total: datasets.length });
  }
  options.signal?.throwIfAborted();
  if (!stacked.mask.some((m) => m === 1)) {
    throw new DaliError(
      400,
      `no run has a safe energy bin in the ON region (its centre within OFFSET_MAX ${request.offsetMax}° of the pointing, ENERGY inside the effective area's safe range)`,
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
