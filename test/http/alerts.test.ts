/**
 * POST /alerts: alerts from automated feeds, only with the bearer token of a member of
 * the alert publishers' group; the body's Content-Type names the format (or multipart
 * parts, binary skymaps included); refusals and bad documents answer DALI error
 * documents and store nothing; revisions as with `hearc alerts ingest`.
 */
import assert from 'node:assert/strict';
import { setTimeout } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { alertsTable } from '../../src/alerts/index.js';
import { ALERT_PUBLISHERS, ApiTokenStore, auditTable } from '../../src/auth/index.js';
import { buildServer } from '../../src/http/server.js';
import { catalogTables, servedCatalog } from '../../src/ingest/catalog.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { mocLibrary } from '../../src/moc/index.js';
import { simulateSkymap } from '../../src/sim/skymap.js';
import { VOEVENT } from '../alerts/fixtures.js';
import { tempCatalog } from '../helpers/catalog.js';
import { testService } from '../helpers/service.js';
import { tempDir } from '../helpers/tmp.js';

async function serve(t: TestContext) {
  const engine = await tempCatalog(t);
  await engine.ensureTables(catalogTables);
  const app = await buildServer({
    engine,
    schema: servedSchema(servedCatalog),
    service: testService(),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const tokens = new ApiTokenStore(engine);
  const publisher = (await tokens.create('feed', [ALERT_PUBLISHERS])).token;
  const reader = (await tokens.create('alice', ['proposal-42'])).token;
  return { engine, address, publisher, reader };
}

const gcnNotice = (revision: number, ra: number) =>
  JSON.stringify({
    $schema:
      'https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/icecube/lvk_nu_track_search.schema.json',
    mission: 'IceCube',
    trigger_time: '2024-03-10T21:04:32.25Z',
    alert_datetime: '2024-03-10T21:10:00Z',
    id: ['IceCube-240310A'],
    ra,
    dec: -5.5,
    ra_dec_error: 1.2,
    containment_probability: 0.9,
    alert_type: revision === 1 ? 'initial' : 'update',
    record_number: revision,
  });

function post(address: string, body: string | Uint8Array, headers: Record<string, string>) {
  return fetch(`${address}/alerts`, { method: 'POST', body, headers });
}

const isDaliError = (text: string) => /<INFO name="QUERY_STATUS" value="ERROR"/.test(text);

test('only alert publishers may post alerts: 401 without a token, 403 for others, nothing stored', async (t) => {
  const { engine, address, reader } = await serve(t);
  const voevent = { 'content-type': 'application/xml' };
  const anonymous = await post(address, VOEVENT, voevent);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /ivoa_bearer/);
  const anonymousText = await anonymous.text();
  assert.ok(isDaliError(anonymousText), anonymousText);
  assert.match(anonymousText, /alert-publishers/);

  const other = await post(address, VOEVENT, { ...voevent, authorization: `Bearer ${reader}` });
  assert.equal(other.status, 403);
  const otherText = await other.text();
  assert.ok(isDaliError(otherText), otherText);
  assert.match(otherText, /reserved to members of the group 'alert-publishers'; alice is not one/);

  const forged = await post(address, VOEVENT, {
    ...voevent,
    authorization: 'Bearer hearc_nothing_0000',
  });
  assert.equal(forged.status, 401);

  assert.equal((await engine.selectRows(alertsTable)).length, 0);
  // The audit trail is written beside the answer, not before it: wait for alice's refusal.
  const aliceDenied = async () =>
    (await engine.selectRows(auditTable)).some(
      (r) => r.kind === 'denied' && r.user_name === 'alice' && r.path === '/alerts',
    );
  for (let i = 0; i < 100 && !(await aliceDenied()); i++) await setTimeout(50);
  assert.ok(await aliceDenied(), 'the refusal of alice is in the audit trail');
});

test('a publisher posts a VOEvent, a GCN notice and its update, and a skymap; revisions are kept', async (t) => {
  const { engine, address, publisher } = await serve(t);
  const auth = { authorization: `Bearer ${publisher}` };
  const voevent = await post(address, VOEVENT, { ...auth, 'content-type': 'application/xml' });
  assert.equal(voevent.status, 201, await voevent.clone().text());
  const answer = (await voevent.json()) as {
    alerts: { alert_id: string; revision: number; status: string; coincidence: string }[];
  };
  assert.deepEqual(
    answer.alerts.map((a) => [a.alert_id, a.revision, a.status]),
    [['NU-240310A', 1, 'added']],
  );
  assert.equal(answer.alerts[0]?.coincidence, `${address}/coincidence?ALERT=NU-240310A`);
  // The same document again changes nothing.
  const again = await post(address, VOEVENT, { ...auth, 'content-type': 'text/xml' });
  assert.equal(again.status, 200);

  const json = { ...auth, 'content-type': 'application/json' };
  assert.equal((await post(address, gcnNotice(1, 10), json)).status, 201);
  assert.equal((await post(address, gcnNotice(2, 10.5), json)).status, 201);
  const gcn = (await engine.selectRows(alertsTable)).filter(
    (r) => r.alert_id === 'IceCube-240310A',
  );
  assert.deepEqual(gcn.map((r) => [Number(r.revision), Number(r.ra)]).sort(), [
    [1, 10],
    [2, 10.5],
  ]);

  // A binary skymap as a multipart part.
  const dir = tempDir(t);
  const path = join(dir, 'S240310ab.multiorder.fits');
  await simulateSkymap({
    path,
    object: 'S240310ab',
    dateObs: '2024-03-10T20:00:00',
    ra: 120,
    dec: 30,
    sigma: 3,
    coarseOrder: 3,
    fineOrder: 6,
  });
  const form = new FormData();
  form.append('skymap', new Blob([readFileSync(path)]), 'S240310ab.multiorder.fits');
  const skymap = await fetch(`${address}/alerts`, { method: 'POST', body: form, headers: auth });
  assert.equal(skymap.status, 201, await skymap.clone().text());
  const [stored] = (await engine.selectRows(alertsTable)).filter((r) => r.alert_id === 'S240310ab');
  assert.equal(stored?.format, 'healpix-fits');
  assert.ok(Number(stored?.area90) > 0);
  // The same through the raw body (Content-Type application/fits).
  const raw = await post(address, readFileSync(path), {
    ...auth,
    'content-type': 'application/fits',
  });
  assert.equal(raw.status, 200, 'the same skymap again is unchanged');

  // Its credible regions as MOC files, for sky viewers (the portal's alert page).
  const moc90 = await fetch(`${address}/alerts/S240310ab/moc90.txt`);
  assert.equal(moc90.status, 200);
  // The same region as hearc.alerts moc90, normalised by the MOC library.
  const { MOC } = await mocLibrary();
  assert.equal(await moc90.text(), String(MOC.fromAscii(String(stored?.moc90)).toAscii()).trim());
  const fits = await fetch(`${address}/alerts/S240310ab/moc50.fits?REVISION=1`);
  assert.equal(fits.headers.get('content-type'), 'application/fits');
  const bytes = Buffer.from(await fits.arrayBuffer());
  assert.equal(bytes.subarray(0, 9).toString(), 'SIMPLE  =');
  assert.match(bytes.toString('latin1'), /MOCDIM {2}= 'SPACE/);
  const mocJson = (await (await fetch(`${address}/alerts/S240310ab/moc50.json`)).json()) as object;
  assert.ok(Object.keys(mocJson).length > 0);
  // An IVORN as alert id, escaped in the path.
  const ivorn = await fetch(`${address}/alerts/${encodeURIComponent('NU-240310A')}/moc90.txt`);
  assert.equal(ivorn.status, 200);
  for (const [path, status, message] of [
    ['/alerts/S240310ab/moc75.fits', 404, /'moc75\.fits' is not a credible-region file/],
    ['/alerts/S240310ab/moc90.fits?REVISION=7', 404, /no alert 'S240310ab' revision 7/],
    ['/alerts/S240310ab/moc90.fits?REVISION=last', 400, /REVISION must be a positive integer/],
    ['/alerts/nothing/moc90.fits', 404, /no alert 'nothing' is stored here/],
  ] as const) {
    const response = await fetch(`${address}${path}`);
    const text = await response.text();
    assert.equal(response.status, status, path);
    assert.ok(isDaliError(text), text);
    assert.match(text, message);
  }

  // The coincidence table in TABLEDATA, as the portal reads it; a format it has not, refused.
  const td = await fetch(`${address}/coincidence?ALERT=S240310ab&RESPONSEFORMAT=votable/td`);
  assert.equal(td.status, 200);
  assert.match(await td.text(), /<TABLEDATA>/);
  const csv = await fetch(`${address}/coincidence?ALERT=S240310ab&RESPONSEFORMAT=csv`);
  assert.equal(csv.status, 400);
  assert.match(await csv.text(), /RESPONSEFORMAT 'csv' is not offered here/);
});

test('bad documents are refused with a DALI error naming the problem, and nothing is stored', async (t) => {
  const { engine, address, publisher } = await serve(t);
  const auth = { authorization: `Bearer ${publisher}` };
  const cases: [string | Uint8Array, string, number, RegExp][] = [
    [VOEVENT, 'application/json', 400, /declared as a GCN JSON notice but it is a VOEvent/],
    ['hello', 'text/plain', 415, /Content-Type 'text\/plain' is not an alert format/],
    ['{"mission": "IceCube"}', 'application/json', 400, /request body/],
    ['', 'application/xml', 400, /empty/],
  ];
  for (const [body, type, status, message] of cases) {
    const response = await post(address, body, { ...auth, 'content-type': type });
    const text = await response.text();
    assert.equal(response.status, status, `${type}: ${text}`);
    assert.ok(isDaliError(text), text);
    assert.match(text, message);
  }
  // A multipart form with one bad part stores none of its parts.
  const form = new FormData();
  form.append('good', new Blob([VOEVENT]), 'good.xml');
  form.append('bad', new Blob(['not an alert']), 'bad.txt');
  const mixed = await fetch(`${address}/alerts`, { method: 'POST', body: form, headers: auth });
  const text = await mixed.text();
  assert.equal(mixed.status, 400, text);
  assert.match(text, /part 'bad': not an alert document/);
  assert.equal((await engine.selectRows(alertsTable)).length, 0);
});
