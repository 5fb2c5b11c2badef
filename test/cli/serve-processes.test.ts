/**
 * `hearc serve --processes N`: on a PostgreSQL catalog N processes answer on one port
 * (each request's log line names its pid), share async jobs, come back when killed and
 * stop together; a DuckDB catalog, which one process owns, is refused with the reason.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/tmp.js';
import { freshPostgres, SLOW_QUERY, simulatedCatalog, uwsValue } from '../uws/fixtures.js';

const SERVE = fileURLToPath(new URL('../uws/serve-process.ts', import.meta.url));

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly location?: string;
}

/** A request on a connection of its own: the primary hands each connection to the next process. */
function ask(url: string, form?: Record<string, string>): Promise<Answer> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            ...(res.headers.location ? { location: res.headers.location } : {}),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('hearc serve --processes 2 on a PostgreSQL catalog', async (t) => {
  const database = await freshPostgres(t);
  if (!database) return;
  const { url } = database;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { engine, dir } = await simulatedCatalog(t, base, url);
  await engine.close();
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', SERVE, 'serve', '--db', url, '--port', String(port)],
      ...['--cache-dir', join(dir, 'cache'), '--processes', '2'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEARC_LOG: 'json' } },
  );
  let logs = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    for (const pid of [...stderr.matchAll(/process (\d+)|pids (\d+), (\d+)/g)].flatMap((m) =>
      m.slice(1).filter(Boolean).map(Number),
    )) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await database.drop();
  });
  const banner = await until('the two processes', () => {
    if (child.exitCode !== null) throw new Error(`hearc serve exited: ${stderr}`);
    return /with 2 processes \(pids (\d+), (\d+)\)/.exec(stderr) ?? undefined;
  });
  const pids = [Number(banner[1]), Number(banner[2])];
  assert.notEqual(pids[0], pids[1]);
  assert.ok(!pids.includes(child.pid as number), 'the primary answers nothing itself');

  /** The pids of the processes that answered requests whose path starts with `path`. */
  const answeredBy = (path: string): Set<number> => {
    const found = new Set<number>();
    for (const line of logs.split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { pid?: number; url?: string };
      if (entry.url?.startsWith(path) && entry.pid !== undefined) found.add(entry.pid);
    }
    return found;
  };

  await t.test('TAP sync queries are answered by both processes', async () => {
    const query = `${base}/tap/sync?LANG=ADQL&RESPONSEFORMAT=csv&QUERY=${encodeURIComponent('SELECT obs_id FROM ivoa.obscore ORDER BY obs_id')}`;
    await until('log lines of both', async () => {
      const answer = await ask(query);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.trim().split(/\r?\n/), ['obs_id', '100001', '100002']);
      return answeredBy('/tap/sync').size === 2 ? true : undefined;
    });
    assert.deepEqual([...answeredBy('/tap/sync')].sort(), [...pids].sort());
  });

  await t.test(
    'an async job made through one process is run and read through the other',
    async () => {
      const created = await ask(`${base}/tap/async`, {
        LANG: 'ADQL',
        QUERY: 'SELECT obs_id FROM ivoa.obscore ORDER BY obs_id',
        RESPONSEFORMAT: 'csv',
        PHASE: 'RUN',
      });
      assert.equal(created.status, 303);
      const job = created.location as string;
      const path = new URL(job).pathname;
      const phase = await until('the job to end', async () => {
        const p = uwsValue((await ask(`${job}?WAIT=5`)).body, 'phase');
        return p === 'COMPLETED' || p === 'ERROR' ? p : undefined;
      });
      assert.equal(phase, 'COMPLETED');
      // Each read on a connection of its own, until both processes have answered one: the
      // primary hands a connection to a process that is free, which is not strictly in turn.
      await until('both processes to answer for the job', async () => {
        const result = await ask(`${job}/results/result`);
        assert.deepEqual(result.body.trim().split(/\r?\n/), ['obs_id', '100001', '100002']);
        return answeredBy(path).size === 2 ? true : undefined;
      });
    },
  );

  await t.test('a killed process is started again', async () => {
    process.kill(pids[1] as number, 'SIGKILL');
    const again = await until('the new process', () => {
      const m = /process (\d+) \(2 of 2\) answers/.exec(stderr);
      return m ? Number(m[1]) : undefined;
    });
    assert.ok(!pids.includes(again));
    assert.match(stderr, new RegExp(`process ${pids[1]} \\(2 of 2\\) ended \\(signal SIGKILL\\)`));
    const query = `${base}/tap/sync?LANG=ADQL&QUERY=${encodeURIComponent('SELECT TOP 1 obs_id FROM ivoa.obscore')}`;
    await until('an answer from it', async () => {
      assert.equal((await ask(query)).status, 200);
      return answeredBy('/tap/sync').has(again) ? true : undefined;
    });
    pids[1] = again;
  });

  await t.test('SIGTERM stops every process and hands running jobs back', async () => {
    const created = await ask(`${base}/tap/async`, {
      LANG: 'ADQL',
      QUERY: SLOW_QUERY,
      PHASE: 'RUN',
    });
    const job = created.location as string;
    const id = job.slice(job.lastIndexOf('/') + 1);
    await until('the job to run', async () =>
      (await ask(`${job}/phase`)).body === 'EXECUTING' ? true : undefined,
    );
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    for (const pid of pids) assert.ok(!alive(pid), `process ${pid} is gone`);
    assert.match(stderr, /shutting down/);
    // Queued again, for the next start of the service to run.
    const sql = postgres(url, { max: 1 });
    try {
      const [row] = await sql<{ phase: string }[]>`
        SELECT phase FROM hearc_internal.uws_job WHERE job_id = ${id}`;
      assert.equal(row?.phase, 'QUEUED');
    } finally {
      await sql.end();
    }
  });
});

test('hearc serve --processes 2 refuses a DuckDB catalog and says why', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'catalog.duckdb');
  const io = captureIo();
  assert.equal(await main(['serve', '--db', db, '--processes', '2', '--port', '0'], io), 2);
  assert.match(
    io.err(),
    /--processes 2 needs a PostgreSQL catalog: one process owns a DuckDB file/,
  );
  // The same from the service description.
  const config = join(dir, 'service.toml');
  writeFileSync(config, 'processes = 2\n');
  const fromConfig = captureIo();
  assert.equal(await main(['serve', '--db', db, '--config', config], fromConfig), 2);
  assert.match(fromConfig.err(), /needs a PostgreSQL catalog/);
  const bad = captureIo();
  assert.equal(await main(['serve', '--db', db, '--processes', 'many'], bad), 2);
  assert.match(
    bad.err(),
    /--processes in the command line must be 'auto' or an integer >= 1 \(got 'many'\)/,
  );
});
