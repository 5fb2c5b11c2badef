/**
 * Fermi-LAT photon files as the FSSC data server writes them, from the FT1/FT2
 * definitions (FSSC Cicerone, "LAT data products"): an FT1 file with an EVENTS table
 * (TIME in mission elapsed seconds, ENERGY in MeV, RA/DEC, L/B, THETA, PHI,
 * ZENITH_ANGLE, EVENT_CLASS and EVENT_TYPE as 32X bit fields), its GTI table and the
 * selection in data-subspace (DSS) keywords; optionally the FT2 spacecraft file
 * (SC_DATA, one row per 30 s with its LIVETIME). Edge cases: an all-sky selection
 * (no POS keyword), ENERGY without TUNIT, no FT2 file.
 */
import { type Card, buildBinTable, writeFits } from '../fits/index.js';
import { offsetPosition } from '../gadf/index.js';
import { Random } from './random.js';

/** Fermi's mission epoch, 2001-01-01 00:00:00 UTC, as MJD (TT). */
const MJDREFI = 51910;
const MJDREFF = 7.428703703703703e-4;
/** Energy selection, MeV. */
const E_MIN = 100;
const E_MAX = 300_000;
const INTERVAL = 30;

export interface OgipPhotonOptions {
  readonly seed: number;
  readonly events: number;
  /** The selection cone (deg); 'all-sky' writes no POS(RA,DEC) keyword. Default a 10 deg cone about the Crab. */
  readonly selection?:
    { readonly ra: number; readonly dec: number; readonly radius: number } | 'all-sky';
  /** ENERGY without TUNIT: FT1 defines MeV. */
  readonly energyWithoutUnit?: boolean;
  /** Also write the FT2 spacecraft file there. */
  readonly spacecraftPath?: string;
  /** MET of the start (default 700 000 000 s). */
  readonly tstart?: number;
}

export interface OgipPhotonFile {
  readonly tstart: number;
  readonly tstop: number;
  readonly gtis: readonly (readonly [number, number])[];
}

/** ICRS to galactic rotation (Hipparcos definition). */
const TO_GALACTIC = [
  [-0.0548755604162154, -0.87343709023488, -0.483835015548713],
  [0.494109427875584, -0.444829629960011, 0.746982244497219],
  [-0.867666149019005, -0.198076373431201, 0.455983776175067],
] as const;

function galactic(ra: number, dec: number): [number, number] {
  const r = Math.PI / 180;
  const v = [
    Math.cos(dec * r) * Math.cos(ra * r),
    Math.cos(dec * r) * Math.sin(ra * r),
    Math.sin(dec * r),
  ];
  const [x, y, z] = TO_GALACTIC.map((row) => row[0] * v[0]! + row[1] * v[1]! + row[2] * v[2]!) as [
    number,
    number,
    number,
  ];
  return [
    (((Math.atan2(y, x) / r) % 360) + 360) % 360,
    Math.asin(Math.max(-1, Math.min(1, z))) / r,
  ];
}

/** 32X bit fields, most significant bit first, with the bits of `value` set in each row. */
function bitField(rows: number, value: (row: number) => number): Uint8Array {
  const bits = new Uint8Array(rows * 32);
  for (let i = 0; i < rows; i++) {
    const v = value(i);
    for (let k = 0; k < 32; k++) if ((v >>> k) & 1) bits[i * 32 + 31 - k] = 1;
  }
  return bits;
}

