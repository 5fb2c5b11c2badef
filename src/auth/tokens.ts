/**
 * hearc API tokens: `hearc_<id>_<secret>`. The id is public (to revoke and list); only
 * a SHA-256 digest of the secret is stored, and it is compared in constant time. Each
 * check reads the catalog, so a revoked token stops working at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CatalogRow, Engine, SqlValue } from '../engine/types.js';
import { apiTokenTable } from './tables.js';

const PREFIX = 'hearc_';
const TOKEN_PATTERN = /^hearc_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const GROUP_PATTERN = /^[A-Za-z0-9._:@/-]+$/;

export interface ApiTokenInfo {
  readonly id: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly createdAt: Date;
  readonly revokedAt?: Date;
}

export interface CreatedToken extends ApiTokenInfo {
  /** The whole token; shown once, never stored. */
  readonly token: string;
}

/** Checking a token: the user it stands for, or why it is refused. */
export type TokenCheck =
  | { readonly ok: true; readonly info: ApiTokenInfo }
  | { readonly ok: false; readonly reason: string };

export const isApiToken = (token: string): boolean => token.startsWith(PREFIX);

const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Group names: letters, digits and . _ : @ / -, so that lists and SQL stay unambiguous. */
export function checkGroupName(name: string): string {
  if (!GROUP_PATTERN.test(name)) {
    throw new RangeError(`'${name}' is not a valid group name (letters, digits, . _ : @ / -)`);
  }
  return name;
}

function infoOf(row: CatalogRow): ApiTokenInfo {
  const when = (v: SqlValue | undefined): Date | undefined =>
    v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  const revokedAt = when(row.revoked_at);
  return {
    id: String(row.token_id),
    user: String(row.user_name),
    groups: String(row.groups ?? '')
      .split(',')
      .filter((g) => g !== ''),
    createdAt: when(row.created_at) ?? new Date(0),
    ...(revokedAt ? { revokedAt } : {}),
  };
}

export class ApiTokenStore {
  constructor(private readonly engine: Engine) {}

  async create(user: string, groups: readonly string[], now = new Date()): Promise<CreatedToken> {
    if (user.trim() === '') throw new RangeError('a token needs a user name');
    groups.forEach(checkGroupName);
    const alphanumeric = randomBytes(32)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '');
    const id = alphanumeric.slice(0, 12).padEnd(12, '0');
    const secret = randomBytes(32).toString('base64url');
    await this.engine.transaction((tx) =>
      tx.insertRows(apiTokenTable, [
        {
          token_id: id,
          user_name: user,
          groups: groups.join(','),
          secret_sha256: digest(secret),
          created_at: now,
          revoked_at: null,
        },
      ]),
    );
    return { id, user, groups: [...groups], createdAt: now, token: `${PREFIX}${id}_${secret}` };
  }

  /** Revokes token `id`; false when there is no such token. */
  async revoke(id: string, now = new Date()): Promise<boolean> {
    return this.engine.transaction(async (tx) => {
      const [row] = await tx.selectRows(apiTokenTable, { column: 'token_id', values: [id] });
      if (!row) return false;
      if (row.revoked_at instanceof Date) return true;
      await tx.deleteRows(apiTokenTable, 'token_id', [id]);
      await tx.insertRows(apiTokenTable, [{ ...row, revoked_at: now }]);
      return true;
    });
  }

  /** Token `id` as stored (revoked or not); undefined when there is none. */
  async get(id: string): Promise<ApiTokenInfo | undefined> {
    const [row] = await this.engine.selectRows(apiTokenTable, { column: 'token_id', values: [id] });
    return row ? infoOf(row) : undefined;
  }

  async list(): Promise<ApiTokenInfo[]> {
    return (await this.engine.selectRows(apiTokenTable)).map(infoOf);
  }

  async check(token: string): Promise<TokenCheck> {
    const match = TOKEN_PATTERN.exec(token);
    if (!match) return { ok: false, reason: 'malformed hearc API token' };
    const [, id = '', secret = ''] = match;
    const [row] = await this.engine.selectRows(apiTokenTable, { column: 'token_id', values: [id] });
    const expected = Buffer.from(String(row?.secret_sha256 ?? digest('')), 'hex');
    const given = Buffer.from(digest(secret), 'hex');
    const matches = expected.length === given.length && timingSafeEqual(expected, given);
    if (!row || !matches) return { ok: false, reason: 'unknown hearc API token' };
    const info = infoOf(row);
    if (info.revokedAt) return { ok: false, reason: `hearc API token ${id} was revoked` };
    return { ok: true, info };
  }
}
