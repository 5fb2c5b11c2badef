/**
 * Async TAP results record their provenance: the result names it (PROV-AQ Link), the
 * record holds the ADQL text and associates the owner; only the owner reads it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { securedStore } from '../security/fixtures.js';
import { readWithProv, requireProv } from './helpers.js';

type Headers = Record<string, string>;
const QUERY = 'SELECT obs_publisher_did, component FROM hearc.irf';
const HAS_PROVENANCE = /^<([^>]+)>; rel="http:\/\/www\.w3\.org\/ns\/prov#has_provenance"$/;

async function completedJob(address: string, headers: Headers): Promise<string> {
  const response = await fetch(`${address}/tap/async`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ LANG: 'ADQL', FORMAT: 'csv', QUERY, PHASE: 'RUN' }),
    redirect: 'manual',
  });
  assert.equal(response.status, 303, await response.text());
  const jobUrl = response.headers.get('location')!;
  for (;;) {
    const document = await (await fetch(`${jobUrl}?WAIT=10`, { headers })).text();
    const phase = /<uws:phase>(\w+)<\/uws:phase>/.exec(document)?.[1];
    if (phase === 'COMPLETED') return jobUrl;
    assert.ok(phase === 'QUEUED' || phase === 'EXECUTING', document);
  }
}

test('an async query result names its provenance, which only its owner reads', async (t) => {
  if (!requireProv(t)) return;
  const store = await securedStore(t);
  const owner = store.callers['right group (API token)']!;
  const other = store.callers['wrong group (API token)']!;
  const jobUrl = await completedJob(store.address, owner);
  const result = await fetch(`${jobUrl}/results/result`, { headers: owner });
  assert.equal(result.status, 200);
  const url = HAS_PROVENANCE.exec(result.headers.get('link') ?? '')?.[1];
  assert.ok(url, result.headers.get('link') ?? 'no Link header');

  const answer = await fetch(url, { headers: owner });
  assert.equal(answer.status, 200);
  const reading = readWithProv(t, await answer.text(), 'json');
  const [activity] = reading.activities;
  assert.match(activity ?? '', /^hearc:activity\/tap-result\//);
  assert.equal(reading.entities[`${activity}/parameter/QUERY`]?.['prov:value'], QUERY);
  assert.ok(reading.agents.some((a) => a.startsWith('hearc:agent/user/')));

  for (const headers of [other, {}]) {
    const refused = await fetch(url, { headers });
    assert.equal(refused.status, 404);
    assert.ok(!(await refused.text()).includes(QUERY));
  }

  // An anonymous job's result is public, like the job.
  const open = await completedJob(store.address, {});
  const openResult = await fetch(`${open}/results/result`);
  const openUrl = HAS_PROVENANCE.exec(openResult.headers.get('link') ?? '')?.[1];
  assert.equal((await fetch(openUrl!)).status, 200);
});