export async function writeOgipPhotonFile(
  path: string,
  options: OgipPhotonOptions,
): Promise<OgipPhotonFile> {
  const rng = new Random(options.seed);
  const n = options.events;
  const tstart = options.tstart ?? 700_000_000;
  const tstop = tstart + 86_400;
  // An SAA passage: no data for 3000 s.
  const gtis: [number, number][] = [
    [tstart, tstart + 40_000],
    [tstart + 43_000, tstop],
  ];
  const span = gtis.reduce((s, [a, b]) => s + (b - a), 0);
  const time = Float64Array.from({ length: n }, () => {
    const t = rng.between(0, span);
    return t < 40_000 ? tstart + t : tstart + 3_000 + t;
  }).sort();
  const selection = options.selection ?? { ra: 83.6331, dec: 22.0145, radius: 10 };
  const ra = new Float32Array(n);
  const dec = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (selection === 'all-sky') {
      ra[i] = rng.between(0, 360);
      dec[i] = (Math.asin(rng.between(-1, 1)) * 180) / Math.PI;
    } else {
      // Uniform over the cone's solid angle.
      const cosR = Math.cos((selection.radius * Math.PI) / 180);
      const offset = (Math.acos(1 - rng.uniform() * (1 - cosR)) * 180) / Math.PI;
      [ra[i], dec[i]] = offsetPosition(selection.ra, selection.dec, offset, rng.between(0, 360));
    }
  }
  const lb = Array.from(ra, (r, i) => galactic(r, dec[i]!));
  const ogip: Card[] = [
    { keyword: 'TELESCOP', value: 'GLAST' },
    { keyword: 'INSTRUME', value: 'LAT' },
    { keyword: 'HDUCLASS', value: 'OGIP' },
    { keyword: 'TIMESYS', value: 'TT' },
    { keyword: 'TIMEUNIT', value: 's' },
    { keyword: 'TIMEREF', value: 'LOCAL' },
    { keyword: 'MJDREFI', value: MJDREFI },
    { keyword: 'MJDREFF', value: MJDREFF },
    { keyword: 'TSTART', value: tstart },
    { keyword: 'TSTOP', value: tstop },
  ];
  const dss: [string, string, string][] = [
    ['BIT_MASK(EVENT_CLASS,128,P8R3)', 'DIMENSIONLESS', '1:1'],
    ...(selection === 'all-sky'
      ? []
      : ([
          ['POS(RA,DEC)', 'deg', `CIRCLE(${selection.ra},${selection.dec},${selection.radius})`],
        ] as [string, string, string][])),
    ['TIME', 's', 'TABLE'],
    ['ENERGY', 'MeV', `${E_MIN}:${E_MAX}`],
    ['ZENITH_ANGLE', 'deg', '0:90'],
  ];
  const dssCards: Card[] = [
    { keyword: 'NDSKEYS', value: dss.length },
    ...dss.flatMap(([type, unit, value], k): Card[] => [
      { keyword: `DSTYP${k + 1}`, value: type },
      { keyword: `DSUNI${k + 1}`, value: unit },
      { keyword: `DSVAL${k + 1}`, value: value },
      ...(value === 'TABLE' ? [{ keyword: `DSREF${k + 1}`, value: ':GTI' }] : []),
    ]),
  ];
  const events = buildBinTable({
    name: 'EVENTS',
    columns: [
      {
        name: 'ENERGY',
        format: '1E',
        ...(options.energyWithoutUnit ? {} : { unit: 'MeV' }),
        values: Float32Array.from({ length: n }, () => rng.powerLaw(2.2, E_MIN, E_MAX)),
      },
      { name: 'RA', format: '1E', unit: 'deg', values: ra },
      { name: 'DEC', format: '1E', unit: 'deg', values: dec },
      { name: 'L', format: '1E', unit: 'deg', values: Float32Array.from(lb, ([l]) => l) },
      { name: 'B', format: '1E', unit: 'deg', values: Float32Array.from(lb, ([, b]) => b) },
      {
        name: 'THETA',
        format: '1E',
        unit: 'deg',
        values: Float32Array.from({ length: n }, () => rng.between(0, 70)),
      },
      {
        name: 'PHI',
        format: '1E',
        unit: 'deg',
        values: Float32Array.from({ length: n }, () => rng.between(0, 360)),
      },
      {
        name: 'ZENITH_ANGLE',
        format: '1E',
        unit: 'deg',
        values: Float32Array.from({ length: n }, () => rng.between(0, 90)),
      },
      { name: 'TIME', format: '1D', unit: 's', values: time },
      // SOURCE (128) and, for some, CLEAN (256) and ULTRACLEAN (512): the classes nest.
      {
        name: 'EVENT_CLASS',
        format: '32X',
        values: bitField(n, (i) => (i % 3 === 0 ? 896 : i % 3 === 1 ? 384 : 128)),
      },
      // FRONT (1) or BACK (2), and one PSF quartile (4 << k).
      {
        name: 'EVENT_TYPE',
        format: '32X',
        values: bitField(n, (i) => (1 << (i % 2)) | (4 << (i % 4))),
      },
      { name: 'RUN_ID', format: '1J', values: Int32Array.from({ length: n }, () => tstart - 1000) },
    ],
    header: [
      ...ogip,
      { keyword: 'HDUCLAS1', value: 'EVENTS' },
      { keyword: 'HDUCLAS2', value: 'ALL' },
      ...dssCards,
    ],
  });
  const gti = buildBinTable({
    name: 'GTI',
    columns: [
      { name: 'START', format: '1D', unit: 's', values: Float64Array.from(gtis, ([a]) => a) },
      { name: 'STOP', format: '1D', unit: 's', values: Float64Array.from(gtis, ([, b]) => b) },
    ],
    header: [
      ...ogip,
      { keyword: 'HDUCLAS1', value: 'GTI' },
      { keyword: 'HDUCLAS2', value: 'STANDARD' },
    ],
  });
  await writeFits(path, [events, gti]);
  if (options.spacecraftPath) {
    // The spacecraft file spans a little more than the photons, in 30 s intervals.
    const from = tstart - 600;
    const rows = Math.ceil((tstop + 600 - from) / INTERVAL);
    const start = Float64Array.from({ length: rows }, (_, i) => from + i * INTERVAL);
    const inSaa = (t: number): boolean => t >= tstart + 40_000 && t < tstart + 43_000;
    const spacecraft = buildBinTable({
      name: 'SC_DATA',
      columns: [
        { name: 'START', format: '1D', unit: 's', values: start },
        { name: 'STOP', format: '1D', unit: 's', values: start.map((s) => s + INTERVAL) },
        {
          name: 'LIVETIME',
          format: '1D',
          unit: 's',
          values: start.map((s) => (inSaa(s) ? 0 : INTERVAL * rng.between(0.88, 0.92))),
        },
        {
          name: 'RA_SCZ',
          format: '1E',
          unit: 'deg',
          values: Float32Array.from(start, (s) => (((s - from) / 5760) * 360) % 360),
        },
        {
          name: 'DEC_SCZ',
          format: '1E',
          unit: 'deg',
          values: Float32Array.from(start, () => rng.between(-50, 50)),
        },
        { name: 'LAT_MODE', format: '1J', values: Int32Array.from(start, () => 5) },
      ],
      header: [
        ...ogip.filter((c) => c.keyword !== 'TSTART' && c.keyword !== 'TSTOP'),
        { keyword: 'TSTART', value: from },
        { keyword: 'TSTOP', value: from + rows * INTERVAL },
      ],
    });
    await writeFits(options.spacecraftPath, [spacecraft]);
  }
  return { tstart, tstop, gtis };
}
