import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { buildServer } from '../../src/http/server.js';
import { publishedSchema } from '../../src/obscore/schema.js';
import { catalogTables } from '../../src/ingest/catalog.js';
import {
  publishTapSchema,
  servedSchema,
  tapColumnsTable,
  tapKeysTable,
  tapTablesTable,
} from '../../src/tap/tap-schema.js';
import { requireAstropy } from '../helpers/env.js';
import { runPythonJson } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const served = servedSchema(publishedSchema);

test('TAP_SCHEMA describes every served table and column, and republishing is idempotent', async (t) => {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  t.after(() => engine.close());
  await engine.ensureTables(catalogTables);
  await publishTapSchema(engine, served);
  await publishTapSchema(engine, served);
  const tables = await engine.selectRows(tapTablesTable);
  assert.deepEqual(
    tables.map((r) => r.table_name).sort(),
    served.tables.map((t) => `${t.schema}.${t.name}`).sort(),
  );
  const columns = await engine.selectRows(tapColumnsTable);
  assert.equal(
    columns.length,
    served.tables.reduce((n, t) => n + t.columns.length, 0),
  );
  const sRegion = columns.find(
    (c) => c.table_name === 'ivoa.obscore' && c.column_name === 's_region',
  );
  assert.equal(sRegion?.xtype, 'adql:REGION');
  assert.equal(sRegion?.datatype, 'char');
  assert.equal(sRegion?.unit, null);
  assert.equal(sRegion?.utype, 'obscore:Char.SpatialAxis.Coverage.Support.Area');
  const keys = await engine.selectRows(tapKeysTable);
  assert.ok(
    keys.some((k) => k.from_table === 'ivoa.obscore_hea' && k.target_table === 'ivoa.obscore'),
  );
});

test('/tap/tables serves a VODataService tableset; single tables and detail=min too', async (t) => {
  const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
  await engine.ensureTables(catalogTables);
  const app = await buildServer({ engine, schema: served });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await engine.close();
  });
  const full = await (await fetch(`${base}/tap/tables`)).text();
  assert.match(full, /<vosi:tableset /);
  assert.match(full, /<name>ivoa\.obscore<\/name>/);
  assert.match(
    full,
    /<dataType xsi:type="vs:VOTableType" arraysize="\*" extendedType="adql:REGION">char<\/dataType>/,
  );
  const min = await (await fetch(`${base}/tap/tables?detail=min`)).text();
  assert.doesNotMatch(min, /<column>/);
  const one = await fetch(`${base}/tap/tables/ivoa.obscore_hea`);
  assert.equal(one.status, 200);
  assert.match(await one.text(), /<name>energy_min<\/name>/);
  assert.equal((await fetch(`${base}/tap/tables/ivoa.nothing`)).status, 404);
  assert.equal((await fetch(`${base}/tap/tables?detail=some`)).status, 400);

  if (!requireAstropy(t)) return;
  // A real XML parser reads it and finds every column of every table.
  const parsed = runPythonJson<Record<string, number>>(
    `import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(json.dumps({t.findtext('name'): len(t.findall('column')) for t in root.iter('table')}))`,
    [await writeTemp(t, full)],
  );
  for (const table of served.tables)
    assert.equal(parsed[`${table.schema}.${table.name}`], table.columns.length);
});

async function writeTemp(t: Parameters<typeof tempDir>[0], text: string): Promise<string> {
  const path = join(tempDir(t), 'doc.xml');
  writeFileSync(path, text);
  return path;
}
