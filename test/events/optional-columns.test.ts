/**
 * The GADF optional EVENTS columns reach hearc.events as the files hold them (checked
 * with astropy), and re-ingesting an observation replaces its events instead of
 * adding them again. The store comes from `hearc simulate --optional-columns`.
 */
import assert from 'node:assert/strict';
import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { ingestDataStore } from '../../src/ingest/ingest.js';
import { serveStore } from '../datalink/fixtures.js';
import { requireAstropy } from '../helpers/env.js';
import { captureIo } from '../helpers/io.js';
import { runPythonJson } from '../helpers/python.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';

const FIRST_EVENTS = `
import json, sys, glob, os
from astropy.io import fits
out = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], 'data', '*.fits.gz'))):
    with fits.open(path) as f:
        ev = f['EVENTS']
        d = ev.data[:5]
        out[str(ev.header['OBS_ID'])] = [dict(event_id=int(r['EVENT_ID']), alt=float(r['ALT']),
            az=float(r['AZ']), multip=int(r['MULTIP']), gammaness=float(r['GAMMANESS'])) for r in d]
print(json.dumps(out))
`;

test('optional columns come from the files; re-ingest replaces the events', async (t) => {
  if (!requireAstropy(t)) return;
  const store = tempDir(t);
  const io = captureIo();
  const args = ['simulate', '--out', store, '--observations', '2', '--events-per-obs', '800'];
  assert.equal(await main([...args, '--optional-columns'], io), 0, io.err());
  assert.match(io.out(), /wrote 2 observations \(\d+ events\)/);
  const conflicting = captureIo();
  assert.equal(await main([...args, '--obs', '3'], conflicting), 2);
  assert.match(conflicting.err(), /give --observations or --obs, not both/);

  const served = await serveStore(t, store, 'sim');
  const expected = runPythonJson<Record<string, Record<string, number>[]>>(FIRST_EVENTS, [store]);
  for (const [obsId, events] of Object.entries(expected)) {
    const rows = await tapRows(
      served.address,
      `SELECT TOP 5 event_id, alt, az, multip, gammaness FROM hearc.events WHERE obs_id = '${obsId}' ORDER BY event_id`,
    );
    assert.equal(rows.length, events.length);
    rows.forEach((row, i) => {
      const want = events[i]!;
      assert.equal(Number(row.event_id), want.event_id);
      assert.equal(row.multip, want.multip);
      for (const name of ['alt', 'az', 'gammaness'] as const) {
        assert.ok(Math.abs(Number(row[name]) - want[name]!) < 1e-6, `${name}: ${row[name]}`);
      }
    });
  }

  const count = async (): Promise<number> =>
    Number((await tapRows(served.address, 'SELECT COUNT(*) AS n FROM hearc.events'))[0]?.n);
  const before = await count();
  // Changed files: their observations are read again and their events replaced.
  const later = new Date(Date.now() + 60_000);
  for (const name of readdirSync(join(store, 'data')))
    utimesSync(join(store, 'data', name), later, later);
  const report = await ingestDataStore(served.engine, store, served.config);
  assert.equal(report.updated.length, 2);
  assert.equal(await count(), before);
});
