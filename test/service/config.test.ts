/**
 * The service description: one TOML file, overridden by HEARC_* variables, overridden by
 * flags; every mistake named; and the limits reach the protocols (a sync query past its
 * time limit is cancelled with a DALI error that suggests async).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { ConfigError, loadServiceDescription } from '../../src/service/index.js';
import { servedSchema } from '../../src/tap/tap-schema.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/tmp.js';
import { simulatedCatalog, SLOW_QUERY } from '../uws/fixtures.js';

test('file, then environment, then flags; mistakes are named', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'hearc.toml');
  writeFileSync(
    file,
    `authority = "vo.example.org"
public_url = "https://vo.example.org/hearc/"
title = "Example archive"
[contact]
email = "archive@example.org"
[limits]
default_maxrec = 500
[[collections]]
name = "dr1"
title = "Data release 1"
`,
  );
  const fromFile = loadServiceDescription({ file, env: {} });
  assert.equal(fromFile.authority, 'vo.example.org');
  assert.equal(fromFile.publicUrl, 'https://vo.example.org/hearc', 'no trailing slash');
  assert.equal(fromFile.title, 'Example archive');
  assert.equal(fromFile.contact.email, 'archive@example.org');
  assert.equal(fromFile.limits.defaultMaxrec, 500);
  assert.equal(fromFile.limits.hardMaxrec, 10_000_000, 'defaults fill the rest');
  assert.deepEqual(fromFile.collections, [{ name: 'dr1', title: 'Data release 1' }]);

  const env = { HEARC_CONFIG: file, HEARC_TITLE: 'From env', HEARC_LIMITS_DEFAULT_MAXREC: '7' };
  const fromEnv = loadServiceDescription({ env, overrides: { publicUrl: 'http://other:9/x' } });
  assert.equal(fromEnv.title, 'From env');
  assert.equal(fromEnv.limits.defaultMaxrec, 7);
  assert.equal(fromEnv.publicUrl, 'http://other:9/x', 'flags win');

  const bad = (text: string, message: RegExp): void => {
    writeFileSync(file, text);
    assert.throws(
      () => loadServiceDescription({ file, env: {} }),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      text,
    );
  };
  bad('titel = "x"', /unknown key 'titel'/);
  bad('public_url = "ftp://x"', /public_url .* must be an http\(s\) URL/);
  bad('authority = "a b"', /not a valid IVOA authority/);
  bad('[limits]\ndefault_maxrec = -1', /limits.default_maxrec .* integer >= 0/);
  bad('[limits]\ndefault_maxrec = 20\nhard_maxrec = 10', /larger than limits.hard_maxrec/);
  bad('title = ', /not valid TOML/);
  assert.throws(
    () => loadServiceDescription({ file: join(dir, 'missing.toml'), env: {} }),
    /cannot read the configuration file .*missing.toml: ENOENT/,
  );
});

test('processes: file, then HEARC_PROCESSES, then --processes; a number or auto', (t) => {
  const file = join(tempDir(t), 'hearc.toml');
  writeFileSync(file, 'processes = 3\n');
  assert.equal(loadServiceDescription({ env: {} }).processes, undefined, 'none said: one process');
  assert.equal(loadServiceDescription({ file, env: {} }).processes, 3);
  assert.equal(
    loadServiceDescription({ file, env: { HEARC_PROCESSES: 'auto' } }).processes,
    'auto',
  );
  const flag = { file, env: { HEARC_PROCESSES: 'auto' }, overrides: { processes: '2' } };
  assert.equal(loadServiceDescription(flag).processes, 2);
  writeFileSync(file, 'processes = 0\n');
  assert.throws(
    () => loadServiceDescription({ file, env: {} }),
    new ConfigError(`processes in ${file} must be 'auto' or an integer >= 1 (got '0')`),
  );
});

test('a sync query past the time limit is cancelled, and the error says to go async', async (t) => {
  const address = `http://127.0.0.1:${await freePort()}`;
  const { engine } = await simulatedCatalog(t, address);
  t.after(() => engine.close());
  const service = loadServiceDescription({ env: { HEARC_LIMITS_SYNC_TIMEOUT_S: '1' } });
  const app = await buildServer({ engine, schema: servedSchema(publishedSchema), service });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });
  const response = await fetch(`${address}/tap/sync`, {
    method: 'POST',
    body: new URLSearchParams({ LANG: 'ADQL', QUERY: SLOW_QUERY }),
  });
  assert.equal(response.status, 503);
  const body = await response.text();
  assert.match(body, /QUERY_STATUS" value="ERROR"/);
  assert.match(body, /longer than the 1 s limit .* async job/);
  const capabilities = await (await fetch(`${address}/tap/capabilities`)).text();
  assert.match(
    capabilities,
    /<retentionPeriod>\s*<default>604800<\/default>\s*<hard>2592000<\/hard>/,
  );
});
