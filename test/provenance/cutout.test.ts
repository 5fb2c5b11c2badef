/**
 * A SODA cutout records its provenance: the answer carries a W3C PROV-AQ Link and the
 * FITS file a PROV_URL card naming it; W3C `prov` reads the PROV-JSON and PROV-XML,
 * which say the cutout was derived from the event list and record the cut parameters;
 * following the graph back reaches the DL3 production of the original file. Previews
 * name their provenance as well.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFits } from '../../src/fits/index.js';
import { obscoreTable } from '../../src/obscore/schema.js';
import { didOf, HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { requireTestData } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';
import { readWithProv, requireProv } from './helpers.js';

const HAS_PROVENANCE = /^<([^>]+)>; rel="http:\/\/www\.w3\.org\/ns\/prov#has_provenance"$/;

test('a cutout names its provenance, which W3C prov reads', async (t) => {
  const dir = requireTestData(t, 'hess-dl3-dr1');
  if (!dir || !requireProv(t)) return;
  const { address, engine } = await serveStore(t, dir, HESS_COLLECTION);
  const did = didOf(HESS_COLLECTION, 23523);
  const [row] = await engine.selectRows(obscoreTable, {
    column: 'obs_publisher_did',
    values: [did],
  });
  const [ra, dec, tMin, tMax] = [row!.s_ra, row!.s_dec, row!.t_min, row!.t_max].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const time = `${tMin} ${(tMin + tMax) / 2}`;
  const params = new URLSearchParams({
    ID: did,
    CIRCLE: `${ra} ${dec} 1.5`,
    ENERGY: '1 10',
    TIME: time,
  });
  const cutout = await fetch(`${address}/soda?${params}`);
  assert.equal(cutout.status, 200);
  const url = HAS_PROVENANCE.exec(cutout.headers.get('link') ?? '')?.[1];
  assert.ok(url, cutout.headers.get('link') ?? 'no Link header');
  assert.match(url, new RegExp(`^${address}/provenance\\?ID=`));

  // The file names the same provenance.
  const path = join(tempDir(t), 'cutout.fits');
  writeFileSync(path, Buffer.from(await cutout.arrayBuffer()));
  const fits = await readFits(path);
  assert.equal(fits.hdu(0).header.getString('PROV_URL'), url);
  assert.equal(fits.bintable('EVENTS').header.getString('PROV_URL'), url);

  const json = await (await fetch(url)).text();
  const reading = readWithProv(t, json, 'json');
  const event = 'ivo:test.hearc/hess-dr1?23523';
  const [product] = Object.keys(reading.entities).filter((id) => id.startsWith('hearc:cutout/'));
  assert.ok(product, Object.keys(reading.entities).join(', '));
  assert.deepEqual(reading.derivations, [[product, event]]);
  assert.equal(reading.entities[product]?.['voprov:type'], 'cutout');
  const location = reading.entities[product]?.['prov:location'] ?? '';
  assert.equal(new URL(location).searchParams.get('CIRCLE'), `${ra} ${dec} 1.5`);
  const [activity] = reading.activities;
  assert.match(activity ?? '', /^hearc:activity\/cutout\//);
  assert.ok(reading.usages.some(([a, e]) => a === activity && e === event));
  const parameter = (name: string) => reading.entities[`${activity}/parameter/${name}`];
  assert.equal(parameter('CIRCLE')?.['prov:value'], `${ra} ${dec} 1.5`);
  assert.equal(parameter('CIRCLE')?.['voprov:unit'], 'deg');
  assert.equal(parameter('ENERGY')?.['prov:value'], '1 10');
  assert.equal(parameter('ENERGY')?.['voprov:unit'], 'TeV');
  assert.equal(parameter('TIME')?.['prov:value'], time);
  assert.match(String(parameter('events_kept')?.['prov:value']), /^\d+$/);
  assert.ok(reading.agents.includes('hearc:agent/service'));

  // PROV-XML says the same; PROV-N is what prov writes.
  const xml = readWithProv(t, await (await fetch(`${url}&RESPONSEFORMAT=PROV-XML`)).text(), 'xml');
  assert.deepEqual(xml.derivations, reading.derivations);
  assert.deepEqual(xml.entities[`${activity}/parameter/CIRCLE`], parameter('CIRCLE'));
  assert.equal(await (await fetch(`${url}&RESPONSEFORMAT=PROV-N`)).text(), reading.provn);

  // All the way back: the ingest, the original file, the DL3 production.
  const all = readWithProv(t, await (await fetch(`${url}&DEPTH=ALL`)).text(), 'json');
  assert.deepEqual([...all.activities].sort(), [
    activity,
    'hearc:activity/dl3/hess-dr1/23523',
    'hearc:activity/ingest/hess-dr1/23523',
  ]);
  // Forth from the event list: the cutout.
  const forth = readWithProv(
    t,
    await (
      await fetch(`${address}/provenance?ID=${encodeURIComponent(did)}&DIRECTION=FORTH`)
    ).text(),
    'json',
  );
  assert.ok(forth.entities[product]);

  // A preview, built on first request, names its provenance too (recorded once).
  for (let i = 0; i < 2; i++) {
    const preview = await fetch(`${address}/previews/hess-dr1/23523/counts.png`);
    assert.equal(preview.status, 200);
    const previewUrl = HAS_PROVENANCE.exec(preview.headers.get('link') ?? '')?.[1];
    assert.ok(previewUrl, preview.headers.get('link') ?? 'no Link header');
    const made = readWithProv(t, await (await fetch(previewUrl)).text(), 'json');
    assert.deepEqual(made.derivations, [['hearc:previews/hess-dr1/23523/counts.png', event]]);
  }

  const svg = await (await fetch(`${url}&DEPTH=ALL&RESPONSEFORMAT=SVG`)).text();
  assert.match(svg, /SODA cutout/);
  if (process.env.HEARC_PROV_SVG) writeFileSync(process.env.HEARC_PROV_SVG, svg);
});
