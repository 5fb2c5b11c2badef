/**
 * Where the HDUs a cutout is made from are: the observation's EVENTS and GTI, which
 * are cut, and everything carried over unchanged (POINTING, every IRF component the
 * catalog lists), found in the files recorded at ingest.
 */
import { isMapIrfClass, locateEventListHdus, mapIrfHdus } from '../gadf/index.js';
import { type Header, type HduSummary, scanHdus } from '../fits/index.js';
import { type PublishedDataset, resolveStoreFile } from '../datalink/index.js';
import { SodaError } from './errors.js';

/** One HDU of a source file. */
export interface SourceHdu {
  readonly path: string;
  readonly summary: HduSummary;
}

export interface CutoutSources {
  /** Primary header of the file holding the events. */
  readonly primary: Header;
  readonly events: SourceHdu;
  readonly gti?: SourceHdu;
  /** HDUs copied byte for byte after EVENTS and GTI, in file order. */
  readonly carried: readonly SourceHdu[];
}

const missing = (problem: string): SodaError => new SodaError('Error', problem, 404);

/** Finds the HDUs of `dataset` in its files; SodaError (404) when they are gone. */
export async function cutoutSources(dataset: PublishedDataset): Promise<CutoutSources> {
  const root = dataset.dataStore;
  if (root === undefined) {
    throw missing(`the catalog does not record where the files of ${dataset.did} are`);
  }
  const scanned = new Map<string, { path: string; hdus: HduSummary[] }>();
  const scan = async (relativePath: string) => {
    const known = scanned.get(relativePath);
    if (known) return known;
    const path = await resolveStoreFile(root, relativePath);
    if (path === undefined) {
      throw missing(
        `${relativePath} (used by ${dataset.did}) is no longer a file inside the data store`,
      );
    }
    const entry = { path, hdus: await scanHdus(path) };
    scanned.set(relativePath, entry);
    return entry;
  };

  let events: (SourceHdu & { primary: Header }) | undefined;
  const gtis: SourceHdu[] = [];
  const carried: SourceHdu[] = [];
  for (const relativePath of dataset.files) {
    const { path, hdus } = await scan(relativePath);
    const found = locateEventListHdus(hdus, dataset.obsId);
    if (found.events) events ??= { path, summary: found.events, primary: hdus[0]!.header };
    if (found.gti) gtis.push({ path, summary: found.gti });
    if (found.pointing) carried.push({ path, summary: found.pointing });
  }
  if (!events) throw missing(`no EVENTS HDU of ${dataset.did} is left in its files`);
  const eventsPath = events.path;
  const gti = gtis.find((g) => g.path === eventsPath) ?? gtis[0];

  for (const irf of dataset.irfs) {
    const { path, hdus } = await scan(irf.filePath);
    const summary = hdus.find((h) => h.name.toUpperCase() === irf.hduName.toUpperCase());
    if (!summary) {
      throw missing(
        `${irf.filePath} has no HDU '${irf.hduName}' (${irf.component} of ${dataset.did}) any more`,
      );
    }
    const parts = isMapIrfClass(irf.hduClass) ? mapIrfHdus(hdus, irf.hduName) : [summary];
    for (const part of parts) {
      if (!carried.some((c) => c.path === path && c.summary.index === part.index)) {
        carried.push({ path, summary: part });
      }
    }
  }
  const fileOrder = [...scanned.values()].map((s) => s.path);
  carried.sort(
    (a, b) =>
      fileOrder.indexOf(a.path) - fileOrder.indexOf(b.path) || a.summary.index - b.summary.index,
  );
  return {
    primary: events.primary,
    events: { path: events.path, summary: events.summary },
    ...(gti ? { gti } : {}),
    carried,
  };
}
