/**
 * The light-curve service: the checks of a spectrum and of the time bins before any
 * work, then the runs reduced in the ON region (and cut to the time bins), the spectral
 * shape fitted on their stack, the norm fitted per time bin, and the VOTable, the
 * gammapy light-curve FITS and the PNG written.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { DaliError } from '../dali/index.js';
import type { PublishedDataset } from '../datalink/index.js';
import { writeFits } from '../fits/index.js';
import { writeChunksTo } from '../votable/index.js';
import { type LightCurveBin, lightCurve } from './lightcurve.js';
import { lightCurveHdus, lightCurvePlot, lightCurveVotable } from './lightcurve-products.js';
import type { LightCurveRequest } from './lightcurve-request.js';
import type { SpectralFit } from './spectral-fit.js';
import type { StackedSpectrum } from './spectrum.js';
import { checkSpectrumRequest, type ReductionOptions, stackedFit } from './spectrum-service.js';

export interface LightCurveOutputs {
  /** The VOTable of the time bins and the fit. */
  readonly votable: string;
  /** gammapy light-curve FITS (none when undefined). */
  readonly fits?: string;
  /** PNG of the light curve (none when undefined). */
  readonly plot?: string;
}

export interface LightCurveSummary {
  readonly spectrum: StackedSpectrum;
  readonly fit: SpectralFit;
  readonly bins: readonly LightCurveBin[];
}

/** A spectrum's checks, and TIME bins that meet the time span of some selected run. */
export async function checkLightCurveRequest(
  datasets: readonly PublishedDataset[],
  request: LightCurveRequest,
): Promise<void> {
  await checkSpectrumRequest(datasets, request);
  const edges = request.timeEdges;
  if (!edges) return;
  const first = edges[0]!;
  const last = edges[edges.length - 1]!;
  const spans = datasets.map((d) => d.coverage);
  if (
    spans.every((c) => c?.tMin !== undefined && c.tMax !== undefined) &&
    spans.every((c) => c!.tMax! <= first || c!.tMin! >= last)
  ) {
    throw new DaliError(
      400,
      `no selected run was observed between MJD ${first} and ${last} (the TIME bins): there is nothing to measure`,
    );
  }
}

/** Makes the light curve of `datasets` (selected and checked) and writes the products. */
export async function makeLightCurve(
  datasets: readonly PublishedDataset[],
  request: LightCurveRequest,
  outputs: LightCurveOutputs,
  options: ReductionOptions = {},
): Promise<LightCurveSummary> {
  const edges = request.timeEdges;
  const windows = edges
    ? Array.from({ length: edges.length - 1 }, (_, w) => [edges[w]!, edges[w + 1]!] as const)
    : [];
  const { stacked, fit } = await stackedFit(datasets, request, options, windows);
  const bins = lightCurve(request.geometry, stacked.runs, fit, request.energyBins, edges);
  if (bins.length === 0) {
    throw new DaliError(400, 'no good time of the selected runs falls in the TIME bins');
  }
  await writeChunksTo(lightCurveVotable(stacked, fit, bins), createWriteStream(outputs.votable));
  if (outputs.fits) await writeFits(outputs.fits, lightCurveHdus(bins));
  if (outputs.plot) await writeFile(outputs.plot, lightCurvePlot(stacked, fit, bins));
  return { spectrum: stacked, fit, bins };
}
