/**
 * OIDC bearer tokens (JWTs) from configured issuers, verified with jose against each
 * issuer's JWKS (a URL, or a local file for closed networks and tests): signature with
 * an asymmetric algorithm only (so `alg: none` and HMAC forgeries fail), a key the
 * issuer publishes, issuer, audience, expiry and not-before with a clock tolerance.
 */
import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

export interface OidcIssuerConfig {
  /** The `iss` value tokens carry. */
  readonly issuer: string;
  /** The `aud` value tokens must carry (this service's client id or URL). */
  readonly audience: string | readonly string[];
  /** Where the issuer's signing keys are: a JWKS URL or a local JWKS file. */
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
  /** Claim holding the user's groups (default `groups`); a list or a space/comma-separated string. */
  readonly groupsClaim?: string;
  /** Claim naming the user (default `preferred_username`, then `sub`). */
  readonly userClaim?: string;
  /** Seconds of clock difference tolerated on exp/nbf/iat (default 30). */
  readonly clockToleranceSeconds?: number;
  /**
   * The portal's public client at this issuer: with it, /login offers sign-in through the
   * issuer (authorization code with PKCE, done by the browser).
   */
  readonly clientId?: string;
  /** Scopes the portal asks for (default `openid`). */
  readonly scope?: string;
}

export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type JwtCheck =
  | { readonly ok: true; readonly user: string; readonly groups: readonly string[] }
  | { readonly ok: false; readonly reason: string };

type KeySet = JWTVerifyGetKey;

function groupsOf(payload: JWTPayload, claim: string): string[] {
  const value: unknown = payload[claim];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  return [];
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the token's ${error.claim} claim is not accepted (${error.reason})`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with an unknown key';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'the token signature is not valid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token signing algorithm is refused';
  if (error instanceof errors.JOSEError) return `the token is not valid (${error.code})`;
  return 'the token is not valid';
}

/** Verifies JWTs from a fixed set of issuers. */
export class OidcVerifier {
  private readonly keys = new Map<string, Promise<KeySet>>();

  constructor(private readonly issuers: readonly OidcIssuerConfig[]) {
    for (const config of issuers) {
      if (!config.jwksUrl === !config.jwksFile) {
        throw new RangeError(`issuer ${config.issuer}: give exactly one of jwksUrl and jwksFile`);
      }
    }
  }

  get configured(): boolean {
    return this.issuers.length > 0;
  }

  private keySet(config: OidcIssuerConfig): Promise<KeySet> {
    let keys = this.keys.get(config.issuer);
    if (!keys) {
      keys = config.jwksUrl
        ? Promise.resolve<KeySet>(createRemoteJWKSet(new URL(config.jwksUrl)))
        : readFile(config.jwksFile as string, 'utf8').then((text): KeySet =>
            createLocalJWKSet(JSON.parse(text) as JSONWebKeySet),
          );
      // A file that failed to load is tried again on the next token.
      keys.catch(() => this.keys.delete(config.issuer));
      this.keys.set(config.issuer, keys);
    }
    return keys;
  }

  async verify(token: string): Promise<JwtCheck> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return { ok: false, reason: 'the bearer token is neither a hearc API token nor a JWT' };
    }
    const config = this.issuers.find((c) => c.issuer === issuer);
    if (!config)
      return { ok: false, reason: `tokens from issuer '${issuer ?? ''}' are not accepted` };
    try {
      const { payload } = await jwtVerify(token, await this.keySet(config), {
        issuer: config.issuer,
        audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        clockTolerance: config.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp', 'sub'],
      });
      const userClaim = config.userClaim ?? 'preferred_username';
      const user =
        typeof payload[userClaim] === 'string' ? String(payload[userClaim]) : payload.sub;
      return {
        ok: true,
        user: user ?? '',
        groups: groupsOf(payload, config.groupsClaim ?? 'groups'),
      };
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
  }
}
