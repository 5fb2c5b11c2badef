/**
 * What DataLink and file access need to know about the published datasets, read
 * from the catalog: identifiers, where the data store is, which files each
 * observation uses (hearc_internal.ingested_observation) and its IRF components
 * (hearc.irf).
 */
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import { irfProducts } from '../obscore/products.js';
import { ingestStateTable, irfTable, obscoreTable } from '../obscore/schema.js';

/** One IRF component of a dataset, served as a FITS file of its own. */
export interface IrfComponentRef {
  /** DataLink content qualifier: aeff, edisp, psf, bkgrate, rad_max. */
  readonly component: string;
  readonly hduClass: string;
  /** EXTNAME in the source file (matched case-insensitively). */
  readonly hduName: string;
  /** Source file, relative to the data store root. */
  readonly filePath: string;
  /** Header + padded data of the HDU in the source, when known. */
  readonly hduSize?: number;
  readonly enclosure?: string;
  /** Name of the product file: `aeff.fits`, or `psf-2.fits` for a second PSF. */
  readonly productName: string;
  /** The energies the component covers (energy_lo, energy_hi of hearc.irf), TeV. */
  readonly energyRange?: readonly [number, number];
  /** The largest field-of-view offset it covers (offset_max of hearc.irf), deg. */
  readonly offsetMax?: number;
}

/** What the dataset's ObsCore row says it covers: the ranges a cutout can ask for. */
export interface DatasetCoverage {
  /** Pointing (s_ra, s_dec), deg. */
  readonly ra?: number;
  readonly dec?: number;
  /** Diameter of the field of view (s_fov), deg. */
  readonly fov?: number;
  /** t_min, t_max: MJD (UTC). */
  readonly tMin?: number;
  readonly tMax?: number;
  /** em_min, em_max: wavelengths, m. */
  readonly emMin?: number;
  readonly emMax?: number;
}

export interface PublishedDataset {
  readonly did: string;
  readonly collection: string;
  readonly obsId: string;
  /** Absolute path of the data store root; undefined when the catalog does not say. */
  readonly dataStore?: string;
  /** Files the observation uses, relative to the root, as recorded at ingest. */
  readonly files: readonly string[];
  /** Digest of the source files at ingest: products built from them are keyed on it. */
  readonly fingerprint?: string;
  readonly irfs: readonly IrfComponentRef[];
  readonly coverage?: DatasetCoverage;
}

/** A file that published datasets use. */
export interface PublishedFile {
  readonly root: string;
  readonly relativePath: string;
  /** The datasets that use it (access is decided on these). */
  readonly dids: readonly string[];
}

export interface DatasetCatalogOptions {
  /** How long the per-collection index of published files is reused (default 5 s). */
  readonly fileIndexTtlMs?: number;
}

const text = (value: SqlValue | undefined): string | undefined =>
  typeof value === 'string'
    ? value
    : value === null || value === undefined
      ? undefined
      : String(value);

const count = (value: SqlValue | undefined): number | undefined =>
  typeof value === 'number' || typeof value === 'bigint' ? Number(value) : undefined;

function coverageOf(row: CatalogRow): DatasetCoverage {
  const coverage: Record<string, number> = {};
  const columns = {
    ra: 's_ra',
    dec: 's_dec',
    fov: 's_fov',
    tMin: 't_min',
    tMax: 't_max',
    emMin: 'em_min',
    emMax: 'em_max',
  };
  for (const [key, column] of Object.entries(columns)) {
    const value = count(row[column]);
    if (value !== undefined && Number.isFinite(value)) coverage[key] = value;
  }
  return coverage;
}

