/**
 * The map-dataset service: a checked request, the caller's rights on each dataset, the
 * IRF ranges checked before any map is made, then the runs reduced (on worker threads)
 * and stacked in their order (cancellable between runs), written as a gammapy MapDataset
 * FITS file and a PNG preview of the counts.
 */
import { writeFile } from 'node:fs/promises';
import type { AccessDecision, DatasetCatalog, PublishedDataset } from '../datalink/index.js';
import { DaliError } from '../dali/index.js';
import { GadfError, readIrf } from '../gadf/index.js';
import { encodePng, inferno } from '../preview/index.js';
import { geometryCache, type MapGeometry, StackedMaps } from './maker.js';
import { writeMapDataset } from './mapdataset.js';
import type { MapDatasetRequest } from './request.js';
import { allHave, datasetFile, EDISP_CLASSES, isPointLike, PSF_CLASSES } from './runs.js';
import { DEFAULT_RUN_THREADS, reducedRuns } from './run-workers.js';

/** May the caller read this dataset (the rights gate of src/auth, bound to the caller)? */
export type DatasetGate = (did: string) => Promise<AccessDecision>;

export interface MapDatasetProgress {
  readonly done: number;
  readonly total: number;
}

export interface MapDatasetOutputs {
  /** Where the FITS file goes. */
  readonly fits: string;
  /** Where the PNG preview of the counts goes (none when undefined). */
  readonly preview?: string;
  /**
   * Where each run's own dataset goes (PER_RUN), by its file name
   * (`mapdataset-<obs_id>.fits`); none when undefined.
   */
  readonly perRun?: (fileName: string) => string;
  /** Where the gammapy Datasets index (YAML) of the per-run files goes. */
  readonly index?: string;
}

export interface MapDatasetSummary {
  readonly runs: number;
  readonly counts: number;
  readonly livetime: number;
}

/** The datasets an ADQL query selects (compiled with the caller's rights): at most `max` + 1. */
export type DatasetSelector = (
  adql: string,
  max: number,
  signal?: AbortSignal,
) => Promise<string[]>;

/**
 * The datasets of a request (its IDs, or what its QUERY selects), each one the caller
 * may read, with energy ranges inside their IRFs: every check before any work.
 */
export async function requestedDatasets(
  request: MapDatasetRequest,
  catalog: DatasetCatalog,
  gate: DatasetGate,
  options: {
    readonly maxRuns: number;
    readonly selector?: DatasetSelector;
    readonly signal?: AbortSignal;
    /** What to tell when there are `count` datasets, more than maxRuns (default: the limit). */
    readonly tooMany?: (count: string) => string;
  },
): Promise<PublishedDataset[]> {
  let ids = request.ids;
  const { maxRuns } = options;
  const tooMany = (count: string): DaliError =>
    new DaliError(
      400,
      options.tooMany?.(count) ??
        `the selection has ${count} datasets; one request reduces at most ${maxRuns}: narrow the selection or split the request`,
    );
  if (ids.length > maxRuns) throw tooMany(String(ids.length));
  if (request.query !== undefined) {
    if (!options.selector) throw new DaliError(400, 'this service takes no QUERY selection');
    ids = await options.selector(request.query, maxRuns, options.signal);
    if (ids.length > maxRuns) throw tooMany(`more than ${maxRuns}`);
  }
  const datasets = await selectDatasets(catalog, ids, gate);
  const pointLike = datasets.find(isPointLike);
  if (pointLike) {
    throw new DaliError(
      400,
      `${pointLike.did} has point-like IRFs (a RAD_MAX directional cut): a map dataset needs full-enclosure IRFs; make its 1D products with the spectrum or light-curve service (analysis/spectrum, analysis/lightcurve) instead`,
    );
  }
  await checkIrfRanges(datasets, request);
  return datasets;
}

/** The published datasets of the request, each one the caller may read; a DaliError for the first that is not. */
export async function selectDatasets(
  catalog: DatasetCatalog,
  ids: readonly string[],
  gate: DatasetGate,
): Promise<PublishedDataset[]> {
  const found = await catalog.datasets(ids);
  const selected: PublishedDataset[] = [];
  for (const id of ids) {
    const dataset = found.get(id);
    const unknown = new DaliError(404, `ID ${id} is not a dataset published by this service`);
    if (!dataset) throw unknown;
    const decision = await gate(dataset.did);
    if (!decision.allowed) {
      if (decision.unpublished) throw unknown;
      throw new DaliError(
        decision.challenges ? 401 : 403,
        `ID ${id}: ${decision.reason ?? 'you may not read this dataset'}`,
        decision.challenges ? { challenges: decision.challenges } : {},
      );
    }
    selected.push(dataset);
  }
  return selected;
}

function rangeOf(edges: Float64Array): [number, number] {
  return [edges[0]!, edges[edges.length - 1]!];
}

