/**
 * A small but real OpenID Connect provider for the portal's sign-in tests (Fastify on its
 * own port, so another origin than the portal): discovery, JWKS, /authorize that signs
 * the user in at once and redirects back with a code, and /token that checks the PKCE
 * verifier (S256) and answers an RS256 access token signed with jose, carrying groups.
 */
import { createHash, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { TestContext } from 'node:test';

export interface OidcProviderOptions {
  readonly clientId: string;
  /** The `aud` of the access tokens (the audience hearc accepts). */
  readonly audience: string;
  readonly user: string;
  readonly groups: readonly string[];
}

export interface OidcProvider {
  /** http://127.0.0.1:<port> */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Token requests answered: 'ok' or the error given. */
  readonly tokenAnswers: string[];
}

interface Grant {
  readonly challenge: string;
  readonly redirectUri: string;
  readonly clientId: string;
}

const sha256url = (text: string): string => createHash('sha256').update(text).digest('base64url');

export async function startOidcProvider(
  t: Pick<TestContext, 'after'>,
  options: OidcProviderOptions,
): Promise<OidcProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const tokenAnswers: string[] = [];
  // The browser keeps connections open: closing must not wait for them.
  const app = Fastify({ forceCloseConnections: true });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  // Known once listening; the routes read it when they answer.
  let issuer = '';

  app.get('/.well-known/openid-configuration', async (_request, reply) =>
    reply.header('access-control-allow-origin', '*').send({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['none'],
    }),
  );
  app.get('/jwks', async () => ({ keys: [jwk] }));

  app.get<{ Querystring: Record<string, string> }>('/authorize', async (request, reply) => {
    const q = request.query;
    const problem =
      q.response_type !== 'code'
        ? 'response_type must be code'
        : q.client_id !== options.clientId
          ? `unknown client ${q.client_id}`
          : q.code_challenge_method !== 'S256' || !q.code_challenge
            ? 'PKCE with S256 is required'
            : !q.redirect_uri || !q.state
              ? 'redirect_uri and state are required'
              : undefined;
    if (problem) return reply.code(400).type('text/plain').send(problem);
    // The user is signed in at once (no login form): the test is about the flow.
    const code = randomBytes(16).toString('base64url');
    grants.set(code, {
      challenge: q.code_challenge!,
      redirectUri: q.redirect_uri!,
      clientId: q.client_id!,
    });
    const back = new URL(q.redirect_uri!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.state!);
    return reply.redirect(back.href, 302);
  });

  app.post<{ Body: Record<string, string> }>('/token', async (request, reply) => {
    reply
      .header('access-control-allow-origin', request.headers.origin ?? '*')
      .header('cache-control', 'no-store');
    const body = request.body ?? {};
    const grant = grants.get(body.code ?? '');
    const refuse = (error: string, description: string) => {
      tokenAnswers.push(error);
      return reply.code(400).send({ error, error_description: description });
    };
    if (body.grant_type !== 'authorization_code')
      return refuse('unsupported_grant_type', 'only authorization_code');
    if (!grant) return refuse('invalid_grant', 'unknown or used code');
    grants.delete(body.code!);
    if (body.client_id !== grant.clientId) return refuse('invalid_client', 'another client');
    if (body.redirect_uri !== grant.redirectUri)
      return refuse('invalid_grant', 'the redirect_uri differs');
    if (!body.code_verifier || sha256url(body.code_verifier) !== grant.challenge)
      return refuse('invalid_grant', 'the PKCE code verifier does not match the challenge');
    const accessToken = await new SignJWT({
      preferred_username: options.user,
      groups: [...options.groups],
      scope: 'openid',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(options.audience)
      .setSubject(`sub-${options.user}`)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    tokenAnswers.push('ok');
    return reply.send({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600 });
  });
  issuer = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return { issuer, jwksUrl: `${issuer}/jwks`, tokenAnswers };
}
