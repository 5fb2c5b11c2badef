/**
 * The analysis service's selection by QUERY, per-run datasets (PER_RUN=true, opened by
 * gammapy 1.0's Datasets.read), progress in the UWS job (quote, jobInfo), provenance of
 * every product (PROV-AQ Link), the content-addressed cache (reused only for callers
 * who may read every input), and cancellation between runs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  mapDatasetRequest,
  produceMapDataset,
  progressReporter,
  storeDatasets,
} from '../../src/analysis/index.js';
import { DaliParameters } from '../../src/dali/index.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { requireGammapy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { uwsValue, waitForEnd } from '../uws/fixtures.js';

/** Creates a job from a form whose parameters may repeat (ID); returns its URL. */
async function createFormJob(jobs: string, form: URLSearchParams): Promise<string> {
  form.set('PHASE', 'RUN');
  const response = await fetch(jobs, { method: 'POST', body: form, redirect: 'manual' });
  assert.equal(response.status, 303, await response.text());
  return response.headers.get('location') ?? '';
}
import { analysisForm, servedSimulation } from './fixtures.js';

const obscoreQuery = (where: string) =>
  `SELECT obs_publisher_did, obs_id FROM ivoa.obscore WHERE ${where}`;

describe('selection by QUERY', () => {
  it('reduces what an ADQL query selects, with the caller’s rights and clear errors', async (t) => {
    const { address, dids, secret, token } = await servedSimulation(t, {
      analysisSyncMaxRuns: 2,
    });
    const sync = (body: URLSearchParams, headers: Record<string, string> = {}) =>
      fetch(`${address}/analysis/sync`, { method: 'POST', body, headers });
    const byQuery = (where: string) => analysisForm([], { QUERY: obscoreQuery(where) });

    const publicRuns = await sync(byQuery(`obs_publisher_did <> '${secret}'`));
    assert.equal(publicRuns.status, 200, await publicRuns.clone().text());
    assert.equal(publicRuns.headers.get('content-type'), 'application/fits');

    // The query sees the proprietary run's metadata, but its data stay closed.
    const all = await sync(byQuery(`obs_publisher_did = '${secret}'`));
    assert.ok([401, 403].includes(all.status), String(all.status));
    assert.match(await all.text(), /may not read|proprietary|access/i);
    const member = await sync(byQuery(`obs_publisher_did = '${secret}'`), {
      authorization: `Bearer ${token}`,
    });
    assert.equal(member.status, 200, await member.clone().text());

    const none = await sync(byQuery(`obs_id = 'no such run'`));
    assert.equal(none.status, 400);
    assert.match(await none.text(), /QUERY selects no dataset/);
    const tooMany = await sync(byQuery('1=1'));
    assert.equal(tooMany.status, 400);
    assert.match(await tooMany.text(), /more than 2 datasets; a sync request reduces at most 2/);
    const noDid = await sync(analysisForm([], { QUERY: 'SELECT obs_id FROM ivoa.obscore' }));
    assert.equal(noDid.status, 400);
    assert.match(await noDid.text(), /QUERY must select the obs_publisher_did column/);
    const badAdql = await sync(analysisForm([], { QUERY: 'SELEKT nothing' }));
    assert.equal(badAdql.status, 400);
    assert.match(await badAdql.text(), /QUERY: /);
    const both = await sync(analysisForm([dids[0]!], { QUERY: obscoreQuery('1=1') }));
    assert.equal(both.status, 400);
    assert.match(await both.text(), /either as ID values or as a QUERY, not both/);

    // Async: the service's own limit (here 1000) applies; the job runs with its owner's rights.
    const job = await createFormJob(
      `${address}/analysis/async`,
      byQuery(`obs_publisher_did <> '${secret}'`),
    );
    const done = await waitForEnd(job);
    assert.equal(uwsValue(done, 'phase'), 'COMPLETED', done);
  });
});

