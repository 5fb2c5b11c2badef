/**
 * The coincidence search through the real service path (issue 15): `GET /coincidence?ALERT=…`
 * on `hearc serve` in a child process, over 1e5 ObsCore rows (5° fields of view spread
 * over the sky and ten years, one in `--closed-every` proprietary to a group) and an alert
 * whose multi-order skymap has about 1e6 cells, every observation in the window. Client
 * wall time and server CPU (its /proc ticks) of a first request (the skymap read, decoded
 * and indexed) and of repeated ones (index kept), anonymous and with a member's API token;
 * the answers must agree (same rows, hidden ones counted). The baseline, in the same run
 * after the server stopped, is what each request did before, against what it does now:
 * the per-dataset rights gate (two queries per coincident observation, timed on a sample
 * and scaled) and the batch gate reading the rights (two queries for the whole answer)
 * against the batch gate with the catalog's rights kept; the skymap read and decoded
 * again; the search working out each field's probability against the kept probabilities.
 *
 *   node --import tsx bench/coincidence-http.ts [--observations 100000] [--closed-every 100]
 *                                               [--repeat 5] [--sample 1000]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAlert } from '../src/alerts/index.js';
import {
  AccessControl,
  ALERT_PUBLISHERS,
  ApiTokenStore,
  observationRightsTable,
} from '../src/auth/index.js';
import { main } from '../src/cli/main.js';
import {
  CoincidenceCatalog,
  coincidenceQuery,
  everyoneReads,
  FieldsOfView,
  runCoincidence,
  searchCoincidences,
} from '../src/coincidence/index.js';
import { DaliParameters } from '../src/dali/index.js';
import { openEngine } from '../src/engine/index.js';
import type { CatalogRow } from '../src/engine/types.js';
import { simulateSkymap } from '../src/sim/skymap.js';
import { cpuTicks, median, serveInChild, waitUntilIdle } from './measure.js';
import { fillCatalog, templateRows } from './obscore-catalog.js';
import { table } from './tap-load.js';

const { values } = parseArgs({
  options: {
    observations: { type: 'string' },
    'closed-every': { type: 'string' },
    repeat: { type: 'string' },
    sample: { type: 'string' },
    serve: { type: 'string' },
    port: { type: 'string' },
  },
});

const GROUP = 'bench-team';
// The synthetic rows start at MJD 58000 and span ten years: a window of ±1830 d holds them all.
const T_EVENT = 59_825;
const WINDOW = 1830;

interface Answer {
  readonly wall: number;
  readonly serverCpu: number;
  readonly bytes: number;
  readonly hidden: string;
  readonly body: Buffer;
}

async function ask(
  base: string,
  child: ChildProcess,
  alert: string,
  headers: Record<string, string>,
): Promise<Answer> {
  const pid = child.pid as number;
  const ticks = await cpuTicks(pid);
  const start = performance.now();
  const response = await fetch(
    `${base}/coincidence?ALERT=${alert}&BEFORE=${WINDOW}&AFTER=${WINDOW}`,
    { headers },
  );
  const body = Buffer.from(await response.arrayBuffer());
  const wall = (performance.now() - start) / 1000;
  const serverCpu = ((await cpuTicks(pid)) - ticks) / 100;
  if (response.status !== 200) throw new Error(`${response.status}: ${body.toString()}`);
  const hidden = /name="hidden_observations" value="(\d+)"/.exec(body.toString('latin1'))?.[1];
  return { wall, serverCpu, bytes: body.length, hidden: hidden ?? '?', body };
}

async function bench(): Promise<void> {
  const observations = Number(values.observations ?? 100_000);
  const closedEvery = Number(values['closed-every'] ?? 100);
  const repeat = Number(values.repeat ?? 5);
  const sample = Number(values.sample ?? 1000);
  const dir = await mkdtemp(join(tmpdir(), 'hearc-coinc-http-'));
  try {
    const db = join(dir, 'bench.duckdb');
    const t0 = performance.now();
    const closed: string[] = [];
    await fillCatalog(
      await openEngine(db),
      await templateRows(dir),
      observations,
      (row): CatalogRow => {
        if (Number(row.obs_id) % closedEvery !== 0) return row;
        closed.push(String(row.obs_publisher_did));
        return { ...row, data_rights: 'proprietary', obs_release_date: new Date('2999-01-01') };
      },
    );
    const engine = await openEngine(db);
    const at = new Date();
    await engine.transaction((tx) =>
      tx.insertRows(
        observationRightsTable,
        closed.map((did) => ({
          obs_publisher_did: did,
          data_rights: 'proprietary',
          obs_release_date: new Date('2999-01-01'),
          owner_group: GROUP,
          overridden: true,
          changed_by: 'bench',
          changed_at: at,
        })),
      ),
    );
    const { token } = await new ApiTokenStore(engine).create('member', [GROUP]);
    const feed = (await new ApiTokenStore(engine).create('feed', [ALERT_PUBLISHERS])).token;
    await engine.close();
    // Three alerts with the same skymap: each has its own first request; the third comes
    // through the feed endpoint (POST /alerts) once the server runs, which prepares it.
    for (const name of ['S-BENCH-A', 'S-BENCH-B', 'S-BENCH-C']) {
      const path = join(dir, `${name}.fits`);
      const { cells } = await simulateSkymap({
        path,
        object: name,
        dateObs: new Date((T_EVENT - 40587) * 86_400_000).toISOString(),
        ra: 100,
        dec: -20,
        sigma: 7.9,
        coarseOrder: 6,
        fineOrder: 10,
      });
      if (name.endsWith('A')) console.error(`skymap cells ${cells}`);
      if (name.endsWith('C')) continue;
      const status = await main(['alerts', 'ingest', path, '--db', db], {
        stdout: () => undefined,
        stderr: (text) => void process.stderr.write(text),
        stdin: async function* () {},
      });
      if (status !== 0) throw new Error(`alerts ingest ${name} failed`);
    }
    console.error(`catalog and alerts in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const { base, child } = await serveInChild(fileURLToPath(import.meta.url), db);
    const loadBefore = os.loadavg()[0] ?? 0;
    const rows: string[][] = [];
    const answers = new Map<string, Answer>();
    try {
      const waited = await waitUntilIdle(child.pid as number);
      console.error(`server busy with its start-up work for ${waited.toFixed(0)} s`);
      const callers: [string, string, Record<string, string>][] = [
        ['anonymous', 'S-BENCH-A', {}],
        ['API token of the owning group', 'S-BENCH-B', { authorization: `Bearer ${token}` }],
      ];
      // The feed's alert: posted, the server left to prepare it, then asked for.
      const posted = await fetch(`${base}/alerts`, {
        method: 'POST',
        body: await readFile(join(dir, 'S-BENCH-C.fits')),
        headers: { authorization: `Bearer ${feed}`, 'content-type': 'application/fits' },
      });
      if (!posted.ok) throw new Error(`POST /alerts: ${await posted.text()}`);
      const prepared = await waitUntilIdle(child.pid as number);
      console.error(`the posted alert prepared in ${prepared.toFixed(0)} s`);
      const fed = await ask(base, child, 'S-BENCH-C', {});
      rows.push([
        'anonymous',
        'first, of an alert posted to /alerts (prepared)',
        fed.wall.toFixed(3),
        fed.serverCpu.toFixed(2),
        (fed.bytes / 2 ** 20).toFixed(1),
        fed.hidden,
        '',
      ]);
      for (const [caller, alert, headers] of callers) {
        const first = await ask(base, child, alert, headers);
        const again: Answer[] = [];
        for (let i = 0; i < repeat; i++) again.push(await ask(base, child, alert, headers));
        answers.set(caller, first);
        const sameAnswer = again.every((a) => a.body.equals(first.body)) ? 'yes' : 'NO';
        const line = (step: string, list: readonly Answer[]): string[] => [
          caller,
          step,
          median(list.map((x) => x.wall)).toFixed(3),
          median(list.map((x) => x.serverCpu)).toFixed(2),
          ((list[0]?.bytes ?? 0) / 2 ** 20).toFixed(1),
          list[0]?.hidden ?? '?',
          sameAnswer,
        ];
        rows.push(
          line('first (skymap read, decoded, indexed)', [first]),
          line(`repeated (median of ${repeat})`, again),
        );
        if (sameAnswer !== 'yes') process.exitCode = 1;
      }
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    const loadAfter = os.loadavg()[0] ?? 0;
    console.log(
      `observations ${observations} (every ${closedEvery}th proprietary to ${GROUP}), all in the window`,
    );
    console.log(
      table(['caller', 'request', 'wall s', 'server cpu s', 'MiB', 'hidden', 'same answer'], rows),
    );
    if (answers.get('anonymous')?.hidden === '0') {
      console.log('anonymous callers were shown proprietary observations');
      process.exitCode = 1;
    }
    if (answers.get('API token of the owning group')?.hidden !== '0') {
      console.log('the owning group did not see its observations');
      process.exitCode = 1;
    }
    await baseline(db, token, sample);
    console.log(
      `load average ${loadBefore.toFixed(1)} before the requests, ${loadAfter.toFixed(1)} after, on ${os.cpus().length} cores`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What each request did before, in this process on the same catalog: gates reading rights, map decoded again, probabilities worked out. */
