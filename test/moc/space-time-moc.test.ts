/**
 * Space-time MOCs (MOC 2.0 STMOC): what hearc builds and serves is read back by CDS's
 * library in all three forms (ASCII, JSON, FITS) and folded: the sky at an observation's
 * good times holds its pointing, the times of its sky hold its GTIs. The FITS file is
 * checked by fitsverify and astropy. On a simulated store spanning both hemispheres and
 * RA=0 and on the H.E.S.S. DR1 store, served over HTTP.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { circleToPolygon } from '../../src/gadf/geometry.js';
import {
  buildSpaceTimeMoc,
  type MocLibrary,
  mocLibrary,
  type ObservationSpan,
  observationSpaceMoc,
  SPACE_TIME_MOC_SPACE_DEPTH,
  SPACE_TIME_MOC_TIME_DEPTH,
  spaceTimeMocFile,
  timeMocFromJdIntervals,
  timeRangesFromAscii,
} from '../../src/moc/index.js';
import { HESS_COLLECTION, serveStore } from '../datalink/fixtures.js';
import { requireAstropy, requireFitsverify, requireTestData } from '../helpers/env.js';
import { runPythonJsonAsync } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { observations, serveAcrossRaZero } from './fixtures.js';

type SpaceTimeMocRead = import('@fxpineau/moc-wasm').STMOC;

interface Pointing {
  readonly ra: number;
  readonly dec: number;
  /** Good time intervals, JD (TCB). */
  readonly gtis: readonly (readonly [number, number])[];
}

async function spanOf(library: MocLibrary, pointing: Pointing): Promise<ObservationSpan> {
  return {
    time: timeRangesFromAscii(timeMocFromJdIntervals(pointing.gtis)),
    space: observationSpaceMoc(library, {
      s_region: circleToPolygon(pointing.ra, pointing.dec, 2.5),
    }),
  };
}

/** The three served forms, read by CDS's library. */
function readAll(
  library: MocLibrary,
  file: { ascii: string; json: string; fits: Uint8Array },
): SpaceTimeMocRead[] {
  return [
    library.STMOC.fromAscii(file.ascii),
    library.STMOC.fromJson(file.json),
    library.STMOC.fromFits(file.fits),
  ];
}

/** Whether the space-time MOC at the observation's times holds its pointing, and at its sky its GTIs. */
function checkFolds(
  library: MocLibrary,
  moc: SpaceTimeMocRead,
  pointing: { ra: number; dec: number; gtis: string },
  what: string,
  alone = true,
): void {
  const gti = library.TMOC.fromAscii(pointing.gtis.replace(/^t/, ''));
  const sky = moc.timeFold(gti);
  assert.deepEqual(
    [...sky.filterCoos(Float64Array.from([pointing.ra, pointing.dec]))],
    [1],
    `${what}: the sky at its good times holds its pointing`,
  );
  if (alone) {
    // The fold gives the times whose whole sky lies in the MOC given: the observation's
    // own sky (a cone around the pointing) at times no other observation shares.
    const cone = library.MOC.fromCone(SPACE_TIME_MOC_SPACE_DEPTH, pointing.ra, pointing.dec, 6);
    const times = moc.spaceFold(cone);
    // The GTIs in the MOC's time cells; tested with and/xor: moc-wasm 0.11's TMOC minus gives rhs − this.
    const widened = gti.degrade(SPACE_TIME_MOC_TIME_DEPTH);
    const held = widened.and(times);
    const missing = held.xor(widened);
    assert.equal(missing.nRanges(), 0, `${what}: the times of its sky hold its GTIs`);
    for (const m of [cone, times, widened, held, missing]) m.free();
  }
  for (const m of [gti, sky]) m.free();
}

