/** An alert as read from one document, before it is stored. */
import type { ProbabilityMap } from './localisation.js';

export type AlertFormat = 'gcn-json' | 'voevent' | 'healpix-fits';

export interface Alert {
  readonly alertId: string;
  /** As the document numbers it; undefined: the next one when the document changed. */
  readonly revision?: number;
  /** 'neutrino', 'gravitational-wave', 'photon' (as ivoa.obscore_hea's messenger). */
  readonly messenger: string;
  /** Event time, MJD (UTC). */
  readonly tEvent: number;
  /** The event time as the document wrote it (ISO 8601, UTC). */
  readonly tEventIso: string;
  readonly ra?: number;
  readonly dec?: number;
  /** Error circle radii (deg) by containment in percent (50, 68, 90, 99), as given. */
  readonly errors: Readonly<Partial<Record<50 | 68 | 90 | 99, number>>>;
  /** IVORN or URL of the document (VOEvent ivorn, GCN schema URL, file name). */
  readonly source?: string;
  /** IVORN of the author (VOEvent Who/AuthorIVORN). */
  readonly author?: string;
  readonly format: AlertFormat;
  /** The original document: text, or base64 for FITS. */
  readonly document: string;
  readonly localisation?: ProbabilityMap;
}

/** MJD (UTC) of an ISO 8601 UTC time, to the precision written (no rounding to ms). */
export function mjdOfIso(iso: string): number | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?)?(Z|[+-]00:?00)?$/.exec(
      iso.trim(),
    );
  if (!m) return undefined;
  const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(day)) return undefined;
  const seconds = Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0);
  return day / 86_400_000 + 40587 + seconds / 86400;
}

/** The messenger an instrument or mission name suggests. */
export function messengerOf(...names: (string | undefined)[]): string {
  const text = names.filter((n) => n !== undefined).join(' ');
  if (/LIGO|Virgo|KAGRA|LVK|gravitational/i.test(text)) return 'gravitational-wave';
  if (/IceCube|KM3NeT|ANTARES|Baikal|neutrino|Super-?K/i.test(text)) return 'neutrino';
  return 'photon';
}
