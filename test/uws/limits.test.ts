/**
 * Limits on async jobs (issue 18, finding 6): a result larger than the limit stops its
 * job with an error that says why, and one owner cannot pile up unfinished jobs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import {
  createJob,
  listenAsync,
  post,
  simulatedCatalog,
  uwsValue,
  waitForEnd,
} from './fixtures.js';

test('a job writing more than the result limit ends in ERROR; unfinished jobs per owner are capped', async (t) => {
  const address = `http://127.0.0.1:${await freePort()}`;
  const { engine, dir } = await simulatedCatalog(t, address);
  t.after(() => engine.close());
  const served = await listenAsync(t, engine, address, {
    resultsDir: join(dir, 'results'),
    limits: { maxResultBytes: 4000, maxActiveJobsPerOwner: 2 },
  });
  const big = await createJob(served.jobs, {
    LANG: 'ADQL',
    // Many rows: the cross join of ObsCore with TAP_SCHEMA's columns.
    QUERY: 'SELECT o.*, c.* FROM ivoa.obscore AS o, tap_schema.columns AS c',
    PHASE: 'RUN',
  });
  assert.equal(uwsValue(await waitForEnd(big), 'phase'), 'ERROR');
  const error = await (await fetch(`${big}/error`)).text();
  assert.match(error, /larger than this service's limit of 4000 bytes/);

  await createJob(served.jobs, { LANG: 'ADQL', QUERY: 'SELECT 1 AS x FROM ivoa.obscore' });
  await createJob(served.jobs, { LANG: 'ADQL', QUERY: 'SELECT 1 AS x FROM ivoa.obscore' });
  const third = await post(served.jobs, { LANG: 'ADQL', QUERY: 'SELECT 1 AS x FROM ivoa.obscore' });
  assert.equal(third.status, 429);
  assert.match(await third.text(), /2 jobs not finished \(the limit is 2\)/);
});
