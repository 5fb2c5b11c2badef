/**
 * The rights model: each observation is public, proprietary until its release date,
 * or secure (never public), and may have an owning group whose members read it at
 * any time. ivoa.obscore carries data_rights and obs_release_date (what clients see);
 * hearc_internal.observation_rights adds the group and marks operator overrides, and
 * hearc_internal.rights_change records every change.
 */
import type { CatalogRow, CatalogTransaction, Engine, SqlValue } from '../engine/types.js';
import type { DataRights } from '../obscore/config.js';
import { irfTable, obscoreHeaTable, obscoreTable } from '../obscore/schema.js';
import { tableColumns } from '../schema/types.js';
import { observationRightsTable, rightsChangeTable } from './tables.js';

export type { DataRights };

/** Who is asking: nobody (anonymous), or a user with the groups their credentials carry. */
export interface Identity {
  readonly user?: string;
  readonly groups: readonly string[];
  readonly via: 'anonymous' | 'api-token' | 'oidc';
  /** The hearc API token the caller presented (to check it again later). */
  readonly tokenId?: string;
}

export const ANONYMOUS: Identity = { groups: [], via: 'anonymous' };

export interface ObservationRights {
  readonly did: string;
  readonly obsId?: string;
  readonly collection?: string;
  readonly dataRights: DataRights;
  /** Undefined: never released (until someone sets a date). */
  readonly releaseDate?: Date;
  readonly ownerGroup?: string;
  /** Set by an operator (kept when the observation is ingested again). */
  readonly overridden?: boolean;
}

/** The one rule: public data, released proprietary data, or a member of the owning group. */
export function mayRead(rights: ObservationRights, identity: Identity, now: Date): boolean {
  if (rights.dataRights === 'public') return true;
  if (rights.ownerGroup !== undefined && identity.groups.includes(rights.ownerGroup)) return true;
  return (
    rights.dataRights === 'proprietary' &&
    rights.releaseDate !== undefined &&
    rights.releaseDate.getTime() <= now.getTime()
  );
}

/** True when the data are open to everyone at `now` (no access to audit). */
export function isOpen(rights: ObservationRights, now: Date): boolean {
  return mayRead(rights, ANONYMOUS, now);
}

/**
 * Why public rights would contradict the rest of what is recorded: a release date still
 * to come or an owning group protects nothing on public data. Undefined when nothing does.
 */
export function publicRightsContradiction(
  rights: Pick<ObservationRights, 'releaseDate' | 'ownerGroup'>,
  now: Date,
): string | undefined {
  const reasons: string[] = [];
  if (rights.releaseDate !== undefined && rights.releaseDate.getTime() > now.getTime()) {
    reasons.push(`a release date in the future (${rights.releaseDate.toISOString()})`);
  }
  if (rights.ownerGroup !== undefined) reasons.push(`an owning group (${rights.ownerGroup})`);
  return reasons.length > 0 ? reasons.join(' and ') : undefined;
}

/**
 * The data rights to record given what was stated (undefined: not stated) and the release
 * date and owning group: a future release date or an owning group make unstated rights
 * proprietary (`implied` says why), and stated public rights with either are refused.
 */
export function settleDataRights(
  stated: DataRights | undefined,
  rights: Pick<ObservationRights, 'releaseDate' | 'ownerGroup'>,
  now: Date,
): { readonly dataRights: DataRights; readonly implied?: string } {
  const contradiction = publicRightsContradiction(rights, now);
  if (stated === 'public' && contradiction !== undefined) {
    throw new RightsError(
      `public data are open to everyone, so ${contradiction} would protect nothing: ` +
        'give proprietary (or secure) rights, or drop the release date and the group',
    );
  }
  if (stated !== undefined) return { dataRights: stated };
  if (contradiction === undefined) return { dataRights: 'public' };
  return {
    dataRights: 'proprietary',
    implied: `data_rights set to proprietary because of ${contradiction}`,
  };
}

const DATA_RIGHTS: readonly DataRights[] = ['public', 'proprietary', 'secure'];

export function isDataRights(value: string): value is DataRights {
  return (DATA_RIGHTS as readonly string[]).includes(value);
}

