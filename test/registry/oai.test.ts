/**
 * The OAI-PMH 2.0 publishing registry: the six verbs, both formats, the ivo_managed set,
 * from/until, resumption tokens and every error code; each answer valid against the
 * OAI-PMH, RegistryInterface, VOResource, VODataService, TAPRegExt and VORegistry schemas.
 * Paging is tested on the repository with a small page; the endpoint over real HTTP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildServer } from '../../src/http/server.js';
import { capabilityOptionsFor, jobTimeLimitsOf, tapLimitsOf } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { OaiRepository, ResourcePublisher } from '../../src/registry/index.js';
import { loadServiceDescription } from '../../src/service/index.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { freePort } from '../helpers/net.js';
import { requireSchemas, schemaErrors } from '../helpers/xsd.js';
import { twoCollectionCatalog } from './fixtures.js';

const BASE = 'https://vo.example.org/hearc';

function valid(xml: string, what: string): string {
  const errors = schemaErrors(xml);
  assert.equal(errors, '', `${what}:\n${errors}\n${xml.slice(0, 2000)}`);
  return xml;
}

const errorCode = (xml: string): string | undefined => /<error code="(\w+)"/.exec(xml)?.[1];
const all = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}(?: [^>]*)?>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

test('OAI-PMH verbs, formats, set, from/until, resumption tokens and errors', async (t) => {
  if (!requireSchemas(t)) return;
  const { engine } = await twoCollectionCatalog(t);
  t.after(() => engine.close());
  const service = loadServiceDescription({ env: {}, overrides: { authority: 'test.hearc' } });
  const publisher = new ResourcePublisher({
    service,
    engine,
    schema: servedSchema(publishedSchema),
    capabilities: capabilityOptionsFor(
      tapLimitsOf(service.limits),
      jobTimeLimitsOf(service.limits),
    ),
  });
  const oai = new OaiRepository(publisher, { pageSize: 2 });
  const ask = async (query: string): Promise<string> =>
    valid(
      await oai.answer({
        endpoint: `${BASE}/oai`,
        baseUrl: BASE,
        arguments: [...new URLSearchParams(query)],
      }),
      query,
    );

  const identify = await ask('verb=Identify');
  assert.equal(errorCode(identify), undefined);
  assert.deepEqual(all(identify, 'baseURL'), [`${BASE}/oai`]);
  assert.match(identify, /<description>\s*<ri:Resource [^>]*xsi:type="vg:Registry"/);
  assert.match(identify, /<request verb="Identify">/);

  const formats = await ask('verb=ListMetadataFormats');
  assert.deepEqual(all(formats, 'metadataPrefix'), ['ivo_vor', 'oai_dc']);
  assert.deepEqual(all(await ask('verb=ListSets'), 'setSpec'), ['ivo_managed']);

  // ListRecords in pages of two, to the end.
  const identifiers: string[] = [];
  let page = await ask('verb=ListRecords&metadataPrefix=ivo_vor');
  for (let pages = 1; ; pages++) {
    assert.equal(errorCode(page), undefined, page);
    identifiers.push(...all(page, 'identifier').filter((_, i) => i % 2 === 0));
    const token = /<resumptionToken[^>]*>([^<]*)<\/resumptionToken>/.exec(page);
    assert.ok(token, 'every page of a long list has a resumptionToken');
    assert.match(token[0], /completeListSize="5"/);
    if (token[1] === '') {
      assert.equal(pages, 3);
      break;
    }
    page = await ask(`verb=ListRecords&resumptionToken=${encodeURIComponent(token[1]!)}`);
  }
  assert.deepEqual(identifiers, [
    'ivo://test.hearc',
    'ivo://test.hearc/registry',
    'ivo://test.hearc/tap',
    'ivo://test.hearc/north',
    'ivo://test.hearc/south',
  ]);

  const headers = await ask('verb=ListIdentifiers&metadataPrefix=oai_dc&set=ivo_managed');
  assert.equal(all(headers, 'identifier').length, 2);
  const dc = await ask('verb=GetRecord&identifier=ivo://test.hearc/north&metadataPrefix=oai_dc');
  assert.deepEqual(all(dc, 'dc:identifier'), ['ivo://test.hearc/north']);
  const vor = await ask('verb=GetRecord&identifier=IVO://TEST.HEARC/tap&metadataPrefix=ivo_vor');
  assert.match(vor, /xsi:type="vs:CatalogService"/);

  // from/until select on the datestamps (the dates of the newest ingests).
  const datestamps = all(await ask('verb=ListIdentifiers&metadataPrefix=ivo_vor'), 'datestamp');
  const newest = datestamps.sort().at(-1)!;
  const upToNewest = await ask(`verb=ListIdentifiers&metadataPrefix=ivo_vor&until=${newest}`);
  assert.equal(errorCode(upToNewest), undefined);
  const future = await ask('verb=ListIdentifiers&metadataPrefix=ivo_vor&from=9999-01-01');
  assert.equal(errorCode(future), 'noRecordsMatch');
  assert.equal(
    errorCode(await ask(`verb=ListRecords&metadataPrefix=ivo_vor&from=${newest.slice(0, 10)}`)),
    undefined,
  );

  const errors: [string, string][] = [
    ['', 'badVerb'],
    ['verb=Frobnicate', 'badVerb'],
    ['verb=Identify&verb=Identify', 'badVerb'],
    ['Verb=Identify', 'badVerb'],
    ['verb=Identify&metadataPrefix=ivo_vor', 'badArgument'],
    ['verb=ListRecords', 'badArgument'],
    ['verb=GetRecord&metadataPrefix=ivo_vor', 'badArgument'],
    ['verb=ListRecords&metadataPrefix=ivo_vor&from=2020-13-45', 'badArgument'],
    [
      'verb=ListRecords&metadataPrefix=ivo_vor&from=2020-01-01&until=2020-01-01T00:00:00Z',
      'badArgument',
    ],
    ['verb=ListRecords&metadataPrefix=ivo_vor&from=2021-01-01&until=2020-01-01', 'badArgument'],
    ['verb=ListRecords&metadataPrefix=ivo_vor&resumptionToken=abc', 'badArgument'],
    ['verb=ListRecords&resumptionToken=abc', 'badResumptionToken'],
    ['verb=ListRecords&metadataPrefix=marc21', 'cannotDisseminateFormat'],
    [
      'verb=GetRecord&identifier=ivo://test.hearc/tap&metadataPrefix=marc21',
      'cannotDisseminateFormat',
    ],
    ['verb=GetRecord&identifier=ivo://test.hearc/nothing&metadataPrefix=ivo_vor', 'idDoesNotExist'],
    ['verb=ListMetadataFormats&identifier=ivo://elsewhere/x', 'idDoesNotExist'],
    ['verb=ListRecords&metadataPrefix=ivo_vor&set=other', 'noRecordsMatch'],
  ];
  for (const [query, code] of errors) {
    const answer = await ask(query);
    assert.equal(errorCode(answer), code, query);
    if (code === 'badVerb' || code === 'badArgument') assert.match(answer, /<request>/, query);
  }
});

test('/oai over HTTP: GET and POST, URLs from the request, malformed escapes a badArgument', async (t) => {
  if (!requireSchemas(t)) return;
  const { engine } = await twoCollectionCatalog(t);
  const app = await buildServer({ engine, schema: servedSchema(publishedSchema) });
  const address = `http://127.0.0.1:${await freePort()}`;
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });

  const get = await fetch(`${address}/oai?verb=ListRecords&metadataPrefix=ivo_vor`);
  assert.equal(get.status, 200);
  assert.match(get.headers.get('content-type') ?? '', /^text\/xml/);
  const records = valid(await get.text(), 'ListRecords');
  assert.equal(all(records, 'datestamp').length, 5);
  assert.ok(records.includes(`<accessURL use="base">${address}/tap</accessURL>`));
  assert.ok(records.includes(`<accessURL use="base">${address}/oai</accessURL>`));

  const post = await fetch(`${address}/oai`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'verb=GetRecord&metadataPrefix=oai_dc&identifier=ivo%3A%2F%2Fhearc.local%2Fsouth',
  });
  assert.equal(errorCode(valid(await post.text(), 'POST GetRecord')), undefined);

  const malformed = valid(await (await fetch(`${address}/oai?verb=Identify&x=%zz`)).text(), '%zz');
  assert.equal(errorCode(malformed), 'badArgument');
  assert.match(malformed, /%-escape|escape/);
});
