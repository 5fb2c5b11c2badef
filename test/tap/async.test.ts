/** Async TAP (UWS 1.1 jobs at /tap/async) over real HTTP, read back by astropy. */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYTHON, requireAstropy, requireChecker } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { ApiTokenStore } from '../../src/auth/index.js';
import { tempDir } from '../helpers/tmp.js';
import {
  createJob,
  jobIdOf,
  post,
  serveAsync,
  SLOW_QUERY,
  uwsValue,
  waitForEnd,
} from '../uws/fixtures.js';

/** taplint's copy of the UWS 1.1 schema (Debian stilts). */
const STILTS_JAR = '/usr/share/java/starlink-ttools.jar';

/** Validates documents (name → XML) against UWS 1.1; prints the names of invalid ones with why. */
const VALIDATE_UWS = `import sys, json, zipfile
from lxml import etree
xsd = zipfile.ZipFile(sys.argv[1]).read('uk/ac/starlink/ttools/taplint/UWS-v1.1.xsd')
xlink = b'''<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/1999/xlink">
<xs:attribute name="type" type="xs:string"/><xs:attribute name="href" type="xs:anyURI"/></xs:schema>'''
class Local(etree.Resolver):
    def resolve(self, url, pubid, context):
        return self.resolve_string(xlink, context) if 'xlink' in url else None
parser = etree.XMLParser()
parser.resolvers.add(Local())
schema = etree.XMLSchema(etree.fromstring(xsd, parser))
docs = json.load(open(sys.argv[2]))
bad = {}
for name, text in docs.items():
    if not schema.validate(etree.fromstring(text.encode())):
        bad[name] = str(schema.error_log.last_error)
print(json.dumps(bad))`;

const OBSCORE_QUERY = 'SELECT obs_id, s_ra, s_dec, t_min FROM ivoa.obscore ORDER BY obs_id';

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

async function phaseOf(jobUrl: string): Promise<string> {
  return text(`${jobUrl}/phase`);
}

/** Job ids of a job list document, in document order. */
function jobIds(xml: string): string[] {
  return [...xml.matchAll(/<uws:jobref id="([^"]+)"/g)].map((m) => m[1]!);
}

/** Waits (WAIT) until the job has left `phase`. */
async function waitWhile(jobUrl: string, phase: string): Promise<string> {
  for (;;) {
    const now = uwsValue(await text(`${jobUrl}?WAIT=30&PHASE=${phase}`), 'phase') ?? '';
    if (now !== phase) return now;
  }
}

