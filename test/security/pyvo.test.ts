/**
 * pyvo with a hearc API token in its session reads the proprietary rows and files it is
 * entitled to; without one it sees public rows only and error rows instead of data links.
 * pyvo's AuthSession finds the token's security method in the capabilities.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireChecker, PYTHON } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { securedStore } from './fixtures.js';

const SCRIPT = `
import json, sys, requests, pyvo
url, token, did = sys.argv[1], sys.argv[2], sys.argv[3]
def run(session):
    tap = pyvo.dal.TAPService(url + '/tap', session=session)
    rows = tap.search('SELECT obs_publisher_did FROM hearc.irf')
    dids = sorted(set(str(x) for x in rows['obs_publisher_did']))
    links = pyvo.dal.adhoc.DatalinkResults.from_result_url(url + '/datalink?ID=' + requests.utils.quote(did, safe=''), session=session)
    table = links.to_table()
    this = [r for r in table if r['semantics'] == '#this'][0]
    access_url = str(this['access_url'] or '')
    answer = session.get(access_url) if access_url.startswith('http') else None
    return {'dids': dids, 'error': str(this['error_message'] or ''),
            'status': answer.status_code if answer is not None else None}
def negotiated(credentials):
    session = pyvo.auth.AuthSession()
    for method, credential in credentials.items():
        session.credentials.set(method, credential)
    tap = pyvo.dal.TAPService(url + '/tap', session=session)
    session.update_from_capabilities(tap.capabilities)
    rows = tap.search('SELECT obs_publisher_did FROM hearc.irf')
    return sorted(set(str(x) for x in rows['obs_publisher_did']))
member = requests.Session(); member.headers['Authorization'] = 'Bearer ' + token
print(json.dumps({'member': run(member), 'anonymous': run(requests.Session()),
                  'authSession': {'member': negotiated({'ivo://ivoa.net/sso#OAuth': member}),
                                  'anonymous': negotiated({})}}))
`;

interface Seen {
  dids: string[];
  error: string;
  status: number | null;
}

test('pyvo with an API token reads entitled data; without it, public rows only', async (t) => {
  if (!requireChecker(t, 'pyvo', [PYTHON, '-c', 'import pyvo'])) return;
  const store = await securedStore(t);
  const token = store.callers['right group (API token)']!.authorization!.replace('Bearer ', '');
  const seen = await runPythonJsonAsync<{
    member: Seen;
    anonymous: Seen;
    authSession: { member: string[]; anonymous: string[] };
  }>(SCRIPT, [store.address, token, store.closedDid]);
  assert.ok(seen.member.dids.includes(store.closedDid));
  assert.equal(seen.member.status, 200);
  assert.ok(!seen.anonymous.dids.includes(store.closedDid));
  assert.ok(seen.anonymous.dids.includes(store.openDid));
  assert.match(seen.anonymous.error, /access denied/);
  // AuthSession picks the token for the capabilities' OAuth method, anonymous without one.
  assert.ok(seen.authSession.member.includes(store.closedDid));
  assert.ok(!seen.authSession.anonymous.includes(store.closedDid));
  assert.ok(seen.authSession.anonymous.includes(store.openDid));
});
