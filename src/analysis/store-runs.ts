/**
 * Published-dataset records made straight from a GADF data store (no catalog): what
 * the bench and the tests hand to the maker to compare it with gammapy on the same files.
 */
import type { IrfComponentRef, PublishedDataset } from '../datalink/index.js';
import { openDataStore } from '../gadf/index.js';

const COMPONENT: Readonly<Record<string, string>> = {
  aeff: 'aeff',
  bkg: 'bkgrate',
  edisp: 'edisp',
  psf: 'psf',
  rad_max: 'rad_max',
};

export async function storeDatasets(
  dir: string,
  obsIds: readonly string[],
): Promise<PublishedDataset[]> {
  const store = await openDataStore(dir);
  return obsIds.map((obsId) => {
    const entry = store.observations.find((o) => o.obsId === obsId);
    if (!entry) throw new Error(`${dir} has no observation ${obsId}`);
    const events = entry.hdus.find((h) => h.type === 'events');
    const irfs: IrfComponentRef[] = entry.hdus.flatMap((h) => {
      const component = COMPONENT[h.type];
      return component
        ? [
            {
              component,
              hduClass: h.hduClass,
              hduName: h.hduName,
              filePath: h.relativePath,
              productName: `${component}.fits`,
            },
          ]
        : [];
    });
    return {
      did: `ivo://test/store?${obsId}`,
      collection: 'store',
      obsId,
      dataStore: store.root,
      files: events ? [events.relativePath] : [],
      irfs,
    };
  });
}
