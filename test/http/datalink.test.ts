/**
 * DataLink {links} over real HTTP on a simulated store: several IDs, an unknown ID
 * (a NotFoundFault row, never a failed document), POST, parameter names in any case,
 * the DALI error document for a missing ID, and products that hold just their HDUs,
 * byte for byte, with the advertised content_length.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { scanHdus } from '../../src/fits/index.js';
import { didOf, serveStore, SIM_COLLECTION, simulatedStore } from '../datalink/fixtures.js';
import { fetchLinks, parseLinks, withoutPreviews } from '../datalink/links-document.js';
import { requireTestData } from '../helpers/env.js';
import { tapRows } from '../helpers/tap.js';

const DATALINK = 'application/x-votable+xml;content=datalink';

test('links of several IDs: #this, #calibration per IRF, #package, and a NotFoundFault row', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  const [a, b] = runs.map((r) => didOf(SIM_COLLECTION, r.obsId)) as [string, string];
  const unknown = `ivo://test.hearc/${SIM_COLLECTION}?999`;
  const query = [a, unknown, b, a].map((id) => `ID=${encodeURIComponent(id)}`).join('&');
  const response = await fetch(`${address}/datalink?${query}`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), DATALINK);
  const links = parseLinks(await response.text());

  assert.deepEqual([...new Set(links.map((l) => l.ID))], [a, unknown, b]);
  for (const [index, id] of [a, b].entries()) {
    const rows = withoutPreviews(links).filter((l) => l.ID === id);
    const obsId = runs[index]!.obsId;
    assert.deepEqual(
      rows.map((l) => `${l.semantics} ${l.content_qualifier}`),
      [
        '#this hea-event-list',
        '#calibration aeff',
        '#calibration bkgrate',
        '#calibration edisp',
        '#calibration psf',
        '#package hea-event-bundle',
        '#coverage null',
        '#provenance null',
        '#proc hea-event-bundle',
        '#proc null',
        '#proc null',
        '#proc null',
      ],
    );
    assert.equal(rows[0]!.access_url, `${address}/products/${SIM_COLLECTION}/${obsId}/events.fits`);
    assert.equal(rows[1]!.access_url, `${address}/products/${SIM_COLLECTION}/${obsId}/aeff.fits`);
    assert.equal(
      rows[5]!.access_url,
      `${address}/files/${SIM_COLLECTION}/${runs[index]!.fileName}`,
    );
    for (const row of rows) {
      const provenance = row.semantics === '#provenance';
      // Spectra and light curves (analysis #proc rows) answer with a VOTable.
      const votable = /^(Spectrum|Light curve) \(DL5\)/.test(row.description ?? '');
      assert.equal(
        row.content_type,
        provenance
          ? 'application/json'
          : votable
            ? 'application/x-votable+xml'
            : 'application/fits',
      );
      assert.equal(row.error_message, null);
      assert.ok(row.description);
    }
  }
  const missing = links.filter((l) => l.ID === unknown);
  assert.equal(missing.length, 1);
  assert.match(missing[0]!.error_message ?? '', /^NotFoundFault: /);
  assert.equal(missing[0]!.access_url, null);
  assert.equal(missing[0]!.semantics, '#this');

  // The scheme and authority of an IVOID match in any case; the links are those of `a`.
  const shouted = a.replace('ivo://test.hearc/', 'IVO://Test.HEARC/');
  const again = parseLinks(
    await (await fetch(`${address}/datalink?ID=${encodeURIComponent(shouted)}`)).text(),
  );
  assert.deepEqual(
    again.map((l) => [l.ID, l.semantics, l.access_url, l.error_message]),
    links
      .filter((l) => l.ID === a)
      .slice(0, again.length)
      .map((l) => [shouted, l.semantics, l.access_url, null]),
  );
});

test('POST form, parameter names in any case, RESPONSEFORMAT, and DALI errors', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  const did = didOf(SIM_COLLECTION, runs[0]!.obsId);

  const get = await (await fetch(`${address}/datalink?ID=${encodeURIComponent(did)}`)).text();
  const posted = await fetch(`${address}/datalink`, {
    method: 'POST',
    body: new URLSearchParams([['ID', did]]),
  });
  assert.equal(posted.status, 200);
  assert.equal(posted.headers.get('content-type'), DATALINK);
  assert.equal(await posted.text(), get);
  for (const query of [
    `id=${encodeURIComponent(did)}`,
    `ID=${encodeURIComponent(did)}&RESPONSEFORMAT=votable`,
    `ID=${encodeURIComponent(did)}&responseformat=${encodeURIComponent('application/x-votable+xml;content=datalink')}`,
  ]) {
    const response = await fetch(`${address}/datalink?${query}`);
    assert.equal(response.status, 200, query);
    assert.equal(await response.text(), get, query);
  }

  for (const [what, init, path] of [
    ['no ID', undefined, '/datalink'],
    ['empty ID', undefined, '/datalink?ID='],
    ['POST without ID', { method: 'POST', body: new URLSearchParams([['FOO', 'x']]) }, '/datalink'],
    ['unknown format', undefined, `/datalink?ID=${encodeURIComponent(did)}&RESPONSEFORMAT=csv`],
  ] as const) {
    const response = await fetch(`${address}${path}`, init);
    assert.equal(response.status, 400, what);
    assert.equal(response.headers.get('content-type'), 'application/x-votable+xml', what);
    const body = await response.text();
    assert.match(body, /<RESOURCE type="results">/, what);
    assert.match(body, /<INFO name="QUERY_STATUS" value="ERROR">UsageFault: [^<]+<\/INFO>/, what);
  }
});

test('products hold only their HDUs, byte for byte, with the advertised content_length', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address, cacheDir } = await serveStore(t, dir, SIM_COLLECTION);
  const run = runs[0]!;
  const did = didOf(SIM_COLLECTION, run.obsId);
  // ObsCore's access_url is the DataLink URL of the dataset, and it works as it is.
  const [obscore] = await tapRows(
    address,
    `SELECT access_url FROM ivoa.obscore WHERE obs_publisher_did = '${did}'`,
  );
  const before = parseLinks(await (await fetch(String(obscore!.access_url))).text());
  assert.equal(before[0]!.content_length, null, 'the event list is not built yet');

  // The source, decompressed, and where each of its HDUs lies.
  const source = gunzipSync(readFileSync(join(dir, run.fileName)));
  const sourceHdus = await scanHdus(join(dir, run.fileName));
  const bytesOf = (name: string): Buffer => {
    const hdu = sourceHdus.find((h) => h.name === name)!;
    return source.subarray(hdu.headerOffset, hdu.headerOffset + hdu.hduByteLength);
  };

  // Concurrent first requests share one build and all get the same bytes.
  const eventsUrl = before[0]!.access_url!;
  const bodies = await Promise.all(
    Array.from({ length: 4 }, async () =>
      Buffer.from(await (await fetch(eventsUrl)).arrayBuffer()),
    ),
  );
  for (const body of bodies) assert.deepEqual(body, bodies[0]);
  const events = bodies[0]!;
  assert.deepEqual(events.subarray(2880), Buffer.concat([bytesOf('EVENTS'), bytesOf('GTI')]));
  assert.match(events.subarray(0, 80).toString('latin1'), /^SIMPLE {2}=\s+T/);

  for (const link of before.filter((l) => l.semantics === '#calibration')) {
    const response = await fetch(link.access_url!);
    assert.equal(response.status, 200);
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(body.length, link.content_length, link.access_url!);
    assert.equal(response.headers.get('content-length'), String(body.length));
    const extname = { aeff: 'AEFF', edisp: 'EDISP', psf: 'PSF', bkgrate: 'BKG' }[
      link.content_qualifier!
    ];
    assert.ok(extname, link.content_qualifier!);
    assert.deepEqual(body.subarray(2880), bytesOf(extname));
  }
  const after = parseLinks(await (await fetch(String(obscore!.access_url))).text());
  assert.equal(after[0]!.content_length, events.length);

  // Nothing half-written is left in the cache.
  const leftovers = readdirSync(cacheDir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, []);

  // A second request is served from the cache, with validators.
  const again = await fetch(eventsUrl, { method: 'HEAD' });
  assert.equal(again.headers.get('content-length'), String(events.length));
  const cached = await fetch(eventsUrl, {
    headers: { 'If-None-Match': again.headers.get('etag')! },
  });
  assert.equal(cached.status, 304);

  for (const path of [
    `/products/${SIM_COLLECTION}/${run.obsId}/nothing.fits`,
    `/products/${SIM_COLLECTION}/999/events.fits`,
    `/products/other/${run.obsId}/events.fits`,
  ]) {
    const response = await fetch(`${address}${path}`);
    assert.equal(response.status, 404, path);
    await response.arrayBuffer();
  }
});

test('a source gone from the store: the product answers 404 and #package an error row', async (t) => {
  const { dir, runs } = await simulatedStore(t);
  const { address } = await serveStore(t, dir, SIM_COLLECTION);
  const run = runs[1]!;
  rmSync(join(dir, run.fileName));
  const response = await fetch(`${address}/products/${SIM_COLLECTION}/${run.obsId}/events.fits`);
  assert.equal(response.status, 404);
  assert.match(await response.text(), /no longer a file inside the data store/);
  const links = await fetchLinks(address, didOf(SIM_COLLECTION, run.obsId));
  const packaged = links.find((l) => l.semantics === '#package');
  assert.match(packaged?.error_message ?? '', /^FatalFault: /);
  assert.equal(packaged?.access_url, null);
});

test('MAGIC point-like IRFs: aeff, edisp and rad_max products from HDUs named with spaces', async (t) => {
  const store = requireTestData(t, 'magic-rad-max');
  if (!store) return;
  const { address } = await serveStore(t, store, 'magic');
  const links = withoutPreviews(await fetchLinks(address, didOf('magic', 5029747)));
  assert.deepEqual(
    links.map((l) => `${l.semantics} ${l.content_qualifier}`),
    [
      '#this hea-event-list',
      '#calibration aeff',
      '#calibration edisp',
      '#calibration rad_max',
      '#package hea-event-bundle',
      '#coverage null',
      '#provenance null',
      '#proc hea-event-bundle',
      // The spectrum and the light curve (point-like IRFs make no map dataset).
      '#proc null',
      '#proc null',
    ],
  );
  const source = join(store, 'data', '20131004_05029747_DL3_CrabNebula-W0.40+035.fits');
  const original = readFileSync(source);
  const hdus = await scanHdus(source);
  const bytesOf = (name: string): Buffer => {
    const hdu = hdus.find((h) => h.name === name)!;
    return original.subarray(hdu.headerOffset, hdu.headerOffset + hdu.hduByteLength);
  };
  const expected: Record<string, Buffer> = {
    aeff: bytesOf('EFFECTIVE AREA'),
    edisp: bytesOf('ENERGY DISPERSION'),
    rad_max: bytesOf('RAD_MAX'),
    'hea-event-list': Buffer.concat([bytesOf('EVENTS'), bytesOf('GTI')]),
  };
  // The MOC of #coverage is checked in test/moc/coverage.test.ts, #provenance in test/provenance.
  for (const link of links.filter((l) => l.access_url !== null)) {
    if (link.semantics === '#coverage' || link.semantics === '#provenance') continue;
    const body = Buffer.from(await (await fetch(link.access_url!)).arrayBuffer());
    if (link.semantics === '#package') {
      assert.equal(
        link.access_url,
        `${address}/files/magic/data/${encodeURIComponent(source.split('/').pop()!)}`,
      );
      assert.deepEqual(body, original);
      continue;
    }
    assert.deepEqual(body.subarray(2880), expected[link.content_qualifier!], link.access_url!);
  }
});
