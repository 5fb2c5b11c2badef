/** What the TAP_UPLOAD tests send, shared by the DuckDB and PostgreSQL runs. */
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/types.js';
import { UPLOAD_STORE_SCHEMA } from '../../src/tap/upload.js';
import { type FieldDescription, type Row, writeVotable } from '../../src/votable/index.js';

export async function votableText(
  fields: readonly FieldDescription[],
  rows: readonly Row[],
  serialization: 'BINARY2' | 'TABLEDATA' = 'BINARY2',
): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeVotable(fields, [rows], { serialization })) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs a sync query with the VOTables in `parts` as multipart files. */
export async function syncUpload(
  base: string,
  params: Record<string, string>,
  parts: Record<string, string>,
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(params)) form.append(name, value);
  for (const [name, text] of Object.entries(parts)) {
    form.append(name, new Blob([text], { type: 'application/x-votable+xml' }), `${name}.vot`);
  }
  return fetch(`${base}/tap/sync`, { method: 'POST', body: form });
}

/** Fails unless every per-query upload table is gone from the engine. */
export async function assertNoUploadTablesLeft(engine: Engine): Promise<void> {
  const cursor = await engine.stream(
    `SELECT count(*) FROM information_schema.tables WHERE table_schema = '${UPLOAD_STORE_SCHEMA}'`,
  );
  let count = -1;
  for await (const batch of cursor) count = Number(batch[0]?.[0] ?? 0);
  assert.equal(count, 0, 'upload tables left behind');
}

/** One column of each storable kind and a row of nulls: must come back as sent. */
export async function assertAllTypesRoundTrip(base: string): Promise<void> {
  const fields: FieldDescription[] = [
    { name: 'flag', datatype: 'boolean' },
    { name: 'b', datatype: 'unsignedByte' },
    { name: 's', datatype: 'short' },
    { name: 'k', datatype: 'long' },
    { name: 'f', datatype: 'float' },
    { name: 'code', datatype: 'char', arraysize: '4' },
    { name: 't', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
    { name: 'pos', datatype: 'double', arraysize: '2', xtype: 'point' },
    { name: 'v', datatype: 'double', arraysize: '*' },
  ];
  const rows: Row[] = [
    [true, 7, -3, 9007199254740993n, 1.5, 'ab', '2024-02-29T12:00:00.000', [10, -20], [1, 2, 3]],
    [null, null, null, null, null, null, null, null, null],
  ];
  const response = await syncUpload(
    base,
    {
      LANG: 'ADQL',
      RESPONSEFORMAT: 'csv',
      UPLOAD: 'all_types,param:p',
      QUERY: 'SELECT *, DISTANCE(pos, POINT(10, -20)) AS d FROM TAP_UPLOAD.all_types ORDER BY s',
    },
    { p: await votableText(fields, rows) },
  );
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.deepEqual(text.split('\r\n').slice(0, 3), [
    'flag,b,s,k,f,code,t,pos,v,d',
    'true,7,-3,9007199254740993,1.5,ab,2024-02-29T12:00:00,10 -20,1 2 3,0',
    ',,,,,,,,,',
  ]);
}
