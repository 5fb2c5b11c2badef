/**
 * SODA parameters, sky regions and the MJD (UTC) to mission time conversion, without
 * files: what is accepted, how it is read, and the error for everything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metToMjdUtc, type TimeReference } from '../../src/gadf/time.js';
import {
  bandToEnergy,
  checkCoverage,
  cutoutRequest,
  HC_EV_M,
  mjdUtcToMet,
  regionTest,
  regionTouchesCircle,
  SodaError,
  type CutoutRequest,
  type SkyRegion,
} from '../../src/soda/index.js';
import type { PublishedDataset } from '../../src/datalink/index.js';

const ID = 'ivo://test.hearc/hess?23523';

function request(...params: [string, string][]): CutoutRequest {
  return cutoutRequest([['ID', ID], ...params]);
}

function refused(params: [string, string][], code: string, message: RegExp): void {
  assert.throws(
    () => cutoutRequest(params),
    (e: unknown) =>
      e instanceof SodaError &&
      e.code === code &&
      e.status === 400 &&
      message.test(e.message) &&
      e.message.startsWith(`${code}: `),
    `${JSON.stringify(params)} is refused with ${message}`,
  );
}

describe('SODA parameters', () => {
  it('reads CIRCLE, POLYGON and POS shapes, in any case of name, empty values left out', () => {
    const r = cutoutRequest([
      ['id', ID],
      ['circle', ' 83.633  22.0145 0.5 '],
      ['Polygon', '10 -5 20 -5 20 5 10 5'],
      ['POS', 'range -10 10 -Inf +Inf'],
      ['TIME', ''],
      ['UNKNOWN', 'ignored'],
    ]);
    assert.equal(r.id, ID);
    assert.deepEqual(r.regions, [
      { kind: 'circle', ra: 83.633, dec: 22.0145, radius: 0.5 },
      {
        kind: 'polygon',
        vertices: [
          [10, -5],
          [20, -5],
          [20, 5],
          [10, 5],
        ],
      },
      { kind: 'range', raMin: 350, raMax: 10, decMin: -90, decMax: 90 },
    ]);
    assert.equal(r.time, undefined);
    assert.deepEqual(request(['POS', 'CIRCLE 1 2 3']).regions, [
      { kind: 'circle', ra: 1, dec: 2, radius: 3 },
    ]);
    assert.deepEqual(request(['POS', 'RANGE 0 360 89 90']).regions, [
      { kind: 'range', raMin: 0, raMax: 360, decMin: 89, decMax: 90 },
    ]);
    assert.deepEqual(request(['CIRCLE', '-1 0 1']).regions, [
      { kind: 'circle', ra: 359, dec: 0, radius: 1 },
    ]);
  });

  it('reads TIME, ENERGY and BAND (wavelengths, inverted to energies) with open ends', () => {
    assert.deepEqual(request(['TIME', '55100.0 +Inf']).time, { lo: 55100, hi: Infinity });
    assert.deepEqual(request(['ENERGY', '-Inf 10']).energy, { lo: -Infinity, hi: 10 });
    // 1 TeV is hc / 1e12 eV metres: the longer wavelength is the lower energy.
    const oneTeV = HC_EV_M / 1e12;
    const band = request(['BAND', `${oneTeV / 10} ${oneTeV}`]).energy!;
    assert.ok(
      Math.abs(band.lo - 1) < 1e-12 && Math.abs(band.hi - 10) < 1e-12,
      JSON.stringify(band),
    );
    assert.deepEqual(bandToEnergy({ lo: -Infinity, hi: Infinity }), { lo: 0, hi: Infinity });
    const both = request(['BAND', `${oneTeV / 10} ${oneTeV}`], ['ENERGY', '5 100']).energy!;
    assert.ok(Math.abs(both.lo - 5) < 1e-12 && Math.abs(both.hi - 10) < 1e-12);
  });

  it('keeps every EVENT_TYPE value and the parameters as given', () => {
    const r = request(['EVENT_TYPE', '1'], ['EVENT_TYPE', '3'], ['CIRCLE', '1 2 3']);
    assert.deepEqual(r.eventTypes, [1, 3]);
    assert.deepEqual(r.given, [
      ['ID', ID],
      ['CIRCLE', '1 2 3'],
      ['EVENT_TYPE', '1'],
      ['EVENT_TYPE', '3'],
    ]);
    // The same value twice is one value.
    assert.deepEqual(request(['TIME', '1 2'], ['TIME', '1 2']).time, { lo: 1, hi: 2 });
  });

  it('refuses unparseable, out-of-range and contradictory values with a UsageError', () => {
    const cases: [[string, string][], RegExp][] = [
      [[], /the ID parameter .* is required/],
      [
        [
          ['ID', ID],
          ['CIRCLE', '1 2'],
        ],
        /CIRCLE takes 3 numbers/,
      ],
      [
        [
          ['ID', ID],
          ['CIRCLE', '1 2 x'],
        ],
        /CIRCLE: 'x' is not a number/,
      ],
      [
        [
          ['ID', ID],
          ['CIRCLE', '1 95 1'],
        ],
        /latitude 95 is outside \[-90, 90\]/,
      ],
      [
        [
          ['ID', ID],
          ['CIRCLE', '1 2 0'],
        ],
        /radius 0 is outside/,
      ],
      [
        [
          ['ID', ID],
          ['CIRCLE', '1 2 +Inf'],
        ],
        /'\+Inf' is not a number/,
      ],
      [
        [
          ['ID', ID],
          ['POLYGON', '1 2 3 4'],
        ],
        /at least 3 \(ra, dec\) pairs/,
      ],
      [
        [
          ['ID', ID],
          ['POLYGON', '0 0 120 0 240 0'],
        ],
        /does not fit in a hemisphere/,
      ],
      [
        [
          ['ID', ID],
          ['POS', 'BOX 1 2 3 4'],
        ],
        /does not start with CIRCLE, RANGE or POLYGON/,
      ],
      [
        [
          ['ID', ID],
          ['POS', 'RANGE 1 2 3'],
        ],
        /RANGE takes 4 numbers/,
      ],
      [
        [
          ['ID', ID],
          ['POS', 'RANGE 1 2 10 5'],
        ],
        /lower bound must not exceed/,
      ],
      [
        [
          ['ID', ID],
          ['TIME', '5 4'],
        ],
        /lower bound 5 exceeds the upper bound 4/,
      ],
      [
        [
          ['ID', ID],
          ['TIME', '5'],
        ],
        /interval of 2 numbers/,
      ],
      [
        [
          ['ID', ID],
          ['TIME', 'NaN 4'],
        ],
        /'NaN' is not a number/,
      ],
      [
        [
          ['ID', ID],
          ['TIME', '+Inf +Inf'],
        ],
        /the interval is empty/,
      ],
      [
        [
          ['ID', ID],
          ['BAND', '-1 0'],
        ],
        /wavelengths must be positive/,
      ],
      [
        [
          ['ID', ID],
          ['ENERGY', '-2 -1'],
        ],
        /energies must be positive/,
      ],
      [
        [
          ['ID', ID],
          ['ENERGY', '-1 10'],
        ],
        /ENERGY: energies must be positive \(TeV\), not -1/,
      ],
      [
        [
          ['ID', ID],
          ['CIRCLE', ''],
        ],
        /CIRCLE is empty/,
      ],
      [
        [
          ['ID', ID],
          ['POS', ' '],
        ],
        /POS is empty/,
      ],
      [
        [
          ['ID', ID],
          ['BAND', '1e-20 2e-20'],
          ['ENERGY', '1 2'],
        ],
        /do not overlap/,
      ],
      [
        [
          ['ID', ID],
          ['EVENT_TYPE', 'a'],
        ],
        /EVENT_TYPE 'a' is not a non-negative integer/,
      ],
      [
        [
          ['ID', ID],
          ['RESPONSEFORMAT', 'votable'],
        ],
        /RESPONSEFORMAT 'votable' is not offered/,
      ],
    ];
    for (const [params, message] of cases) refused(params, 'UsageError', message);
    assert.deepEqual(request(['RESPONSEFORMAT', 'application/fits']).regions, []);
  });

  it('refuses several values of a single-valued parameter with MultiValuedParamNotSupported', () => {
    refused(
      [
        ['ID', ID],
        ['ID', 'other'],
      ],
      'MultiValuedParamNotSupported',
      /ID was given 2/,
    );
    refused(
      [
        ['ID', ID],
        ['CIRCLE', '1 2 3'],
        ['CIRCLE', '1 2 4'],
      ],
      'MultiValuedParamNotSupported',
      /CIRCLE was given 2 different values/,
    );
  });
});

describe('sky regions', () => {
  const inside = (region: SkyRegion, points: [number, number][]): boolean[] => {
    const test = regionTest(region);
    return points.map(([ra, dec]) => test(ra, dec));
  };

  it('tests circles on the sphere, across RA 0 and at the pole', () => {
    const circle: SkyRegion = { kind: 'circle', ra: 359.5, dec: 0, radius: 1 };
    assert.deepEqual(
      inside(circle, [
        [0.4, 0],
        [358.6, 0],
        [1.6, 0],
        [359.5, 1.01],
      ]),
      [true, true, false, false],
    );
    const polar: SkyRegion = { kind: 'circle', ra: 0, dec: 90, radius: 1 };
    assert.deepEqual(
      inside(polar, [
        [123, 89.1],
        [300, 88.9],
      ]),
      [true, false],
    );
  });

  it('tests polygons with great-circle edges, either winding, across RA 0 and round a pole', () => {
    const square: SkyRegion = {
      kind: 'polygon',
      vertices: [
        [359, -1],
        [1, -1],
        [1, 1],
        [359, 1],
      ],
    };
    const reversed: SkyRegion = { kind: 'polygon', vertices: [...square.vertices].reverse() };
    const points: [number, number][] = [
      [0, 0],
      [0.9, 0.9],
      [1.1, 0],
      [180, 0],
      [0, -1.1],
    ];
    assert.deepEqual(inside(square, points), [true, true, false, false, false]);
    assert.deepEqual(inside(reversed, points), inside(square, points));
    // The edge from (0, 60) to (90, 60) is a great circle: at RA 45 it reaches dec 67.8.
    const cap: SkyRegion = {
      kind: 'polygon',
      vertices: [
        [0, 60],
        [90, 60],
        [180, 60],
        [270, 60],
      ],
    };
    assert.deepEqual(
      inside(cap, [
        [45, 89],
        [45, 68.5],
        [45, 67],
      ]),
      [true, true, false],
    );
  });

  it('tests RANGE boxes, wrapping through RA 0', () => {
    const range: SkyRegion = { kind: 'range', raMin: 350, raMax: 10, decMin: -2, decMax: 2 };
    assert.deepEqual(
      inside(range, [
        [355, 0],
        [5, 1.9],
        [20, 0],
        [0, 2.1],
      ]),
      [true, true, false, false],
    );
  });

  it('knows whether a region touches a field of view', () => {
    const fov = [83.63, 22.01, 2.5] as const;
    const touches = (region: SkyRegion): boolean => regionTouchesCircle(region, ...fov);
    assert.equal(touches({ kind: 'circle', ra: 83.63, dec: 25, radius: 0.6 }), true);
    assert.equal(touches({ kind: 'circle', ra: 83.63, dec: 25, radius: 0.4 }), false);
    assert.equal(touches({ kind: 'range', raMin: 0, raMax: 360, decMin: 24, decMax: 30 }), true);
    assert.equal(touches({ kind: 'range', raMin: 0, raMax: 80, decMin: -90, decMax: 90 }), false);
    assert.equal(touches({ kind: 'range', raMin: 0, raMax: 81.5, decMin: 21, decMax: 23 }), true);
    const far: SkyRegion = {
      kind: 'polygon',
      vertices: [
        [10, 10],
        [12, 10],
        [12, 12],
      ],
    };
    assert.equal(touches(far), false);
    // A big polygon round the whole field: no vertex inside, the centre is.
    const around: SkyRegion = {
      kind: 'polygon',
      vertices: [
        [70, 10],
        [100, 10],
        [100, 35],
        [70, 35],
      ],
    };
    assert.equal(touches(around), true);
    // An edge that crosses the field while both of its ends are outside.
    const crossing: SkyRegion = {
      kind: 'polygon',
      vertices: [
        [83.63, 10],
        [83.7, 40],
        [90, 40],
      ],
    };
    assert.equal(touches(crossing), true);
  });
});

describe('MJD (UTC) to mission time', () => {
  // H.E.S.S.: seconds of TT since MJD 51910.000742870370370241 (TT).
  const hess: TimeReference = { mjdRefInt: 51910, mjdRefFrac: 0.000742870370370241, scale: 'TT' };
  const magic: TimeReference = { mjdRefInt: 52706, mjdRefFrac: 0, scale: 'UTC' };

  it('agrees with astropy ((Time(mjd, scale=utc).tt - ref) in s) to a microsecond', () => {
    const astropy: [TimeReference, number, number][] = [
      [hess, 53343.93, 123891552.00000003],
      [hess, 57754.5, 504964805.0], // after the leap second of 2017-01-01
      [hess, 41317.0, -915235222.0],
      [magic, 56569.9, 333840963.0000001],
    ];
    for (const [ref, mjd, met] of astropy) {
      assert.ok(
        Math.abs(mjdUtcToMet(mjd, ref) - met) < 1e-6,
        `${mjd}: ${mjdUtcToMet(mjd, ref)} vs ${met}`,
      );
    }
    for (const mjd of [53343.93, 57754.5]) {
      assert.ok(Math.abs(metToMjdUtc(mjdUtcToMet(mjd, hess), hess) - mjd) < 1e-10);
    }
    assert.equal(mjdUtcToMet(-Infinity, hess), -Infinity);
    assert.equal(mjdUtcToMet(Infinity, hess), Infinity);
  });
});

describe('coverage of a dataset', () => {
  const dataset: PublishedDataset = {
    did: ID,
    collection: 'hess',
    obsId: '23523',
    files: [],
    irfs: [],
    coverage: {
      ra: 83.633,
      dec: 21.514,
      fov: 5,
      tMin: 53343.92,
      tMax: 53343.94,
      emMin: HC_EV_M / 100e12,
      emMax: HC_EV_M / 0.25e12,
    },
  };
  const check =
    (...params: [string, string][]) =>
    () =>
      checkCoverage(request(...params), dataset);

  it('accepts ranges that touch the observation, even at its exact edges', () => {
    check(['TIME', '53343.94 +Inf'], ['ENERGY', '0.1 0.25'], ['CIRCLE', '83.633 24.014 0.1'])();
    check(['BAND', `${HC_EV_M / 100e12} ${HC_EV_M / 100e12}`])();
  });

  it('refuses ranges that give no data at all', () => {
    const cases: [[string, string][], RegExp][] = [
      [[['TIME', '53343.95 53344']], /TIME 53343.95 53344 does not overlap observation 23523/],
      [[['ENERGY', '101 200']], /do not overlap those of the events/],
      [[['BAND', '1e-10 1e-9']], /do not overlap those of the events/],
      [[['CIRCLE', '83.633 25 0.4']], /does not overlap the field of view/],
    ];
    for (const [params, message] of cases) {
      assert.throws(
        check(...params),
        (e: unknown) => e instanceof SodaError && e.status === 400 && message.test(e.message),
      );
    }
  });
});
