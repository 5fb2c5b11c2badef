/**
 * A served simulated store with access rights: one observation proprietary to group
 * `alpha` until 2030, one public; a clock the test moves; API tokens for group members
 * and outsiders; an OIDC issuer whose JWKS is a local file, and the tokens an attacker
 * would try (expired, unknown key, alg none, tampered).
 */
import { testService } from '../helpers/service.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ApiTokenStore, RightsStore } from '../../src/auth/index.js';
import { openEngine } from '../../src/engine/index.js';
import type { Engine } from '../../src/engine/types.js';
import { buildServer } from '../../src/http/server.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { catalogTables, servedCatalog } from '../../src/ingest/catalog.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { didOf, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

export const ISSUER = 'https://login.test.hearc';
export const AUDIENCE = 'hearc-test';
export const RELEASE = new Date('2030-01-01T00:00:00Z');
export const BEFORE = new Date('2027-06-01T00:00:00Z');
export const AFTER = new Date('2030-06-01T00:00:00Z');
export const TOKEN_ENDPOINT = 'https://login.test.hearc/token';

export interface SecuredStore {
  readonly address: string;
  readonly engine: Engine;
  readonly closedDid: string;
  readonly closedObsId: string;
  readonly openDid: string;
  /** Folder of the product cache (previews are built there). */
  readonly productCacheDir: string;
  /** Sets the time the server judges rights at. */
  setNow(date: Date): void;
  /** Authorization headers by caller name. */
  readonly callers: Readonly<Record<string, Record<string, string>>>;
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * ADQL over the per-observation tables (hearc.irf, hearc.events) by every route a query
 * can take to their rows; routes named '… aggregate' count the closed observation's rows.
 */
export function irfQueryRoutes(closedObsId: string): Readonly<Record<string, string>> {
  return {
    rows: 'SELECT obs_publisher_did, component FROM hearc.irf',
    join: 'SELECT o.obs_publisher_did, i.component FROM ivoa.obscore AS o JOIN hearc.irf AS i ON i.obs_publisher_did = o.obs_publisher_did',
    subquery:
      'SELECT obs_publisher_did FROM ivoa.obscore WHERE obs_publisher_did IN (SELECT obs_publisher_did FROM hearc.irf)',
    aggregate: `SELECT COUNT(*) AS n FROM hearc.irf WHERE obs_publisher_did LIKE '%?${closedObsId}'`,
    derived: 'SELECT d.obs_publisher_did FROM (SELECT * FROM hearc.irf) AS d',
    cte: 'WITH x AS (SELECT obs_publisher_did FROM hearc.irf) SELECT obs_publisher_did FROM x',
    'events rows': 'SELECT obs_publisher_did, event_id, energy FROM hearc.events',
    'events join':
      'SELECT DISTINCT o.obs_publisher_did FROM ivoa.obscore AS o JOIN hearc.events AS e ON e.obs_publisher_did = o.obs_publisher_did WHERE e.energy > 0',
    'events subquery':
      'SELECT obs_publisher_did FROM ivoa.obscore WHERE obs_publisher_did IN (SELECT obs_publisher_did FROM hearc.events WHERE energy > 0)',
    'events aggregate': `SELECT COUNT(*) AS n FROM hearc.events WHERE obs_id = '${closedObsId}'`,
    'events group':
      'SELECT obs_publisher_did, COUNT(*) AS n, MAX(energy) AS e FROM hearc.events GROUP BY obs_publisher_did',
    'events cone':
      "SELECT DISTINCT obs_publisher_did FROM hearc.events WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 83.63, 22.01, 5))",
  };
}

/** A TAP sync query answered as CSV. */
export async function tap(address: string, headers: Record<string, string>, query: string) {
  const response = await fetch(`${address}/tap/sync`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ LANG: 'ADQL', FORMAT: 'csv', QUERY: query }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export interface SecuredStoreOptions {
  /** The catalog (a postgres:// URL); default a DuckDB file in a temporary folder. */
  readonly catalog?: string;
  /** The public address when a proxy sits in front (links point there); default the server's. */
  readonly baseUrl?: string;
  /** Serve with --hide-proprietary-metadata. */
  readonly hideMetadata?: boolean;
}

/** Ingests the simulated store at `storeDir` into `engine`, every observation public. */
export async function ingestPublic(engine: Engine, storeDir: string): Promise<void> {
  const report = await ingestDataStore(engine, storeDir, {
    authority: 'test.hearc',
    collection: SIM_COLLECTION,
    accessMode: 'datalink',
    dataRights: 'public',
  });
  if (report.failed.length > 0) throw new Error(JSON.stringify(report.failed));
}

export async function securedStore(
  t: TestContext,
  options: SecuredStoreOptions = {},
): Promise<SecuredStore> {
  const { dir: storeDir, runs } = await simulatedStore(t);
  const dir = tempDir(t);
  const engine = await openEngine(options.catalog ?? join(dir, 'catalog.duckdb'));
  await engine.ensureTables(catalogTables);
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as { port: number };
      probe.close(() => resolve(p));
    });
  });
  const address = `http://127.0.0.1:${port}`;
  await ingestPublic(engine, storeDir);
  const [closed, open] = runs as [(typeof runs)[0], (typeof runs)[0]];

  // The issuer's key in a local JWKS file; a second key the issuer never published.
  const issuerKeys = await generateKeyPair('RS256');
  const strangerKeys = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(issuerKeys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  const jwt = (claims: Record<string, unknown>, key = issuerKeys.privateKey, kid = 'k1') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);
  const member = await jwt({ groups: ['alpha'], preferred_username: 'ada' });
  const [header, , signature] = member.split('.');
  const tampered = `${header}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 600, groups: ['alpha', 'beta'] })}.${signature}`;
  const expired = await new SignJWT({ groups: ['alpha'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-1')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(issuerKeys.privateKey);
  const unknownKey = await jwt({ groups: ['alpha'] }, strangerKeys.privateKey, 'k1');
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: Math.floor(Date.now() / 1000) + 600, groups: ['alpha'] })}.`;

  const tokens = new ApiTokenStore(engine);
  const alpha = await tokens.create('ada', ['alpha']);
  const beta = await tokens.create('bob', ['beta']);
  const revoked = await tokens.create('eve', ['alpha']);
  await tokens.revoke(revoked.id);

  let now = BEFORE;
  const app = await buildServer({
    engine,
    schema: servedSchema(servedCatalog),
    ...(options.baseUrl !== undefined ? { service: testService(options.baseUrl) } : {}),
    productCacheDir: join(dir, 'products'),
    auth: {
      clock: () => now,
      issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksFile }],
      tokenEndpoint: TOKEN_ENDPOINT,
      ...(options.hideMetadata === true ? { hideMetadata: true } : {}),
    },
  });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await app.listen({ host: '127.0.0.1', port });

  // Rights set on the running server's catalog: it must apply them without a restart.
  await new RightsStore(engine).set(
    [String(closed.obsId)],
    { dataRights: 'proprietary', releaseDate: RELEASE, ownerGroup: 'alpha' },
    { by: 'test', via: 'test', at: new Date() },
  );
  return {
    address,
    engine,
    closedDid: didOf(SIM_COLLECTION, closed.obsId),
    closedObsId: String(closed.obsId),
    openDid: didOf(SIM_COLLECTION, open.obsId),
    productCacheDir: join(dir, 'products'),
    setNow: (date) => {
      now = date;
    },
    callers: {
      anonymous: {},
      'wrong group (API token)': bearer(beta.token),
      'right group (API token)': bearer(alpha.token),
      'right group (OIDC)': bearer(member),
      'expired JWT': bearer(expired),
      'JWT signed by an unknown key': bearer(unknownKey),
      'alg none': bearer(algNone),
      'tampered payload': bearer(tampered),
      'revoked API token': bearer(revoked.token),
    },
  };
}
