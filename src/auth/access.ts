/**
 * The access control of a running server: who the caller is (anonymous, a hearc API
 * token, an OIDC bearer JWT), the gate every data path calls, the rows ADQL may see,
 * and the IVOA SSO challenges of 401 answers. Rights and tokens are read from the
 * catalog on each request, so changes apply without a restart.
 */
import type { ResolvedQuery, RowVisibility, SqlDialect } from '../adql/index.js';
import type { Engine } from '../engine/types.js';
import { obscoreTable } from '../obscore/schema.js';
import { type CommitMark, qualifiedName, type TableDef } from '../schema/types.js';
import { loggableUrl } from '../service/index.js';
import type { AuditEvent } from './audit.js';
import { type OidcIssuerConfig, OidcVerifier } from './oidc.js';
import {
  ANONYMOUS,
  closedObservations,
  type Identity,
  isOpen,
  mayRead,
  type ObservationRights,
  RightsStore,
} from './rights.js';
import { OpenRights } from './open-rights.js';
import { observationRightsTable } from './tables.js';
import { ApiTokenStore, isApiToken } from './tokens.js';

/** What the gate looks at in a request (a Fastify request fits). */
export interface AccessRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly url?: string;
}

/** The caller, or why the credentials they sent are refused (answered with 401). */
export type Identification =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: string };

export type AccessDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly reason: string;
      /** Present when logging in could help: answer 401 with these WWW-Authenticate values. */
      readonly challenges?: readonly string[];
      /**
       * Answer exactly as for a dataset that is not published: it is not, or its
       * metadata are hidden from this caller (hideMetadata).
       */
      readonly unpublished?: true;
    };

export interface AccessControlOptions {
  readonly engine: Engine;
  /** OIDC issuers whose bearer JWTs are accepted. */
  readonly issuers?: readonly OidcIssuerConfig[];
  /** Where clients obtain a bearer token (access_url of the ivoa_bearer challenge). */
  readonly tokenEndpoint?: string;
  readonly realm?: string;
  /** The time rights are judged at (tests inject one). */
  readonly clock?: () => Date;
  /** Hide the ObsCore/HEA rows of data the caller may not read (default: show them). */
  readonly hideMetadata?: boolean;
  /**
   * Leave out the rights filters of queries when they hide nothing, on snapshots that
   * hold no commit since that was judged: default true (open-rights.ts).
   */
  readonly leaveOutOpenFilters?: boolean;
  /**
   * The audit trail: every refusal, every authorised read of data that are not public,
   * and every ADQL query of an identified caller on rights-bearing tables.
   */
  readonly onAudit?: (event: AuditEvent) => void;
}

/** What an async job keeps of its owner's credentials (never a secret). */
type JobCredential =
  | { readonly via: 'api-token'; readonly tokenId: string }
  | { readonly via: 'oidc'; readonly user: string; readonly groups: readonly string[] };

function parseJobCredential(text: string): JobCredential | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { via, tokenId, user, groups } = value as Record<string, unknown>;
  if (via === 'api-token' && typeof tokenId === 'string') return { via, tokenId };
  if (
    via === 'oidc' &&
    typeof user === 'string' &&
    Array.isArray(groups) &&
    groups.every((g): g is string => typeof g === 'string')
  ) {
    return { via, user, groups };
  }
  return undefined;
}

const SSO_PASSWORD = 'ivo://ivoa.net/sso#tls-with-password';
const METADATA_TABLES = new Set(['ivoa.obscore', 'ivoa.obscore_hea']);

const quoted = (value: string): string => `"${value.replace(/["\\]/g, '\\$&')}"`;

function header(request: AccessRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
}

/** The group whose members may publish alerts over HTTP (POST /alerts). */
export const ALERT_PUBLISHERS = 'alert-publishers';

export class AccessControl {
  readonly rights: RightsStore;
  readonly tokens: ApiTokenStore;
  readonly clock: () => Date;
  private readonly oidc: OidcVerifier;
  /** Rights filters that hide nothing, left out (undefined when they never are). */
  readonly openRights: OpenRights | undefined;
  private readonly known = new WeakMap<object, Promise<Identification>>();

