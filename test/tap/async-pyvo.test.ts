/** pyvo 1.2 drives async TAP the way users do: run_async, submit_job, the job list. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PYTHON, requireChecker } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { ApiTokenStore } from '../../src/auth/index.js';
import { serveAsync } from '../uws/fixtures.js';

const SCRIPT = `import sys, json, datetime, pyvo
from pyvo.dal import DALQueryError
import requests
session = requests.Session()
session.headers['Authorization'] = 'Bearer ' + sys.argv[2]  # the job list shows one's own jobs
svc = pyvo.dal.TAPService(sys.argv[1], session=session)
out = {}
result = svc.run_async("SELECT obs_id, s_ra FROM ivoa.obscore ORDER BY obs_id")
out['run_async'] = [str(x) for x in result['obs_id']]

job = svc.submit_job("SELECT obs_id FROM ivoa.obscore", maxrec=1, runid='pyvo-run')
out['submitted'] = job.phase
job.execution_duration = 20
out['duration'] = float(job.execution_duration.to_value('s'))
wanted = (datetime.datetime.utcnow() + datetime.timedelta(days=10)).replace(microsecond=0)
job.destruction = wanted
out['destruction'] = [job.destruction.isot, wanted.isoformat() + '.000']
out['query'] = job.query
job.run()
job.wait()
out['phase'] = job.phase
out['version'] = job.uws_version
out['rows'] = len(job.fetch_result().to_table())
out['listed'] = [j.jobid for j in svc.get_job_list(phases=['COMPLETED'], last=5)]
out['job_id'] = job.job_id
out['summary_phase'] = svc.get_job(job.job_id).phase
job.delete()

bad = svc.submit_job("SELECT nosuchcolumn FROM ivoa.obscore")
bad.run()
bad.wait()
out['bad_phase'] = bad.phase
# pyvo 1.2 parses the errorSummary but loses its message text.
out['bad_error_type'] = bad.job.errorsummary.type_
try:
    bad.raise_if_error()
    out['raised'] = False
except DALQueryError:
    out['raised'] = True
try:
    svc.run_async("SELECT nosuchcolumn FROM ivoa.obscore")
    out['run_async_raised'] = False
except DALQueryError:
    out['run_async_raised'] = True
print(json.dumps(out))
`;

interface PyvoReport {
  run_async: string[];
  submitted: string;
  duration: number;
  destruction: [string, string];
  query: string;
  phase: string;
  version: string;
  rows: number;
  listed: string[];
  job_id: string;
  summary_phase: string;
  bad_phase: string;
  bad_error_type: string;
  raised: boolean;
  run_async_raised: boolean;
}

test('pyvo runs async TAP jobs: run_async, submit_job, job list', async (t) => {
  if (!requireChecker(t, 'pyvo (Debian python3-pyvo)', [PYTHON, '-c', 'import pyvo'])) return;
  const served = await serveAsync(t);
  const { token } = await new ApiTokenStore(served.engine).create('pyvo-user', []);
  const report = await runPythonJsonAsync<PyvoReport>(SCRIPT, [`${served.address}/tap`, token]);
  assert.equal(report.run_async.length, 2);
  assert.equal(report.submitted, 'PENDING');
  assert.equal(report.duration, 20);
  assert.equal(report.destruction[0], report.destruction[1]);
  assert.equal(report.query, 'SELECT obs_id FROM ivoa.obscore');
  assert.equal(report.phase, 'COMPLETED');
  assert.equal(report.version, '1.1');
  assert.equal(report.rows, 1, 'MAXREC given at creation applies');
  assert.ok(report.listed.includes(report.job_id));
  assert.equal(report.summary_phase, 'COMPLETED');
  assert.equal(report.bad_phase, 'ERROR');
  assert.equal(report.bad_error_type, 'fatal');
  assert.equal(report.raised, true);
  assert.equal(report.run_async_raised, true);
  // run_async and delete() leave only the failed job behind.
  const list = await (
    await fetch(`${served.address}/tap/async`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  assert.equal((list.match(/<uws:jobref /g) ?? []).length, 2);
});
