/**
 * hearc.events is written through a bounded buffer, in HEALPix cell order per buffer
 * (what lets a cone read only a few DuckDB row groups): every event arrives once, and an
 * event list that breaks part-way leaves none of its events, even those already appended;
 * the same when the events are read and sorted on a thread of their own.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openEngine } from '../../src/engine/index.js';
import { eventsTable, withEventWriter } from '../../src/events/index.js';
import { buildBinTable, readFits, writeFits } from '../../src/fits/index.js';
import { EventList, EventStatistics, openDataStores } from '../../src/gadf/index.js';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { tempDir } from '../helpers/tmp.js';

const STRUCTURAL =
  /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|TTYPE\d+|TFORM\d+|TUNIT\d+|TDIM\d+|EXTNAME|CHECKSUM|DATASUM|END)$/;

test('events are appended once, in cell order per buffer; a list that breaks part-way leaves none', async (t) => {
  const dir = tempDir(t);
  await simulateDataStore({ outDir: dir, observations: 3, seed: 5, eventsPerObservation: 200_000 });
  const [first, broken, last] = (await openDataStores(dir)).stores[0]!.observations;
  const eventsOf = (entry: typeof first) => entry!.hdus.find((h) => h.type === 'events')!;
  const rowsIn = async (entry: typeof first) =>
    (await EventList.open({ path: eventsOf(entry).path, hdu: eventsOf(entry).hduName })).rowCount;
  const [firstRows, lastRows] = [await rowsIn(first), await rowsIn(last)];
  // Its last event points nowhere (DEC 95): by then the buffer (50000) has been appended.
  const path = eventsOf(broken).path;
  const events = (await readFits(path)).bintable('EVENTS');
  const columns = events.columns.map((d) => {
    const { values } = events.readColumn(d.name);
    if (d.name === 'DEC') (values as Float32Array)[(values as Float32Array).length - 1] = 95;
    return { name: d.name, format: d.tform, ...(d.unit ? { unit: d.unit } : {}), values };
  });
  const header = events.header.cards.filter((c) => !STRUCTURAL.test(c.keyword));
  await writeFits(path, [buildBinTable({ name: 'EVENTS', columns, header })], { gzip: true });

  for (const threaded of [false, true]) {
    await t.test(threaded ? 'read and sorted on a thread of their own' : 'on one thread', (t) =>
      writeAndCheck(t, threaded),
    );
  }

  async function writeAndCheck(t: TestContext, threaded: boolean): Promise<void> {
    const engine = await openEngine(join(tempDir(t), 'catalog.duckdb'));
    t.after(() => engine.close());
    await engine.ensureTables([eventsTable]);
    await withEventWriter(engine, { threaded, capacity: 50_000 }, async (_tx, writer) => {
      const statistics = new EventStatistics({ ra: 0, dec: 0 });
      assert.equal(await writer.add(first!, 'ivo://test/sim?1', { statistics }), firstRows);
      assert.equal(statistics.count, firstRows);
      await assert.rejects(
        writer.add(broken!, 'ivo://test/sim?2'),
        /no valid direction \(RA [\d.]+, DEC 95\)/,
      );
      assert.equal(await writer.add(last!, 'ivo://test/sim?3'), lastRows);
      // Read whole, then refused by what comes after: taken out again, appended part too.
      const refuse = () => {
        throw new Error('its rows cannot be made');
      };
      await assert.rejects(
        writer.add(last!, 'ivo://test/sim?4', { after: refuse }),
        /its rows cannot be made/,
      );
      await writer.finish();
    });
    const rows = async (sql: string) => {
      const out: (readonly unknown[])[] = [];
      for await (const batch of await engine.stream(sql)) out.push(...batch);
      return out.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
    };
    assert.deepEqual(
      await rows(
        'SELECT obs_publisher_did, obs_id, count(*), count(DISTINCT event_id) FROM hearc.events GROUP BY ALL ORDER BY obs_id',
      ),
      [
        ['ivo://test/sim?1', first!.obsId, firstRows, firstRows],
        ['ivo://test/sim?3', last!.obsId, lastRows, lastRows],
      ],
    );
    // In storage order, the cell goes down only where one buffer's rows end and the next begin.
    const [[descents] = []] = await rows(
      'SELECT count(*) FILTER (WHERE healpix_index < previous) FROM (SELECT healpix_index, lag(healpix_index) OVER (ORDER BY rowid) AS previous FROM hearc.events)',
    );
    const flushes = Math.ceil((firstRows + 2 * lastRows + 65_536) / 50_000);
    assert.ok(Number(descents) < flushes, `${descents} descents for at most ${flushes} buffers`);
  }
});
