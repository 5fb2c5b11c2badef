/**
 * The audit trail (issue 18 finding 8) and loggable lines (issue 10 item 7): refusals
 * with identity, dataset, path and reason; reads of non-public data; ADQL queries of
 * identified callers on rights-bearing tables; kept in the catalog and shown by
 * `hearc audit`; never a token, in the trail or in a logged URL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AuditEvent, AuditTrail } from '../../src/auth/index.js';
import { main } from '../../src/cli/main.js';
import { loggableUrl, logStyleFor } from '../../src/service/index.js';
import { captureIo } from '../helpers/io.js';
import { securedStore, tap } from './fixtures.js';

async function eventsWhen(
  trail: AuditTrail,
  enough: (events: AuditEvent[]) => boolean,
): Promise<AuditEvent[]> {
  for (let i = 0; i < 600; i++) {
    const events = await trail.list();
    if (enough(events)) return events;
    await sleep(50);
  }
  return trail.list();
}

test('refusals, reads and ADQL on proprietary data are audited and shown by hearc audit', async (t) => {
  const store = await securedStore(t);
  const { address, closedDid } = store;
  const member = store.callers['right group (API token)']!;
  const outsider = store.callers['wrong group (API token)']!;
  const secret = store.callers['expired JWT']!.authorization!.slice('Bearer '.length);
  const memberToken = member.authorization!.slice('Bearer '.length);
  const datalink = `${address}/datalink?ID=${encodeURIComponent(closedDid)}`;
  const links = await (await fetch(datalink, { headers: member })).text();
  const product = /<TD>(http[^<]*\/products\/[^<]*events[^<]*)<\/TD>/.exec(links)?.[1];
  assert.ok(product, links);
  const productPath = new URL(product).pathname;

  assert.equal((await fetch(product)).status, 401, 'anonymous');
  assert.equal((await fetch(product, { headers: outsider })).status, 403, 'wrong group');
  assert.equal((await fetch(product, { headers: member })).status, 200, 'member');
  const rows = await tap(address, member, 'SELECT obs_publisher_did FROM hearc.irf');
  assert.equal(rows.status, 200);
  const refused = await fetch(`${address}/tap/availability?token=${secret}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  assert.equal(refused.status, 401);

  const trail = new AuditTrail(store.engine);
  const events = await eventsWhen(
    trail,
    (e) =>
      e.filter((x) => x.kind === 'denied').length >= 3 &&
      e.some((x) => x.kind === 'query') &&
      e.some((x) => x.kind === 'granted'),
  );
  const denied = events.filter((e) => e.kind === 'denied');
  assert.deepEqual(
    denied.map((e) => [e.user ?? null, e.via, e.did ?? null, e.path]),
    [
      [null, 'anonymous', closedDid, productPath],
      ['bob', 'api-token', closedDid, productPath],
      [null, 'credentials', null, '/tap/availability?token=[hidden]'],
    ],
  );
  for (const e of denied) assert.ok(e.reason && e.reason.length > 10, JSON.stringify(e));
  assert.ok(
    events.some((e) => e.kind === 'granted' && e.user === 'ada' && e.path === productPath),
    JSON.stringify(events),
  );
  const query = events.find((e) => e.kind === 'query');
  assert.deepEqual(query && [query.user, query.via, query.tables, query.path], [
    'ada',
    'api-token',
    ['hearc.irf'],
    '/tap/sync',
  ]);

  const io = captureIo();
  assert.equal(
    await main(['audit', '--db', store.engine.location, '--user', 'ada', '--json'], io),
    0,
  );
  const shown = io
    .out()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind: string; user: string });
  assert.ok(shown.length >= 2 && shown.every((e) => e.user === 'ada'), io.out());
  const text = captureIo();
  assert.equal(
    await main(['audit', '--db', store.engine.location, '--since', '2000-01-01'], text),
    0,
  );
  assert.match(
    text.out(),
    /denied anonymous \(anonymous\) ivo:\/\/test\.hearc\/sim\?\d+ \[\/products\//,
  );
  for (const out of [io.out(), text.out()]) {
    assert.ok(!out.includes(secret) && !out.includes(memberToken), 'no token in the audit trail');
  }
  const bad = captureIo();
  assert.equal(
    await main(['audit', '--db', store.engine.location, '--since', 'yesterday'], bad),
    2,
  );
  assert.match(bad.err(), /--since must be an ISO 8601 date or time \(got 'yesterday'\)/);
});

test('log style and loggable URLs', () => {
  assert.equal(logStyleFor({}, true), 'pretty');
  assert.equal(logStyleFor({}, false), 'json');
  assert.equal(logStyleFor({ HEARC_LOG: 'json' }, true), 'json');
  assert.equal(logStyleFor({ HEARC_LOG: 'pretty' }, false), 'pretty');
  assert.throws(
    () => logStyleFor({ HEARC_LOG: 'loud' }, false),
    /HEARC_LOG must be 'json' or 'pretty'/,
  );
  assert.equal(
    loggableUrl('/files/a.fits?access_token=abc&ID=x&Token=def&sig=1'),
    '/files/a.fits?access_token=[hidden]&ID=x&Token=[hidden]&sig=[hidden]',
  );
  assert.equal(loggableUrl('/tap/sync'), '/tap/sync');
});