function parseFiles(value: SqlValue | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(text(value) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

/** IRF rows of one dataset, in a stable order, each with its product file name. */
function irfComponents(rows: readonly CatalogRow[]): IrfComponentRef[] {
  return irfProducts(rows).map(({ row, productName }) => {
    const hduSize = count(row.hdu_size);
    const enclosure = text(row.enclosure);
    const [energyLo, energyHi, offsetMax] = [row.energy_lo, row.energy_hi, row.offset_max].map(
      (v) => {
        const n = count(v);
        return n !== undefined && Number.isFinite(n) ? n : undefined;
      },
    );
    return {
      component: text(row.component) ?? 'irf',
      hduClass: text(row.hdu_class) ?? '',
      hduName: text(row.hdu_name) ?? '',
      filePath: text(row.file_path) ?? '',
      ...(hduSize !== undefined ? { hduSize } : {}),
      ...(enclosure !== undefined ? { enclosure } : {}),
      productName,
      ...(energyLo !== undefined && energyHi !== undefined
        ? { energyRange: [energyLo, energyHi] as const }
        : {}),
      ...(offsetMax !== undefined ? { offsetMax } : {}),
    };
  });
}

/** An ivo:// identifier with its scheme and authority in lower case; anything else as it is. */
function withLowerCaseAuthority(id: string): string {
  const match = /^ivo:\/\/([^/?#]*)/i.exec(id);
  return match ? `ivo://${match[1]!.toLowerCase()}${id.slice(match[0].length)}` : id;
}

function groupBy(rows: readonly CatalogRow[], column: string): Map<string, CatalogRow[]> {
  const groups = new Map<string, CatalogRow[]>();
  for (const row of rows) {
    const key = String(row[column]);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

interface FileIndex {
  readonly loadedAt: number;
  readonly byPath: ReadonlyMap<string, readonly PublishedFile[]>;
}

export class DatasetCatalog {
  private readonly fileIndexes = new Map<string, Promise<FileIndex>>();
  private readonly ttlMs: number;

  constructor(
    private readonly engine: Engine,
    options: DatasetCatalogOptions = {},
  ) {
    this.ttlMs = options.fileIndexTtlMs ?? 5000;
  }

  /**
   * The published datasets among `dids`, keyed as asked (unknown ones are absent from
   * the map). The scheme and authority of an ivo:// identifier match in any case
   * (IVOA Identifiers 2.0): stored as given at ingest, asked for in any case.
   */
  async datasets(dids: readonly string[]): Promise<Map<string, PublishedDataset>> {
    const found = new Map<string, PublishedDataset>();
    if (dids.length === 0) return found;
    const askedAs = new Map<string, string[]>();
    for (const did of dids) {
      for (const candidate of new Set([did, withLowerCaseAuthority(did)])) {
        askedAs.set(candidate, [...(askedAs.get(candidate) ?? []), did]);
      }
    }
    const where = { column: 'obs_publisher_did', values: [...askedAs.keys()] };
    const obscore = await this.engine.selectRows(obscoreTable, where);
    if (obscore.length === 0) return found;
    const [irfs, states] = await Promise.all([
      this.engine.selectRows(irfTable, where),
      this.engine.selectRows(ingestStateTable, where),
    ]);
    const irfsByDid = groupBy(irfs, 'obs_publisher_did');
    const stateByDid = new Map(states.map((s) => [String(s.obs_publisher_did), s]));
    for (const row of obscore) {
      const did = String(row.obs_publisher_did);
      const state = stateByDid.get(did);
      const dataStore = text(state?.data_store);
      const fingerprint = text(state?.fingerprint);
      const dataset: PublishedDataset = {
        did,
        collection: text(row.obs_collection) ?? '',
        obsId: text(row.obs_id) ?? '',
        ...(dataStore !== undefined ? { dataStore } : {}),
        ...(fingerprint !== undefined ? { fingerprint } : {}),
        files: parseFiles(state?.files),
        irfs: irfComponents(irfsByDid.get(did) ?? []),
        coverage: coverageOf(row),
      };
      for (const asked of askedAs.get(did) ?? []) if (!found.has(asked)) found.set(asked, dataset);
    }
    return found;
  }

  /** The dataset with this obs_id in this collection. */
  async datasetByObsId(collection: string, obsId: string): Promise<PublishedDataset | undefined> {
    const rows = await this.engine.selectRows(obscoreTable, { column: 'obs_id', values: [obsId] });
    const dids = rows
      .filter((r) => r.obs_collection === collection)
      .map((r) => String(r.obs_publisher_did))
      .sort();
    const did = dids[0];
    return did === undefined ? undefined : (await this.datasets([did])).get(did);
  }

  /**
   * The published file at `relativePath` in `collection`: only files that an ingested
   * observation uses are ever found. When two stores of one collection hold the same
   * relative path, the first root (in sort order) wins.
   */
  async publishedFile(
    collection: string,
    relativePath: string,
  ): Promise<PublishedFile | undefined> {
    const index = await this.fileIndex(collection);
    return index.byPath.get(relativePath)?.[0];
  }

  private async fileIndex(collection: string): Promise<FileIndex> {
    const cached = this.fileIndexes.get(collection);
    if (cached) {
      const index = await cached.catch(() => undefined);
      if (index && Date.now() - index.loadedAt < this.ttlMs) return index;
    }
    // Another request may have started a refresh while this one waited.
    const current = this.fileIndexes.get(collection);
    if (current && current !== cached) return current;
    const loading = this.loadFileIndex(collection);
    this.fileIndexes.set(collection, loading);
    return loading;
  }

  private async loadFileIndex(collection: string): Promise<FileIndex> {
    const loadedAt = Date.now();
    const obscore = await this.engine.selectRows(obscoreTable, {
      column: 'obs_collection',
      values: [collection],
    });
    const dids = obscore.map((r) => String(r.obs_publisher_did));
    const states =
      dids.length === 0
        ? []
        : await this.engine.selectRows(ingestStateTable, {
            column: 'obs_publisher_did',
            values: dids,
          });
    const byKey = new Map<string, { root: string; relativePath: string; dids: string[] }>();
    for (const state of states) {
      const root = text(state.data_store);
      if (root === undefined) continue;
      for (const relativePath of parseFiles(state.files)) {
        const key = `${root}\n${relativePath}`;
        const entry = byKey.get(key) ?? { root, relativePath, dids: [] };
        entry.dids.push(String(state.obs_publisher_did));
        byKey.set(key, entry);
      }
    }
    const byPath = new Map<string, PublishedFile[]>();
    for (const entry of [...byKey.values()].sort((a, b) => a.root.localeCompare(b.root))) {
      const list = byPath.get(entry.relativePath) ?? [];
      list.push(entry);
      byPath.set(entry.relativePath, list);
    }
    return { loadedAt, byPath };
  }
}