describe('per-run datasets, progress and provenance of async jobs', () => {
  it('writes one dataset per run and an index gammapy reads, reports progress, records provenance', async (t) => {
    const { address, dids, obsIds } = await servedSimulation(t);
    const jobUrl = await createFormJob(
      `${address}/analysis/async`,
      analysisForm(dids.slice(0, 2), { PER_RUN: 'true' }),
    );
    const done = await waitForEnd(jobUrl);
    assert.equal(uwsValue(done, 'phase'), 'COMPLETED', done);
    // Progress: the whole done, a quote of the end, what it did in words.
    assert.match(done, /<uws:quote>\d{4}-\d\d-\d\dT[^<]+<\/uws:quote>/);
    assert.match(done, /<uws:jobInfo>[\s\S]*<progress [^>]*>1<\/progress>/);
    assert.match(done, /2 of 2 runs reduced/);
    assert.match(await (await fetch(`${jobUrl}/quote`)).text(), /^\d{4}-/);

    const ids = [...done.matchAll(/<uws:result id="([^"]+)"/g)].map((m) => m[1]!);
    const perRun = obsIds.slice(0, 2).map((o) => `mapdataset-${o}`);
    assert.deepEqual(ids.sort(), ['datasets', 'mapdataset', ...perRun, 'preview'].sort());
    const folder = join(tempDir(t), 'download');
    mkdirSync(folder);
    for (const id of ['datasets', ...perRun, 'mapdataset']) {
      const response = await fetch(`${jobUrl}/results/${id}`);
      assert.equal(response.status, 200, id);
      const name = id === 'datasets' ? 'datasets.yaml' : `${id}.fits`;
      writeFileSync(join(folder, name), Buffer.from(await response.arrayBuffer()));
    }
    assert.equal((await fetch(`${jobUrl}/results/mapdataset-nothing`)).status, 404);

    // The main result names its provenance: the runs used, the parameters, the software.
    const result = await fetch(`${jobUrl}/results/mapdataset`);
    const link = result.headers.get('link') ?? '';
    const provUrl = /^<([^>]+)>; rel="http:\/\/www.w3.org\/ns\/prov#has_provenance"$/.exec(
      link,
    )?.[1];
    assert.ok(provUrl, link);
    const prov = await (await fetch(provUrl)).text();
    for (const did of dids.slice(0, 2)) assert.ok(prov.includes(did), `${did} in ${prov}`);
    assert.match(prov, /PER_RUN/);
    assert.match(prov, /hearc/);

    if (!requireGammapy(t)) return;
    const read = runPythonJson<{ names: string[]; sum: number; stacked: number }>(
      `
import json, sys, warnings
warnings.simplefilter("ignore")
from gammapy.datasets import Datasets, MapDataset
d = Datasets.read(sys.argv[1] + "/datasets.yaml")
stacked = MapDataset.read(sys.argv[1] + "/mapdataset.fits")
print(json.dumps({"names": list(d.names), "sum": float(sum(x.counts.data.sum() for x in d)),
  "stacked": float(stacked.counts.data.sum())}))
`,
      [folder],
    );
    assert.deepEqual(read.names, obsIds.slice(0, 2));
    assert.equal(read.sum, read.stacked);
  });
});

describe('the product cache', () => {
  it('reuses an identical product, but only for a caller who may read every input', async (t) => {
    const { address, dids, secret, token } = await servedSimulation(t);
    const ask = (ids: readonly string[], headers: Record<string, string> = {}) =>
      fetch(`${address}/analysis/sync`, {
        method: 'POST',
        body: analysisForm(ids),
        headers,
      });
    const provenanceOf = async (response: Response, headers: Record<string, string> = {}) => {
      const url = /^<([^>]+)>/.exec(response.headers.get('link') ?? '')?.[1];
      assert.ok(url, 'a PROV-AQ link');
      return (await fetch(url, { headers })).text();
    };
    const auth = { authorization: `Bearer ${token}` };
    const first = await ask([dids[0]!, secret], auth);
    assert.equal(first.status, 200);
    const firstBytes = Buffer.from(await first.arrayBuffer());
    assert.doesNotMatch(await provenanceOf(first, auth), /identical earlier product reused/);
    const second = await ask([secret, dids[0]!], auth);
    assert.equal(second.status, 200);
    assert.deepEqual(Buffer.from(await second.arrayBuffer()), firstBytes);
    assert.match(await provenanceOf(second, auth), /identical earlier product reused/);
    // The same request by someone who may not read the proprietary run: refused, cache or not.
    const anonymous = await ask([dids[0]!, secret]);
    assert.ok([401, 403].includes(anonymous.status), String(anonymous.status));
    assert.doesNotMatch(anonymous.headers.get('content-type') ?? '', /fits/);
  });
});

describe('cancellation', () => {
  it('stops between runs when aborted, leaving no files behind', async (t) => {
    const dir = tempDir(t);
    const store = join(dir, 'store');
    await simulateDataStore({ outDir: store, observations: 3, seed: 5, eventsPerObservation: 300 });
    const { openDataStore } = await import('../../src/gadf/index.js');
    const ids = (await openDataStore(store)).observations.map((o) => o.obsId);
    const datasets = await storeDatasets(store, ids);
    const request = mapDatasetRequest(
      new DaliParameters([
        ...datasets.map((d) => ['ID', d.did] as const),
        ['CENTER', '83.63 22.01'],
        ['WIDTH', '3'],
        ['BINSZ', '0.1'],
        ['ENERGY', '0.5 20 4'],
      ]),
    );
    const workDir = join(dir, 'work');
    mkdirSync(workDir);
    const controller = new AbortController();
    const reports: number[] = [];
    const progress = progressReporter(async (r) => {
      reports.push(r.progress ?? -1);
    }, Date.now());
    await assert.rejects(
      produceMapDataset(datasets, request, {
        workDir,
        signal: controller.signal,
        onProgress: (p) => {
          progress.onProgress(p);
          if (p.done === 1) controller.abort();
        },
      }),
      (e: unknown) => e instanceof Error && e.name === 'AbortError',
    );
    await progress.settled();
    assert.deepEqual(reports, [Number((1 / 3).toFixed(4))]);
    assert.deepEqual(readdirSync(workDir), []);
    assert.ok(existsSync(store));
  });
});
