/**
 * The rows of hearc.events for one observation, column by column: read in batches by
 * the one event-list reader (units, TIMEZERO and the time reference applied there),
 * with each event's HEALPix cell added; ./writer.ts appends them clustered by cell.
 */
import { healpixNestedIndex } from '../adql/index.js';
import type { ColumnBatch, ColumnValues } from '../engine/index.js';
import { type EventList, type EventStatistics, GadfError, unitFactor } from '../gadf/index.js';
import { EVENT_HEALPIX_ORDER, OPTIONAL_EVENT_COLUMNS } from './schema.js';

/** A FITS column's decoded values as numbers, one per row (bits of an X column combined). */
function perRow(values: unknown, rowCount: number, name: string, where: string): ColumnValues {
  if (values instanceof BigInt64Array) return values;
  if (values instanceof BigUint64Array)
    return BigInt64Array.from(values, (v) => BigInt.asIntN(64, v));
  if (!ArrayBuffer.isView(values) || values instanceof DataView) {
    throw new GadfError(`column ${name} is not numeric`, where);
  }
  const numbers = values as unknown as ArrayLike<number>;
  if (numbers.length === rowCount) {
    return numbers instanceof Uint16Array || numbers instanceof Uint32Array
      ? Float64Array.from(numbers)
      : (numbers as Float64Array);
  }
  // A vector column: only bit fields (e.g. EVENT_TYPE 32X) become one number, MSB first.
  const repeat = numbers.length / rowCount;
  if (!Number.isInteger(repeat) || repeat > 53) {
    throw new GadfError(`column ${name} has ${repeat} values per event, expected one`, where);
  }
  const out = new Float64Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    let v = 0;
    for (let b = 0; b < repeat; b++) v = v * 2 + ((numbers[r * repeat + b] as number) ? 1 : 0);
    out[r] = v;
  }
  return out;
}

function scaledBy(values: ColumnValues, factor: number): ColumnValues {
  if (factor === 1 || !(values instanceof Float64Array || values instanceof Float32Array))
    return values;
  return values.map((v) => v * factor);
}

/** Values as doubles: the batch's own array when it is one already (each batch's arrays are new). */
const asDoubles = (values: ArrayLike<number>): Float64Array =>
  values instanceof Float64Array ? values : Float64Array.from(values);

/** hearc.events columns of some events, with their HEALPix cells as plain numbers too. */
export interface EventColumns {
  readonly batch: ColumnBatch;
  readonly cells: Uint32Array;
}

/** Little-endian platforms keep the low half of a 64-bit integer in its first 32-bit word. */
const LOW_WORD = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 0 : 1;

/** Small non-negative integers as BIGINT values, without making a BigInt for each. */
function asBigInt64(values: Uint32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) words[2 * i + LOW_WORD] = values[i] as number;
  return out;
}

/** The event batches of one observation, as hearc.events columns; `statistics` sees each batch as read. */
export async function* observationEventBatches(
  list: EventList,
  key: { readonly did: string; readonly obsId: string },
  statistics?: EventStatistics,
): AsyncGenerator<EventColumns> {
  list.require();
  const where = `${list.path} (HDU '${list.hdu.name || list.hdu.index}')`;
  const present = OPTIONAL_EVENT_COLUMNS.filter((c) => list.column(c.fits));
  const factors = present.map((c) => {
    const unit = list.column(c.fits)?.unit?.trim();
    if (!c.quantity || !unit) return 1;
    const factor = unitFactor(c.quantity, unit);
    if (factor === undefined) {
      throw new GadfError(`the ${c.fits} unit '${unit}' is not a unit of ${c.quantity}`, where);
    }
    return factor;
  });
  const idColumn = list.column('EVENT_ID')?.name;
  const typeColumn = list.eventTypes.column?.name;
  const eventClass = list.eventTypes.eventClass ?? null;
  for await (const batch of list.batches(['ra', 'dec', 'energy', 'time'], { allColumns: true })) {
    statistics?.add(batch);
    const n = batch.count;
    const ra = asDoubles(batch.ra);
    const dec = asDoubles(batch.dec);
    const cells = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const [a, d] = [ra[i] as number, dec[i] as number];
      if (!Number.isFinite(a) || !(Math.abs(d) <= 90)) {
        throw new GadfError(
          `event ${batch.raw.firstRow + i + 1} has no valid direction (RA ${a}, DEC ${d})`,
          where,
        );
      }
      cells[i] = healpixNestedIndex(EVENT_HEALPIX_ORDER, a, d);
    }
    const columns: Record<string, ColumnValues> = {
      obs_publisher_did: { repeat: key.did },
      obs_id: { repeat: key.obsId },
      ra,
      dec,
      energy: asDoubles(batch.energy),
      event_time: list.mjds(batch.time),
      event_class: { repeat: eventClass },
      healpix_index: asBigInt64(cells),
    };
    const raw = (name: string): ColumnValues =>
      perRow(batch.raw.column(name).values, n, name, where);
    if (idColumn) columns.event_id = raw(idColumn);
    if (typeColumn) columns.event_type = raw(typeColumn);
    present.forEach((c, i) => {
      columns[c.column.name] = scaledBy(raw(c.fits), factors[i] as number);
    });
    yield { batch: { rowCount: n, columns }, cells };
  }
}
