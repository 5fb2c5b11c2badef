/**
 * The event writer's thread (see writer-thread.ts): an EventWriter whose appends are
 * posted back to the thread that owns the transaction, at most IN_FLIGHT_ROWS of them
 * not yet appended (memory stays bounded when appending is the slower side).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ColumnBatch, ColumnValues } from '../engine/index.js';
import { EventStatistics, GadfError } from '../gadf/index.js';
import { EventWriter, type EventSink } from './writer.js';
import type { WriterCommand, WriterReply, WriterSetup } from './writer-thread.js';

/** Rows sent and not yet appended before the writer waits: half its buffer, about 100 MB. */
const IN_FLIGHT_ROWS = 1 << 20;

const port = parentPort!;
const post = (reply: WriterReply, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(reply, transfer);

/** A batch's values in buffers of their own (the writer reuses its), handed over without a copy. */
function detached(batch: ColumnBatch): { batch: ColumnBatch; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const columns: Record<string, ColumnValues> = {};
  for (const [name, values] of Object.entries(batch.columns)) {
    if (ArrayBuffer.isView(values)) {
      const own = values.slice();
      transfer.push(own.buffer as ArrayBuffer);
      columns[name] = own;
    } else if ('codes' in values) {
      const codes = values.codes.slice();
      transfer.push(codes.buffer as ArrayBuffer);
      columns[name] = { codes, dictionary: values.dictionary };
    } else columns[name] = values;
  }
  return { batch: { rowCount: batch.rowCount, columns }, transfer };
}

let inFlight = 0;
let wake: (() => void) | undefined;
const sink: EventSink = {
  async appendColumns(_table, batch) {
    const sent = detached(batch);
    post({ kind: 'append', batch: sent.batch }, sent.transfer);
    inFlight += batch.rowCount;
    while (inFlight > IN_FLIGHT_ROWS) await new Promise<void>((resolve) => (wake = resolve));
  },
  async deleteRows(_table, _column, values) {
    post({ kind: 'delete', did: String(values[0]) });
    return 0;
  },
};
const writer = new EventWriter(sink, (workerData as WriterSetup).capacity);

async function run(command: Exclude<WriterCommand, { kind: 'appended' }>): Promise<WriterReply> {
  if (command.kind === 'take-out' || command.kind === 'finish') {
    await (command.kind === 'finish' ? writer.finish() : writer.takeOutLast());
    return { kind: 'done' };
  }
  const statistics = command.centre ? new EventStatistics(command.centre) : undefined;
  const count = await writer.add(command.entry, command.did, statistics ? { statistics } : {});
  return { kind: 'held', count, ...(statistics ? { tally: statistics.tally() } : {}) };
}

// Commands one after another; the appended rows are counted off as they come.
let queue = Promise.resolve();
port.on('message', (command: WriterCommand) => {
  if (command.kind === 'appended') {
    inFlight -= command.rows;
    const waiting = wake;
    wake = undefined;
    waiting?.();
    return;
  }
  queue = queue.then(() =>
    run(command).then(post, (error: unknown) =>
      post({
        kind: 'failed',
        message: error instanceof Error ? error.message : String(error),
        gadf: error instanceof GadfError,
      }),
    ),
  );
});
