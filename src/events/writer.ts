/**
 * Writes hearc.events clustered by HEALPix cell: events of many observations are held
 * in fixed buffers (bounded memory) and appended in cell order, so that each of the
 * database's row groups covers a narrow range of cells and a cone query reads only the
 * few whose cell range it meets (DuckDB's zone maps; PostgreSQL's partitions).
 */
import type {
  CatalogTransaction,
  CodedStrings,
  ColumnBatch,
  ColumnValues,
  SqlValue,
} from '../engine/index.js';
import {
  EventList,
  type EventStatistics,
  GadfError,
  type HduRef,
  type ObservationEntry,
} from '../gadf/index.js';
import { observationEventBatches } from './rows.js';
import { EVENT_HEALPIX_ORDER, eventsTable } from './schema.js';

/** Events held before a flush: ~17 DuckDB row groups, about 200 MB of buffers for a full GADF list. */
export const CLUSTER_ROWS = 1 << 21;
/** Rows per batch handed to the engine. */
const APPEND_ROWS = 1 << 16;
const CELLS = 12 * 4 ** EVENT_HEALPIX_ORDER;

type Typed = Exclude<
  ColumnValues,
  readonly unknown[] | CodedStrings | { readonly repeat: SqlValue }
>;
type TypedConstructor = new (length: number) => Typed;

/**
 * Copies elements `picked` of one typed array into another of the same type, as raw
 * words (values untouched, no BigInt made); one loop per width keeps each monomorphic.
 */
function gatherInto(from: Typed, to: Typed, picked: Uint32Array): void {
  const width = from.BYTES_PER_ELEMENT;
  if (width === 8) gatherPairs(words32(from), words32(to), picked);
  else if (width === 4) gather32(words32(from), words32(to), picked);
  else if (width === 2)
    gather16(
      new Uint16Array(from.buffer, from.byteOffset, from.length),
      new Uint16Array(to.buffer, to.byteOffset, to.length),
      picked,
    );
  else
    gather8(
      new Uint8Array(from.buffer, from.byteOffset, from.length),
      new Uint8Array(to.buffer, to.byteOffset, to.length),
      picked,
    );
}

const words32 = (values: Typed): Uint32Array =>
  new Uint32Array(values.buffer, values.byteOffset, values.byteLength / 4);

function gatherPairs(from: Uint32Array, to: Uint32Array, picked: Uint32Array): void {
  for (let i = 0; i < picked.length; i++) {
    const p = 2 * (picked[i] as number);
    to[2 * i] = from[p] as number;
    to[2 * i + 1] = from[p + 1] as number;
  }
}

function gather32(from: Uint32Array, to: Uint32Array, picked: Uint32Array): void {
  for (let i = 0; i < picked.length; i++) to[i] = from[picked[i] as number] as number;
}

function gather16(from: Uint16Array, to: Uint16Array, picked: Uint32Array): void {
  for (let i = 0; i < picked.length; i++) to[i] = from[picked[i] as number] as number;
}

function gather8(from: Uint8Array, to: Uint8Array, picked: Uint32Array): void {
  for (let i = 0; i < picked.length; i++) to[i] = from[picked[i] as number] as number;
}

/** A column of the buffer: typed values copied in, or per-batch values (repeats, strings). */
type Held =
  | { readonly kind: 'typed'; readonly values: Typed }
  | { readonly kind: 'repeat'; readonly text: boolean; readonly values: SqlValue[] }
  | { readonly kind: 'strings'; readonly values: (string | null)[] };

/** Where the writer's rows go: a transaction, or what hands them to one on another thread. */
export type EventSink = Pick<CatalogTransaction, 'appendColumns' | 'deleteRows'>;

/** An observation of the index, as far as its events are concerned. */
export type ListedEvents = Pick<ObservationEntry, 'obsId' | 'hdus'>;

/** Where the events of an observation of the index are. */
export function eventsRef(entry: ListedEvents): HduRef {
  const events = entry.hdus.find((h) => h.type === 'events');
  if (!events) throw new GadfError(`observation ${entry.obsId} has no events HDU in the index`);
  return { path: events.path, hdu: events.hduName };
}

/** What may come with an observation's events (see EventWriter.add). */
export interface AddOptions {
  readonly events?: EventList;
  readonly statistics?: EventStatistics;
  readonly after?: () => void;
}

