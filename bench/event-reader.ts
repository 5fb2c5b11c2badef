/**
 * The one event-list reader on a simulated list of about a million events (gzip), against
 * a plain FITS stream of the same four columns measured in the same run: the reader's
 * header work, unit conversions and time model must cost next to nothing.
 *
 *   node --import tsx bench/event-reader.ts [--events 1000000] [--repeat 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBinTableStream } from '../src/fits/index.js';
import { EventList } from '../src/gadf/index.js';
import { simulateDataStore } from '../src/sim/simulate.js';

const { values } = parseArgs({
  options: { events: { type: 'string' }, repeat: { type: 'string' } },
});
const wanted = Number(values.events ?? 1_000_000);
const repeat = Number(values.repeat ?? 5);

/** Best wall time of `repeat` runs, in seconds, and the last run's checksum. */
async function best(run: () => Promise<number>): Promise<{ seconds: number; sum: number }> {
  let seconds = Infinity;
  let sum = 0;
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    sum = await run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { seconds, sum };
}

function add(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s;
}

const COLUMNS = ['RA', 'DEC', 'ENERGY', 'TIME'];

async function plainStream(path: string): Promise<number> {
  const stream = await openBinTableStream(path, 'EVENTS', { columns: COLUMNS });
  let sum = 0;
  for await (const batch of stream.batches) {
    for (const name of COLUMNS) sum += add(batch.column(name).values as ArrayLike<number>);
  }
  return sum;
}

async function reader(path: string): Promise<number> {
  const list = await EventList.openFile(path);
  await list.intervals();
  await list.pointing();
  let sum = 0;
  for await (const batch of list.batches(['ra', 'dec', 'energy', 'time'])) {
    sum += add(batch.ra) + add(batch.dec) + add(batch.energy) + add(batch.time);
  }
  return sum;
}

const dir = mkdtempSync(join(tmpdir(), 'hearc-bench-events-'));
try {
  // The simulator's background rate is 0.8 × events per run over the live time.
  const [run] = await simulateDataStore({
    outDir: dir,
    observations: 1,
    seed: 7,
    eventsPerObservation: Math.round(wanted / 0.75),
  });
  const path = join(dir, run!.fileName);
  const contenders: [string, (path: string) => Promise<number>][] = [
    ['plain FITS stream (baseline)', plainStream],
    ['EventList reader', reader],
  ];
  const results: { name: string; seconds: number; sum: number }[] = [];
  for (const [name, run] of contenders) results.push({ name, ...(await best(() => run(path))) });
  const baseline = results[0]!;
  console.log(`${run!.eventCount} events, gzip, best of ${repeat}`);
  console.log('| reader | s | Mevents/s | ratio to baseline |');
  console.log('|---|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.seconds.toFixed(3)} | ${(run!.eventCount / r.seconds / 1e6).toFixed(2)} | ${(r.seconds / baseline.seconds).toFixed(2)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
