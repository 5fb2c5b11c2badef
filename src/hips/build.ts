/**
 * Counts HiPS (IVOA HiPS 1.0, hips_version 1.4) made from the published events: one for
 * the whole service and one per collection, with PNG tiles (smoothed counts, inferno,
 * one colour scale per HiPS) and FITS tiles (the counts themselves), a properties file,
 * a Moc.fits, an Allsky.png at order 3 and a manifest naming the observations inside.
 *
 * Only events of observations open to everyone go in: the events are read with ADQL
 * compiled for an anonymous caller (the rights gate's row filter) and kept only when
 * their observation is open by the rights store's rule, judged once for the build.
 * Events stream from hearc.events; memory grows with the sky covered, not with events.
 * The HiPS are written to a new folder that replaces the old one whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compileAdql } from '../adql/index.js';
import { AccessControl, ANONYMOUS, isOpen, type ObservationRights } from '../auth/index.js';
import { engineDialect } from '../engine/dialects.js';
import type { Engine } from '../engine/types.js';
import { buildImage, type Card, fitsFileBytes } from '../fits/index.js';
import { cellCentre, mocLibrary, spaceMocFile } from '../moc/index.js';
import { ingestStateTable, publishedSchema } from '../obscore/schema.js';
import { encodePng, inferno, type RgbImage } from '../preview/index.js';
import type { PublishedSchema } from '../schema/types.js';
import { collectionOf, type ServiceDescription } from '../service/index.js';
import { CountsSky, parentTiles, smoothTiles } from './counts.js';
import { allskyColumns, TILE_SHIFT, TILE_WIDTH, tilePath } from './tiles.js';

/** The name of the service-wide HiPS (as /moc/service.*; a collection of that name is shadowed). */
export const SERVICE_HIPS = 'service';
/** Deepest order by default: 512-pixel tiles of cells of order 12 (51.5 arcsec). */
export const DEFAULT_HIPS_ORDER = 3;
/** Gaussian smoothing of the pictures by default, degrees (about a Cherenkov telescope's PSF). */
export const DEFAULT_SMOOTHING_DEG = 0.08;
export const MANIFEST = 'hearc-hips.json';
const ALLSKY_ORDER = 3;
const ALLSKY_TILE = 64;
/**
 * How the pictures are compressed: zlib level 6 encodes noisy tiles many times faster than
 * 9, a little larger; one filter (sub) for every row instead of the best of five per row
 * halves the time and, on the counts tiles, gives the smallest files of the five.
 */
const PNG_SPEED = { level: 6, filter: 'sub' } as const;

export interface HipsBuildOptions {
  readonly engine: Engine;
  readonly service: ServiceDescription;
  /** Folder the HiPS are written to (its `hips` subfolder is replaced). */
  readonly cacheDir: string;
  readonly schema?: PublishedSchema;
  readonly order?: number;
  readonly smoothingDeg?: number;
  /** The time rights are judged at (tests inject one). */
  readonly clock?: () => Date;
}

/** What the manifest of one HiPS says. */
export interface HipsManifest {
  readonly name: string;
  readonly title: string;
  /** Digest of the open observations and their ingest fingerprints at build time. */
  readonly state: string;
  /** The observations whose events are inside (obs_publisher_did), sorted. */
  readonly observations: readonly string[];
  readonly events: number;
  readonly tiles: number;
  readonly order: number;
  readonly builtAt: string;
}

export interface HipsBuildReport {
  readonly dir: string;
  readonly state: string;
  readonly hips: readonly HipsManifest[];
  readonly events: number;
  readonly ms: number;
}

/** Observations open to everyone now, by collection, and the digest of that state. */
export async function openObservations(
  engine: Engine,
  now: Date,
): Promise<{ open: Map<string, ObservationRights>; state: string }> {
  const access = new AccessControl({ engine, clock: () => now });
  const rights = await access.rights.list();
  const open = new Map(rights.filter((r) => isOpen(r, now)).map((r) => [r.did, r]));
  const fingerprints = new Map(
    (await engine.selectRows(ingestStateTable)).map((row) => [
      String(row.obs_publisher_did),
      `${String(row.fingerprint)}\t${String(row.ingested_at)}`,
    ]),
  );
  const lines = [...open.keys()].sort().map((did) => `${did}\t${fingerprints.get(did) ?? ''}`);
  const state = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
  return { open, state };
}

