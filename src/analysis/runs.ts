/**
 * The inputs of one run, from what the catalog records of a published dataset: its
 * event list (through the one event-list reader), its effective area, background,
 * energy dispersion and PSF (through gadf's IRF reader), pointing, good time and
 * dead-time correction.
 */
import { type PublishedDataset, resolveStoreFile } from '../datalink/index.js';
import {
  EventList,
  GadfError,
  type IrfClass,
  metToMjdUtc,
  readIrfs,
  type IrfTable,
  type TimeReference,
  ttMinusUtc,
} from '../gadf/index.js';
import { DaliError } from '../dali/index.js';
import type { RunInput } from './maker.js';

/** The absolute path of a file of a dataset, checked to be inside its data store. */
export async function datasetFile(
  dataset: PublishedDataset,
  relativePath: string,
): Promise<string> {
  if (dataset.dataStore === undefined) {
    throw new DaliError(500, `the catalog does not record where the files of ${dataset.did} are`);
  }
  const path = await resolveStoreFile(dataset.dataStore, relativePath);
  if (path === undefined) {
    throw new DaliError(
      500,
      `${relativePath} (used by ${dataset.did}) is no longer a file inside the data store`,
    );
  }
  return path;
}

/** The IRF component of a dataset that the maker needs; an AnalysisError names what is missing. */
function irfRef(dataset: PublishedDataset, component: string, label: string) {
  const ref = dataset.irfs.find((i) => i.component === component);
  if (!ref) {
    throw new DaliError(
      400,
      `${dataset.did} has no ${label} (${component}) IRF: a map dataset needs one`,
    );
  }
  return ref;
}

/** The IRF classes the map maker evaluates into energy-dispersion and PSF maps. */
export const EDISP_CLASSES: readonly IrfClass[] = ['edisp_2d'];
export const PSF_CLASSES: readonly IrfClass[] = ['psf_table', 'psf_3gauss', 'psf_king'];

/** Whether every dataset has an IRF of `component` in one of `classes` (the dataset then gets its map). */
export function allHave(
  datasets: readonly PublishedDataset[],
  component: string,
  classes: readonly IrfClass[],
): boolean {
  return datasets.every((d) =>
    d.irfs.some(
      (i) => i.component === component && (classes as readonly string[]).includes(i.hduClass),
    ),
  );
}

/** gammapy's GTI reference of a MapDataset: 2000-01-01 00:00:00 UTC as MJD (TT). */
export const GTI_MJDREFI = 51544;
export const GTI_MJDREFF = 0.000742870368412695;

/** Seconds since an event list's epoch as seconds since gammapy's GTI reference (TT). */
export function toGtiSeconds(seconds: number, reference: TimeReference): number {
  if (reference.scale === 'TT') {
    const days = reference.mjdRefInt - GTI_MJDREFI + (reference.mjdRefFrac - GTI_MJDREFF);
    return seconds + days * 86400;
  }
  const mjdUtc = metToMjdUtc(seconds, reference);
  const mjdTt = mjdUtc + ttMinusUtc(mjdUtc) / 86400;
  return (mjdTt - GTI_MJDREFI - GTI_MJDREFF) * 86400;
}

/** Whether a dataset's IRFs are point-like: a directional cut (RAD_MAX_2D) comes with them. */
export function isPointLike(dataset: PublishedDataset): boolean {
  return dataset.irfs.some((i) => i.component === 'rad_max');
}

/**
 * Opens a run's event list and IRFs: the effective area always, the background unless
 * `irfMaps.background` is false, the energy dispersion and PSF when asked, and the
 * RAD_MAX_2D cut of point-like IRFs.
 */
