/**
 * The event writer's thread (see writer-thread.ts): an EventWriter whose appends are
 * posted back to the thread that owns the transaction, at most IN_FLIGHT_ROWS of them
 * not yet appended (memory stays bounded when appending is the slower side).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ColumnBatch } from '../engine/index.js';
import { EventList, EventStatistics, GadfError } from '../gadf/index.js';
import { EventWriter, type EventSink, eventsRef } from './writer.js';
import type { WriterCommand, WriterReply, WriterSetup } from './writer-thread.js';

/** Rows sent and not yet appended before the writer waits: half its buffer, about 100 MB. */
const IN_FLIGHT_ROWS = 1 << 20;

const port = parentPort!;
const post = (reply: WriterReply, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(reply, transfer);

/**
 * A batch handed over without a copy: its arrays' buffers are the writer's gathered
 * columns, which it makes anew once they are detached.
 */
function transferablesOf(batch: ColumnBatch): ArrayBuffer[] {
  const buffers = Object.values(batch.columns).flatMap((values) =>
    ArrayBuffer.isView(values) ? [values.buffer] : 'codes' in values ? [values.codes.buffer] : [],
  );
  return [...new Set(buffers as ArrayBuffer[])];
}

let inFlight = 0;
let wake: (() => void) | undefined;
const sink: EventSink = {
  async appendColumns(_table, batch) {
    post({ kind: 'append', batch }, transferablesOf(batch));
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
  const events = command.image && EventList.fromImage(eventsRef(command.entry), command.image);
  const count = await writer.add(command.entry, command.did, {
    ...(statistics ? { statistics } : {}),
    ...(events ? { events } : {}),
  });
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
