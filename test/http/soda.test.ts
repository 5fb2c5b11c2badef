/**
 * SODA {sync} over HTTP on a simulated store: cutouts by GET and POST, DALI error
 * documents with fitting statuses, an empty result as a valid file, the DataLink #proc
 * row with its service descriptor, and the access gate asked before any data is read.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import type { AccessRequest } from '../../src/datalink/index.js';
import type { CatalogRow, Engine } from '../../src/engine/types.js';
import { readFits } from '../../src/fits/index.js';
import { sodaPlugin } from '../../src/http/soda.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { didOf, serveStore, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { parseLinks } from '../datalink/links-document.js';
import { requireTestData } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';

const VOTABLE = 'application/x-votable+xml';

async function obscoreRow(engine: Engine, did: string): Promise<CatalogRow> {
  const [row] = await engine.selectRows(obscoreTable, {
    column: 'obs_publisher_did',
    values: [did],
  });
  return row!;
}

function errorMessage(body: string): string | undefined {
  return /<INFO name="QUERY_STATUS" value="ERROR">([^<]*)<\/INFO>/.exec(body)?.[1];
}

async function fitsRows(t: TestContext, bytes: ArrayBuffer): Promise<number> {
  const path = join(tempDir(t), 'cutout.fits');
  writeFileSync(path, Buffer.from(bytes));
  const file = await readFits(path, { verifyChecksums: true });
  return file.bintable('EVENTS').rowCount;
}

test('cutouts by GET and POST; bad parameters, unknown IDs and empty results', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address, engine } = await serveStore(t, dir, SIM_COLLECTION);
  const did = didOf(SIM_COLLECTION, runs[0]!.obsId);
  const row = await obscoreRow(engine, did);
  const [ra, dec, fov] = [Number(row.s_ra), Number(row.s_dec), Number(row.s_fov)];
  const circle = `${ra} ${dec} ${fov / 4}`;

  const get = await fetch(
    `${address}/soda?ID=${encodeURIComponent(did)}&CIRCLE=${encodeURIComponent(circle)}`,
  );
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('content-type'), 'application/fits');
  assert.match(get.headers.get('content-disposition') ?? '', /filename="sim-\d+-cutout.fits"/);
  const getBytes = await get.arrayBuffer();
  assert.equal(Number(get.headers.get('content-length')), getBytes.byteLength);
  const kept = await fitsRows(t, getBytes);
  assert.ok(kept > 0 && kept < runs[0]!.eventCount, `${kept} of ${runs[0]!.eventCount}`);

  const post = await fetch(`${address}/soda`, {
    method: 'POST',
    body: new URLSearchParams({ id: did, circle }),
  });
  assert.equal(post.status, 200);
  assert.equal(await fitsRows(t, await post.arrayBuffer()), kept);

  // The authority of the IVOID in another case names the same dataset.
  const shouted = await fetch(`${address}/soda`, {
    method: 'POST',
    body: new URLSearchParams({
      id: did.replace('ivo://test.hearc/', 'ivo://TEST.Hearc/'),
      circle,
    }),
  });
  assert.equal(shouted.status, 200);
  assert.equal(await fitsRows(t, await shouted.arrayBuffer()), kept);

  // A region inside the field of view with no event in it: a valid file without rows.
  const empty = await fetch(
    `${address}/soda?ID=${encodeURIComponent(did)}&CIRCLE=${encodeURIComponent(`${ra} ${dec + fov / 4} 1e-7`)}`,
  );
  assert.equal(empty.status, 200);
  assert.equal(await fitsRows(t, await empty.arrayBuffer()), 0);

  const errors: [string, number, RegExp][] = [
    ['CIRCLE=1+2+3', 400, /^UsageError: the ID parameter/],
    [`ID=${encodeURIComponent(`${did}0`)}`, 404, /^UsageError: ID .* is not a dataset published/],
    [`ID=${encodeURIComponent(did)}&CIRCLE=1+2`, 400, /^UsageError: CIRCLE takes 3 numbers/],
    [
      `ID=${encodeURIComponent(did)}&TIME=50000+50001`,
      400,
      /^UsageError: TIME 50000 50001 does not overlap/,
    ],
    [
      `ID=${encodeURIComponent(did)}&ENERGY=1000+2000`,
      400,
      /^UsageError: the energies asked for .* do not overlap/,
    ],
    [
      `ID=${encodeURIComponent(did)}&BAND=1e-20+2e-20&ENERGY=1+2`,
      400,
      /^UsageError: BAND .* and ENERGY .* do not overlap/,
    ],
    [
      `ID=${encodeURIComponent(did)}&POS=CIRCLE+${(ra + 180) % 360}+${-dec}+1`,
      400,
      /does not overlap the field of view/,
    ],
    [
      `ID=${encodeURIComponent(did)}&EVENT_TYPE=1`,
      400,
      /^UsageError: EVENT_TYPE: this event list has no EVENT_TYPE column/,
    ],
    [
      `ID=${encodeURIComponent(did)}&TIME=1+2&TIME=1+3`,
      400,
      /^MultiValuedParamNotSupported: TIME was given 2 different values/,
    ],
    [`ID=${encodeURIComponent(did)}&RESPONSEFORMAT=text/csv`, 400, /^UsageError: RESPONSEFORMAT/],
  ];
  for (const [query, status, message] of errors) {
    const response = await fetch(`${address}/soda?${query}`);
    const body = await response.text();
    assert.equal(response.status, status, `${query}: ${body}`);
    assert.equal(response.headers.get('content-type'), VOTABLE, query);
    assert.match(errorMessage(body) ?? '', message, query);
  }
});

test('DataLink offers a #proc row per observation with its SODA service descriptor', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address, engine } = await serveStore(t, dir, SIM_COLLECTION);
  const dids = runs.map((r) => didOf(SIM_COLLECTION, r.obsId));
  const document = await (
    await fetch(`${address}/datalink?${dids.map((d) => `ID=${encodeURIComponent(d)}`).join('&')}`)
  ).text();
  // Each dataset's SODA row comes first, then the three analysis services' (test/analysis/datalink.test.ts).
  const procs = parseLinks(document).filter(
    (l) => l.semantics === '#proc' && l.content_qualifier === 'hea-event-bundle',
  );
  const sodaDescriptor = (i: number): string => `service${4 * i + 1}`;
  assert.deepEqual(
    procs.map((p) => [p.ID, p.service_def, p.access_url, p.content_type]),
    dids.map((d, i) => [d, sodaDescriptor(i), null, 'application/fits']),
  );
  assert.match(document, /<FIELD ID="datalinkID" name="ID"/);
  for (const [i, did] of dids.entries()) {
    const row = await obscoreRow(engine, did);
    const start = document.indexOf(
      `<RESOURCE ID="${sodaDescriptor(i)}" type="meta" utype="adhoc:service">`,
    );
    assert.ok(start > document.indexOf('</TABLE>'), 'descriptors follow the links table');
    const resource = document.slice(start, document.indexOf('</RESOURCE>', start));
    const param = (name: string): string =>
      new RegExp(`<PARAM name="${name}"[^>]*?(/>|>.*?</PARAM>)`).exec(resource)?.[0] ?? '';
    assert.match(param('standardID'), /value="ivo:\/\/ivoa.net\/std\/SODA#sync-1.0"/);
    assert.match(param('accessURL'), new RegExp(`value="${address}/soda"`));
    assert.match(param('ID'), /ucd="meta.ref.url;meta.curation" ref="datalinkID" value=""/);
    assert.match(
      param('CIRCLE'),
      new RegExp(
        `<MAX value="${Number(Number(row.s_ra).toPrecision(12))} [-0-9.]+ ${Number(row.s_fov) / 2}"/>`,
      ),
    );
    assert.match(
      param('TIME'),
      new RegExp(
        `unit="d" ucd="time.interval;obs.exposure".*<MIN value="${row.t_min}"/><MAX value="${row.t_max}"/>`,
      ),
    );
    assert.match(
      param('BAND'),
      new RegExp(
        `unit="m" ucd="em.wl;stat.interval".*<MIN value="${row.em_min}"/><MAX value="${row.em_max}"/>`,
      ),
    );
    assert.match(param('ENERGY'), /unit="TeV" ucd="em.energy;stat.interval"/);
    assert.match(param('POLYGON'), /xtype="polygon".*<MAX value="([-0-9.e]+ ){31}[-0-9.e]+"\/>/);
    assert.match(param('POS'), /datatype="char"/);
  }
});

test('the access gate decides before any data is read', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { engine } = await serveStore(t, dir, SIM_COLLECTION);
  const did = didOf(SIM_COLLECTION, runs[0]!.obsId);
  const asked: [string, string | undefined][] = [];
  let allow = false;
  const app = Fastify();
  await app.register(sodaPlugin, {
    engine,
    workDir: tempDir(t),
    authorize: async (request: AccessRequest, dataset: string) => {
      asked.push([dataset, String(request.headers.authorization)]);
      return allow ? { allowed: true } : { allowed: false, reason: 'proprietary until 2030' };
    },
  });
  t.after(() => app.close());
  const row = await obscoreRow(engine, did);
  const url = `/soda?ID=${encodeURIComponent(did)}&CIRCLE=${row.s_ra}+${row.s_dec}+1`;
  const headers = { authorization: 'Bearer token-1' };

  // The data are gone, but the refusal comes first: nothing was read.
  rmSync(join(dir, runs[0]!.fileName));
  const refused = await app.inject({ url, headers });
  assert.equal(refused.statusCode, 403);
  assert.equal(errorMessage(refused.body), 'AuthorizationError: proprietary until 2030');
  assert.deepEqual(asked, [[did, 'Bearer token-1']]);

  // Unknown IDs and bad parameters are answered without asking the gate.
  const unknown = await app.inject({ url: '/soda?ID=ivo://nowhere/x?1' });
  assert.equal(unknown.statusCode, 404, unknown.body);
  assert.equal((await app.inject({ url: `${url}&TIME=2+1`, headers })).statusCode, 400);
  assert.equal(asked.length, 1);

  allow = true;
  const missing = await app.inject({ url, headers });
  assert.equal(missing.statusCode, 404);
  assert.match(
    errorMessage(missing.body) ?? '',
    /^Error: .* is no longer a file inside the data store/,
  );
  assert.equal(asked.length, 2);
});

test('MAGIC (UTC times, point-like IRFs in HDUs named with spaces): time cut and IRFs carried', async (t) => {
  const store = requireTestData(t, 'magic-rad-max');
  if (!store) return;
  const { address, engine } = await serveStore(t, store, 'magic');
  const did = didOf('magic', 5029747);
  const row = await obscoreRow(engine, did);
  const [tMin, tMax] = [Number(row.t_min), Number(row.t_max)];
  const window = [tMin + (tMax - tMin) / 3, tMin + (2 * (tMax - tMin)) / 3];
  const query = new URLSearchParams({
    ID: did,
    POS: `CIRCLE ${row.s_ra} ${row.s_dec} 0.3`,
    TIME: window.join(' '),
  });
  const response = await fetch(`${address}/soda?${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  const path = join(tempDir(t), 'magic.fits');
  writeFileSync(path, Buffer.from(await response.arrayBuffer()));
  const file = await readFits(path, { verifyChecksums: true });
  assert.deepEqual(
    file.hdus.map((h) => h.name),
    ['', 'EVENTS', 'GTI', 'RAD_MAX', 'EFFECTIVE AREA', 'ENERGY DISPERSION'],
  );
  const events = file.bintable('EVENTS');
  const gti = file.bintable('GTI');
  const [start] = gti.readColumn('START').values as Float64Array;
  const [stop] = gti.readColumn('STOP').values as Float64Array;
  // TIMESYS UTC: elapsed seconds since MJDREF, leap seconds included (3 since 2003-03-01).
  const elapsed = (mjd: number): number => (mjd - 52706) * 86400;
  assert.ok(Math.abs(start! - elapsed(window[0]!) - 3) < 1e-3, `START ${start}`);
  assert.ok(Math.abs(stop! - elapsed(window[1]!) - 3) < 1e-3, `STOP ${stop}`);
  const times = Array.from(events.readColumn('TIME').values as Float64Array);
  assert.ok(times.length > 100, `${times.length} events`);
  assert.ok(times.every((v) => v >= start! && v <= stop!));
  assert.ok(
    Math.abs(
      events.header.getNumber('LIVETIME')! - (stop! - start!) * events.header.getNumber('DEADC')!,
    ) < 1e-3,
  );
});