/** The colour of each display value, 0..1 in 1024 steps. */
const PALETTE = (() => {
  const lut = new Uint8Array(1024 * 3);
  for (let i = 0; i < 1024; i++) lut.set(inferno(i / 1023), 3 * i);
  return lut;
})();

/** Display stretch: asinh, so the background and bright sources both show. */
function stretch(peak: number): (v: number) => number {
  const soft = Math.max(peak / 40, 1e-9);
  const top = Math.asinh(peak / soft);
  return (v) => (v <= 0 ? 0 : Math.min(1, Math.asinh(v / soft) / top));
}

function renderTile(values: Float32Array, scale: (v: number) => number): RgbImage {
  const pixels = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const k = Math.round(scale(values[i]!) * 1023) * 3;
    pixels[3 * i] = PALETTE[k]!;
    pixels[3 * i + 1] = PALETTE[k + 1]!;
    pixels[3 * i + 2] = PALETTE[k + 2]!;
  }
  return { width: TILE_WIDTH, height: TILE_WIDTH, pixels };
}

/** A black tile: what the server answers for tiles with no event. */
export function emptyTilePng(): Buffer {
  return encodePng(renderTile(new Float32Array(TILE_WIDTH * TILE_WIDTH), () => 0));
}

/** A FITS tile of counts: rows bottom to top, so the PNG's row x is FITS row width - 1 - x. */
function fitsTile(counts: Float32Array | Uint32Array, order: number, npix: number): Uint8Array {
  const data = new Int32Array(counts.length);
  for (let row = 0; row < TILE_WIDTH; row++) {
    const from = (TILE_WIDTH - 1 - row) * TILE_WIDTH;
    for (let c = 0; c < TILE_WIDTH; c++) data[row * TILE_WIDTH + c] = Math.round(counts[from + c]!);
  }
  const header: Card[] = [
    { keyword: 'ORDER', value: order, comment: 'HiPS order of the tile' },
    { keyword: 'NPIX', value: npix, comment: 'HEALPix nested index of the tile' },
    { keyword: 'BUNIT', value: 'count', comment: 'events per HEALPix cell' },
    { keyword: 'ORIGIN', value: 'hearc', comment: 'counts HiPS of the published events' },
  ];
  return fitsFileBytes([
    buildImage({ bitpix: 32, shape: [TILE_WIDTH, TILE_WIDTH], data, primary: true, header }),
  ]);
}

/** The Allsky mosaic of a HiPS with no event: the same picture for every such HiPS. */
let emptyAllsky: Buffer | undefined;

/** The Allsky mosaic of the order-3 pictures, each tile reduced to 64 pixels. */
function allsky(display: ReadonlyMap<number, Float32Array>, scale: (v: number) => number) {
  if (display.size === 0 && emptyAllsky !== undefined) return emptyAllsky;
  const columns = allskyColumns(ALLSKY_ORDER);
  const count = 12 * 4 ** ALLSKY_ORDER;
  const rows = Math.ceil(count / columns);
  const width = columns * ALLSKY_TILE;
  const pixels = new Uint8Array(width * rows * ALLSKY_TILE * 3);
  const step = TILE_WIDTH / ALLSKY_TILE;
  const background = Math.round(scale(0) * 1023) * 3;
  for (let npix = 0; npix < count; npix++) {
    const values = display.get(npix);
    const [x0, y0] = [(npix % columns) * ALLSKY_TILE, Math.floor(npix / columns) * ALLSKY_TILE];
    for (let r = 0; r < ALLSKY_TILE; r++) {
      for (let c = 0; c < ALLSKY_TILE; c++) {
        let k = background;
        if (values) {
          let sum = 0;
          for (let i = 0; i < step; i++) {
            const base = (r * step + i) * TILE_WIDTH + c * step;
            for (let j = 0; j < step; j++) sum += values[base + j]!;
          }
          k = Math.round(scale(sum / (step * step)) * 1023) * 3;
        }
        const at = ((y0 + r) * width + x0 + c) * 3;
        pixels[at] = PALETTE[k]!;
        pixels[at + 1] = PALETTE[k + 1]!;
        pixels[at + 2] = PALETTE[k + 2]!;
      }
    }
  }
  const png = encodePng({ width, height: rows * ALLSKY_TILE, pixels }, {}, PNG_SPEED);
  if (display.size === 0) emptyAllsky = png;
  return png;
}