/** What undoes the rows of an observation that turned out unreadable. */
interface Mark {
  readonly rows: number;
  readonly segments: number;
  readonly flushes: number;
}

export class EventWriter {
  private rows = 0;
  private flushes = 0;
  /** Which batch (segment) each held row came from: for the per-batch values. */
  private readonly segmentOfRow: Uint32Array;
  private segments = 0;
  private readonly cells: Uint32Array;
  private readonly held = new Map<string, Held>();
  /** Column names and kinds of the held rows: a batch of another shape flushes them first. */
  private shape: string | undefined;
  private order: Uint32Array | undefined;
  /** Gathered columns, reused unless handed away (detached): one append's worth each. */
  private readonly outputs = new Map<string, Typed>();
  private counts: Uint32Array | undefined;
  /** The batch of each gathered row, reused (the same for every text column of one append). */
  private codes: Uint32Array | undefined;

  /** The last observation held, while it can still be taken out. */
  private last: { readonly mark: Mark; readonly did: string } | undefined;

  constructor(
    private readonly tx: EventSink,
    /** Rows held at most: memory is about 100 bytes a row. */
    private readonly capacity = CLUSTER_ROWS,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`the event buffer must hold at least one row, not ${capacity}`);
    }
    this.segmentOfRow = new Uint32Array(capacity);
    this.cells = new Uint32Array(capacity);
  }

  /**
   * Reads the events of an observation of the index into the buffer (appending what
   * fills it); returns how many. `from` may give its event list opened already, the
   * statistics to gather in the same pass, and what to do once all are held (what
   * throws there takes them out too). When the list cannot be read, none of its events
   * stay and it throws.
   */
  async add(entry: ListedEvents, did: string, from: AddOptions = {}): Promise<number> {
    const events = eventsRef(entry);
    const mark: Mark = { rows: this.rows, segments: this.segments, flushes: this.flushes };
    this.last = undefined;
    let count = 0;
    try {
      const list = from.events ?? (await EventList.open(events));
      const key = { did, obsId: entry.obsId };
      for await (const { batch, cells } of observationEventBatches(list, key, from.statistics)) {
        await this.hold(batch, cells);
        count += batch.rowCount;
      }
      from.after?.();
    } catch (error) {
      await this.undo(mark, did);
      throw error;
    }
    this.last = { mark, did };
    return count;
  }

  /** Takes out the events of the observation added last (its other rows could not be made). */
  async takeOutLast(): Promise<void> {
    const last = this.last;
    if (!last) throw new Error('internal: no observation to take out of the event buffer');
    this.last = undefined;
    await this.undo(last.mark, last.did);
  }

  /** Appends what the buffer holds; call before the transaction ends. */
  async finish(): Promise<void> {
    this.last = undefined;
    await this.flush();
  }

  private async undo(mark: Mark, did: string): Promise<void> {
    if (this.flushes === mark.flushes) {
      this.rows = mark.rows;
      this.segments = mark.segments;
      for (const h of this.held.values()) {
        if (h.kind !== 'typed') h.values.length = h.kind === 'repeat' ? mark.segments : mark.rows;
      }
      return;
    }
    // Part of it is in the table already; what is held since the flush is all its own.
    this.rows = 0;
    this.segments = 0;
    for (const h of this.held.values()) if (h.kind !== 'typed') h.values.length = 0;
    await this.tx.deleteRows(eventsTable, 'obs_publisher_did', [did]);
  }

  private shapeOf(batch: ColumnBatch): string {
    return Object.entries(batch.columns)
      .map(([name, v]) => {
        const kind =
          'repeat' in v ? 'repeat' : Array.isArray(v) ? 'strings' : (v as Typed).constructor.name;
        return `${name}:${kind}`;
      })
      .sort()
      .join(',');
  }

  private async hold(batch: ColumnBatch, cells: Uint32Array): Promise<void> {
    const shape = this.shapeOf(batch);
    if (shape !== this.shape) {
      await this.flush();
      this.shape = shape;
      this.held.clear();
    }
    for (let first = 0; first < batch.rowCount;) {
      if (this.rows === this.capacity) await this.flush();
      const n = Math.min(batch.rowCount - first, this.capacity - this.rows);
      this.copyIn(batch, cells, first, n);
      first += n;
    }
  }

  /** Rows [first, first + n) of a batch into the buffer (which has room for them). */
  private copyIn(batch: ColumnBatch, cells: Uint32Array, first: number, n: number): void {
    const at = this.rows;
    const segment = this.segments++;
    for (const [name, values] of Object.entries(batch.columns)) {
      let h = this.held.get(name);
      if ('repeat' in values) {
        if (!h) {
          const text = eventsTable.columns.find((c) => c.name === name)?.datatype === 'char';
          h = { kind: 'repeat', text, values: [] };
          this.held.set(name, h);
        }
        (h.values as SqlValue[])[segment] = values.repeat;
      } else if (Array.isArray(values)) {
        if (!h) this.held.set(name, (h = { kind: 'strings', values: [] }));
        const strings = h.values as (string | null)[];
        for (let i = 0; i < n; i++) strings[at + i] = (values[first + i] as string | null) ?? null;
      } else {
        const typed = values as Typed;
        if (!h) {
          const make = typed.constructor as TypedConstructor;
          this.held.set(name, (h = { kind: 'typed', values: new make(this.capacity) }));
        }
        (h.values as Typed).set(typed.subarray(first, first + n) as never, at);
      }
    }
    this.cells.set(cells.subarray(first, first + n), at);
    this.segmentOfRow.fill(segment, at, at + n);
    this.rows += n;
  }

  /** Appends the held rows in cell order (a stable counting sort: within a cell, as read). */
  private async flush(): Promise<void> {
    const rows = this.rows;
    if (rows === 0) return;
    const counts = (this.counts ??= new Uint32Array(CELLS + 1));
    const order = (this.order ??= new Uint32Array(this.capacity));
    const cells = this.cells;
    counts.fill(0);
    for (let i = 0; i < rows; i++) counts[(cells[i] as number) + 1]!++;
    for (let c = 1; c <= CELLS; c++) counts[c]! += counts[c - 1] as number;
    for (let i = 0; i < rows; i++) order[counts[cells[i] as number]!++] = i;
    const constant = new Map<string, SqlValue>();
    for (const [name, h] of this.held) {
      const values = h.kind === 'repeat' ? new Set(h.values.slice(0, this.segments)) : undefined;
      if (values?.size === 1) constant.set(name, [...values][0] ?? null);
    }
    for (let first = 0; first < rows; first += APPEND_ROWS) {
      const picked = order.subarray(first, Math.min(rows, first + APPEND_ROWS));
      const columns: Record<string, ColumnValues> = {};
      for (const [name, h] of this.held) {
        columns[name] = constant.has(name)
          ? { repeat: constant.get(name) ?? null }
          : this.gather(name, h, picked);
      }
      await this.tx.appendColumns(eventsTable, { rowCount: picked.length, columns });
    }
    this.rows = 0;
    this.segments = 0;
    this.flushes++;
    for (const h of this.held.values()) if (h.kind !== 'typed') h.values.length = 0;
  }

  /** Rows `picked` of a held column, into a buffer reused from one append to the next. */
  private gather(name: string, h: Held, picked: Uint32Array): ColumnValues {
    const n = picked.length;
    if (h.kind === 'typed') {
      let out = this.outputs.get(name) as Typed | undefined;
      // Made anew when the last one was handed to another thread (its buffer detached).
      if (out?.constructor !== h.values.constructor || out.length === 0) {
        out = new (h.values.constructor as TypedConstructor)(APPEND_ROWS);
        this.outputs.set(name, out);
      }
      gatherInto(h.values, out, picked);
      return out.subarray(0, n);
    }
    if (h.kind === 'strings') return Array.from(picked, (p) => h.values[p] ?? null);
    if (!h.text) {
      throw new Error(`internal: per-batch numbers differ in a column of ${eventsTable.name}`);
    }
    // Each row's batch as a code into the batches' strings: DuckDB takes each string once a chunk.
    if (!this.codes?.length) this.codes = new Uint32Array(APPEND_ROWS);
    const codes = this.codes.subarray(0, n);
    gather32(this.segmentOfRow, codes, picked);
    const dictionary = h.values.map((v) => (v === null || v === undefined ? null : String(v)));
    return { codes, dictionary };
  }
}