const text = (value: SqlValue | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const date = (value: SqlValue | undefined): Date | undefined =>
  value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;

function rightsOfRows(obscore: CatalogRow, own: CatalogRow | undefined): ObservationRights {
  const stated = text(obscore.data_rights) ?? 'public';
  const releaseDate = date(obscore.obs_release_date);
  const ownerGroup = text(own?.owner_group);
  const obsId = text(obscore.obs_id);
  const collection = text(obscore.obs_collection);
  return {
    did: String(obscore.obs_publisher_did),
    dataRights: isDataRights(stated) ? stated : 'secure',
    ...(releaseDate ? { releaseDate } : {}),
    ...(ownerGroup ? { ownerGroup } : {}),
    ...(obsId ? { obsId } : {}),
    ...(collection ? { collection } : {}),
    overridden: own?.overridden === true,
  };
}

/** A change of rights asked for by an operator; fields left out keep their value. */
export interface RightsChange {
  readonly dataRights?: DataRights;
  /** null: no release date (never released). */
  readonly releaseDate?: Date | null;
  /** null: no owning group. */
  readonly ownerGroup?: string | null;
}

/** Who made a change and through what. */
export interface ChangeAuthor {
  readonly by: string;
  readonly via: string;
  readonly at: Date;
}

function rightsRow(rights: ObservationRights, author: ChangeAuthor): CatalogRow {
  return {
    obs_publisher_did: rights.did,
    data_rights: rights.dataRights,
    obs_release_date: rights.releaseDate ?? null,
    owner_group: rights.ownerGroup ?? null,
    overridden: rights.overridden === true,
    changed_by: author.by,
    changed_at: author.at,
  };
}

function changeRow(rights: ObservationRights, author: ChangeAuthor): CatalogRow {
  return {
    obs_publisher_did: rights.did,
    data_rights: rights.dataRights,
    obs_release_date: rights.releaseDate ?? null,
    owner_group: rights.ownerGroup ?? null,
    changed_by: author.by,
    changed_at: author.at,
    via: author.via,
  };
}

const sameRights = (a: ObservationRights, b: ObservationRights | undefined): boolean =>
  b !== undefined &&
  a.dataRights === b.dataRights &&
  a.releaseDate?.getTime() === b.releaseDate?.getTime() &&
  a.ownerGroup === b.ownerGroup &&
  (a.overridden === true) === (b.overridden === true);

/** The ObsCore columns the rights are read from (not the whole row: footprints, links). */
const obscoreRightsColumns = tableColumns(obscoreTable, [
  'obs_publisher_did',
  'obs_id',
  'obs_collection',
  'data_rights',
  'obs_release_date',
]);

/** Datasets asked about at once from which their rights are read for the whole catalog. */
const WHOLE_TABLE_FROM = 2000;

/** The tables rights are read from: a write to another (the audit trail) leaves them as they were. */
const RIGHTS_TABLES = [obscoreTable, observationRightsTable];

/** The rights of datasets by DID; undefined for a dataset that is not published. */
export interface RightsByDid {
  get(did: string): ObservationRights | undefined;
}

/**
 * The rights of every published observation at one state of the catalog: which are
 * published, and the rights of those whose data are not public (public data are open to
 * everyone at any time, so they need no more than their DID).
 */
class RightsSnapshot implements RightsByDid {
  constructor(
    private readonly published: ReadonlySet<string>,
    private readonly notPublic: ReadonlyMap<string, ObservationRights>,
  ) {}

  get(did: string): ObservationRights | undefined {
    if (!this.published.has(did)) return undefined;
    return this.notPublic.get(did) ?? { did, dataRights: 'public' };
  }
}

/**
 * Rights read from and written to the catalog. Every read goes to the database, except
 * the rights of the whole catalog (read for long lists of datasets), which are kept while
 * no write in this process touches them, when the engine counts every write to its catalog.
 */
export class RightsStore {
  private kept:
    { readonly commits: number; readonly snapshot: Promise<RightsSnapshot> } | undefined;

  constructor(private readonly engine: Engine) {}

  /** The rights of one dataset; undefined when it is not published. */
  async rightsOf(did: string): Promise<ObservationRights | undefined> {
    return (await this.rightsOfMany([did])).get(did);
  }

  /**
   * The rights of these datasets, by DID, in two queries however many there are (none
   * while the kept rights of the whole catalog are current); unpublished ones are undefined.
   */
  async rightsOfMany(dids: readonly string[]): Promise<RightsByDid> {
    if (this.engine.countsEveryCommit) {
      const commits = this.engine.commitsWriting(RIGHTS_TABLES);
      // A commit sent and not yet counted may have changed the rights kept.
      if (this.kept?.commits === commits && this.engine.commitsUnderWay === 0)
        return this.kept.snapshot;
      if (dids.length > WHOLE_TABLE_FROM) return this.keepSnapshot(commits);
    }
    // A long list is cheaper read whole than matched in chunks of bound IN lists.
    const where =
      dids.length > WHOLE_TABLE_FROM ? undefined : { column: 'obs_publisher_did', values: dids };
    const asked = where ? undefined : new Set(dids);
    const found = new Map<string, ObservationRights>();
    for (const rights of await this.read(where)) {
      if (!asked || asked.has(rights.did)) found.set(rights.did, rights);
    }
    return found;
  }

  /** The rights of the observations `where` picks, every published one without it. */
  private async read(where?: {
    readonly column: string;
    readonly values: readonly string[];
  }): Promise<ObservationRights[]> {
    const [obscore, own] = await Promise.all([
      this.engine.selectRows(obscoreRightsColumns, where),
      this.engine.selectRows(observationRightsTable, where),
    ]);
    const owned = new Map(own.map((row) => [String(row.obs_publisher_did), row]));
    return obscore.map((row) => rightsOfRows(row, owned.get(String(row.obs_publisher_did))));
  }

  /**
   * Reads the rights of the whole catalog now, to be kept for the long answers to come
   * (hearc serve's start-up), when the engine counts every write; does nothing otherwise.
   */
  async prepare(): Promise<void> {
    if (this.engine.countsEveryCommit)
      await this.keepSnapshot(this.engine.commitsWriting(RIGHTS_TABLES));
  }

  private keepSnapshot(commits: number): Promise<RightsSnapshot> {
    const snapshot = this.readSnapshot();
    const next = { commits, snapshot };
    this.kept = next;
    snapshot.catch(() => {
      if (this.kept === next) this.kept = undefined;
    });
    return snapshot;
  }

  private async readSnapshot(): Promise<RightsSnapshot> {
    const published = new Set<string>();
    const notPublic = new Map<string, ObservationRights>();
    for (const rights of await this.read()) {
      published.add(rights.did);
      if (rights.dataRights !== 'public') notPublic.set(rights.did, rights);
    }
    return new RightsSnapshot(published, notPublic);
  }

  /** The rights of the observations with these obs_id values (all when none are given). */
  async list(obsIds: readonly string[] = [], collection?: string): Promise<ObservationRights[]> {
    const obscore = await this.engine.selectRows(
      obscoreTable,
      obsIds.length > 0 ? { column: 'obs_id', values: obsIds } : undefined,
    );
    const rows = obscore.filter(
      (row) => collection === undefined || row.obs_collection === collection,
    );
    const own = new Map(
      (
        await this.engine.selectRows(observationRightsTable, {
          column: 'obs_publisher_did',
          values: rows.map((r) => r.obs_publisher_did ?? null),
        })
      ).map((row) => [String(row.obs_publisher_did), row]),
    );
    return rows
      .map((row) => rightsOfRows(row, own.get(String(row.obs_publisher_did))))
      .sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0));
  }

  /**
   * Sets the rights of the observations with these obs_id values (an operator override,
   * kept over re-ingest) and records the change. Throws when an obs_id is unknown or
   * names observations of several collections and no collection is given.
   */
  async set(
    obsIds: readonly string[],
    change: RightsChange,
    author: ChangeAuthor,
    collection?: string,
  ): Promise<(ObservationRights & { readonly implied?: string })[]> {
    const current = await this.list(obsIds, collection);
    for (const obsId of obsIds) {
      const found = current.filter((r) => r.obsId === obsId);
      if (found.length === 0) {
        throw new RightsError(
          `observation ${obsId} is not in the catalog${collection ? ` (collection ${collection})` : ''}`,
        );
      }
      if (found.length > 1) {
        throw new RightsError(
          `observation ${obsId} is in several collections (${found.map((r) => r.collection).join(', ')}); give --collection`,
        );
      }
    }
    const updated = current.map((rights) => {
      const releaseDate =
        change.releaseDate === undefined ? rights.releaseDate : (change.releaseDate ?? undefined);
      const ownerGroup =
        change.ownerGroup === undefined ? rights.ownerGroup : (change.ownerGroup ?? undefined);
      // Rights left as they were are restated only when they were not public.
      const stated =
        change.dataRights ?? (rights.dataRights === 'public' ? undefined : rights.dataRights);
      let settled;
      try {
        settled = settleDataRights(stated, { releaseDate, ownerGroup }, author.at);
      } catch (error) {
        if (!(error instanceof RightsError)) throw error;
        throw new RightsError(`observation ${rights.obsId ?? rights.did}: ${error.message}`);
      }
      const { releaseDate: _r, ownerGroup: _g, ...rest } = rights;
      return {
        ...rest,
        dataRights: settled.dataRights,
        ...(releaseDate ? { releaseDate } : {}),
        ...(ownerGroup ? { ownerGroup } : {}),
        overridden: true,
        ...(settled.implied !== undefined ? { implied: settled.implied } : {}),
      };
    });
    await this.engine.transaction(async (tx) => {
      for (const rights of updated) await writeRights(tx, rights, author);
    });
    return updated;
  }
}

