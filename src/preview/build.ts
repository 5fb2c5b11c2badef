/**
 * The previews of one observation, what each one is, and how they are written:
 * all four from the same two passes over the event list, each file whole or not at
 * all (temporary name, rename), and last a manifest that says they are complete.
 */
import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFits } from '../fits/index.js';
import { binEvents, type PreviewData } from './binning.js';
import { countsMapHdu, renderCountsMap } from './counts-map.js';
import { readEventListInfo } from './events.js';
import { encodePng } from './png.js';
import { renderEnergyPlot, renderLightCurve } from './plots.js';
import type { Raster } from './raster.js';

export type PreviewName = 'counts.png' | 'energy.png' | 'lightcurve.png' | 'counts.fits';

/** A preview file and how DataLink describes it (DataLink 1.1 core semantics). */
export interface PreviewProduct {
  readonly name: PreviewName;
  readonly contentType: 'image/png' | 'application/fits';
  readonly semantics: '#preview-image' | '#preview-plot' | '#derivation';
  /** ObsCore dataproduct_type of the target, for links to data products. */
  readonly contentQualifier?: string;
  readonly description: string;
}

export const PREVIEW_PRODUCTS: readonly PreviewProduct[] = [
  {
    name: 'counts.png',
    contentType: 'image/png',
    semantics: '#preview-image',
    description: 'Counts map around the pointing (PNG, RA/Dec grid, square-root colour scale)',
  },
  {
    name: 'energy.png',
    contentType: 'image/png',
    semantics: '#preview-plot',
    description: 'Energy distribution of the events (PNG, log-log histogram)',
  },
  {
    name: 'lightcurve.png',
    contentType: 'image/png',
    semantics: '#preview-plot',
    description: 'Light curve: event rate in time bins over the good time intervals (PNG)',
  },
  {
    name: 'counts.fits',
    contentType: 'application/fits',
    // A full-resolution binned image with a WCS, for analysis, not a picture to look at.
    semantics: '#derivation',
    contentQualifier: 'image',
    description:
      'Counts map around the pointing (FITS image, TAN projection, same pixels as the PNG)',
  },
];

export function previewProduct(name: string): PreviewProduct | undefined {
  return PREVIEW_PRODUCTS.find((p) => p.name === name);
}

/** What the previews were made of; written as the manifest once every file is in place. */
export interface PreviewManifest {
  readonly obsId?: string;
  readonly eventCount: number;
  readonly files: readonly PreviewName[];
  readonly countsMap: {
    readonly naxis: readonly [number, number];
    readonly crval: readonly [number, number];
    readonly crpix: readonly [number, number];
    readonly cdelt: readonly [number, number];
    readonly total: number;
    readonly outside: number;
  };
  readonly energy: {
    readonly edgesTeV: readonly number[];
    readonly counts: readonly number[];
    readonly unbinned: number;
  };
  readonly lightCurve: {
    readonly starts: readonly number[];
    readonly stops: readonly number[];
    readonly counts: readonly number[];
    readonly exposure: readonly number[];
    readonly outside: number;
  };
}

function manifestOf(data: PreviewData): PreviewManifest {
  const { grid, counts, outside } = data.countsMap;
  return {
    ...(data.info.obsId !== undefined ? { obsId: data.info.obsId } : {}),
    eventCount: data.eventCount,
    files: PREVIEW_PRODUCTS.map((p) => p.name),
    countsMap: {
      naxis: [grid.naxis1, grid.naxis2],
      crval: [grid.crval1, grid.crval2],
      crpix: [grid.crpix1, grid.crpix2],
      cdelt: [grid.cdelt1, grid.cdelt2],
      total: counts.reduce((a, b) => a + b, 0),
      outside,
    },
    energy: {
      edgesTeV: [...data.energy.edges],
      counts: [...data.energy.counts],
      unbinned: data.energy.unbinned,
    },
    lightCurve: {
      starts: [...data.lightCurve.starts],
      stops: [...data.lightCurve.stops],
      counts: [...data.lightCurve.counts],
      exposure: [...data.lightCurve.exposure],
      outside: data.lightCurve.outside,
    },
  };
}

/** Writes `bytes` to `path` through a temporary file in the same folder. */
async function writeWhole(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    // Previews of proprietary data are for the server's user only.
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function png(raster: Raster, title: string): Buffer {
  return encodePng(raster, { Title: title, Software: 'hearc' });
}

/**
 * Reads the event list at `eventListPath` and writes the four previews next to
 * `manifestPath`, then the manifest (JSON) itself.
 */
export async function writePreviews(
  eventListPath: string,
  manifestPath: string,
): Promise<PreviewManifest> {
  const info = await readEventListInfo(eventListPath);
  const data = await binEvents(info);
  const dir = dirname(manifestPath);
  const title = (what: string): string =>
    [what, info.target, info.obsId].filter((p) => p !== undefined).join(' ');
  await writeWhole(
    join(dir, 'counts.png'),
    png(renderCountsMap(info, data.countsMap, data.eventCount), title('Counts map')),
  );
  await writeWhole(
    join(dir, 'energy.png'),
    png(renderEnergyPlot(info, data.energy), title('Energy distribution')),
  );
  await writeWhole(
    join(dir, 'lightcurve.png'),
    png(renderLightCurve(info, data.lightCurve), title('Light curve')),
  );
  await writeFits(join(dir, 'counts.fits'), [countsMapHdu(info, data.countsMap)]);
  await chmod(join(dir, 'counts.fits'), 0o600);
  const manifest = manifestOf(data);
  await writeWhole(manifestPath, `${JSON.stringify(manifest)}\n`);
  return manifest;
}
