/**
 * The event writer on a worker thread: it reads each event list, computes the cells and
 * sorts its buffer there, while this thread appends the sorted batches it sends back to
 * the transaction. Reading and appending each take about one core, so on two cores they
 * run side by side; what an add promises (the list held whole, or none of it) is
 * EventWriter's, unchanged.
 */
import type { Worker } from 'node:worker_threads';
import {
  type CatalogTransaction,
  type ColumnBatch,
  type Engine,
  takeTurns,
} from '../engine/index.js';
import { type EventTally, GadfError } from '../gadf/index.js';
import type { HduImage } from '../fits/index.js';
import { startModuleWorker } from '../service/index.js';
import { eventsTable } from './schema.js';
import { type AddOptions, EventWriter, type ListedEvents } from './writer.js';

/** What the writer's thread is told: the rows it sent that are appended come back as `appended`. */
export type WriterCommand =
  | {
      readonly kind: 'add';
      readonly entry: ListedEvents;
      readonly did: string;
      readonly centre?: { readonly ra: number; readonly dec: number };
      /** The EVENTS table as this thread read it: the file is not read again there. */
      readonly image?: HduImage;
    }
  | { readonly kind: 'take-out' }
  | { readonly kind: 'finish' }
  | { readonly kind: 'appended'; readonly rows: number };

/** What it answers: rows to append or take out, and how each command ended. */
export type WriterReply =
  | { readonly kind: 'append'; readonly batch: ColumnBatch }
  | { readonly kind: 'delete'; readonly did: string }
  | { readonly kind: 'held'; readonly count: number; readonly tally?: EventTally }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly message: string; readonly gadf: boolean };

/** What the thread is started with. */
export interface WriterSetup {
  readonly capacity?: number;
}

type Answer = Extract<WriterReply, { kind: 'held' | 'done' }>;

export class EventWriterThread {
  private readonly worker: Worker;
  private waiting?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };
  /** Appends and deletes asked for and not yet done: the transaction may end only after them. */
  private readonly pending = new Set<Promise<unknown>>();
  private failure?: Error;

  constructor(
    /** Where the rows go: the background turn of a transaction the caller also uses. */
    private readonly tx: Pick<CatalogTransaction, 'appendColumns' | 'deleteRows'>,
    capacity?: number,
  ) {
    const setup: WriterSetup = capacity === undefined ? {} : { capacity };
    this.worker = startModuleWorker(import.meta.url, 'writer-worker', { workerData: setup });
    this.worker.on('message', (reply: WriterReply) => this.receive(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) =>
      this.fail(new Error(`the event writer's thread stopped (exit code ${code})`)),
    );
  }

  /**
   * As EventWriter.add: the EVENTS table `events` read is handed to the writer's thread
   * (a list too long to have been read is opened anew there), and `statistics` is given
   * the tally made there.
   */
  async add(entry: ListedEvents, did: string, from: AddOptions = {}): Promise<number> {
    const centre = from.statistics?.centre;
    const image = from.events?.image();
    const answer = await this.ask(
      {
        kind: 'add',
        entry: { obsId: entry.obsId, hdus: entry.hdus },
        did,
        ...(centre ? { centre: { ra: centre.ra, dec: centre.dec } } : {}),
        ...(image ? { image } : {}),
      },
      image ? [image.header.buffer as ArrayBuffer, image.data.buffer as ArrayBuffer] : [],
    );
    if (answer.kind !== 'held') throw new Error('internal: the event writer did not hold a list');
    if (answer.tally) from.statistics?.absorb(answer.tally);
    try {
      from.after?.();
    } catch (error) {
      await this.ask({ kind: 'take-out' });
      throw error;
    }
    return answer.count;
  }

  /** Appends what the buffer holds and waits for every append; call before the transaction ends. */
  async finish(): Promise<void> {
    await this.ask({ kind: 'finish' });
    await this.settled();
    if (this.failure) throw this.failure;
  }

  /**
   * Stops the thread (what it held and did not append is dropped) and waits for the
   * appends already asked for: the transaction must not end under them.
   */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    await this.settled();
  }

  private async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private ask(command: WriterCommand, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Answer>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(command, transfer);
    });
  }

  private receive(reply: WriterReply): void {
    if (reply.kind === 'append') {
      const rows = reply.batch.rowCount;
      this.track(
        this.tx.appendColumns(eventsTable, reply.batch).then(() => {
          this.worker.postMessage({ kind: 'appended', rows } satisfies WriterCommand);
        }),
      );
      return;
    }
    if (reply.kind === 'delete') {
      this.track(this.tx.deleteRows(eventsTable, 'obs_publisher_did', [reply.did]));
      return;
    }
    const waiting = this.waiting;
    this.waiting = undefined;
    if (reply.kind === 'failed') {
      waiting?.reject(reply.gadf ? new GadfError(reply.message) : new Error(reply.message));
    } else waiting?.resolve(reply);
  }

  private track(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch((error: unknown) =>
      this.fail(error instanceof Error ? error : new Error(String(error))),
    );
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }
}

/**
 * Runs `work` in one transaction of `engine` with an event writer: on its own thread when
 * `threaded` (the transaction then takes turns between `work`'s statements, which go
 * first, and the thread's appends), else on this one.
 */
export function withEventWriter<T>(
  engine: Engine,
  options: { readonly threaded: boolean; readonly capacity?: number },
  work: (tx: CatalogTransaction, events: EventWriter | EventWriterThread) => Promise<T>,
): Promise<T> {
  return engine.transaction(async (whole) => {
    if (!options.threaded) return work(whole, new EventWriter(whole, options.capacity));
    const turns = takeTurns(whole);
    const writer = new EventWriterThread(turns.background, options.capacity);
    try {
      return await work(turns.foreground, writer);
    } finally {
      await writer.close();
    }
  });
}
