/**
 * Read throughput of gzipped event lists: hearc's streaming reader (every column
 * of EVENTS, in batches) and its whole-file reader, against astropy + numpy
 * (every column of EVENTS) and `zcat` (decompression alone, the physical limit),
 * all measured in this run on the same files. MB are decompressed bytes up to
 * the end of the EVENTS data, which is what every reader must inflate; zcat
 * inflates the whole files and its rate is taken over all it inflates.
 *
 *   node --import tsx bench/fits-read.ts [--rows 3600000] [--repeat 3]
 *
 * Inputs: the H.E.S.S. DL3 DR1 runs under $HEARC_TEST_DATA (if set) and a synthetic
 * event list of --rows rows (~100 MB decompressed by default), made once in the
 * temp folder by hearc's batch writer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBinTableStream, readFits, scanHdus } from '../src/fits/index.js';
import { writeSyntheticEventList } from '../test/fits/fixtures.js';

const { values } = parseArgs({ options: { rows: { type: 'string' }, repeat: { type: 'string' } } });
const syntheticRows = Number(values.rows ?? 3_600_000);
const repeat = Number(values.repeat ?? 3);
const PYTHON = '/usr/bin/python3';

interface Dataset {
  readonly name: string;
  readonly files: readonly string[];
  /** Decompressed bytes up to the end of EVENTS' data, per file. */
  readonly eventsEnd: readonly number[];
  /** Decompressed bytes of the whole files. */
  readonly wholeBytes: number;
  readonly rows: number;
}

async function describe(name: string, files: readonly string[]): Promise<Dataset> {
  const eventsEnd: number[] = [];
  let rows = 0;
  let wholeBytes = 0;
  for (const file of files) {
    const hdus = await scanHdus(file);
    wholeBytes += hdus.reduce((n, h) => n + h.hduByteLength, 0);
    const events = hdus.find((h) => h.name === 'EVENTS');
    if (!events) throw new Error(`${file} has no EVENTS HDU`);
    eventsEnd.push(events.dataOffset + events.dataByteLength);
    rows += events.header.requireInteger('NAXIS2');
  }
  return { name, files, eventsEnd, wholeBytes, rows };
}

/** Best wall time of `repeat` runs, in seconds. */
async function best(run: () => Promise<void> | void): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    await run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return fastest;
}

async function hearcStream(dataset: Dataset): Promise<void> {
  let values = 0;
  for (const file of dataset.files) {
    const stream = await openBinTableStream(file, 'EVENTS');
    for await (const batch of stream.batches) {
      for (const column of batch.columns) values += column.values.length;
    }
  }
  if (values === 0) throw new Error('no values read');
}

async function hearcWholeFile(dataset: Dataset): Promise<void> {
  for (const file of dataset.files) {
    const events = (await readFits(file)).bintable('EVENTS');
    for (const column of events.columns) events.readColumn(column.name);
  }
}

/** astropy's best time for reading every column of EVENTS in every file, timed inside Python. */
function astropySeconds(dataset: Dataset): number | undefined {
  const script = `
import sys, time, json
import numpy as np
from astropy.io import fits
files = sys.argv[2:]
best = float('inf')
for _ in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    for path in files:
        with fits.open(path, memmap=False) as f:
            data = f['EVENTS'].data
            for name in data.columns.names:
                np.asarray(data[name]).sum()
    best = min(best, time.perf_counter() - t0)
print(json.dumps(best))
`;
  const dir = mkdtempSync(join(tmpdir(), 'hearc-bench-py-'));
  try {
    const file = join(dir, 'read.py');
    writeFileSync(file, script);
    const run = spawnSync(PYTHON, [file, String(repeat), ...dataset.files], { encoding: 'utf8' });
    if (run.status !== 0) {
      console.error(`astropy run failed: ${run.stderr.trim().split('\n').pop()}`);
      return undefined;
    }
    return JSON.parse(run.stdout) as number;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * zcat of the whole files, one process, into /dev/null: its rate in decompressed
 * MB/s (a rate, so comparable although it inflates past EVENTS).
 */
async function zcatRate(dataset: Dataset): Promise<number> {
  const seconds = await best(() => {
    const run = spawnSync('sh', ['-c', 'zcat "$@" > /dev/null', 'zcat', ...dataset.files]);
    if (run.status !== 0) throw new Error(`zcat failed: ${run.stderr}`);
  });
  return dataset.wholeBytes / 1e6 / seconds;
}

async function syntheticFile(): Promise<string> {
  const path = join(tmpdir(), `hearc-bench-events-${syntheticRows}.fits.gz`);
  if (!existsSync(path)) {
    process.stderr.write(`writing ${syntheticRows} synthetic events to ${path} ...\n`);
    await writeSyntheticEventList(path, syntheticRows, { gzipLevel: 6 });
  }
  return path;
}

function hessFiles(): string[] {
  const root = process.env.HEARC_TEST_DATA;
  if (!root) return [];
  const dir = join(root, 'hess-dl3-dr1', 'data');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.fits.gz'))
    .map((name) => join(dir, name));
}

const datasets: Dataset[] = [];
const hess = hessFiles();
if (hess.length > 0) datasets.push(await describe(`H.E.S.S. DR1 (${hess.length} runs)`, hess));
else console.error('HEARC_TEST_DATA is not set: skipping the H.E.S.S. files');
datasets.push(await describe('synthetic', [await syntheticFile()]));

const rowsOut: string[][] = [];
const header = [
  'dataset',
  'events',
  'MB',
  'hearc stream',
  'hearc readFits',
  'astropy',
  'zcat',
  'stream/astropy',
  'stream/zcat',
];
for (const dataset of datasets) {
  const mb = dataset.eventsEnd.reduce((a, b) => a + b, 0) / 1e6;
  const stream = await best(() => hearcStream(dataset));
  const whole = await best(() => hearcWholeFile(dataset));
  const astropy = astropySeconds(dataset);
  const zcat = await zcatRate(dataset);
  const rate = (seconds: number | undefined) =>
    seconds === undefined ? 'n/a' : `${(mb / seconds).toFixed(0)} MB/s`;
  const streamRate = mb / stream;
  rowsOut.push([
    dataset.name,
    String(dataset.rows),
    mb.toFixed(1),
    rate(stream),
    rate(whole),
    rate(astropy),
    `${zcat.toFixed(0)} MB/s`,
    astropy === undefined ? 'n/a' : `${(astropy / stream).toFixed(2)}x`,
    `${(streamRate / zcat).toFixed(2)}x`,
  ]);
}

const widths = header.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i]!.length)));
const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rowsOut) console.log(line(row));
console.log(
  `\nbest of ${repeat}; ratios are speed ratios (hearc stream throughput / other), >1 means hearc is faster.`,
);
