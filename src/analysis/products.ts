/**
 * An analysis product as a folder of files under fixed names (the stacked dataset, its
 * preview, the per-run datasets and their index), made in a private folder and, when
 * the cache is on, kept under a key that is the digest of everything the product
 * depends on: the datasets (DIDs and the fingerprints of their files), the geometry,
 * the parameters and the software version. The key holds the exact selection, and a
 * product is only looked up after the caller's rights on every input were checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PublishedDataset } from '../datalink/index.js';
import type { MapDatasetRequest } from './request.js';
import {
  makeMapDataset,
  type MapDatasetProgress,
  type MapDatasetSummary,
  perRunNames,
} from './service.js';

/** The file names inside a product folder. */
export const PRODUCT_FILES = {
  fits: 'mapdataset.fits',
  preview: 'preview.png',
  index: 'datasets.yaml',
  summary: 'summary.json',
} as const;

export interface AnalysisProduct {
  /** The folder holding the files. */
  readonly dir: string;
  readonly summary: MapDatasetSummary;
  /** File names of the per-run datasets (PER_RUN), in the order of the runs. */
  readonly perRunFiles: readonly string[];
  /** True when an identical request's product was reused. */
  readonly fromCache: boolean;
  /** Frees the folder when it is not kept in the cache. */
  dispose(): Promise<void>;
}

/** The digest of everything a product depends on. */
export function productKey(
  datasets: readonly PublishedDataset[],
  request: MapDatasetRequest,
  software: string,
): string {
  const { grid, energy, energyTrue } = request.geometry;
  const description = {
    software,
    datasets: datasets.map((d) => [d.did, d.fingerprint ?? '']).sort(),
    grid: [grid.nx, grid.ny, grid.wcsCards().map((c) => [c.keyword, c.value])],
    energy: [...energy],
    energyTrue: [...energyTrue],
    offsetMax: request.offsetMax,
    perRun: request.perRun,
  };
  return createHash('sha256').update(JSON.stringify(description)).digest('hex');
}

interface StoredSummary {
  readonly summary: MapDatasetSummary;
  readonly perRunFiles: readonly string[];
}

/** Finished products kept for identical requests, at most `maxEntries` (least recently used go). */
export class AnalysisCache {
  constructor(
    readonly dir: string,
    private readonly maxEntries: number,
  ) {}

  /** The stored product under `key`, when there is a whole one. */
  async get(key: string): Promise<{ dir: string; stored: StoredSummary } | undefined> {
    const dir = join(this.dir, key);
    try {
      const stored = JSON.parse(
        await readFile(join(dir, PRODUCT_FILES.summary), 'utf8'),
      ) as StoredSummary;
      const now = new Date();
      await utimes(dir, now, now);
      return { dir, stored };
    } catch {
      return undefined;
    }
  }

  /** Keeps the finished folder `made` under `key` (moved there); returns where it is now. */
  async put(key: string, made: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const dir = join(this.dir, key);
    try {
      await rename(made, dir);
    } catch {
      // Another request stored the same product meanwhile: keep theirs.
      await rm(made, { recursive: true, force: true });
    }
    await this.evict();
    return dir;
  }

  private async evict(): Promise<void> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    const folders = await Promise.all(
      entries
        .filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name))
        .map(async (e) => ({ name: e.name, at: (await stat(join(this.dir, e.name))).mtimeMs })),
    );
    folders.sort((a, b) => b.at - a.at);
    for (const old of folders.slice(this.maxEntries)) {
      await rm(join(this.dir, old.name), { recursive: true, force: true });
    }
  }
}

export interface ProduceOptions {
  /** Private folder where products are made. */
  readonly workDir: string;
  /** The cache of finished products and the software version in their keys; none: no cache. */
  readonly cache?: { readonly store: AnalysisCache; readonly software: string };
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: MapDatasetProgress) => void;
  /** Worker threads reducing runs (makeMapDataset's default when undefined). */
  readonly threads?: number;
}

/**
 * The product of `request` on `datasets` (already selected with the caller's rights and
 * checked): from the cache when an identical one is there, else made now.
 */
export async function produceMapDataset(
  datasets: readonly PublishedDataset[],
  request: MapDatasetRequest,
  options: ProduceOptions,
): Promise<AnalysisProduct> {
  const key = options.cache ? productKey(datasets, request, options.cache.software) : undefined;
  if (key !== undefined && options.cache) {
    const hit = await options.cache.store.get(key);
    if (hit) {
      options.onProgress?.({ done: datasets.length, total: datasets.length });
      return {
        dir: hit.dir,
        ...hit.stored,
        fromCache: true,
        dispose: () => Promise.resolve(),
      };
    }
  }
  const dir = join(options.workDir, `product-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  try {
    const summary = await makeMapDataset(
      datasets,
      request,
      {
        fits: join(dir, PRODUCT_FILES.fits),
        preview: join(dir, PRODUCT_FILES.preview),
        ...(request.perRun
          ? { perRun: (file: string) => join(dir, file), index: join(dir, PRODUCT_FILES.index) }
          : {}),
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
      },
    );
    const perRunFiles = request.perRun ? perRunNames(datasets).map((n) => n.file) : [];
    const stored: StoredSummary = { summary, perRunFiles };
    // Written last: a folder with a summary is a whole product.
    await writeFile(join(dir, PRODUCT_FILES.summary), JSON.stringify(stored));
    if (key !== undefined && options.cache) {
      const kept = await options.cache.store.put(key, dir);
      return { dir: kept, ...stored, fromCache: false, dispose: () => Promise.resolve() };
    }
    return {
      dir,
      ...stored,
      fromCache: false,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
