/** How a data store is published: identifiers, URLs, rights and the messenger. */
export type DataRights = 'public' | 'proprietary' | 'secure';
export type AccessMode = 'datalink' | 'file';

export interface PublishConfig {
  /** IVOA authority of the dataset identifiers (ivo://<authority>/<collection>?<obs_id>). */
  readonly authority: string;
  /** ObsCore obs_collection, also the path segment of identifiers and file URLs. */
  readonly collection: string;
  /** Whether access_url points at the DataLink document (default) or at the file. */
  readonly accessMode: AccessMode;
  readonly dataRights: DataRights;
  readonly releaseDate?: Date;
  /** Without releaseDate: the data are released this many months after the observation ends. */
  readonly proprietaryMonths?: number;
  /** Group whose members read the data before release (and secure data always). */
  readonly ownerGroup?: string;
  /** Overrides the messenger guessed from the instrument. */
  readonly messenger?: string;
}

/** The release date of an observation that ended at `end`: the configured date, or end + proprietary months. */
export function releaseDateOf(config: PublishConfig, end: Date): Date {
  if (config.releaseDate) return config.releaseDate;
  const release = new Date(end);
  release.setUTCMonth(release.getUTCMonth() + (config.proprietaryMonths ?? 0));
  return release;
}

export const DEFAULT_AUTHORITY = 'hearc.local';

/** A collection name usable in URLs and identifiers, derived from a folder name. */
export function collectionFromName(name: string): string {
  const cleaned = name
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'dl3' : cleaned;
}

export function publisherDid(
  config: Pick<PublishConfig, 'authority' | 'collection'>,
  obsId: string,
): string {
  return `ivo://${config.authority}/${config.collection}?${obsId}`;
}
