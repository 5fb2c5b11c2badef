/**
 * The access-rights matrix: every kind of caller × every path to the data (TAP rows of
 * hearc.irf through plain queries, joins, subqueries and aggregates; DataLink; products;
 * data store files; previews; SODA cutouts) × before and after the release date (an
 * injected clock). Each cell checks the status and that no byte of the proprietary
 * observation leaves the server, and that no preview is built for a refused caller.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { AccessControl } from '../../src/auth/index.js';
import { AFTER, BEFORE, irfQueryRoutes, securedStore, tap, TOKEN_ENDPOINT } from './fixtures.js';

type Outcome = 'granted' | 'refused' | 'bad-credentials';

const REFUSED_BEFORE: Readonly<Record<string, Outcome>> = {
  anonymous: 'refused',
  'wrong group (API token)': 'refused',
  'right group (API token)': 'granted',
  'right group (OIDC)': 'granted',
  'expired JWT': 'bad-credentials',
  'JWT signed by an unknown key': 'bad-credentials',
  'alg none': 'bad-credentials',
  'tampered payload': 'bad-credentials',
  'revoked API token': 'bad-credentials',
};

const FITS_START = 'SIMPLE  =';
const PNG_START = '\x89PNG';

/** The previews built so far in the product cache. */
const builtPreviews = (cacheDir: string): string[] =>
  existsSync(cacheDir)
    ? readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.png$/.test(f))
    : [];