  constructor(private readonly options: AccessControlOptions) {
    this.rights = new RightsStore(options.engine);
    this.tokens = new ApiTokenStore(options.engine);
    this.oidc = new OidcVerifier(options.issuers ?? []);
    this.clock = options.clock ?? (() => new Date());
    this.openRights =
      (options.leaveOutOpenFilters ?? true)
        ? new OpenRights(options.engine, this.clock)
        : undefined;
  }

  /** The caller of `request`, worked out once per request. */
  identify(request: AccessRequest): Promise<Identification> {
    let found = this.known.get(request.headers);
    if (!found) {
      found = this.identifyNow(request);
      this.known.set(request.headers, found);
    }
    return found;
  }

  private async identifyNow(request: AccessRequest): Promise<Identification> {
    const authorization = header(request, 'authorization')?.trim();
    if (!authorization) return { ok: true, identity: ANONYMOUS };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) {
      return {
        ok: false,
        reason: 'only Bearer credentials are accepted (Authorization: Bearer <token>)',
      };
    }
    const token = match[1] as string;
    if (isApiToken(token)) {
      const check = await this.tokens.check(token);
      return check.ok
        ? {
            ok: true,
            identity: {
              user: check.info.user,
              groups: check.info.groups,
              via: 'api-token',
              tokenId: check.info.id,
            },
          }
        : { ok: false, reason: check.reason };
    }
    const check = await this.oidc.verify(token);
    return check.ok
      ? { ok: true, identity: { user: check.user, groups: check.groups, via: 'oidc' } }
      : { ok: false, reason: check.reason };
  }

  /**
   * The owner of the async jobs `identity` creates, undefined for anonymous callers
   * (public jobs). An API token is kept by id, to be checked again when the job runs;
   * an OIDC JWT is not kept: its user and groups are, as verified now.
   */
  jobOwner(identity: Identity): { readonly id: string; readonly credential: string } | undefined {
    if (identity.via === 'anonymous' || identity.user === undefined) return undefined;
    const credential: JobCredential =
      identity.via === 'api-token' && identity.tokenId !== undefined
        ? { via: 'api-token', tokenId: identity.tokenId }
        : { via: 'oidc', user: identity.user, groups: [...identity.groups] };
    return { id: identity.user, credential: JSON.stringify(credential) };
  }

  /** Who a job whose owner left `credential` runs as, checked now: a revoked API token runs nothing. */
  async jobIdentity(credential: string | null): Promise<Identification> {
    if (credential === null) return { ok: true, identity: ANONYMOUS };
    const stored = parseJobCredential(credential);
    if (!stored) return { ok: false, reason: 'the credentials of the job cannot be read' };
    if (stored.via === 'oidc') {
      return { ok: true, identity: { user: stored.user, groups: stored.groups, via: 'oidc' } };
    }
    const token = await this.tokens.get(stored.tokenId);
    if (!token) return { ok: false, reason: `hearc API token ${stored.tokenId} no longer exists` };
    if (token.revokedAt) {
      return { ok: false, reason: `hearc API token ${stored.tokenId} was revoked` };
    }
    return {
      ok: true,
      identity: { user: token.user, groups: token.groups, via: 'api-token', tokenId: token.id },
    };
  }

  /** WWW-Authenticate values of a 401 answer (IVOA SSO: ivoa_bearer, then RFC 6750 Bearer). */
  challenges(invalidToken?: string): string[] {
    const realm = `realm=${quoted(this.options.realm ?? 'hearc')}`;
    const endpoint = this.options.tokenEndpoint;
    const ivoa = endpoint
      ? `ivoa_bearer standard_id=${quoted(SSO_PASSWORD)}, access_url=${quoted(endpoint)}`
      : 'ivoa_bearer';
    const bearer = invalidToken
      ? `Bearer ${realm}, error="invalid_token", error_description=${quoted(invalidToken)}`
      : `Bearer ${realm}`;
    return [ivoa, bearer];
  }

  /**
   * The gate of actions reserved to a group (publishing alerts): anonymous callers get a
   * 401 decision with challenges, identified callers outside `group` a 403 one (no
   * challenges). Refusals go to the audit trail.
   */
  readonly authorizeGroup = async (
    request: AccessRequest,
    group: string,
    action: string,
  ): Promise<AccessDecision> => {
    const who = await this.identify(request);
    if (who.ok && who.identity.groups.includes(group)) return { allowed: true };
    const path = request.url !== undefined ? { path: loggableUrl(request.url) } : {};
    const at = this.clock();
    if (!who.ok) {
      this.options.onAudit?.({
        at,
        kind: 'denied',
        via: 'credentials',
        ...path,
        reason: who.reason,
      });
      return { allowed: false, reason: who.reason, challenges: this.challenges(who.reason) };
    }
    if (who.identity.via === 'anonymous') {
      const reason = `${action} needs a login: send Authorization: Bearer <token> of a member of the group '${group}'`;
      this.options.onAudit?.({ at, kind: 'denied', via: 'anonymous', ...path, reason });
      return { allowed: false, reason, challenges: this.challenges() };
    }
    const reason = `${action} is reserved to members of the group '${group}'; ${who.identity.user ?? 'this caller'} is not one`;
    this.options.onAudit?.({
      at,
      kind: 'denied',
      via: who.identity.via,
      ...(who.identity.user !== undefined ? { user: who.identity.user } : {}),
      ...path,
      reason,
    });
    return { allowed: false, reason };
  };

  /**
   * The observations whose existence an outsider may not learn now: those not open to
   * everyone when metadata are hidden, none otherwise (their ObsCore rows are public).
   */
  readonly hiddenFromPublic = async (): Promise<ReadonlySet<string>> => {
    if (this.options.hideMetadata !== true) return new Set();
    return closedObservations(this.options.engine, this.clock());
  };

  /** The gate of every data path: may `request` read the data of dataset `did`? */
  readonly authorize = async (request: AccessRequest, did: string): Promise<AccessDecision> => {
    const rights = await this.rights.rightsOf(did);
    const now = this.clock();
    if (rights && isOpen(rights, now)) return { allowed: true };
    return this.judge(request, did, rights, rights ? await this.identify(request) : undefined, now);
  };

  /**
   * The same gate over a list (a search's answer): which of `dids` `request` may read, with
   * the rights read in two queries; each refusal and each read of data not public is audited.
   */
  readonly readableAmong = async (
    request: AccessRequest,
    dids: readonly string[],
  ): Promise<ReadonlySet<string>> => {
    const rights = await this.rights.rightsOfMany(dids);
    const now = this.clock();
    const readable = new Set<string>();
    let who: Identification | undefined;
    for (const did of dids) {
      const found = rights.get(did);
      if (found && isOpen(found, now)) {
        readable.add(did);
        continue;
      }
      if (found) who ??= await this.identify(request);
      if (this.judge(request, did, found, who, now).allowed) readable.add(did);
    }
    return readable;
  };

  /**
   * Which of `dids` an identified caller may read, not audited: the gate of jobs, judged
   * for their owner when they run (their requests were audited when they were made).
   */
  async readableBy(identity: Identity, dids: readonly string[]): Promise<ReadonlySet<string>> {
    const rights = await this.rights.rightsOfMany(dids);
    const now = this.clock();
    return new Set(
      dids.filter((did) => {
        const found = rights.get(did);
        return found !== undefined && mayRead(found, identity, now);
      }),
    );
  }

  /** The decision on data that are not open to everyone (`rights` undefined: not published), audited. */
  private judge(
    request: AccessRequest,
    did: string,
    rights: ObservationRights | undefined,
    who: Identification | undefined,
    now: Date,
  ): AccessDecision {
    const unpublished = {
      allowed: false,
      reason: `${did} is not published here`,
      unpublished: true,
    } as const;
    if (!rights || !who) return unpublished;
    // Hidden metadata: a refusal must not tell a dataset that exists from one that does not.
    const hidden = this.options.hideMetadata === true;
    const path = request.url !== undefined ? { path: loggableUrl(request.url) } : {};
    if (!who.ok) {
      this.options.onAudit?.({
        at: now,
        kind: 'denied',
        via: 'credentials',
        did,
        ...path,
        reason: who.reason,
      });
      return hidden
        ? unpublished
        : { allowed: false, reason: who.reason, challenges: this.challenges(who.reason) };
    }
    const caller = {
      via: who.identity.via,
      ...(who.identity.user !== undefined ? { user: who.identity.user } : {}),
    };
    if (mayRead(rights, who.identity, now)) {
      this.options.onAudit?.({ at: now, kind: 'granted', ...caller, did, ...path });
      return { allowed: true };
    }
    const until =
      rights.dataRights === 'proprietary' && rights.releaseDate
        ? `proprietary until ${rights.releaseDate.toISOString()}`
        : rights.dataRights === 'proprietary'
          ? 'proprietary (no release date set)'
          : 'restricted (secure)';
    // The owning group is not told: its name says who works on what.
    const owners = rights.ownerGroup ? ' to members of its owning group' : '';
    const reason = `the data of ${did} are ${until}; access is limited${owners}`;
    this.options.onAudit?.({ at: now, kind: 'denied', ...caller, did, ...path, reason });
    if (hidden) return unpublished;
    return who.identity.via === 'anonymous'
      ? { allowed: false, reason, challenges: this.challenges() }
      : { allowed: false, reason };
  }

  /**
   * `dialect` compiling ADQL for `identity`: each query filters rights-bearing tables
   * with the rights in the catalog at the time it is compiled. The rights-bearing
   * tables a query of an identified caller touches go to the audit trail (`path`: the
   * request or job it came from).
   */
  dialectFor(dialect: SqlDialect, identity: Identity, path?: string): SqlDialect {
    // The tables each compiled query filtered, for compileUnfiltered.
    const filteredBy = new WeakMap<ResolvedQuery, TableDef[]>();
    return {
      name: dialect.name,
      compile: (resolved, options) => {
        const visibility = this.visibility(identity);
        // Tables whose rows the rights filter: their non-public rows may be returned.
        const filtered = new Map<string, TableDef>();
        const sql = dialect.compile(resolved, {
          ...options,
          visibility: {
            ...visibility,
            filters: (table) => {
              const filters = visibility.filters(table);
              if (filters) filtered.set(qualifiedName(table), table);
              return filters;
            },
          },
        });
        filteredBy.set(resolved, [...filtered.values()]);
        if (identity.via !== 'anonymous' && filtered.size > 0) {
          this.options.onAudit?.({
            at: visibility.now,
            kind: 'query',
            via: identity.via,
            ...(identity.user !== undefined ? { user: identity.user } : {}),
            tables: [...filtered.keys()].sort(),
            ...(path !== undefined ? { path: loggableUrl(path) } : {}),
          });
        }
        return sql;
      },
      // Without filters only when each filtered table is judged to hide nothing; the
      // judgement's commit counts go with the query, for the engine to check.
      compileUnfiltered: (resolved, options) => {
        const filtered = filteredBy.get(resolved);
        if (!this.openRights || !filtered || filtered.length === 0) return undefined;
        const { rights } = this.visibility(identity);
        const since: CommitMark[] = [];
        for (const table of filtered) {
          const mark = this.openRights.openAt(table, rights, dialect);
          if (!mark) return undefined;
          since.push(mark);
        }
        const { visibility: _everything, ...unfiltered } = options ?? {};
        return { sql: dialect.compile(resolved, unfiltered), since };
      },
    };
  }

  /** The rows of rights-bearing tables `identity` may see in ADQL queries, judged now. */
  visibility(identity: Identity): RowVisibility {
    const hideMetadata = this.options.hideMetadata ?? false;
    return {
      filters: (table: TableDef) =>
        hideMetadata || !METADATA_TABLES.has(`${table.schema}.${table.name}`),
      rights: { observations: obscoreTable, owners: observationRightsTable },
      now: this.clock(),
      groups: identity.groups,
    };
  }
}
