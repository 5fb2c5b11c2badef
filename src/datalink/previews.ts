/**
 * Previews as DataLink offers them: one link per preview of a dataset (the counts
 * map as #preview-image, the energy distribution and the light curve as
 * #preview-plot, the counts map as a FITS image as #derivation: a binned data
 * product with a WCS for programs, not a picture), and the files behind the links,
 * built by the preview module into the product cache on first request.
 */
import { PREVIEW_PRODUCTS, previewProduct, writePreviews } from '../preview/index.js';
import type { DatasetCatalog, PublishedDataset } from './catalog.js';
import type { DataLinkRow, ProductUrls } from './links.js';
import type { ProductCache } from './products.js';
import type { ServableFile } from './service.js';

/** The previews of a dataset sit in a folder of its product cache, with their manifest. */
const cacheName = (name: string): string => `preview/${name}`;
const MANIFEST = cacheName('previews.json');

/** The preview links of `dataset`; content_length once a preview is built. */
export async function previewLinks(
  id: string,
  dataset: PublishedDataset,
  { products, urls }: { readonly products: ProductCache; readonly urls: ProductUrls },
): Promise<DataLinkRow[]> {
  const rows: DataLinkRow[] = [];
  for (const preview of PREVIEW_PRODUCTS) {
    const size = await products.builtSize(dataset, cacheName(preview.name));
    rows.push({
      id,
      accessUrl: urls.preview(dataset, preview.name),
      semantics: preview.semantics,
      description: `${preview.description} of observation ${dataset.obsId}`,
      contentType: preview.contentType,
      ...(size !== undefined ? { contentLength: size } : {}),
      ...(preview.contentQualifier ? { contentQualifier: preview.contentQualifier } : {}),
    });
  }
  return rows;
}

/**
 * The preview `name` of observation `obsId` in `collection`; undefined when there is
 * no such preview or observation. All previews of an observation are built together
 * from its event list product, once.
 */
export async function previewFile(
  { catalog, products }: { readonly catalog: DatasetCatalog; readonly products: ProductCache },
  collection: string,
  obsId: string,
  name: string,
): Promise<ServableFile | undefined> {
  if (!previewProduct(name)) return undefined;
  const dataset = await catalog.datasetByObsId(collection, obsId);
  if (!dataset) return undefined;
  return {
    dids: [dataset.did],
    path: async () => {
      await products.product(dataset, MANIFEST, async (target) => {
        await writePreviews(await products.eventList(dataset), target);
      });
      return products.productPath(dataset, cacheName(name));
    },
  };
}