async function baseline(db: string, token: string, sample: number): Promise<void> {
  const engine = await openEngine(db);
  try {
    const access = new AccessControl({ engine });
    const params = DaliParameters.fromRecord({
      ALERT: 'S-BENCH-A',
      BEFORE: String(WINDOW),
      AFTER: String(WINDOW),
    });
    const query = await coincidenceQuery(engine, params);
    const catalog = new CoincidenceCatalog(engine);
    const found = await runCoincidence(catalog, query, everyoneReads);
    const dids = found.visible.map((c) => c.observation.did);
    const lines: [string, number, number][] = [];
    const timed = async (work: () => unknown): Promise<{ s: number; cpu: number }> => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await work();
      const used = process.cpuUsage(cpu);
      return { s: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
    };
    // The search with each field's probability worked out again (before) and kept (now).
    const index = await catalog.skyIndexOf(query.map, query.mapKey);
    const fields = await catalog.fieldsOfView();
    const unworked = new FieldsOfView(fields.observations);
    const afresh = await timed(() => searchCoincidences(index, unworked, query.window));
    const kept = await timed(() => searchCoincidences(index, fields, query.window));
    lines.push(
      ['search, probabilities worked out (first request of an alert)', afresh.s, afresh.cpu],
      ['search, probabilities kept', kept.s, kept.cpu],
    );
    console.log(
      `ratio search with probabilities worked out / kept over ${fields.observations.length} fields: ${(afresh.s / kept.s).toFixed(0)}x wall, ${(afresh.cpu / Math.max(kept.cpu, 1e-3)).toFixed(0)}x cpu`,
    );
    const decode = await timed(() => loadAlert(engine, 'S-BENCH-A'));
    lines.push([
      'skymap read and decoded (skipped now when its index is kept)',
      decode.s,
      decode.cpu,
    ]);
    for (const [caller, headers] of [
      ['anonymous', {}],
      ['API token', { authorization: `Bearer ${token}` }],
    ] as const) {
      const request = { headers };
      const picked = dids.slice(0, Math.min(sample, dids.length));
      const scale = dids.length / picked.length;
      const one = await timed(async () => {
        for (const did of picked) await access.authorize(request, did);
      });
      // A gate of its own: the first answer reads the catalog's rights, the next keeps them.
      const gate = new AccessControl({ engine });
      const batch = await timed(() => gate.readableAmong(request, dids));
      const kept = await timed(() => gate.readableAmong(request, dids));
      lines.push(
        [
          `${caller}: one gate per dataset (${picked.length} timed, scaled)`,
          one.s * scale,
          one.cpu * scale,
        ],
        [`${caller}: one gate for the answer, rights read (2 queries)`, batch.s, batch.cpu],
        [`${caller}: one gate for the answer, rights kept`, kept.s, kept.cpu],
      );
      console.log(
        `ratio ${caller} per-dataset / batch gate over ${dids.length} coincident: ${((one.s * scale) / batch.s).toFixed(0)}x wall, ${((one.cpu * scale) / batch.cpu).toFixed(0)}x cpu; rights read / kept: ${(batch.s / kept.s).toFixed(0)}x wall, ${(batch.cpu / Math.max(kept.cpu, 1e-3)).toFixed(0)}x cpu`,
      );
    }
    console.log(
      table(
        ['baseline step (in this process)', 'wall s', 'cpu s'],
        lines.map(([step, s, cpu]) => [String(step), Number(s).toFixed(3), Number(cpu).toFixed(3)]),
      ),
    );
  } finally {
    await engine.close();
  }
}

if (values.serve !== undefined) {
  process.exitCode = await main(['serve', '--db', values.serve, '--port', values.port ?? '0']);
} else {
  await bench();
}