/** The deepest tile with the most events: where hips_initial_* points. */
function brightestTile(sky: CountsSky): number | undefined {
  let best: number | undefined;
  let most = -1;
  for (const [npix, counts] of sky.tiles) {
    let sum = 0;
    for (let i = 0; i < counts.length; i++) sum += counts[i]!;
    if (sum > most) [best, most] = [npix, sum];
  }
  return best;
}

function isoMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

interface HipsContent {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly sky: CountsSky;
  readonly observations: Set<string>;
}

async function writeHips(
  root: string,
  content: HipsContent,
  options: {
    service: ServiceDescription;
    order: number;
    smoothingDeg: number;
    state: string;
    now: Date;
  },
): Promise<HipsManifest> {
  const { sky } = content;
  const { order } = options;
  await mkdir(root, { recursive: true, mode: 0o700 });
  const write = async (path: string, body: Uint8Array | string): Promise<void> => {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, body, { mode: 0o600 });
  };
  const pixelDeg = Math.sqrt((4 * Math.PI) / (12 * 4 ** (order + TILE_SHIFT))) * (180 / Math.PI);
  let display = smoothTiles(sky.tiles, order, options.smoothingDeg / pixelDeg);
  let counts: Map<number, Float32Array | Uint32Array> = sky.tiles;
  let peak = 0;
  for (const values of display.values()) for (const v of values) if (v > peak) peak = v;
  const scale = stretch(peak);
  let tiles = 0;
  let maxCount = 0;
  for (const values of sky.tiles.values()) for (const v of values) if (v > maxCount) maxCount = v;
  for (let k = order; k >= 0; k--) {
    for (const [npix, values] of display) {
      await write(tilePath(k, npix, 'png'), encodePng(renderTile(values, scale), {}, PNG_SPEED));
      await write(tilePath(k, npix, 'fits'), fitsTile(counts.get(npix)!, k, npix));
      tiles++;
    }
    if (k === ALLSKY_ORDER) await write(`Norder${k}/Allsky.png`, allsky(display, scale));
    if (k > 0) {
      display = parentTiles(display, 'mean');
      counts = parentTiles(counts, 'sum');
    }
  }
  const library = await mocLibrary();
  const moc = library.MOC.fromJson(JSON.stringify({ 8: [...sky.coverage].sort((a, b) => a - b) }));
  const did = `ivo://${options.service.authority}/hips/${encodeURIComponent(content.name)}`;
  let skyFraction: number;
  try {
    await write('Moc.fits', spaceMocFile(moc, did).fits);
    skyFraction = moc.coveragePercentage() / 100;
  } finally {
    moc.free();
  }
  const bright = brightestTile(sky);
  const centre = bright === undefined ? { ra: 0, dec: 0 } : cellCentre(order, bright);
  const properties: [string, string | number][] = [
    ['creator_did', did],
    ['obs_title', content.title],
    ['obs_description', content.description],
    ['obs_collection', content.name],
    ['obs_regime', 'Gamma-ray'],
    ['publisher_id', `ivo://${options.service.authority}`],
    ['hips_publisher', options.service.publisher],
    ['hips_creator', options.service.publisher],
    ['hips_builder', `hearc ${options.service.software.version}`],
    ['hips_version', '1.4'],
    ['hips_release_date', isoMinute(options.now)],
    ['hips_creation_date', isoMinute(options.now)],
    ['hips_status', 'public master clonableOnce'],
    ['hips_frame', 'equatorial'],
    ['hips_order', order],
    ['hips_order_min', 0],
    ['hips_tile_width', TILE_WIDTH],
    ['hips_tile_format', 'png fits'],
    ['dataproduct_type', 'image'],
    ['hips_pixel_bitpix', 32],
    ['hips_bunit', 'count'],
    ['hips_data_minmax', `0 ${maxCount}`],
    ['hips_pixel_cut', `0 ${Math.max(1, maxCount)}`],
    ['hips_pixel_scale', Number(pixelDeg.toPrecision(6))],
    ['hips_sampling', 'none'],
    [
      'hips_processing',
      `events counted per HEALPix cell of order ${order + TILE_SHIFT} (FITS tiles); PNG tiles smoothed with a ${options.smoothingDeg} deg Gaussian, asinh scale`,
    ],
    ['hips_initial_ra', Number(centre.ra.toFixed(4))],
    ['hips_initial_dec', Number(centre.dec.toFixed(4))],
    ['hips_initial_fov', 10],
    ['moc_sky_fraction', Number(skyFraction.toPrecision(6))],
    ['hips_nb_tiles', tiles],
    ['data_ucd', 'phot.count'],
    ['obs_copyright', options.service.rights],
  ];
  await write(
    'properties',
    properties
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k.padEnd(20)} = ${String(v).replace(/[\r\n]+/g, ' ')}\n`)
      .join(''),
  );
  const manifest: HipsManifest = {
    name: content.name,
    title: content.title,
    state: options.state,
    observations: [...content.observations].sort(),
    events: sky.total,
    tiles,
    order,
    builtAt: options.now.toISOString(),
  };
  await write(MANIFEST, JSON.stringify(manifest));
  return manifest;
}

const building = new Map<string, Promise<HipsBuildReport>>();

/** Builds every HiPS into `<cacheDir>/hips` (one build at a time per folder). */
export function buildCountsHips(options: HipsBuildOptions): Promise<HipsBuildReport> {
  const dir = join(options.cacheDir, 'hips');
  let running = building.get(dir);
  if (running === undefined) {
    running = build(options, dir).finally(() => building.delete(dir));
    building.set(dir, running);
  }
  return running;
}

async function build(options: HipsBuildOptions, dir: string): Promise<HipsBuildReport> {
  const started = performance.now();
  const now = (options.clock ?? (() => new Date()))();
  const order = options.order ?? DEFAULT_HIPS_ORDER;
  const smoothingDeg = options.smoothingDeg ?? DEFAULT_SMOOTHING_DEG;
  const { engine, service } = options;
  const { open, state } = await openObservations(engine, now);
  const all: HipsContent = {
    name: SERVICE_HIPS,
    title: `${service.title}: event counts`,
    description: `Counts of the published events of ${service.title} (all collections, public data only).`,
    sky: new CountsSky(order),
    observations: new Set(),
  };
  const byCollection = new Map<string, HipsContent>();
  for (const rights of open.values()) {
    const name = rights.collection;
    if (name === undefined || name === SERVICE_HIPS || byCollection.has(name)) continue;
    const collection = collectionOf(service, name);
    byCollection.set(name, {
      name,
      title: `${collection.title}: event counts`,
      description: `Counts of the published events of ${collection.title} (public data only).`,
      sky: new CountsSky(order),
      observations: new Set(),
    });
  }
  // The rights gate's row filter for an anonymous caller, then the same rule per row.
  const dialect = new AccessControl({ engine, clock: () => now }).dialectFor(
    engineDialect(engine),
    ANONYMOUS,
  );
  const { sql } = compileAdql(
    'SELECT obs_publisher_did, ra, dec FROM hearc.events',
    options.schema ?? publishedSchema,
    dialect,
  );
  const cursor = await engine.stream(sql);
  let events = 0;
  try {
    for await (const batch of cursor.columnBatches()) {
      const [dids, ras, decs] = batch.columns as [SqlValueColumn, SqlValueColumn, SqlValueColumn];
      let lastDid: unknown;
      let rights: ObservationRights | undefined;
      let target: HipsContent | undefined;
      for (let i = 0; i < batch.rowCount; i++) {
        const did = dids[i];
        if (did !== lastDid) {
          lastDid = did;
          rights = open.get(String(did));
          target = rights ? byCollection.get(rights.collection ?? '') : undefined;
          if (rights) all.observations.add(rights.did);
          if (rights) target?.observations.add(rights.did);
        }
        if (rights === undefined) continue;
        const [ra, dec] = [Number(ras[i]), Number(decs[i])];
        if (!Number.isFinite(ra) || !(Math.abs(dec) <= 90)) continue;
        all.sky.add(ra, dec);
        target?.sky.add(ra, dec);
        events++;
      }
    }
  } finally {
    await cursor.close();
  }
  const staging = `${dir}.new-${randomBytes(6).toString('hex')}`;
  const hips: HipsManifest[] = [];
  try {
    for (const content of [all, ...byCollection.values()]) {
      const folder =
        content.name === SERVICE_HIPS ? content.name : encodeURIComponent(content.name);
      hips.push(
        await writeHips(join(staging, folder), content, {
          service,
          order,
          smoothingDeg,
          state,
          now,
        }),
      );
    }
    // The new HiPS replace the old ones whole.
    const old = `${dir}.old-${randomBytes(6).toString('hex')}`;
    await rename(dir, old).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(staging, dir);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return { dir, state, hips, events, ms: performance.now() - started };
}

type SqlValueColumn = readonly unknown[];
