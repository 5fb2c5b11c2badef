/**
 * Result writing throughput: an ObsCore-like result (strings, doubles, a long, a
 * polygon) streamed as VOTable BINARY2 and TABLEDATA, CSV and JSON to a null sink,
 * against a baseline run in the same invocation (JSON.stringify of the same rows
 * to the same sink). Prints MB/s, rows/s and peak RSS per format.
 *
 *   node --import tsx bench/votable-write.ts [--rows 1000000] [--batch 1000]
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  writeChunksTo,
  writeCsv,
  writeJson,
  writeVotable,
  type FieldDescription,
  type Row,
} from '../src/votable/index.js';

const { values } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' } } });
const totalRows = Number(values.rows ?? 1_000_000);
const batchSize = Number(values.batch ?? 1000);

const FIELDS: readonly FieldDescription[] = [
  { name: 'obs_publisher_did', datatype: 'char', arraysize: '*', ucd: 'meta.ref.ivoid' },
  { name: 'obs_collection', datatype: 'char', arraysize: '*' },
  { name: 'dataproduct_type', datatype: 'char', arraysize: '*' },
  { name: 'target_name', datatype: 'char', arraysize: '*' },
  { name: 'obs_id', datatype: 'long' },
  { name: 's_ra', datatype: 'double', unit: 'deg' },
  { name: 's_dec', datatype: 'double', unit: 'deg' },
  { name: 's_fov', datatype: 'double', unit: 'deg' },
  { name: 't_min', datatype: 'double', unit: 'd' },
  { name: 't_max', datatype: 'double', unit: 'd' },
  { name: 'em_min', datatype: 'double', unit: 'm' },
  { name: 'em_max', datatype: 'double', unit: 'm' },
  { name: 's_region', datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg' },
];

const TARGETS = ['Crab', 'PKS 2155-304', 'MSH 15-52', 'RX J1713.7-3946', 'Galactic Centre'];

function row(i: number): Row {
  const ra = (i * 0.137) % 360;
  const dec = ((i * 0.071) % 180) - 90;
  const t = 53000 + i * 0.01;
  return [
    `ivo://hearc.example/hess?obs/${20000 + i}`,
    'hess-dr1',
    'event',
    TARGETS[i % TARGETS.length] ?? '',
    BigInt(20000 + i),
    ra,
    dec,
    2.5,
    t,
    t + 0.0194,
    1.2398e-18,
    1.2398e-20,
    [ra - 1, dec - 1, ra + 1, dec - 1, ra + 1, dec + 1, ra - 1, dec + 1],
  ];
}

async function* rows(): AsyncGenerator<Row[]> {
  for (let start = 0; start < totalRows; start += batchSize) {
    const batch: Row[] = [];
    for (let i = start; i < Math.min(totalRows, start + batchSize); i++) batch.push(row(i));
    yield batch;
  }
}

/** JSON.stringify of each row, in chunks of about 64 KiB: the baseline. */
async function* stringified(): AsyncGenerator<Buffer> {
  let text = '';
  for await (const batch of rows()) {
    for (const r of batch) {
      text +=
        JSON.stringify(r, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) + '\n';
      if (text.length >= 1 << 16) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
  }
  yield Buffer.from(text, 'utf8');
}

interface Measure {
  readonly name: string;
  readonly bytes: number;
  readonly seconds: number;
  readonly peakRssMb: number;
}

async function measure(name: string, chunks: () => AsyncIterable<Uint8Array>): Promise<Measure> {
  globalThis.gc?.();
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  await writeChunksTo(chunks(), sink);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { name, bytes, seconds, peakRssMb: peak / 2 ** 20 };
}

console.log(
  `${totalRows} ObsCore-like rows (${FIELDS.length} columns, polygon of 4 vertices), batches of ${batchSize}`,
);
console.log(`start RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
const results: Measure[] = [];
results.push(
  await measure('VOTable BINARY2', () =>
    writeVotable(FIELDS, rows(), { serialization: 'BINARY2' }),
  ),
);
results.push(
  await measure('VOTable TABLEDATA', () =>
    writeVotable(FIELDS, rows(), { serialization: 'TABLEDATA' }),
  ),
);
results.push(await measure('CSV', () => writeCsv(FIELDS, rows())));
results.push(await measure('JSON', () => writeJson(FIELDS, rows())));
results.push(await measure('baseline JSON.stringify', stringified));

const baseline = results.at(-1) as Measure;
const header = ['format', 'MB out', 'seconds', 'MB/s', 'rows/s', 'peak RSS MB', 'time vs baseline'];
console.log(header.join(' | '));
for (const m of results) {
  console.log(
    [
      m.name,
      (m.bytes / 2 ** 20).toFixed(1),
      m.seconds.toFixed(2),
      (m.bytes / 2 ** 20 / m.seconds).toFixed(1),
      Math.round(totalRows / m.seconds).toLocaleString('en-US'),
      m.peakRssMb.toFixed(0),
      (m.seconds / baseline.seconds).toFixed(2),
    ].join(' | '),
  );
}
const [binary2, tabledata] = results as [Measure, Measure];
console.log(
  `BINARY2/TABLEDATA: rows/s ${(tabledata.seconds / binary2.seconds).toFixed(2)}x, ` +
    `bytes ${(binary2.bytes / tabledata.bytes).toFixed(2)}`,
);
