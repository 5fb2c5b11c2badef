/**
 * The provenance of a published dataset over HTTP, read by the W3C `prov` package:
 * PROV-JSON and PROV-XML parse to the same graph, PROV-N is exactly what prov writes
 * for the PROV-JSON, DataLink points at it, and bad requests get clear errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { didOf, HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { parseLinks } from '../datalink/links-document.js';
import { requireTestData } from '../helpers/env.js';
import { readWithProv, requireProv } from './helpers.js';

test('provenance of a published dataset in PROV-JSON, PROV-XML, PROV-N and SVG', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir || !requireProv(t)) return;
  const { address } = await serveStore(t, dir, HESS_COLLECTION);
  const did = didOf(HESS_COLLECTION, 23523);
  const url = (params: string) => `${address}/provenance?ID=${encodeURIComponent(did)}${params}`;

  // DataLink offers it.
  const links = parseLinks(
    await (await fetch(`${address}/datalink?ID=${encodeURIComponent(did)}`)).text(),
  );
  const row = links.find((l) => l.semantics === '#provenance');
  assert.equal(row?.access_url, url(''));
  assert.equal(row?.content_type, 'application/json');

  const json = await fetch(url('&DEPTH=ALL'));
  assert.equal(json.status, 200);
  assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
  const jsonText = await json.text();
  const parsed = JSON.parse(jsonText) as { prefix: Record<string, string> };
  assert.equal(parsed.prefix.prov, 'http://www.w3.org/ns/prov#');
  assert.equal(parsed.prefix.voprov, 'http://www.ivoa.net/documents/ProvenanceDM/ns/voprov/');
  assert.equal(parsed.prefix.hearc, `${address}/`);

  const fromJson = readWithProv(t, jsonText, 'json');
  const event = 'ivo:test.hearc/hess-dr1?23523';
  const file = 'hearc:files/hess-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz';
  assert.equal(fromJson.entities[event]?.['prov:label'], 'Event list of observation 23523');
  assert.equal(
    fromJson.entities[event]?.['prov:location'],
    `${address}/products/hess-dr1/23523/events.fits`,
  );
  assert.ok(fromJson.entities[file]);
  assert.deepEqual([...fromJson.activities].sort(), [
    'hearc:activity/dl3/hess-dr1/23523',
    'hearc:activity/ingest/hess-dr1/23523',
  ]);
  assert.ok(fromJson.derivations.some(([g, u]) => g === event && u === file));
  assert.ok(fromJson.agents.includes('hearc:agent/publisher'));
  const telescope = Object.entries(fromJson.entities).find(
    ([id]) => id === 'hearc:activity/dl3/hess-dr1/23523/parameter/TELESCOP',
  );
  assert.equal(telescope?.[1]['prov:value'], 'HESS');

  // PROV-N: what prov writes for the same graph after reading our PROV-JSON.
  const provn = await (await fetch(url('&DEPTH=ALL&RESPONSEFORMAT=PROV-N'))).text();
  assert.equal(provn, fromJson.provn);

  // PROV-XML: the same graph.
  const xml = await fetch(url('&DEPTH=ALL&RESPONSEFORMAT=PROV-XML'));
  assert.match(xml.headers.get('content-type') ?? '', /xml/);
  const fromXml = readWithProv(t, await xml.text(), 'xml');
  assert.deepEqual(Object.keys(fromXml.entities).sort(), Object.keys(fromJson.entities).sort());
  assert.deepEqual([...fromXml.activities].sort(), [...fromJson.activities].sort());
  assert.deepEqual(fromXml.entities[event], fromJson.entities[event]);

  // DEPTH=1 stops at the ingest; FORTH from the file reaches the dataset.
  const shallow = readWithProv(t, await (await fetch(url(''))).text(), 'json');
  assert.deepEqual(shallow.activities, ['hearc:activity/ingest/hess-dr1/23523']);
  const forth = readWithProv(
    t,
    await (
      await fetch(
        `${address}/provenance?ID=${encodeURIComponent(`${address}/files/hess-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz`)}&DIRECTION=FORTH`,
      )
    ).text(),
    'json',
  );
  assert.ok(forth.entities[event]);
  assert.ok(forth.entities['hearc:products/hess-dr1/23523/aeff.fits']);

  const svg = await fetch(url('&DEPTH=ALL&RESPONSEFORMAT=SVG'));
  assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
  const picture = await svg.text();
  assert.match(picture, /^<\?xml[^>]*>\n<svg /);
  assert.match(picture, /Event list of observation 23523/);

  // Errors name the problem.
  const error = async (query: string, status: number, pattern: RegExp) => {
    const response = await fetch(`${address}/provenance${query}`);
    assert.equal(response.status, status, query);
    assert.match(await response.text(), pattern);
  };
  await error('', 400, /ID is required/);
  await error(
    `?ID=${encodeURIComponent(did)}&DEPTH=0`,
    400,
    /DEPTH must be a positive whole number or ALL/,
  );
  await error(
    `?ID=${encodeURIComponent(did)}&DIRECTION=UP`,
    400,
    /DIRECTION must be BACK or FORTH/,
  );
  await error(`?ID=${encodeURIComponent(did)}&RESPONSEFORMAT=pdf`, 400, /RESPONSEFORMAT must be/);
  await error(`?ID=${encodeURIComponent(did)}&ID=x`, 400, /give ID only once/);
  await error('?ID=ivo%3A%2F%2Ftest.hearc%2Fhess-dr1%3F1', 404, /has no provenance record/);
});
