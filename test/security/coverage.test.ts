/**
 * Coverage as an outsider sees it. With hidden proprietary metadata, nothing published
 * about coverage reveals a proprietary observation: the service and collection MOCs
 * (space, time and space-time), the registry records' coverage (/oai) and the rr tables (RegTAP)
 * equal those of the public observations alone, until the release date. Without the
 * option the ObsCore rows of proprietary data are public, and so is their coverage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mocLibrary, tickToJd, timeRangesFromAscii } from '../../src/moc/index.js';
import { SIM_COLLECTION } from '../datalink/fixtures.js';
import { AFTER, BEFORE, securedStore, tap } from './fixtures.js';

async function text(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, { headers });
  const body = await response.text();
  assert.equal(response.status, 200, `${url}: ${body}`);
  return body;
}

/** Rows of a CSV TAP answer, header left out. */
async function csvRows(address: string, query: string): Promise<string[][]> {
  const answer = await tap(address, {}, query);
  assert.equal(answer.status, 200, answer.text);
  return answer.text
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(','));
}

/** Polls `check` until it holds (the server re-reads the catalog's state every few seconds). */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`never: ${what}`);
}

const MJD_OFFSET = 2_400_000.5;

/** The middle of a time MOC (ASCII), MJD: a time it covers. */
function middleMjd(ascii: string): number {
  const ranges = timeRangesFromAscii(ascii);
  const [start, end] = [ranges[0]![0], ranges.at(-1)![1]];
  return (tickToJd(start) + tickToJd(end)) / 2 - MJD_OFFSET;
}

/** What an outsider learns of the service's coverage, by every published path. */
async function outsiderView(address: string) {
  const oai = await text(`${address}/oai?verb=ListRecords&metadataPrefix=ivo_vor`);
  const records = [...oai.matchAll(/<identifier>([^<]+)<\/identifier>[\s\S]*?<\/ri:Resource>/g)];
  const coverages = records
    .map((m) => ({ id: m[1]!, xml: m[0] }))
    .filter((r) => r.xml.includes('<coverage>'));
  return {
    space: await text(`${address}/moc/service.txt`),
    collectionSpace: await text(`${address}/moc/${SIM_COLLECTION}.txt`),
    time: await text(`${address}/moc/service.time.txt`),
    collectionTime: await text(`${address}/moc/${SIM_COLLECTION}.time.txt`),
    spaceTime: await text(`${address}/moc/service.spacetime.txt`),
    collectionSpaceTime: await text(`${address}/moc/${SIM_COLLECTION}.spacetime.txt`),
    recordSpatial: coverages.flatMap((r) =>
      [...r.xml.matchAll(/<spatial>([^<]*)<\/spatial>/g)].map((m) => m[1]!),
    ),
    recordTemporal: coverages.flatMap((r) =>
      [...r.xml.matchAll(/<temporal>([^<]*)<\/temporal>/g)].map((m) =>
        m[1]!.split(' ').map(Number),
      ),
    ),
    records: coverages.length,
    rrSpatial: (await csvRows(address, 'SELECT coverage FROM rr.stc_spatial')).map((r) => r[0]!),
    rrTemporal: (await csvRows(address, 'SELECT time_start, time_end FROM rr.stc_temporal')).map(
      (r) => r.map(Number),
    ),
  };
}

const covers = (intervals: number[][], mjd: number): boolean =>
  intervals.some(([a, b]) => a! <= mjd && mjd <= b!);

test('hidden metadata: no coverage an outsider sees reveals a proprietary observation', async (t) => {
  const store = await securedStore(t, { hideMetadata: true });
  const { address, closedObsId } = store;
  const openObsId = store.openDid.split('?')[1]!;
  const member = store.callers['right group (API token)']!;
  const library = await mocLibrary();
  const normal = (ascii: string): string => String(library.MOC.fromAscii(ascii).toAscii()).trim();
  const summary = (ascii: string): string =>
    String(library.MOC.fromAscii(ascii).degrade(6).toAscii()).trim();
  store.setNow(BEFORE);
  const base = `${address}/moc/${SIM_COLLECTION}`;
  const open = {
    space: await text(`${base}/${openObsId}.txt`),
    time: await text(`${base}/${openObsId}.time.txt`),
    spaceTime: await text(`${base}/${openObsId}.spacetime.txt`),
  };
  const closed = {
    space: await text(`${base}/${closedObsId}.txt`, member),
    time: await text(`${base}/${closedObsId}.time.txt`, member),
  };
  // The two observations differ in space (at the registry's order too) and in time.
  const closedOnly = library.MOC.fromAscii(summary(closed.space)).minus(
    library.MOC.fromAscii(summary(open.space)),
  );
  assert.ok(closedOnly.coveragePercentage() > 0, 'the proprietary field of view adds cells');
  const closedMjd = middleMjd(closed.time);
  const openMjd = middleMjd(open.time);

  const before = await outsiderView(address);
  assert.equal(normal(before.space), normal(open.space), '/moc/service.txt');
  assert.equal(normal(before.collectionSpace), normal(open.space), 'collection MOC');
  assert.equal(before.time.trim(), open.time.trim(), '/moc/service.time.txt');
  assert.equal(before.collectionTime.trim(), open.time.trim(), 'collection time MOC');
  assert.equal(before.spaceTime, open.spaceTime, '/moc/service.spacetime.txt');
  assert.equal(before.collectionSpaceTime, open.spaceTime, 'collection space-time MOC');
  assert.equal(before.records, 2, 'the service and collection records carry a coverage');
  for (const spatial of before.recordSpatial) assert.equal(normal(spatial), summary(open.space));
  assert.ok(covers(before.recordTemporal, openMjd));
  assert.ok(!covers(before.recordTemporal, closedMjd), 'record temporal coverage');
  // rr was written at start, before the rights were set: it follows in the background.
  await eventually('rr without the proprietary observation', async () => {
    const view = await outsiderView(address);
    return !covers(view.rrTemporal, closedMjd);
  });
  const rr = await outsiderView(address);
  assert.equal(rr.rrSpatial.length, 2);
  for (const coverage of rr.rrSpatial) assert.equal(normal(coverage), summary(open.space));
  assert.ok(covers(rr.rrTemporal, openMjd));

  await t.test('after the release date the coverage includes it everywhere', async () => {
    store.setNow(AFTER);
    await eventually('the released observation in the MOCs and rr', async () => {
      const view = await outsiderView(address);
      return (
        covers(view.recordTemporal, closedMjd) &&
        covers(view.rrTemporal, closedMjd) &&
        view.spaceTime !== before.spaceTime &&
        normal(view.space) ===
          normal(
            String(
              library.MOC.fromAscii(open.space).or(library.MOC.fromAscii(closed.space)).toAscii(),
            ),
          )
      );
    });
  });
});

test('metadata public (no --hide-proprietary-metadata): the coverage includes proprietary observations', async (t) => {
  const store = await securedStore(t);
  const { address, closedObsId } = store;
  store.setNow(BEFORE);
  const closedTime = await text(`${address}/moc/${SIM_COLLECTION}/${closedObsId}.time.txt`);
  const closedMjd = middleMjd(closedTime);
  // Their ObsCore rows are public, position and times included: the coverage says no more.
  const rows = await csvRows(
    address,
    `SELECT t_min FROM ivoa.obscore WHERE obs_publisher_did = '${store.closedDid}'`,
  );
  assert.equal(rows.length, 1);
  await eventually('the proprietary observation in the coverage', async () => {
    const view = await outsiderView(address);
    return covers(view.recordTemporal, closedMjd) && covers(view.rrTemporal, closedMjd);
  });
});
