/**
 * Which format a FITS HDU follows: GADF 0.2, GADF 0.3, the VODF draft, or an OGIP
 * photon list. Said by the OGIP HDUCLASS/HDUDOC/HDUVERS keywords; VODF also by its
 * layout (OGIP/EVENTS classes of vodf_schema). One detector for indexes and files.
 *
 * What the VODF draft does differently, as hearc reads it (vodf_schema, vodf-docs and
 * bkhelifi/vodf-mock-data; the draft is ambiguous where noted, and the mock data decide):
 * - HDUCLASS 'VODF'; EVENTS classed HDUCLAS1 'OGIP', HDUCLAS2 'EVENTS' (schema) or
 *   HDUCLAS1 'EVENTS' (mock data).
 * - No hdu-index/obs-index: each observation file holds a GROUPING table (FITS
 *   hierarchical grouping: MEMBER_NAME, MEMBER_LOCATION, and EVT_TYPE in the mock
 *   data) that names its EVENTS, GTI and IRF HDUs, the IRFs in another file.
 * - Event types may be split into files: one observation per event type, sharing an
 *   OB_ID; the type is in the GROUPING table's EVT_TYPE column (mock data).
 * - OBS_ID is written as a string (mock data); the site is OBSGEO-B/L/H (FITS 4), not
 *   GEOLON/GEOLAT/ALTITUDE; TIMESYS may be GPS; DATEREF may stand for MJDREFI/MJDREFF.
 * - No pointing keyword is defined yet: without RA_PNT/DEC_PNT the events' footprint
 *   gives the sky region.
 */
import type { Header } from '../fits/index.js';

export type FormatFamily = 'GADF' | 'VODF' | 'OGIP';

export interface FormatVersion {
  readonly family: FormatFamily;
  /** HDUVERS, when stated. */
  readonly version?: string;
  /** What the reports print: 'GADF 0.3', 'VODF 0.1 (draft)', 'OGIP photon list'. */
  readonly label: string;
}

const GADF_DOC = /gamma-astro-data-formats|\bgadf\b/i;

/** The format a header says it follows, or undefined when it says nothing recognisable. */
export function formatOf(header: Header): FormatVersion | undefined {
  const hduClass = header.getString('HDUCLASS')?.trim().toUpperCase() ?? '';
  const doc = header.getString('HDUDOC')?.trim() ?? '';
  const version = header.getString('HDUVERS')?.trim() || undefined;
  const clas1 = header.getString('HDUCLAS1')?.trim().toUpperCase();
  const clas2 = header.getString('HDUCLAS2')?.trim().toUpperCase();
  const at = version ? ` ${version}` : '';
  if (hduClass === 'VODF' || /vodf/i.test(doc)) {
    return { family: 'VODF', ...(version ? { version } : {}), label: `VODF${at} (draft)` };
  }
  if (hduClass === 'GADF' || GADF_DOC.test(doc)) {
    return {
      family: 'GADF',
      ...(version ? { version } : {}),
      label: version ? `GADF ${version}` : 'GADF (version not stated)',
    };
  }
  // vodf_schema's EVENTS class without the VODF keywords: the draft's layout.
  if (
    clas1 === 'OGIP' &&
    clas2 === 'EVENTS' &&
    !/^(GLAST|FERMI)/i.test(header.getString('TELESCOP') ?? '')
  ) {
    return { family: 'VODF', label: 'VODF (draft, by its HDU classes)' };
  }
  if (hduClass === 'OGIP' || /^(GLAST|FERMI)/i.test(header.getString('TELESCOP')?.trim() ?? '')) {
    return { family: 'OGIP', label: 'OGIP photon list' };
  }
  return undefined;
}

/** The one label for several files: the common one, or each with its count. */
export function commonFormat(labels: readonly (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const label of labels) {
    const key = label ?? 'format not stated';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  if (counts.size === 1) {
    const [only] = counts.keys();
    return only === 'format not stated' ? undefined : only;
  }
  return [...counts].map(([label, n]) => `${label} (${n} files)`).join(', ');
}
