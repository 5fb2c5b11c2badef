/** The --collection/--authority/--rights/... options that say how a store is published. */
import { basename, resolve } from 'node:path';
import {
  type AccessMode,
  collectionFromName,
  type DataRights,
  type PublishConfig,
} from '../obscore/config.js';
import { isDataRights, RightsError, settleDataRights } from '../auth/index.js';
import type { ServiceDescription } from '../service/index.js';
import { UsageError } from './command.js';
import { type OptionValues, stringOption } from './options.js';

export const publishOptionSpec = {
  collection: { type: 'string' },
  authority: { type: 'string' },
  access: { type: 'string' },
  rights: { type: 'string' },
  'release-date': { type: 'string' },
  messenger: { type: 'string' },
  'proprietary-months': { type: 'string' },
  group: { type: 'string' },
} as const;

export const publishOptionsUsage = `  --collection NAME     obs_collection (default: the data store folder's name)
  --authority AUTH      IVOA authority of dataset identifiers (default: the service
                        configuration's authority, see --config)
  --access MODE         access_url points at 'datalink' (default) or the 'file'
  --rights RIGHTS       data_rights: public (default), proprietary or secure; a future
                        --release-date or a --group makes the default proprietary
  --release-date DATE   obs_release_date (ISO 8601) for every observation (default: end of observation)
  --messenger NAME      messenger particle (default: photon, or neutrino for neutrino telescopes)
  --proprietary-months N  release each observation N months after it ended (implies --rights proprietary)
  --group NAME          owning group: its members read the data before release (and secure data)
`;

/** How `storeDir` is published; the authority comes from the service description. */
export function publishConfigFrom(
  values: OptionValues,
  storeDir: string,
  service: ServiceDescription,
  /** Receives what the options implied (e.g. proprietary rights), for the command's output. */
  notes: string[] = [],
): PublishConfig {
  const access = stringOption(values, 'access') ?? 'datalink';
  if (access !== 'datalink' && access !== 'file') {
    throw new UsageError(`--access must be 'datalink' or 'file' (got '${access}')`);
  }
  const monthsText = stringOption(values, 'proprietary-months');
  const proprietaryMonths = monthsText === undefined ? undefined : Number(monthsText);
  if (
    proprietaryMonths !== undefined &&
    (!Number.isInteger(proprietaryMonths) || proprietaryMonths < 0)
  ) {
    throw new UsageError(`--proprietary-months must be an integer >= 0 (got '${monthsText}')`);
  }
  const group = stringOption(values, 'group');
  if (group !== undefined && !/^[A-Za-z0-9._:@/-]+$/.test(group)) {
    throw new UsageError(
      `--group '${group}' is not a valid group name (letters, digits, . _ : @ / -)`,
    );
  }
  const stated =
    stringOption(values, 'rights') ?? (proprietaryMonths !== undefined ? 'proprietary' : undefined);
  if (stated !== undefined && !isDataRights(stated)) {
    throw new UsageError(`--rights must be public, proprietary or secure (got '${stated}')`);
  }
  const releaseText = stringOption(values, 'release-date');
  let releaseDate: Date | undefined;
  if (releaseText !== undefined) {
    releaseDate = new Date(releaseText);
    if (Number.isNaN(releaseDate.getTime()))
      throw new UsageError(`--release-date '${releaseText}' is not an ISO 8601 date`);
  }
  let rights: DataRights;
  try {
    const settled = settleDataRights(
      stated,
      {
        ...(releaseDate ? { releaseDate } : {}),
        ...(group !== undefined ? { ownerGroup: group } : {}),
      },
      new Date(),
    );
    rights = settled.dataRights;
    if (settled.implied !== undefined) notes.push(`${settled.implied} (--rights not given)`);
  } catch (error) {
    if (!(error instanceof RightsError)) throw error;
    throw new UsageError(`--rights public: ${error.message}`);
  }
  const authority = service.authority;
  const messenger = stringOption(values, 'messenger');
  return {
    authority,
    collection: collectionFromName(
      stringOption(values, 'collection') ?? basename(resolve(storeDir)),
    ),
    accessMode: access as AccessMode,
    dataRights: rights,
    ...(releaseDate ? { releaseDate } : {}),
    ...(messenger ? { messenger } : {}),
    ...(proprietaryMonths !== undefined ? { proprietaryMonths } : {}),
    ...(group !== undefined ? { ownerGroup: group } : {}),
  };
}