/** Thrown for a rights change that cannot be made; the message is for the operator. */
/** The observations whose data are not open to everyone at `now`. */
export async function closedObservations(engine: Engine, now: Date): Promise<Set<string>> {
  const rights = await new RightsStore(engine).list();
  return new Set(rights.filter((r) => !isOpen(r, now)).map((r) => r.did));
}

export class RightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RightsError';
  }
}

/**
 * Writes `rights` for one dataset inside a transaction: the ObsCore row (rewritten with
 * its children, the engine has no UPDATE), the rights row, and the change history.
 */
async function writeRights(
  tx: CatalogTransaction,
  rights: ObservationRights,
  author: ChangeAuthor,
): Promise<void> {
  const where = { column: 'obs_publisher_did', values: [rights.did] };
  const [obscore] = await tx.selectRows(obscoreTable, where);
  if (obscore) {
    const hea = await tx.selectRows(obscoreHeaTable, where);
    const irf = await tx.selectRows(irfTable, where);
    // Children first, so that foreign keys never point at a missing row.
    for (const table of [irfTable, obscoreHeaTable, obscoreTable]) {
      await tx.deleteRows(table, 'obs_publisher_did', [rights.did]);
    }
    await tx.insertRows(obscoreTable, [
      {
        ...obscore,
        data_rights: rights.dataRights,
        obs_release_date: rights.releaseDate ?? null,
      },
    ]);
    await tx.insertRows(obscoreHeaTable, hea);
    await tx.insertRows(irfTable, irf);
  }
  await tx.deleteRows(observationRightsTable, 'obs_publisher_did', [rights.did]);
  await tx.insertRows(observationRightsTable, [rightsRow(rights, author)]);
  await tx.insertRows(rightsChangeTable, [changeRow(rights, author)]);
}

/**
 * At ingest, inside its transaction: the rights the ObsCore row of `did` must carry.
 * An operator override wins over the configuration; otherwise the configured rights
 * are recorded (and the change logged when they differ from what was recorded).
 */
export async function rightsAtIngest(
  tx: CatalogTransaction,
  configured: ObservationRights,
  author: ChangeAuthor,
): Promise<ObservationRights> {
  const where = { column: 'obs_publisher_did', values: [configured.did] };
  const [own] = await tx.selectRows(observationRightsTable, where);
  const recorded = own
    ? rightsOfRows(
        {
          obs_publisher_did: configured.did,
          data_rights: own.data_rights ?? null,
          obs_release_date: own.obs_release_date ?? null,
        },
        own,
      )
    : undefined;
  if (recorded?.overridden) return recorded;
  if (!sameRights(configured, recorded)) {
    await tx.deleteRows(observationRightsTable, 'obs_publisher_did', [configured.did]);
    await tx.insertRows(observationRightsTable, [rightsRow(configured, author)]);
    await tx.insertRows(rightsChangeTable, [changeRow(configured, author)]);
  }
  return configured;
}