test('TAP async', async (suite) => {
  const served = await serveAsync(suite);
  const { jobs } = served;

  await suite.test(
    'a job created with PHASE=RUN completes; astropy reads its result',
    async (t) => {
      const response = await post(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY, PHASE: 'RUN' });
      assert.equal(response.status, 303);
      const jobUrl = response.headers.get('location') ?? '';
      assert.match(jobUrl, new RegExp(`^${jobs}/[0-9a-f]{20}$`));
      const job = await waitForEnd(jobUrl);
      assert.equal(uwsValue(job, 'phase'), 'COMPLETED');
      assert.match(job, /<uws:job [^>]*version="1.1"/);
      assert.match(job, /<uws:parameter id="query">SELECT obs_id/);
      const href = /<uws:result id="result" [^>]*xlink:href="([^"]+)"/.exec(job)?.[1];
      assert.equal(href, `${jobUrl}/results/result`);
      assert.match(job, /mime-type="application\/x-votable\+xml"/);

      const result = await fetch(`${jobUrl}/results/result`);
      assert.equal(result.status, 200);
      assert.match(result.headers.get('content-type') ?? '', /^application\/x-votable\+xml/);
      const size = Number(/ size="(\d+)"/.exec(job)?.[1]);
      assert.equal((await result.arrayBuffer()).byteLength, size);

      if (!requireAstropy(t)) return;
      const table = await runPythonJsonAsync<{ ids: string[]; status: string; units: string[] }>(
        `import sys, io, json, urllib.request
from astropy.io.votable import parse
doc = parse(io.BytesIO(urllib.request.urlopen(sys.argv[1]).read()))
t = doc.get_first_table()
status = [i.value for i in doc.resources[0].infos if i.name == 'QUERY_STATUS'][0]
print(json.dumps(dict(ids=[str(x) for x in t.array['obs_id']], status=status, units=[str(f.unit) for f in t.fields])))`,
        [`${jobUrl}/results/result`],
      );
      assert.equal(table.ids.length, 2);
      assert.equal(table.status, 'OK');
      assert.equal(table.units[1], 'deg');
    },
  );

  await suite.test('a PENDING job: sub-resources, settings, then PHASE=RUN', async () => {
    const jobUrl = await createJob(jobs, {
      LANG: 'ADQL',
      QUERY: 'SELECT TOP 1 obs_id FROM ivoa.obscore',
      RESPONSEFORMAT: 'csv',
      RUNID: 'run & <check>',
    });
    assert.equal(await phaseOf(jobUrl), 'PENDING');
    const job = await text(jobUrl);
    assert.match(job, /<uws:runId>run &amp; &lt;check&gt;<\/uws:runId>/);
    assert.match(job, /<uws:startTime xsi:nil="true"\/>/);
    assert.match(job, /<uws:results\/>/);
    assert.equal(await text(`${jobUrl}/quote`), '');
    assert.equal(await text(`${jobUrl}/owner`), '');
    // The service description's default execution duration of async jobs (an hour).
    // The service description's default execution duration of async jobs (an hour).
    assert.equal(await text(`${jobUrl}/executionduration`), '3600');
    assert.match(await text(`${jobUrl}/parameters`), /<uws:parameter id="responseformat">csv</);
    assert.equal((await fetch(`${jobUrl}/results/result`)).status, 404);
    assert.equal((await fetch(`${jobUrl}/error`)).status, 404);

    // Longer than the limit is cut to the limit; the 303 leads back to the job.
    const duration = await post(`${jobUrl}/executionduration`, { EXECUTIONDURATION: '100000' });
    assert.equal(duration.status, 303);
    assert.equal(duration.headers.get('location'), jobUrl);
    // The service description's longest execution duration of async jobs (a day).
    assert.equal(await text(`${jobUrl}/executionduration`), '86400');
    await post(`${jobUrl}/executionduration`, { EXECUTIONDURATION: '30' });
    assert.equal(await text(`${jobUrl}/executionduration`), '30');
    const when = '2031-01-02T03:04:05.000Z';
    const destruction = await post(`${jobUrl}/destruction`, { DESTRUCTION: '2031-01-02T03:04:05' });
    assert.equal(destruction.status, 303);
    const kept = new Date(await text(`${jobUrl}/destruction`));
    assert.ok(kept.getTime() <= new Date(when).getTime(), 'destruction is at most the one asked');
    assert.equal((await post(`${jobUrl}/destruction`, { DESTRUCTION: 'soon' })).status, 400);
    assert.equal(
      (await post(`${jobUrl}/executionduration`, { EXECUTIONDURATION: '-3' })).status,
      400,
    );

    // Parameters change while PENDING.
    assert.equal((await post(`${jobUrl}/parameters`, { MAXREC: '0' })).status, 303);
    assert.match(await text(`${jobUrl}/parameters`), /<uws:parameter id="maxrec">0</);

    const run = await post(`${jobUrl}/phase`, { PHASE: 'RUN' });
    assert.equal(run.status, 303);
    assert.equal(run.headers.get('location'), jobUrl);
    assert.equal(uwsValue(await waitForEnd(jobUrl), 'phase'), 'COMPLETED');
    const csv = await fetch(`${jobUrl}/results/result`);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal((await csv.text()).trim(), 'obs_id');

    // Settings of a finished job stay as they are.
    assert.equal(
      (await post(`${jobUrl}/executionduration`, { EXECUTIONDURATION: '5' })).status,
      409,
    );
    assert.equal((await post(`${jobUrl}/parameters`, { QUERY: 'SELECT 1' })).status, 409);
    assert.equal((await post(`${jobUrl}/phase`, { PHASE: 'RUN' })).status, 409);
    assert.equal((await post(`${jobUrl}/phase`, { PHASE: 'SUSPEND' })).status, 400);
  });

  await suite.test(
    'an ADQL error ends the job in ERROR with a VOTable error document',
    async () => {
      const jobUrl = await createJob(jobs, {
        LANG: 'ADQL',
        QUERY: 'SELECT nosuchcolumn FROM ivoa.obscore',
        PHASE: 'RUN',
      });
      const job = await waitForEnd(jobUrl);
      assert.equal(uwsValue(job, 'phase'), 'ERROR');
      assert.match(job, /<uws:errorSummary type="fatal" hasDetail="true">/);
      assert.match(uwsValue(job, 'message') ?? '', /nosuchcolumn/);
      const error = await fetch(`${jobUrl}/error`);
      assert.equal(error.status, 200);
      assert.match(error.headers.get('content-type') ?? '', /^application\/x-votable\+xml/);
      const document = await error.text();
      assert.match(document, /<INFO name="QUERY_STATUS" value="ERROR">[^<]*nosuchcolumn/);
      assert.equal((await fetch(`${jobUrl}/results/result`)).status, 404);

      // A job without LANG is created, and fails when it runs.
      const noLang = await createJob(jobs, { QUERY: 'SELECT 1 FROM ivoa.obscore', PHASE: 'RUN' });
      assert.match(uwsValue(await waitForEnd(noLang), 'message') ?? '', /LANG is required/);
      // UWS settings are checked at creation.
      assert.equal((await post(jobs, { QUERY: 'x', PHASE: 'ABORT' })).status, 400);
      assert.equal((await post(jobs, { QUERY: 'x', EXECUTIONDURATION: 'long' })).status, 400);
    },
  );

  await suite.test('the execution duration cancels the query; the job ends in ERROR', async () => {
    const jobUrl = await createJob(jobs, {
      LANG: 'ADQL',
      QUERY: SLOW_QUERY,
      EXECUTIONDURATION: '1',
      PHASE: 'RUN',
    });
    const job = await waitForEnd(jobUrl);
    assert.equal(uwsValue(job, 'phase'), 'ERROR');
    assert.equal(
      uwsValue(job, 'message'),
      'the job ran longer than its execution duration of 1 s and was cancelled',
    );
    assert.equal(existsSync(join(served.resultsDir, jobIdOf(jobUrl))), false);
    // The database is free again: a new job runs.
    const next = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY, PHASE: 'RUN' });
    assert.equal(uwsValue(await waitForEnd(next), 'phase'), 'COMPLETED');
  });

  await suite.test('ABORT stops a running query', async () => {
    const jobUrl = await createJob(jobs, { LANG: 'ADQL', QUERY: SLOW_QUERY, PHASE: 'RUN' });
    assert.equal(await waitWhile(jobUrl, 'QUEUED'), 'EXECUTING');
    const abort = await post(`${jobUrl}/phase`, { PHASE: 'ABORT' });
    assert.equal(abort.status, 303);
    assert.equal(await phaseOf(jobUrl), 'ABORTED');
    assert.notEqual(uwsValue(await text(jobUrl), 'endTime'), undefined);
    assert.equal((await fetch(`${jobUrl}/results/result`)).status, 404);
    // Aborting again changes nothing; the workers are free for the next job.
    assert.equal((await post(`${jobUrl}/phase`, { PHASE: 'ABORT' })).status, 303);
    const next = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY, PHASE: 'RUN' });
    assert.equal(uwsValue(await waitForEnd(next), 'phase'), 'COMPLETED');
    assert.equal(await phaseOf(jobUrl), 'ABORTED');
  });

  await suite.test('WAIT returns at once for another phase, after the wait otherwise', async () => {
    const jobUrl = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY });
    assert.equal(uwsValue(await text(`${jobUrl}?WAIT=1`), 'phase'), 'PENDING');
    assert.equal(uwsValue(await text(`${jobUrl}?WAIT=30&PHASE=QUEUED`), 'phase'), 'PENDING');
    assert.equal((await fetch(`${jobUrl}?WAIT=soon`)).status, 400);
    await post(`${jobUrl}/phase`, { PHASE: 'RUN' });
    assert.equal(uwsValue(await waitForEnd(jobUrl), 'phase'), 'COMPLETED');
    // A finished job never blocks.
    assert.equal(uwsValue(await text(`${jobUrl}?WAIT=-1`), 'phase'), 'COMPLETED');
  });

  await suite.test('DELETE and ACTION=DELETE remove the job and its result', async () => {
    const first = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY, PHASE: 'RUN' });
    await waitForEnd(first);
    const folder = join(served.resultsDir, jobIdOf(first));
    assert.equal(existsSync(folder), true);
    const deleted = await fetch(first, { method: 'DELETE', redirect: 'manual' });
    assert.equal(deleted.status, 303);
    assert.equal(deleted.headers.get('location'), jobs);
    assert.equal((await fetch(first)).status, 404);
    assert.equal((await fetch(`${first}/results/result`)).status, 404);
    assert.equal(existsSync(folder), false);
    assert.equal(jobIds(await text(jobs)).includes(jobIdOf(first)), false);

    const second = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY });
    const action = await post(second, { ACTION: 'DELETE' });
    assert.equal(action.status, 303);
    assert.equal(action.headers.get('location'), jobs);
    assert.equal((await fetch(second)).status, 404);
    assert.equal((await post(second, { ACTION: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${jobs}/..%2F..%2Fetc`)).status, 404);
  });

  await suite.test('a job past its destruction time is deleted with its result', async () => {
    const jobUrl = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY, PHASE: 'RUN' });
    await waitForEnd(jobUrl);
    const folder = join(served.resultsDir, jobIdOf(jobUrl));
    assert.equal(existsSync(folder), true);
    const past = new Date(Date.now() - 1000).toISOString();
    assert.equal((await post(`${jobUrl}/destruction`, { DESTRUCTION: past })).status, 303);
    // The reaper of this test server sweeps every 200 ms: the job goes, then its files.
    while ((await fetch(`${jobUrl}/phase`)).status !== 404 || existsSync(folder)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(jobIds(await text(jobs)).includes(jobIdOf(jobUrl)), false);
  });

  await suite.test('the job list filters by PHASE, AFTER and LAST, newest first', async () => {
    // The job list shows the caller's own jobs: a token holder's.
    const { token } = await new ApiTokenStore(served.engine).create('lister', []);
    const as = { authorization: `Bearer ${token}` };
    const text = async (url: string): Promise<string> => (await fetch(url, { headers: as })).text();
    const pending = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY }, as);
    const done = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY, PHASE: 'RUN' }, as);
    const anonymous = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY });
    await (await fetch(`${done}?WAIT=30`, { headers: as })).text();
    const [pendingId, doneId] = [jobIdOf(pending), jobIdOf(done)];
    // Anonymous jobs are reached through their own URL only, never listed.
    assert.equal((await fetch(anonymous)).status, 200);
    assert.deepEqual(jobIds(await (await fetch(jobs)).text()), []);
    assert.ok(!jobIds(await text(jobs)).includes(jobIdOf(anonymous)));
    const all = await fetch(jobs, { headers: as });
    assert.match(all.headers.get('content-type') ?? '', /^text\/xml/);
    const list = await all.text();
    assert.match(list, /<uws:jobs [^>]*version="1.1"/);
    const ids = jobIds(list);
    assert.ok(ids.indexOf(doneId) < ids.indexOf(pendingId), 'newest first');
    assert.match(list, new RegExp(`<uws:jobref id="${doneId}" xlink:href="${done}">`));

    assert.deepEqual(jobIds(await text(`${jobs}?LAST=2`)), [doneId, pendingId]);
    const pendingOnly = jobIds(await text(`${jobs}?PHASE=PENDING`));
    assert.ok(pendingOnly.includes(pendingId) && !pendingOnly.includes(doneId));
    const either = jobIds(await text(`${jobs}?PHASE=PENDING&PHASE=COMPLETED`));
    assert.ok(either.includes(pendingId) && either.includes(doneId));
    const created = uwsValue(await text(pending), 'creationTime') ?? '';
    assert.deepEqual(jobIds(await text(`${jobs}?AFTER=${encodeURIComponent(created)}`)), [doneId]);
    assert.deepEqual(
      jobIds(await text(`${jobs}?AFTER=${encodeURIComponent(created)}&PHASE=PENDING`)),
      [],
    );
    assert.equal((await fetch(`${jobs}?PHASE=DONE`, { headers: as })).status, 400);
    assert.equal((await fetch(`${jobs}?LAST=-1`, { headers: as })).status, 400);
    assert.equal((await fetch(`${jobs}?AFTER=yesterday`, { headers: as })).status, 400);
  });

  await suite.test('the UWS documents are valid UWS 1.1', async (t) => {
    const probe = [PYTHON, '-c', `import lxml, zipfile; zipfile.ZipFile('${STILTS_JAR}')`];
    if (!requireChecker(t, 'lxml and the STILTS jar (Debian stilts)', probe)) return;
    const done = await createJob(jobs, {
      LANG: 'ADQL',
      QUERY: OBSCORE_QUERY,
      RUNID: 'r',
      PHASE: 'RUN',
    });
    const failed = await createJob(jobs, { LANG: 'ADQL', QUERY: 'SELECT x FROM y', PHASE: 'RUN' });
    const pending = await createJob(jobs, { LANG: 'ADQL', QUERY: OBSCORE_QUERY });
    await waitForEnd(done);
    await waitForEnd(failed);
    const documents: Record<string, string> = {};
    for (const url of [jobs, done, failed, pending, `${done}/results`, `${pending}/results`]) {
      documents[url] = await text(url);
    }
    documents.parameters = await text(`${done}/parameters`);
    const file = join(tempDir(t), 'documents.json');
    writeFileSync(file, JSON.stringify(documents));
    assert.deepEqual(await runPythonJsonAsync(VALIDATE_UWS, [STILTS_JAR, file]), {});
  });
});