test('a space-time MOC across RA=0 in both hemispheres: CDS reads it and its folds give each observation', async () => {
  const library = await mocLibrary();
  const day = 2_460_000.5;
  const pointings: Pointing[] = [
    { ra: 359.7, dec: 25, gtis: [[day, day + 0.02]] },
    // Overlaps the first in time: while both run, the sky is their union.
    {
      ra: 0.3,
      dec: -52,
      gtis: [
        [day + 0.01, day + 0.03],
        [day + 1, day + 1.02],
      ],
    },
    { ra: 83.6, dec: 22, gtis: [[day + 2, day + 2.02]] },
    // The same sky right after: merged with the one before into one element.
    { ra: 83.6, dec: 22, gtis: [[day + 2.02, day + 2.04]] },
  ];
  const spans = await Promise.all(pointings.map((p) => spanOf(library, p)));
  const moc = buildSpaceTimeMoc(spans);
  // First alone, both, second alone (twice: one element), the two Crab runs as one.
  assert.equal(moc.length, 4);
  assert.equal(moc[2]!.time.length, 2, 'consecutive elements on one sky merge');
  assert.equal(moc[3]!.time.length, 1, 'contiguous runs on one sky merge');
  const file = spaceTimeMocFile(() => moc, 'ivo://test.hearc/sim');
  assert.equal(file.ascii.split('\n').length, 4, 'one line per element');
  for (const line of file.ascii.split('\n'))
    assert.match(line, /^t\d+\/[\d -]+( \d+\/[\d -]+)* s\d+\//);
  for (const [i, read] of readAll(library, file).entries()) {
    const form = ['ASCII', 'JSON', 'FITS'][i]!;
    assert.equal(read.depth_time(), SPACE_TIME_MOC_TIME_DEPTH, form);
    assert.equal(read.depth_space(), SPACE_TIME_MOC_SPACE_DEPTH, form);
    pointings.forEach((p, n) =>
      checkFolds(
        library,
        read,
        { ra: p.ra, dec: p.dec, gtis: timeMocFromJdIntervals(p.gtis) },
        `${form}, observation ${n}`,
        n >= 2,
      ),
    );
    // All the sky's times are the union of the GTIs, in cells of the MOC's time order.
    const allSky = library.MOC.fromZone(0, 0, -90, 360, 90);
    const times = read.spaceFold(allSky);
    const gtis = library.TMOC.fromAscii(
      timeMocFromJdIntervals(pointings.flatMap((p) => p.gtis)).replace(/^t/, ''),
    );
    const widened = gtis.degrade(SPACE_TIME_MOC_TIME_DEPTH);
    assert.equal(times.xor(widened).nRanges(), 0, `${form}: its times are the GTIs`);
    for (const m of [read, allSky, times, gtis, widened]) m.free();
  }

  const empty = spaceTimeMocFile(() => buildSpaceTimeMoc([]));
  assert.equal(empty.ascii, `t${SPACE_TIME_MOC_TIME_DEPTH}/ s${SPACE_TIME_MOC_SPACE_DEPTH}/`);
  const emptyRead = library.STMOC.fromFits(empty.fits);
  assert.equal(emptyRead.depth_time(), SPACE_TIME_MOC_TIME_DEPTH);
  emptyRead.free();
});

interface HeaderCheck {
  mocdim: string;
  ordering: string;
  mocvers: string;
  mocord_t: number;
  mocord_s: number;
  timesys: string;
  coordsys: string;
  columns: string[];
  formats: string[];
  rows: number;
  time_first: boolean;
}

test('served space-time MOCs of a simulated store: read by CDS, valid FITS for fitsverify and astropy', async (t) => {
  const address = await serveAcrossRaZero(t, 8, 7);
  const rows = await observations(address);
  assert.equal(rows.length, 8);
  const library = await mocLibrary();
  const files = tempDir(t);
  for (const name of ['sim', 'service', `sim/${rows[0]!.obs_id}`]) {
    const get = async (ext: string): Promise<Response> => {
      const response = await fetch(`${address}/moc/${name}.spacetime.${ext}`);
      assert.equal(response.status, 200, `${name}.spacetime.${ext}`);
      return response;
    };
    const fitsResponse = await get('fits');
    assert.equal(fitsResponse.headers.get('content-type'), 'application/fits');
    const fits = new Uint8Array(await fitsResponse.arrayBuffer());
    const file = {
      fits,
      json: await (await get('json')).text(),
      ascii: await (await get('txt')).text(),
    };
    const whole = name !== `sim/${rows[0]!.obs_id}`;
    for (const read of readAll(library, file)) {
      for (const row of whole ? rows : rows.slice(0, 1)) {
        checkFolds(
          library,
          read,
          { ra: row.s_ra, dec: row.s_dec, gtis: row.t_intervals },
          `${name}: ${row.obs_id}`,
          false,
        );
      }
      // Over the whole sky, its times are the time MOC's, in the MOC's time cells.
      const allSky = library.MOC.fromZone(0, 0, -90, 360, 90);
      const times = read.spaceFold(allSky);
      const timeMoc = library.TMOC.fromFits(
        new Uint8Array(await (await fetch(`${address}/moc/${name}.time.fits`)).arrayBuffer()),
      );
      const widened = timeMoc.degrade(SPACE_TIME_MOC_TIME_DEPTH);
      assert.equal(times.xor(widened).nRanges(), 0, `${name}: its times are the time MOC's`);
      for (const m of [read, allSky, times, timeMoc, widened]) m.free();
    }
    const path = join(files, `${name.replace('/', '-')}.fits`);
    writeFileSync(path, fits);
    if (requireFitsverify(t)) {
      const run = spawnSync('fitsverify', ['-q', '-e', path], { encoding: 'utf8' });
      assert.match(run.stdout, /verification OK/, `fitsverify ${name}: ${run.stdout}${run.stderr}`);
    }
    if (requireAstropy(t)) {
      const header = await runPythonJsonAsync<HeaderCheck>(
        `
import json, sys
from astropy.io import fits
with fits.open(sys.argv[1]) as hdul:
    h = hdul[1].header
    data = hdul[1].data
    print(json.dumps(dict(mocdim=h['MOCDIM'], ordering=h['ORDERING'], mocvers=h['MOCVERS'],
        mocord_t=h['MOCORD_T'], mocord_s=h['MOCORD_S'], timesys=h['TIMESYS'],
        coordsys=h['COORDSYS'], columns=list(hdul[1].columns.names),
        formats=[c.format for c in hdul[1].columns], rows=len(data),
        time_first=bool(len(data) == 0 or int(data['RANGE'][0]) < 0))))
`,
        [path],
      );
      assert.deepEqual(header, {
        mocdim: 'TIME.SPACE',
        ordering: 'RANGE',
        mocvers: '2.0',
        mocord_t: SPACE_TIME_MOC_TIME_DEPTH,
        mocord_s: SPACE_TIME_MOC_SPACE_DEPTH,
        timesys: 'TCB',
        coordsys: 'C',
        columns: ['RANGE'],
        formats: ['1K'],
        rows: header.rows,
        time_first: true,
      });
      assert.ok(header.rows >= 4, `${name}: a time range and a space range at least`);
    }
  }
  const noCollection = await fetch(`${address}/moc/nosuch.spacetime.fits`);
  assert.equal(noCollection.status, 404);
  assert.match(await noCollection.text(), /no collection 'nosuch'/);
});

test('H.E.S.S. DR1: the space-time MOC holds every observation at its good times', async (t) => {
  const store = requireTestData(t, 'hess-dl3-dr1');
  if (!store) return;
  const { address } = await serveStore(t, store, HESS_COLLECTION);
  const rows = await observations(address);
  assert.ok(rows.length > 0);
  const library = await mocLibrary();
  const response = await fetch(`${address}/moc/${HESS_COLLECTION}.spacetime.fits`);
  assert.equal(response.status, 200);
  const moc = library.STMOC.fromFits(new Uint8Array(await response.arrayBuffer()));
  for (const row of rows) {
    checkFolds(
      library,
      moc,
      { ra: row.s_ra, dec: row.s_dec, gtis: row.t_intervals },
      `${HESS_COLLECTION} ${row.obs_id}`,
      false,
    );
  }
  moc.free();
});
