/**
 * The built HiPS as the server serves them: a HiPS is served only while every
 * observation inside it is still open to everyone (rights changed since the build
 * withhold it until it is rebuilt), and built again when the open observations or
 * their files changed. Reads the files the builder wrote; never writes them itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../engine/types.js';
import type { ServiceDescription } from '../service/index.js';
import {
  buildCountsHips,
  emptyTilePng,
  type HipsManifest,
  MANIFEST,
  openObservations,
  SERVICE_HIPS,
} from './build.js';
import { parseTilePath } from './tiles.js';

export interface HipsStoreOptions {
  readonly engine: Engine;
  readonly service: ServiceDescription;
  readonly cacheDir: string;
  /** Build when nothing is built or the published data changed (default true). */
  readonly autoBuild?: boolean;
  /** How long a check of the rights and the catalog state holds (default 5 s). */
  readonly recheckMs?: number;
  readonly clock?: () => Date;
  readonly onError?: (error: unknown) => void;
}

export interface HipsFile {
  readonly body: Buffer;
  readonly type: string;
  /** Changes with each build. */
  readonly etag: string;
}

const TYPES = {
  png: 'image/png',
  fits: 'application/fits',
  text: 'text/plain; charset=utf-8',
} as const;

interface Served {
  readonly checkedAt: number;
  readonly hips: ReadonlyMap<string, HipsManifest>;
}

export class HipsStore {
  private served: Promise<Served> | undefined;
  /** The build started last in the background (settled, never rejected). */
  private building: Promise<unknown> = Promise.resolve();
  private empty: Buffer | undefined;
  private readonly dir: string;

  constructor(private readonly options: HipsStoreOptions) {
    this.dir = join(options.cacheDir, 'hips');
  }

  private async manifests(): Promise<HipsManifest[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: HipsManifest[] = [];
    for (const name of names) {
      const text = await readFile(join(this.dir, name, MANIFEST), 'utf8').catch(() => undefined);
      if (text !== undefined) found.push(JSON.parse(text) as HipsManifest);
    }
    return found;
  }

  private async check(): Promise<Served> {
    const now = (this.options.clock ?? (() => new Date()))();
    const { open, state } = await openObservations(this.options.engine, now);
    let manifests = await this.manifests();
    const stale = manifests.length === 0 || manifests.some((m) => m.state !== state);
    if (stale && this.options.autoBuild !== false) {
      // At most one build at a time per folder, whoever asks (buildCountsHips sees to it).
      const build = buildCountsHips({ ...this.options, clock: () => now });
      if (manifests.length === 0) {
        await build;
        manifests = await this.manifests();
      } else {
        this.building = build.catch((err: unknown) => this.options.onError?.(err));
      }
    }
    // The gate: a HiPS whose observations are not all open now is not served.
    const hips = new Map(
      manifests.filter((m) => m.observations.every((did) => open.has(did))).map((m) => [m.name, m]),
    );
    return { checkedAt: Date.now(), hips };
  }

  /**
   * Starts building what is missing or stale now (at server start); the promise settles,
   * never rejecting, once that is done (the server does not wait for it).
   */
  async prepare(): Promise<void> {
    await this.current().catch((err: unknown) => this.options.onError?.(err));
    await this.building;
  }

  /** The HiPS that may be served now, by name. */
  async current(): Promise<ReadonlyMap<string, HipsManifest>> {
    const served = await this.served?.catch(() => undefined);
    if (!served || Date.now() - served.checkedAt > (this.options.recheckMs ?? 5000)) {
      const next = this.check();
      this.served = next;
      next.catch(() => {
        if (this.served === next) this.served = undefined;
      });
      return (await next).hips;
    }
    return served.hips;
  }

  /** A file of HiPS `name` at `path` (properties, Moc.fits, tiles), or why there is none. */
  async file(name: string, path: string): Promise<HipsFile | { readonly missing: string }> {
    const manifest = (await this.current()).get(name);
    if (!manifest) return { missing: `no HiPS '${name}' is published here` };
    const etag = `"${manifest.state}-${Date.parse(manifest.builtAt).toString(36)}"`;
    const folder = join(this.dir, name === SERVICE_HIPS ? name : encodeURIComponent(name));
    const fixed: Record<string, string> = {
      properties: TYPES.text,
      'Moc.fits': TYPES.fits,
      'Norder3/Allsky.png': TYPES.png,
    };
    const tile = parseTilePath(path);
    const type = fixed[path] ?? (tile ? TYPES[tile.ext] : undefined);
    if (type === undefined || (tile && tile.order > manifest.order)) {
      return {
        missing: `'${path}' is not a file of HiPS '${name}' (order 0 to ${manifest.order})`,
      };
    }
    const body = await readFile(join(folder, path)).catch(() => undefined);
    if (body !== undefined) return { body, type, etag };
    // A tile without events: the same black picture everywhere, so clients see no error.
    if (tile?.ext === 'png') return { body: (this.empty ??= emptyTilePng()), type, etag };
    return { missing: `HiPS '${name}' has no events in ${path}` };
  }

  /** The HiPS list (HiPS 1.0 section 5.2): every served properties file with its URL. */
  async hipsList(baseUrl: string): Promise<string> {
    const records: string[] = [];
    for (const name of [...(await this.current()).keys()].sort()) {
      const file = await this.file(name, 'properties');
      if (!('body' in file)) continue;
      const url = `${baseUrl}/hips/${encodeURIComponent(name)}`;
      records.push(`${file.body.toString('utf8')}hips_service_url     = ${url}\n`);
    }
    return `# HiPS list of ${this.options.service.title}\n\n${records.join('\n')}`;
  }
}
