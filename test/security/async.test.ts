/**
 * Async TAP jobs and access rights: a job runs with its owner's entitlements, checked
 * again when it runs (a revoked API token runs nothing); a job with an owner is seen
 * and managed by that owner only; anonymous jobs stay public.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiTokenStore } from '../../src/auth/index.js';
import { securedStore } from './fixtures.js';

type Headers = Record<string, string>;

const QUERY = 'SELECT obs_publisher_did, component FROM hearc.irf';

async function submit(address: string, headers: Headers, run = true): Promise<string> {
  const response = await fetch(`${address}/tap/async`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      LANG: 'ADQL',
      FORMAT: 'csv',
      QUERY,
      ...(run ? { PHASE: 'RUN' } : {}),
    }),
    redirect: 'manual',
  });
  assert.equal(response.status, 303, await response.text());
  return response.headers.get('location')!;
}

/** The job's phase once it has finished. */
async function finished(jobUrl: string, headers: Headers): Promise<string> {
  for (;;) {
    const document = await (await fetch(`${jobUrl}?WAIT=10`, { headers })).text();
    const phase = /<uws:phase>(\w+)<\/uws:phase>/.exec(document)?.[1];
    if (phase !== 'QUEUED' && phase !== 'EXECUTING') return phase ?? document;
  }
}

async function get(url: string, headers: Headers) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

test('async TAP jobs run with their owner rights and belong to their owner', async (t) => {
  const store = await securedStore(t);
  const { address, closedDid, openDid, callers } = store;
  const member = callers['right group (API token)']!;
  const memberOidc = callers['right group (OIDC)']!;
  const outsider = callers['wrong group (API token)']!;
  const anonymous = callers.anonymous!;

  const memberJob = await submit(address, member);
  const oidcJob = await submit(address, memberOidc);
  const anonymousJob = await submit(address, anonymous);
  const outsiderJob = await submit(address, outsider);

  await t.test('a member sees the proprietary rows, others do not', async () => {
    for (const job of [memberJob, oidcJob]) {
      assert.equal(await finished(job, member), 'COMPLETED');
      const result = await get(`${job}/results/result`, member);
      assert.equal(result.status, 200);
      assert.ok(result.text.includes(closedDid), result.text);
    }
    for (const [job, headers] of [
      [anonymousJob, anonymous],
      [outsiderJob, outsider],
    ] as const) {
      assert.equal(await finished(job, headers), 'COMPLETED');
      const result = await get(`${job}/results/result`, headers);
      assert.equal(result.status, 200);
      assert.ok(!result.text.includes(closedDid), result.text);
      assert.ok(result.text.includes(openDid), 'public rows stay');
    }
  });

  await t.test('the owner sub-resource and the job document name the user', async () => {
    assert.equal((await get(`${memberJob}/owner`, member)).text, 'ada');
    assert.match((await get(memberJob, member)).text, /<uws:ownerId>ada<\/uws:ownerId>/);
    assert.equal((await get(`${anonymousJob}/owner`, anonymous)).text, '');
  });

  await t.test('nobody else reads or manages a job that has an owner', async () => {
    for (const path of ['', '/results/result', '/results', '/parameters', '/owner', '/phase']) {
      const asOutsider = await get(`${memberJob}${path}`, outsider);
      assert.equal(asOutsider.status, 403, path);
      assert.ok(!asOutsider.text.includes(closedDid), path);
      const asAnonymous = await get(`${memberJob}${path}`, anonymous);
      assert.equal(asAnonymous.status, 401, path);
      assert.match(asAnonymous.headers.get('www-authenticate') ?? '', /ivoa_bearer/);
      assert.ok(!asAnonymous.text.includes(closedDid), path);
    }
    const deleted = await fetch(memberJob, { method: 'DELETE', headers: outsider });
    assert.equal(deleted.status, 403);
    const aborted = await fetch(`${memberJob}/phase`, {
      method: 'POST',
      headers: { ...anonymous, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'PHASE=ABORT',
    });
    assert.equal(aborted.status, 401);
    assert.equal((await get(`${memberJob}/phase`, member)).text, 'COMPLETED');
    // Anonymous jobs stay public, as UWS allows.
    assert.equal((await get(`${anonymousJob}/phase`, outsider)).status, 200);
  });

  await t.test(
    'the job list shows only the caller own jobs; anonymous jobs are never listed',
    async () => {
      const ids = async (headers: Headers) =>
        [...(await get(`${address}/tap/async`, headers)).text.matchAll(/jobref id="(\w+)"/g)].map(
          (m) => m[1],
        );
      const id = (url: string) => url.slice(url.lastIndexOf('/') + 1);
      const seenByMember = await ids(member);
      const seenByOutsider = await ids(outsider);
      const seenByAnonymous = await ids(anonymous);
      assert.ok(seenByMember.includes(id(memberJob)) && seenByMember.includes(id(oidcJob)));
      assert.ok(!seenByMember.includes(id(anonymousJob)));
      assert.ok(!seenByMember.includes(id(outsiderJob)));
      assert.ok(!seenByOutsider.includes(id(memberJob)));
      assert.ok(seenByOutsider.includes(id(outsiderJob)));
      assert.deepEqual(seenByAnonymous, []);
      // The anonymous job is reached through its own (unguessable) URL.
      assert.equal((await get(anonymousJob, anonymous)).status, 200);
    },
  );

  await t.test('the owner credentials are checked again when the job runs', async () => {
    const tokens = new ApiTokenStore(store.engine);
    const second = await tokens.create('ada', ['alpha']);
    const pending = await submit(address, { authorization: `Bearer ${second.token}` }, false);
    await tokens.revoke(second.id);
    // Ada runs it with her other token: the job still runs with the one it was created with.
    const run = await fetch(`${pending}/phase`, {
      method: 'POST',
      headers: { ...member, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'PHASE=RUN',
      redirect: 'manual',
    });
    assert.equal(run.status, 303);
    assert.equal(await finished(pending, member), 'ERROR');
    const error = await get(`${pending}/error`, member);
    assert.match(error.text, /revoked/);
    assert.ok(!error.text.includes(closedDid));
  });
});