/** The product, file, preview and provenance URLs DataLink gives `headers` for dataset `did`. */
async function linkedDataUrls(
  address: string,
  did: string,
  headers: Record<string, string>,
): Promise<string[]> {
  const links = await (
    await fetch(`${address}/datalink?ID=${encodeURIComponent(did)}`, { headers })
  ).text();
  return [
    ...links.matchAll(
      /<TD>(http[^<]*\/(?:products\/|files\/|previews\/|provenance\?)[^<]*)<\/TD>/g,
    ),
  ].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

test('access matrix: callers × paths × before/after the release date', async (t) => {
  const store = await securedStore(t);
  const { address, closedDid, openDid, closedObsId } = store;
  const member = store.callers['right group (API token)']!;

  // The URLs of the proprietary observation's data, as a member sees them.
  const linked = await linkedDataUrls(address, closedDid, member);
  // A cutout about the centre of the field of view (ObsCore rows stay visible to all).
  const centre = await tap(
    address,
    {},
    `SELECT s_ra, s_dec, t_min, t_max FROM ivoa.obscore WHERE obs_publisher_did = '${closedDid}'`,
  );
  const [ra, dec, tMin, tMax] = centre.text.trim().split(/\r?\n/)[1]!.split(',');
  // A coincidence search over the proprietary observation's field of view during it.
  const coincidenceUrl = `${address}/coincidence?POS=${encodeURIComponent(`CIRCLE ${ra} ${dec} 1`)}&TIME=${encodeURIComponent(`${tMin} ${tMax}`)}&RESPONSEFORMAT=votable%2Ftd`;
  const cutoutUrl = `${address}/soda?ID=${encodeURIComponent(closedDid)}&CIRCLE=${ra}+${dec}+1`;
  // A member's cutout names its provenance, which is as protected as the data.
  const made = await fetch(cutoutUrl, { headers: member });
  assert.equal(made.status, 200);
  const cutoutProvenance = /^<([^>]+)>; rel="http:\/\/www\.w3\.org\/ns\/prov#has_provenance"$/.exec(
    made.headers.get('link') ?? '',
  )?.[1];
  assert.ok(cutoutProvenance, 'the cutout links its provenance');
  const dataUrls = [...linked, cutoutUrl, cutoutProvenance];
  let previewsAsked = false;
  assert.ok(
    dataUrls.some((u) => u.includes('/products/')),
    'products linked',
  );
  assert.ok(
    dataUrls.some((u) => u.includes('/files/')),
    'files linked',
  );
  assert.ok(
    dataUrls.some((u) => u.includes('/previews/')),
    'previews linked',
  );
  assert.ok(
    dataUrls.some((u) => u.includes('/provenance?')),
    'provenance linked',
  );

  // ProvTAP rows of the dataset go through the same gate as hearc.irf.
  const irfQueries = {
    ...irfQueryRoutes(closedObsId),
    'provenance entities': 'SELECT obs_publisher_did, id FROM provenance.entity',
    'provenance from obscore':
      'SELECT o.obs_publisher_did, a.name FROM ivoa.obscore AS o JOIN provenance.wasgeneratedby AS g ON g.entity_id = o.obs_publisher_did JOIN provenance.activity AS a ON a.id = g.activity_id',
    'provenance parameters':
      'SELECT p.obs_publisher_did, p.name, p.value FROM provenance.parameter AS p',
  };

  for (const [phase, now] of [
    ['before release', BEFORE],
    ['after release', AFTER],
  ] as const) {
    store.setNow(now);
    for (const [caller, headers] of Object.entries(store.callers)) {
      const expected: Outcome =
        phase === 'after release' && REFUSED_BEFORE[caller] !== 'bad-credentials'
          ? 'granted'
          : REFUSED_BEFORE[caller]!;
      await t.test(`${phase}, ${caller}`, async () => {
        // Files, products, previews and cutouts.
        for (const url of dataUrls) {
          const response = await fetch(url, { headers });
          const body = Buffer.from(await response.arrayBuffer());
          if (expected === 'granted') {
            assert.equal(response.status, 200, url);
            if (url.includes('/previews/')) previewsAsked = true;
            continue;
          }
          const status = expected === 'refused' && caller !== 'anonymous' ? 403 : 401;
          assert.equal(response.status, status, `${url}: ${body.toString()}`);
          const text = body.toString('latin1');
          assert.ok(!text.includes('alpha'), `the owning group is not named: ${text}`);
          assert.ok(!text.includes(FITS_START), 'no FITS bytes');
          assert.ok(!text.includes(PNG_START), 'no PNG bytes');
          assert.ok(body.length < 1000, 'a short refusal, not data');
          if (!previewsAsked) {
            assert.deepEqual(builtPreviews(store.productCacheDir), [], 'no preview built');
          }
          if (status === 401) {
            const challenge = response.headers.get('www-authenticate') ?? '';
            assert.match(challenge, /ivoa_bearer/);
            assert.ok(challenge.includes(TOKEN_ENDPOINT), challenge);
            assert.match(challenge, /Bearer realm=/);
          }
        }

        // DataLink: links for those entitled, error rows for the others.
        const datalink = await fetch(
          `${address}/datalink?ID=${encodeURIComponent(closedDid)}&ID=${encodeURIComponent(openDid)}`,
          { headers },
        );
        const document = await datalink.text();
        if (expected === 'bad-credentials') {
          assert.equal(datalink.status, 401);
          assert.ok(!document.includes('/products/'));
        } else {
          assert.equal(datalink.status, 200);
          const closedRows = [...document.matchAll(/<TR>(.*?)<\/TR>/gs)]
            .map((m) => m[1]!)
            .filter((row) => row.includes(`<TD>${closedDid.replaceAll('&', '&amp;')}</TD>`));
          assert.ok(closedRows.length > 0);
          for (const row of closedRows) {
            if (expected === 'granted') assert.ok(!row.includes('Fault'), row);
            else {
              assert.match(row, /DefaultFault: access denied/);
              assert.ok(!row.includes('alpha'), `the owning group is not named: ${row}`);
              assert.ok(!/\/(products|files|soda)\//.test(row), row);
            }
          }
          assert.ok(document.includes(`/products/sim/`), 'the public observation keeps its links');
        }

        // ADQL over hearc.irf, by every route.
        for (const [name, query] of Object.entries(irfQueries)) {
          const result = await tap(address, headers, query);
          if (expected === 'bad-credentials') {
            assert.equal(result.status, 401, name);
            assert.ok(!result.text.includes(closedDid), name);
            continue;
          }
          assert.equal(result.status, 200, `${name}: ${result.text}`);
          if (name.endsWith('aggregate')) {
            const count = Number(result.text.trim().split(/\r?\n/)[1]);
            if (expected === 'granted') assert.ok(count > 0, name);
            else assert.equal(count, 0, name);
          } else if (expected === 'granted') assert.ok(result.text.includes(closedDid), name);
          else {
            assert.ok(!result.text.includes(closedDid), `${name}: ${result.text}`);
            assert.ok(result.text.includes(openDid), `${name}: public rows stay`);
          }
        }

        // The coincidence search: the proprietary observation named to those entitled, counted for the others.
        const coincident = await fetch(coincidenceUrl, { headers });
        const listing = await coincident.text();
        const hiddenCount = /name="hidden_observations" value="(\d+)"/.exec(listing)?.[1];
        if (expected === 'bad-credentials') assert.equal(coincident.status, 401, listing);
        else {
          assert.equal(coincident.status, 200, listing);
          assert.equal(hiddenCount, expected === 'granted' ? '0' : '1', listing);
          assert.equal(
            listing.includes(`<TD>${closedObsId}</TD>`),
            expected === 'granted',
            listing,
          );
          assert.ok(!listing.includes('alpha'), 'the owning group is not named');
        }

        // The gate over a list (the coincidence search's) agrees with the gate per dataset,
        // for a short list and for a long one (whose rights are read for the whole catalog).
        const gate = new AccessControl({ engine: store.engine, clock: () => now });
        const request = { headers };
        const made = Array.from({ length: 2500 }, (_, i) => `ivo://test.hearc/none?${i}`);
        for (const dids of [
          [closedDid, openDid, made[0]!],
          [closedDid, openDid, ...made],
        ]) {
          const readable = await gate.readableAmong(request, dids);
          for (const did of [closedDid, openDid, made[0]!]) {
            assert.equal(readable.has(did), (await gate.authorize(request, did)).allowed, did);
          }
          assert.ok(readable.has(openDid) && !readable.has(made[0]!), 'public yes, unpublished no');
          // Credentials that fail open only what is open to everyone.
          if (expected === 'bad-credentials') {
            assert.equal(readable.has(closedDid), phase === 'after release');
          }
          if (caller === 'right group (API token)' || caller === 'anonymous') {
            assert.equal(readable.has(closedDid), expected === 'granted', caller);
          }
        }

        // The metadata row stays visible to anyone who may ask at all.
        const meta = await tap(
          address,
          headers,
          'SELECT obs_publisher_did, data_rights, obs_release_date FROM ivoa.obscore',
        );
        if (expected === 'bad-credentials') assert.equal(meta.status, 401);
        else {
          assert.equal(meta.status, 200);
          assert.ok(meta.text.includes(closedDid));
          assert.match(meta.text, /proprietary,2030-01-01/);
        }
      });
    }
  }
});

/** The URL of the same thing for an observation that does not exist. */
function missingTwin(url: string, obsId: string, missing: string): string {
  if (url.includes('/files/')) return `${url}-missing`;
  return url.replace(`/${obsId}/`, `/${missing}/`).replace(`%3F${obsId}`, `%3F${missing}`);
}

test('hidden metadata: a refused caller cannot tell the dataset from one that does not exist', async (t) => {
  const store = await securedStore(t, { hideMetadata: true });
  const { address, closedDid, closedObsId } = store;
  const member = store.callers['right group (API token)']!;
  const missing = '987654321';
  const missingDid = closedDid.replace(`?${closedObsId}`, `?${missing}`);
  const linked = await linkedDataUrls(address, closedDid, member);
  const cutout = `${address}/soda?ID=${encodeURIComponent(closedDid)}&CIRCLE=10+20+1`;
  const urls = [...linked, cutout];
  for (const kind of ['/products/', '/files/', '/previews/']) {
    assert.ok(
      urls.some((u) => u.includes(kind)),
      `${kind} linked`,
    );
  }
  const answer = async (url: string, headers: Record<string, string>) => {
    const response = await fetch(url, { headers });
    const body = (await response.text()).replaceAll(missing, closedObsId);
    return { status: response.status, type: response.headers.get('content-type'), body };
  };
  store.setNow(BEFORE);
  for (const caller of ['anonymous', 'wrong group (API token)']) {
    const headers = store.callers[caller]!;
    await t.test(caller, async () => {
      for (const url of urls) {
        const twin = missingTwin(url, closedObsId, missing);
        assert.notEqual(twin, url);
        const [hidden, absent] = [await answer(url, headers), await answer(twin, headers)];
        assert.equal(hidden.status, 404, `${url}: ${hidden.body}`);
        assert.deepEqual(hidden, absent, url);
      }
      const datalink = (id: string) =>
        answer(`${address}/datalink?ID=${encodeURIComponent(id)}`, headers);
      const [hidden, absent] = [await datalink(closedDid), await datalink(missingDid)];
      assert.match(hidden.body, /NotFoundFault/);
      assert.deepEqual(hidden, absent);
      const meta = await tap(address, headers, 'SELECT obs_publisher_did FROM ivoa.obscore');
      assert.equal(meta.status, 200);
      assert.ok(!meta.text.includes(closedDid), meta.text);
    });
  }
  await t.test('a member still reads everything', async () => {
    for (const url of linked)
      assert.equal((await fetch(url, { headers: member })).status, 200, url);
  });
});
