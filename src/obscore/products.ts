/**
 * The names of the per-component products of a dataset (DataLink `#calibration`
 * files and their provenance entities): one rule, so links and provenance agree.
 */
import type { CatalogRow } from '../engine/types.js';

/** The product file of the event list (EVENTS and GTI HDUs). */
export const EVENT_LIST_PRODUCT = 'events.fits';

/** hearc.irf rows of one dataset in a stable order, each with its product file name. */
export function irfProducts(
  rows: readonly CatalogRow[],
): { readonly row: CatalogRow; readonly productName: string }[] {
  const sorted = [...rows].sort(
    (a, b) =>
      String(a.component).localeCompare(String(b.component)) ||
      String(a.hdu_name).localeCompare(String(b.hdu_name)) ||
      String(a.file_path).localeCompare(String(b.file_path)),
  );
  const seen = new Map<string, number>();
  return sorted.map((row) => {
    const component =
      row.component === null || row.component === undefined ? 'irf' : String(row.component);
    const n = (seen.get(component) ?? 0) + 1;
    seen.set(component, n);
    return { row, productName: n === 1 ? `${component}.fits` : `${component}-${n}.fits` };
  });
}