export async function openRun(
  dataset: PublishedDataset,
  irfMaps: {
    readonly edisp: boolean;
    readonly psf: boolean;
    readonly background?: boolean;
  } = { edisp: false, psf: false },
): Promise<RunInput> {
  const aeffRef = irfRef(dataset, 'aeff', 'effective area');
  const bkgRef =
    irfMaps.background === false ? undefined : irfRef(dataset, 'bkgrate', 'background');
  const radMaxRef = dataset.irfs.find(
    (i) => i.component === 'rad_max' && i.hduClass === 'rad_max_2d',
  );
  try {
    let events: EventList | undefined;
    for (const relativePath of dataset.files) {
      try {
        events = await EventList.openFile(await datasetFile(dataset, relativePath), dataset.obsId);
        break;
      } catch (error) {
        if (!(error instanceof GadfError)) throw error;
      }
    }
    if (!events) throw new DaliError(500, `no EVENTS table of ${dataset.did} is left in its files`);
    const optional = (wanted: boolean, component: string, classes: readonly IrfClass[]) =>
      wanted
        ? dataset.irfs.find(
            (i) => i.component === component && (classes as readonly string[]).includes(i.hduClass),
          )
        : undefined;
    const edispRef = optional(irfMaps.edisp, 'edisp', EDISP_CLASSES);
    const psfRef = optional(irfMaps.psf, 'psf', PSF_CLASSES);
    const wanted = [
      { ref: aeffRef, expect: ['aeff_2d'] as const },
      ...(bkgRef ? [{ ref: bkgRef, expect: ['bkg_2d', 'bkg_3d'] as const }] : []),
      ...(edispRef ? [{ ref: edispRef, expect: EDISP_CLASSES }] : []),
      ...(psfRef ? [{ ref: psfRef, expect: PSF_CLASSES }] : []),
      ...(radMaxRef ? [{ ref: radMaxRef, expect: ['rad_max_2d'] as const }] : []),
    ];
    // One pass over each IRF file, however many of the run's IRFs it holds.
    const [aeff, ...maps] = (await readIrfs(
      await Promise.all(
        wanted.map(async ({ ref, expect }) => ({
          path: await datasetFile(dataset, ref.filePath),
          hduName: ref.hduName,
          expect,
        })),
      ),
    )) as [IrfTable, ...IrfTable[]];
    const bkg = bkgRef && maps.shift();
    const edisp = edispRef && maps.shift();
    const psf = psfRef && maps.shift();
    const radMax = radMaxRef && maps.shift();
    const pointing = await events.pointing({
      ...(dataset.coverage?.ra !== undefined ? { ra: dataset.coverage.ra } : {}),
      ...(dataset.coverage?.dec !== undefined ? { dec: dataset.coverage.dec } : {}),
    });
    if (pointing.mode !== 'fixed') {
      throw new DaliError(
        400,
        `${dataset.did} has no fixed pointing: it cannot be binned into a map dataset here`,
      );
    }
    const intervals = await events.intervals();
    const ontime = intervals.reduce((sum, [a, b]) => sum + (b - a), 0);
    const reference = events.time.reference;
    const gti = intervals.map(
      ([a, b]) => [toGtiSeconds(a, reference), toGtiSeconds(b, reference)] as const,
    );
    const header = events.header;
    const deadc = header.has('DEADC')
      ? (header.getNumber('DEADC') ?? 1)
      : header.has('LIVETIME') && header.has('ONTIME')
        ? (header.getNumber('LIVETIME') ?? 0) / (header.getNumber('ONTIME') ?? 1)
        : 1;
    return {
      obsId: dataset.obsId,
      did: dataset.did,
      events,
      aeff,
      ...(bkg ? { bkg } : {}),
      ...(radMax ? { radMax } : {}),
      ...(edisp ? { edisp } : {}),
      ...(psf ? { psf } : {}),
      gti,
      pointing: { ra: pointing.ra, dec: pointing.dec },
      ontime,
      deadc,
    };
  } catch (error) {
    if (error instanceof GadfError) {
      throw new DaliError(500, `the files of ${dataset.did} cannot be read: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
