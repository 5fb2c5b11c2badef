/**
 * SODA {sync} cutouts without HTTP: the request's parameters read, the dataset found,
 * the access gate asked before a byte of data is read, the ranges checked against what
 * the dataset covers, and the cutout written to a file of its own in a work folder.
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AccessRequest,
  type Authorize,
  type DatasetCatalog,
  type PublishedDataset,
} from '../datalink/index.js';
import { FitsError } from '../fits/index.js';
import { type CutoutSummary, writeCutout } from './cutout.js';
import { SodaError, usageError } from './errors.js';
import { cutoutRequest, HC_EV_M, intersect, type CutoutRequest, type Interval } from './params.js';
import { regionText, regionTouchesCircle } from './regions.js';
import { cutoutSources } from './sources.js';

export interface SodaServiceOptions {
  readonly catalog: DatasetCatalog;
  /** Folder where cutouts are written while they are sent. */
  readonly workDir: string;
  /** Named in the HISTORY of every cutout (default 'hearc'). */
  readonly software?: string;
}

/** A cutout on disk; `dispose` removes it once it has been sent. */
export interface CutoutFile {
  readonly path: string;
  /** A name to offer clients that save it. */
  readonly fileName: string;
  readonly did: string;
  /** The cutout parameters as given (name upper case, without ID). */
  readonly parameters: readonly (readonly [string, string])[];
  readonly summary: CutoutSummary;
  dispose(): Promise<void>;
}

/** Relative slack on the catalog's ranges, which were rounded from the files' values. */
const SLACK = 1e-9;

const widened = (lo: number, hi: number): Interval => ({
  lo: lo - Math.abs(lo) * SLACK,
  hi: hi + Math.abs(hi) * SLACK,
});

const shown = (v: number): string => String(Number(v.toPrecision(10)));

/** Refuses ranges that give no data at all for this dataset (UsageError, 400). */
export function checkCoverage(request: CutoutRequest, dataset: PublishedDataset): void {
  const c = dataset.coverage ?? {};
  if (request.time && c.tMin !== undefined && c.tMax !== undefined) {
    if (!intersect(request.time, widened(c.tMin, c.tMax))) {
      throw usageError(
        `TIME ${request.time.lo} ${request.time.hi} does not overlap observation ${dataset.obsId} (MJD ${shown(c.tMin)} to ${shown(c.tMax)})`,
      );
    }
  }
  if (request.energy && c.emMin !== undefined && c.emMax !== undefined) {
    const events = widened(HC_EV_M / c.emMax / 1e12, HC_EV_M / c.emMin / 1e12);
    if (!intersect(request.energy, events)) {
      throw usageError(
        `the energies asked for (BAND/ENERGY: ${shown(request.energy.lo)} to ${shown(request.energy.hi)} TeV) do not overlap those of the events of observation ${dataset.obsId} (${shown(events.lo)} to ${shown(events.hi)} TeV)`,
      );
    }
  }
  if (c.ra !== undefined && c.dec !== undefined && c.fov !== undefined) {
    for (const region of request.regions) {
      if (!regionTouchesCircle(region, c.ra, c.dec, c.fov / 2)) {
        throw usageError(
          `${regionText(region)} does not overlap the field of view of observation ${dataset.obsId} (a circle of ${shown(c.fov / 2)} deg about ${shown(c.ra)} ${shown(c.dec)})`,
        );
      }
    }
  }
}

export class SodaService {
  private readonly software: string;

  constructor(private readonly options: SodaServiceOptions) {
    this.software = options.software ?? 'hearc';
  }

  /**
   * The cutout these parameters ask for, after `authorize` allowed `request` to read
   * the dataset. Throws SodaError: 400 bad parameters, 404 unknown ID or data gone,
   * 401 (with SSO challenges) refused to an anonymous caller, 403 refused, 500 the data could not be read.
   */
  async cutout(
    params: Iterable<readonly [string, string]>,
    authorize: Authorize,
    request: AccessRequest,
    provenanceUrl?: string,
  ): Promise<CutoutFile> {
    const asked = cutoutRequest(params);
    const dataset = (await this.options.catalog.datasets([asked.id])).get(asked.id);
    const notPublished = (): SodaError =>
      usageError(`ID ${asked.id} is not a dataset published by this service`, 404);
    if (!dataset) throw notPublished();
    const decision = await authorize(request, dataset.did);
    if (!decision.allowed && decision.unpublished) throw notPublished();
    if (!decision.allowed) {
      throw decision.challenges
        ? new SodaError('AuthenticationError', decision.reason, 401, {
            challenges: decision.challenges,
          })
        : new SodaError('AuthorizationError', decision.reason, 403);
    }
    checkCoverage(asked, dataset);

    await mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(this.options.workDir, 'cutout-'));
    const dispose = () => rm(dir, { recursive: true, force: true });
    const fileName = `${dataset.collection}-${dataset.obsId}-cutout.fits`.replace(
      /[^A-Za-z0-9._-]/g,
      '_',
    );
    const path = join(dir, fileName);
    try {
      const sources = await cutoutSources(dataset);
      const summary = await writeCutout(
        sources,
        asked,
        {
          software: this.software,
          date: new Date(),
          did: dataset.did,
          parameters: asked.given,
          ...(provenanceUrl !== undefined ? { provenanceUrl } : {}),
        },
        path,
      );
      // A cutout of proprietary data is for its caller only.
      await chmod(path, 0o600);
      const parameters = asked.given.filter(([name]) => name !== 'ID');
      return { path, fileName, did: dataset.did, parameters, summary, dispose };
    } catch (error) {
      await dispose();
      if (error instanceof SodaError) throw error;
      if (error instanceof FitsError) {
        throw new SodaError(
          'Error',
          `the data of ${dataset.did} cannot be read: ${error.message}`,
          500,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }
}
