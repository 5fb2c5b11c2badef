/**
 * Sign-in through the service's OIDC issuer, done by the browser: the authorization-code
 * flow with PKCE (RFC 7636, S256) against the endpoints of the issuer's discovery
 * document. The portal is a public client: no secret; what proves the code is ours is
 * the verifier kept in this tab (sessionStorage) between leaving and coming back.
 */
import { serviceUrl } from './api.js';

export interface SignInConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
}

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly code_challenge_methods_supported?: string[];
}

/** What the tab remembers while the user is at the issuer. */
interface Pending {
  readonly state: string;
  readonly verifier: string;
  readonly tokenEndpoint: string;
  readonly redirectUri: string;
  readonly next: string;
}

const PENDING_KEY = 'hearc.oidc.pending';

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomText = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function challengeOf(verifier: string): Promise<string> {
  if (!crypto.subtle) {
    throw new Error(
      'This browser offers no Web Crypto here (the portal must be served over HTTPS).',
    );
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'omit' });
  } catch {
    throw new Error(`The sign-in provider ${issuer} cannot be reached.`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const doc = (await response.json()) as Partial<Discovery>;
  if (doc.issuer !== issuer) {
    throw new Error(
      `The discovery document of ${issuer} names another issuer (${doc.issuer ?? 'none'}).`,
    );
  }
  if (!doc.authorization_endpoint || !doc.token_endpoint) {
    throw new Error(`The discovery document of ${issuer} has no authorization or token endpoint.`);
  }
  const methods = doc.code_challenge_methods_supported;
  if (methods && !methods.includes('S256')) {
    throw new Error(`${issuer} does not support PKCE with S256.`);
  }
  return doc as Discovery;
}

/** Leaves for the issuer's sign-in page (a GET form, as the CSP's form-action allows). */
export async function startSignIn(config: SignInConfig, next: string): Promise<void> {
  const discovery = await discover(config.issuer);
  const verifier = randomText();
  const pending: Pending = {
    state: randomText(),
    verifier,
    tokenEndpoint: discovery.token_endpoint,
    redirectUri: serviceUrl('login'),
    next,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const target = new URL(discovery.authorization_endpoint);
  const fields: Record<string, string> = {
    ...Object.fromEntries(target.searchParams),
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: pending.redirectUri,
    scope: config.scope,
    state: pending.state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  };
  target.search = '';
  const form = document.createElement('form');
  form.method = 'get';
  form.action = target.href;
  form.hidden = true;
  for (const [name, value] of Object.entries(fields)) {
    form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }));
  }
  document.body.append(form);
  form.submit();
}

/** The callback's parameters are there (code or error, with state). */
export const isCallback = (params: URLSearchParams): boolean =>
  params.has('state') && (params.has('code') || params.has('error'));

/**
 * Back from the issuer: checks the state, trades the code and the verifier for an
 * access token at the token endpoint. Returns the token and where to go next.
 */
export async function finishSignIn(
  config: SignInConfig,
  params: URLSearchParams,
): Promise<{ token: string; next: string }> {
  const text = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = text ? (JSON.parse(text) as Pending) : undefined;
  if (!pending || pending.state !== params.get('state')) {
    throw new Error('This sign-in answer was not asked for by this tab: sign in again.');
  }
  const error = params.get('error');
  if (error) {
    const why = params.get('error_description');
    throw new Error(`The sign-in provider refused: ${error}${why ? ` (${why})` : ''}.`);
  }
  let response: Response;
  try {
    response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code') ?? '',
        redirect_uri: pending.redirectUri,
        client_id: config.clientId,
        code_verifier: pending.verifier,
      }),
    });
  } catch {
    throw new Error(`The token endpoint ${pending.tokenEndpoint} cannot be reached.`);
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof answer.access_token !== 'string') {
    const code = typeof answer.error === 'string' ? answer.error : `HTTP ${response.status}`;
    const why =
      typeof answer.error_description === 'string' ? ` (${answer.error_description})` : '';
    throw new Error(`The sign-in provider did not give a token: ${code}${why}.`);
  }
  return { token: answer.access_token, next: pending.next };
}

/** Who a JWT names (preferred_username, else sub), read without checking: the service checks. */
export function jwtUser(token: string): string | undefined {
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || !part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as Record<string, unknown>;
    const name = claims.preferred_username ?? claims.sub;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
