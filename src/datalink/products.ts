/**
 * The files DataLink links to that the data store does not hold as such: an
 * observation's event list (EVENTS, GTI and POINTING HDUs only) and each IRF
 * component alone. They are built once by copying the HDUs byte for byte into a
 * cache folder and reused after; concurrent first requests share one build, and
 * every file appears whole or not at all (written under a temporary name, renamed).
 */
import { EVENT_LIST_PRODUCT } from '../obscore/products.js';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { classifyHdu, isMapIrfClass, mapIrfHdus, parseObsId } from '../gadf/index.js';
import { copyHdus, scanHdus } from '../fits/index.js';
import type { IrfComponentRef, PublishedDataset } from './catalog.js';
import { resolveStoreFile } from './files.js';

/** A product cannot be built because its source is not (or no longer) in the data store. */
export class ProductSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProductSourceError';
  }
}

/** HDU types that make up the event list product. */
const EVENT_LIST_TYPES = new Set(['events', 'gti', 'pointing']);

export { EVENT_LIST_PRODUCT };

/** Size of the empty primary HDU that precedes copied extensions (one header block). */
export const EMPTY_PRIMARY_BYTES = 2880;

interface HduSource {
  readonly path: string;
  readonly indices: readonly number[];
  readonly holdsEvents: boolean;
}

function storeRoot(dataset: PublishedDataset): string {
  if (dataset.dataStore === undefined) {
    throw new ProductSourceError(
      `the catalog does not record where the files of ${dataset.did} are`,
    );
  }
  return dataset.dataStore;
}

async function sourceFile(dataset: PublishedDataset, relativePath: string): Promise<string> {
  const root = storeRoot(dataset);
  const path = await resolveStoreFile(root, relativePath);
  if (path === undefined) {
    throw new ProductSourceError(
      `${relativePath} (used by ${dataset.did}) is no longer a file inside the data store ${root}`,
    );
  }
  return path;
}

/** Where the observation's EVENTS, GTI and POINTING HDUs are, events file first. */
async function eventListSources(dataset: PublishedDataset): Promise<HduSource[]> {
  const sources: HduSource[] = [];
  for (const relativePath of dataset.files) {
    const path = await sourceFile(dataset, relativePath);
    let holdsEvents = false;
    const indices: number[] = [];
    for (const hdu of await scanHdus(path)) {
      const type = classifyHdu(hdu.header, hdu.name)?.type;
      if (type === undefined || !EVENT_LIST_TYPES.has(type)) continue;
      // A file may hold HDUs of several observations; those that say so must say ours.
      const obsId = parseObsId(hdu.header.get('OBS_ID'));
      if (obsId !== undefined && obsId !== dataset.obsId) continue;
      if (type === 'events') {
        if (holdsEvents || sources.some((s) => s.holdsEvents)) continue;
        holdsEvents = true;
      }
      indices.push(hdu.index);
    }
    if (indices.length > 0) sources.push({ path, indices, holdsEvents });
  }
  if (!sources.some((s) => s.holdsEvents)) {
    throw new ProductSourceError(`no EVENTS HDU of ${dataset.did} is left in its files`);
  }
  return sources.sort((a, b) => Number(b.holdsEvents) - Number(a.holdsEvents));
}

function temporaryName(path: string, suffix: string): string {
  return join(dirname(path), `.${randomBytes(6).toString('hex')}.${process.pid}${suffix}.tmp`);
}

/** Copies HDUs of several files into one: each source's copy without its empty primary. */
async function copyFromSeveral(sources: readonly HduSource[], target: string): Promise<void> {
  const parts = sources.map((_, i) => temporaryName(target, `.part${i}`));
  const joined = temporaryName(target, '');
  try {
    for (const [i, source] of sources.entries()) {
      await copyHdus(source.path, parts[i]!, source.indices);
    }
    const out = createWriteStream(joined);
    for (const [i, part] of parts.entries()) {
      const start = i === 0 ? 0 : ((await scanHdus(part))[0]?.hduByteLength ?? 0);
      await pipeline(createReadStream(part, { start }), out, { end: i === parts.length - 1 });
    }
    await rename(joined, target);
  } finally {
    await Promise.all([...parts, joined].map((p) => rm(p, { force: true })));
  }
}

export class ProductCache {
  private readonly building = new Map<string, Promise<string>>();

  /** `dir` is created when the first product is built. */
  constructor(readonly dir: string) {}

  /** Cache folder of one dataset as ingested: a re-ingest with changed files gets a new one. */
  private datasetDir(dataset: PublishedDataset): string {
    const did = createHash('sha256').update(dataset.did).digest('hex').slice(0, 24);
    return join(this.dir, did, (dataset.fingerprint ?? 'unversioned').slice(0, 16));
  }

  /** Path of a product in the cache, whether built or not. */
  productPath(dataset: PublishedDataset, name: string): string {
    return join(this.datasetDir(dataset), name);
  }

  /** Size of a product already built, undefined when it is not (yet). */
  async builtSize(dataset: PublishedDataset, name: string): Promise<number | undefined> {
    const info = await stat(this.productPath(dataset, name)).catch(() => undefined);
    return info?.isFile() ? info.size : undefined;
  }

  /** The event list of the observation: EVENTS, GTI (and POINTING) HDUs after an empty primary. */
  eventList(dataset: PublishedDataset): Promise<string> {
    return this.product(dataset, EVENT_LIST_PRODUCT, async (target) => {
      const sources = await eventListSources(dataset);
      if (sources.length === 1) await copyHdus(sources[0]!.path, target, sources[0]!.indices);
      else await copyFromSeveral(sources, target);
    });
  }

  /** One IRF component alone: an empty primary and the component's HDU (a map IRF's HDUs). */
  irf(dataset: PublishedDataset, component: IrfComponentRef): Promise<string> {
    return this.product(dataset, component.productName, async (target) => {
      const path = await sourceFile(dataset, component.filePath);
      // A map IRF comes with its BANDS table and its exposure map: a client needs them all.
      const hdus = isMapIrfClass(component.hduClass)
        ? mapIrfHdus(await scanHdus(path), component.hduName).map((h) => h.index)
        : [component.hduName];
      await copyHdus(path, target, hdus.length > 0 ? hdus : [component.hduName]);
    });
  }

  /**
   * The product `name` of the dataset, built by `build` on first request (which must
   * write `target` whole, e.g. temporary file + rename); concurrent requests share one
   * build. Other modules' products (previews) are built through this too.
   */
  async product(
    dataset: PublishedDataset,
    name: string,
    build: (target: string) => Promise<void>,
  ): Promise<string> {
    const target = this.productPath(dataset, name);
    if ((await stat(target).catch(() => undefined))?.isFile()) return target;
    const pending = this.building.get(target);
    if (pending) return pending;
    const work = (async () => {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await build(target);
      // Products of proprietary data are readable by the server's user only.
      await chmod(target, 0o600);
      await this.dropOlderVersions(dataset);
      return target;
    })().finally(() => this.building.delete(target));
    this.building.set(target, work);
    return work;
  }

  /** Removes products built from earlier ingests of the dataset (best effort). */
  private async dropOlderVersions(dataset: PublishedDataset): Promise<void> {
    const current = this.datasetDir(dataset);
    const parent = dirname(current);
    const versions = await readdir(parent).catch(() => [] as string[]);
    await Promise.all(
      versions
        .map((v) => join(parent, v))
        .filter((p) => p !== current)
        .map((p) => rm(p, { recursive: true, force: true }).catch(() => undefined)),
    );
  }
}