/** Refuses a request whose energy ranges miss a run's effective area or (when used) background entirely. */
export async function checkIrfRanges(
  datasets: readonly PublishedDataset[],
  request: { readonly geometry: Pick<MapGeometry, 'energy' | 'energyTrue'> },
  withBackground = true,
): Promise<void> {
  const [etMin, etMax] = rangeOf(request.geometry.energyTrue);
  const [eMin, eMax] = rangeOf(request.geometry.energy);
  const fmt = (v: number) => Number(v.toPrecision(4));
  for (const dataset of datasets) {
    const ranges = [
      ['aeff', 'energy_true', [etMin, etMax], 'ENERGY_TRUE'],
      ['bkgrate', 'energy', [eMin, eMax], 'ENERGY'],
    ] as const;
    for (const [component, axisName, [lo, hi], label] of withBackground
      ? ranges
      : ranges.slice(0, 1)) {
      const ref = dataset.irfs.find((i) => i.component === component);
      if (!ref) {
        throw new DaliError(400, `${dataset.did} has no ${component} IRF: a map dataset needs one`);
      }
      let irf;
      try {
        irf = await readIrf(await datasetFile(dataset, ref.filePath), ref.hduName);
      } catch (error) {
        if (error instanceof GadfError) {
          throw new DaliError(
            500,
            `the ${component} IRF of ${dataset.did} cannot be read: ${error.message}`,
          );
        }
        throw error;
      }
      const axis = irf.axes.find((a) => a.name === axisName)!;
      const [irfLo, irfHi] = rangeOf(axis.edges);
      if (hi <= irfLo || lo >= irfHi) {
        throw new DaliError(
          400,
          `${label} ${fmt(lo)}–${fmt(hi)} TeV lies outside the ${component} IRF of ${dataset.did} (${fmt(irfLo)}–${fmt(irfHi)} TeV)`,
        );
      }
    }
  }
}

/** sqrt-scaled inferno image of the counts summed over energy, north up, east left. */
export function countsPreview(stacked: StackedMaps): Buffer {
  const { nx, ny } = stacked.geom.grid;
  const npix = nx * ny;
  const image = new Float64Array(npix);
  for (let i = 0; i < stacked.counts.length; i++) image[i % npix]! += stacked.counts[i]!;
  const max = Math.max(1, ...image);
  // At least 256 pixels across, each map pixel a square block.
  const scale = Math.max(1, Math.ceil(256 / Math.max(nx, ny)));
  const width = nx * scale;
  const height = ny * scale;
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const iy = ny - 1 - Math.floor(y / scale);
    for (let x = 0; x < width; x++) {
      const [r, g, b] = inferno(Math.sqrt(image[Math.floor(x / scale) + nx * iy]! / max));
      const k = 3 * (x + width * y);
      pixels[k] = r;
      pixels[k + 1] = g;
      pixels[k + 2] = b;
    }
  }
  return encodePng({ width, height, pixels }, { Title: 'hearc map dataset: counts' });
}

/** Result ids are letters, digits, '-' and '_'. */
const safeName = (text: string): string => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);

/** Each run's dataset name and file name (`mapdataset-<obs_id>.fits`, made unique). */
export function perRunNames(
  datasets: readonly Pick<PublishedDataset, 'obsId'>[],
): { name: string; file: string }[] {
  const used = new Set<string>();
  return datasets.map(({ obsId }, i) => {
    let name = safeName(obsId) || `run${i + 1}`;
    if (used.has(name)) name = `${name}-${i + 1}`;
    used.add(name);
    return { name, file: `${PER_RUN_PREFIX}${name}.fits` };
  });
}

/** Per-run file names start with this (then the dataset's name and .fits). */
export const PER_RUN_PREFIX = 'mapdataset-';

/** The index that gammapy 1.0's Datasets.read opens (datasets/core.py): names, type, file names. */
export function datasetsIndex(names: readonly { name: string; file: string }[]): string {
  const lines = ['datasets:'];
  for (const { name, file } of names) {
    lines.push(`- name: '${name}'`, '  type: MapDataset', `  filename: ${file}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Makes the stacked map dataset of `datasets` (already selected and checked) and
 * writes it; stops (the signal's AbortError) when `signal` aborts between runs.
 */
export async function makeMapDataset(
  datasets: readonly PublishedDataset[],
  request: MapDatasetRequest,
  outputs: MapDatasetOutputs,
  options: {
    readonly signal?: AbortSignal;
    readonly onProgress?: (progress: MapDatasetProgress) => void;
    /** Worker threads reducing runs (default DEFAULT_RUN_THREADS; 1: on this thread). */
    readonly threads?: number;
  } = {},
): Promise<MapDatasetSummary> {
  const { geometry } = request;
  const cache = geometryCache(geometry);
  // Energy-dispersion and PSF maps when every run has an IRF to make them from.
  const irfMaps = {
    edisp: allHave(datasets, 'edisp', EDISP_CLASSES),
    psf: allHave(datasets, 'psf', PSF_CLASSES),
  };
  const stacked = new StackedMaps(geometry, cache, irfMaps);
  const perRun = outputs.perRun;
  const names = perRunNames(datasets);
  let i = 0;
  options.signal?.throwIfAborted();
  for await (const maps of reducedRuns(datasets, geometry, cache, {
    offsetMax: request.offsetMax,
    irfMaps,
    threads: options.threads ?? DEFAULT_RUN_THREADS,
  })) {
    options.signal?.throwIfAborted();
    stacked.add(maps);
    if (perRun) {
      // A run's own dataset: the run stacked alone, as gammapy's per-run datasets after the safe mask.
      const single = new StackedMaps(geometry, cache, irfMaps);
      single.add(maps);
      await writeMapDataset(perRun(names[i]!.file), single, names[i]!.name);
    }
    i += 1;
    options.onProgress?.({ done: i, total: datasets.length });
  }
  options.signal?.throwIfAborted();
  await writeMapDataset(outputs.fits, stacked, 'stacked');
  if (perRun && outputs.index) await writeFile(outputs.index, datasetsIndex(names));
  if (outputs.preview) await writeFile(outputs.preview, countsPreview(stacked));
  return {
    runs: datasets.length,
    counts: stacked.counts.reduce((a, b) => a + b, 0),
    livetime: stacked.livetime,
  };
}
