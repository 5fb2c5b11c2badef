/**
 * `hearc serve` access options: OIDC issuers from the command line (repeatable, paired
 * in order) and from an --auth-config file, --token-endpoint in the 401 challenges,
 * --hide-proprietary-metadata, and the securityMethods the capabilities declare.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { UsageError } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { parseCommandArgs } from '../../src/cli/options.js';
import { serveOptionSpec, serveSettingsFrom } from '../../src/cli/serve.js';
import { simulatedStore } from '../datalink/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { tempDir } from '../helpers/tmp.js';
import { freePort } from '../helpers/net.js';

const SERVE = fileURLToPath(new URL('../uws/serve-process.ts', import.meta.url));
const TOKEN_ENDPOINT = 'https://login.example.org/token';

const settingsOf = (args: string[]) =>
  serveSettingsFrom(parseCommandArgs(args, serveOptionSpec, false).values);

test('serve options: issuers paired in order, a config file, errors name the option', (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'auth.json');
  writeFileSync(
    config,
    JSON.stringify({
      issuers: [{ issuer: 'https://a.example', audience: 'hearc', jwksUrl: 'https://a.example/k' }],
      tokenEndpoint: TOKEN_ENDPOINT,
    }),
  );
  const settings = settingsOf([
    ...['--auth-config', config],
    ...['--oidc-issuer', 'https://b.example', '--oidc-issuer', 'https://c.example'],
    ...['--oidc-audience', 'b-aud', '--oidc-audience', 'c-aud'],
    ...['--oidc-jwks', 'https://b.example/jwks', '--oidc-jwks', join(dir, 'c.json')],
    ...['--oidc-groups-claim', 'roles', '--hide-proprietary-metadata'],
  ]);
  assert.deepEqual(settings.auth, {
    issuers: [
      { issuer: 'https://a.example', audience: 'hearc', jwksUrl: 'https://a.example/k' },
      {
        issuer: 'https://b.example',
        audience: 'b-aud',
        jwksUrl: 'https://b.example/jwks',
        groupsClaim: 'roles',
      },
      {
        issuer: 'https://c.example',
        audience: 'c-aud',
        jwksFile: join(dir, 'c.json'),
        groupsClaim: 'roles',
      },
    ],
    tokenEndpoint: TOKEN_ENDPOINT,
    hideMetadata: true,
  });
  assert.equal(settingsOf([]).auth, undefined);

  const refused = (args: string[], message: RegExp) =>
    assert.throws(
      () => settingsOf(args),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
    );
  refused(['--oidc-issuer', 'https://b.example', '--oidc-jwks', 'k.json'], /--oidc-audience/);
  refused(
    ['--oidc-issuer', 'not a url', '--oidc-audience', 'a', '--oidc-jwks', 'k.json'],
    /http\(s\) URL/,
  );
  refused(['--token-endpoint', 'ftp://x'], /--token-endpoint/);
  writeFileSync(config, '{"issuers": [{"issuer": "https://a.example", "audiense": "x"}]}');
  refused(['--auth-config', config], /issuers\[0\]: unknown setting\(s\) audiense/);
  writeFileSync(config, '{"issuers": [');
  refused(['--auth-config', config], /not JSON/);
  refused(['--auth-config', join(dir, 'missing.json')], /cannot read/);
});

test('hearc serve with OIDC issuers, a token endpoint and hidden proprietary metadata', async (t) => {
  const { dir: storeDir, runs } = await simulatedStore(t);
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const ingest = ['ingest', storeDir, '--db', db, '--collection', 'sim'];
  const io = captureIo();
  assert.equal(
    await main([...ingest, '--proprietary-months', '1200', '--group', 'alpha'], io),
    0,
    io.err(),
  );

  // Two issuers: one from the config file (groups claim), one from the command line (roles).
  const keys = await generateKeyPair('ES256');
  writeFileSync(
    join(dir, 'jwks.json'),
    JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k', alg: 'ES256' }] }),
  );
  writeFileSync(
    join(dir, 'auth.json'),
    JSON.stringify({
      issuers: [
        { issuer: 'https://one.example', audience: 'hearc', jwksFile: join(dir, 'jwks.json') },
      ],
    }),
  );
  const jwt = (issuer: string, claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(issuer)
      .setAudience('hearc')
      .setSubject('u1')
      .setExpirationTime('10m')
      .sign(keys.privateKey);

  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', SERVE, 'serve', '--db', db, '--port', String(port)],
      ...['--auth-config', join(dir, 'auth.json')],
      ...['--oidc-issuer', 'https://two.example', '--oidc-audience', 'hearc'],
      ...['--oidc-jwks', join(dir, 'jwks.json'), '--oidc-groups-claim', 'roles'],
      ...['--token-endpoint', TOKEN_ENDPOINT, '--hide-proprietary-metadata'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(() => child.kill('SIGKILL'));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hearc serve exited: ${stderr}`);
    if (
      await fetch(`${address}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const count = async (headers: Record<string, string>) => {
    const response = await fetch(`${address}/tap/sync`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        LANG: 'ADQL',
        FORMAT: 'csv',
        QUERY: 'SELECT COUNT(*) AS n FROM ivoa.obscore',
      }),
    });
    const text = await response.text();
    return { status: response.status, text, n: Number(text.trim().split(/\r?\n/)[1]) };
  };
  const bearer = async (issuer: string, claims: Record<string, unknown>) => ({
    authorization: `Bearer ${await jwt(issuer, claims)}`,
  });

  assert.equal((await count({})).n, 0, 'proprietary metadata hidden from anonymous callers');
  assert.equal(
    (await count(await bearer('https://one.example', { groups: ['alpha'] }))).n,
    runs.length,
  );
  assert.equal(
    (await count(await bearer('https://two.example', { roles: ['alpha'] }))).n,
    runs.length,
  );
  // The second issuer's groups are in `roles`: a `groups` claim gives nothing there.
  assert.equal((await count(await bearer('https://two.example', { groups: ['alpha'] }))).n, 0);

  const refused = await count(await bearer('https://three.example', { groups: ['alpha'] }));
  assert.equal(refused.status, 401);
  const challenge = await fetch(`${address}/tap/sync`, {
    headers: { authorization: 'Bearer nonsense' },
  });
  assert.equal(challenge.status, 401);
  assert.ok(
    (challenge.headers.get('www-authenticate') ?? '').includes(`access_url="${TOKEN_ENDPOINT}"`),
  );

  const capabilities = await (await fetch(`${address}/tap/capabilities`)).text();
  // VOResource 1.1 Erratum 1: one interface, anonymous (no standardID) or a bearer token.
  const tapInterfaces = [
    ...(/<capability standardID="ivo:\/\/ivoa.net\/std\/TAP"[\s\S]*?<\/capability>/
      .exec(capabilities)?.[0]
      .matchAll(/<interface[\s\S]*?<\/interface>/g) ?? []),
  ].map((m) => m[0]);
  assert.equal(tapInterfaces.length, 1);
  assert.deepEqual(
    [...(tapInterfaces[0] ?? '').matchAll(/<securityMethod[^>]*>/g)].map((m) => m[0]),
    ['<securityMethod/>', '<securityMethod standardID="ivo://ivoa.net/sso#OAuth"/>'],
  );
});
