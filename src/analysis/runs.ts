/**
 * The inputs of one run, from what the catalog records of a published dataset: its
 * event list (through the one event-list reader), its effective area and background
 * (through gadf's IRF reader), pointing, good time and dead-time correction.
 */
import { type PublishedDataset, resolveStoreFile } from '../datalink/index.js';
import { EventList, GadfError, readIrf } from '../gadf/index.js';
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

export async function openRun(dataset: PublishedDataset): Promise<RunInput> {
  const aeffRef = irfRef(dataset, 'aeff', 'effective area');
  const bkgRef = irfRef(dataset, 'bkgrate', 'background');
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
    const [aeff, bkg] = await Promise.all([
      readIrf(await datasetFile(dataset, aeffRef.filePath), aeffRef.hduName, ['aeff_2d']),
      readIrf(await datasetFile(dataset, bkgRef.filePath), bkgRef.hduName, ['bkg_2d', 'bkg_3d']),
    ]);
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
    const ontime = (await events.intervals()).reduce((sum, [a, b]) => sum + (b - a), 0);
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
      bkg,
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
