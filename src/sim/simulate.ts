/**
 * `hearc simulate`: writes a synthetic but realistic GADF 0.3 data store — several
 * targets observed in wobble mode around transit from an IACT-like site, events drawn
 * from power-law sources plus a hadronic background through simple analytic IRFs,
 * and the IRFs themselves (aeff_2d, edisp_2d, psf_3gauss, bkg_2d) in every run file.
 * Deterministic for a given seed; gammapy reads the result.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BinTableColumnSpec,
  type Card,
  type HeaderValue,
  type WritableHdu,
  buildBinTable,
  writeFits,
} from '../fits/index.js';
import { angularSeparation, equatorialToHorizontal, offsetPosition } from '../gadf/index.js';
import { MAP_IRF_ENTRIES, mapIrfHdus } from './irf-map.js';
import { Random } from './random.js';

export interface SimulateOptions {
  readonly outDir: string;
  readonly observations: number;
  readonly seed: number;
  /** Mean number of events per observation, roughly (default 6000). */
  readonly eventsPerObservation?: number;
  /** Gzip the run files (default true). */
  readonly gzip?: boolean;
  /** Where to point (default: five known TeV sources); each gets six runs in turn. */
  readonly targets?: readonly {
    readonly name: string;
    readonly ra: number;
    readonly dec: number;
  }[];
  /** Valid GADF variants that readers get wrong: how the event files state units and times. */
  readonly variant?: {
    /** ENERGY in GeV, said only by TUNIT (no EUNIT keyword). */
    readonly energyInGeV?: boolean;
    /** TIMEZERO (s): TIME, GTI START/STOP and TSTART/TSTOP are stored minus this. */
    readonly timeZero?: number;
    /** TIMESYS written in lower case ('tt'). */
    readonly lowerCaseTimesys?: boolean;
    /** Also the GADF optional EVENTS columns ALT, AZ, MULTIP and GAMMANESS. */
    readonly optionalColumns?: boolean;
  };
  /**
   * Names the index files (`hdu-index-<name>.fits.gz`, `obs-index-<name>.fits.gz`) and
   * tags the run files, so that several stores can share a folder.
   */
  readonly name?: string;
  /**
   * Event classes as HAWC publishes them: each run's events are split into one file
   * per class, and the hdu-index file holds one table per class (EXTNAME and EV_CLASS
   * the class name).
   */
  readonly eventClasses?: readonly string[];
  /**
   * A drift-scan (survey) instrument: OBS_MODE 'DRIFT', no RA_PNT/DEC_PNT anywhere,
   * and a string OBS_ID in the headers ('transit <obs_id>'); the index keeps the integer.
   */
  readonly drift?: boolean;
  /**
   * Map-type IRFs in place of the IRF tables, as survey instruments publish them: one
   * file per event file (`irfmap_...`) holding a PSF map, an energy-dispersion kernel
   * map (each with exposure), and HEALPix exposure and background maps.
   */
  readonly mapIrfs?: boolean;
  /**
   * The VODF draft's layout (vodf_schema, bkhelifi/vodf-mock-data) instead of GADF 0.3:
   * HDUCLASS 'VODF', EVENTS classed OGIP/EVENTS, OBS_ID a string, the site as
   * OBSGEO-B/L/H, no pointing keyword, no hdu-index: each observation file holds a
   * GROUPING table naming its EVENTS and GTI and the IRFs in `<file>_irfs`. With
   * `eventClasses`, the event types are split into observations of their own (OBS_ID
   * `<run>0<k>`, a common OB_ID) whose GROUPING table gives the type (EVT_TYPE);
   * `gpsTime` writes TIMESYS 'GPS' and DATEREF in place of MJDREFI/MJDREFF.
   */
  readonly vodf?: { readonly gpsTime?: boolean };
}

export interface SimulatedObservation {
  readonly obsId: number;
  readonly target: string;
  readonly fileName: string;
  readonly eventCount: number;
  /** The event type of a VODF observation split by type. */
  readonly eventType?: string;
  /** Per event class (when the store has classes): its file and events. */
  readonly classes?: readonly {
    readonly name: string;
    readonly fileName: string;
    readonly eventCount: number;
  }[];
}

interface Target {
  readonly name: string;
  readonly ra: number;
  readonly dec: number;
  /** Flux at 1 TeV relative to the Crab. */
  readonly crabUnits: number;
  readonly index: number;
  /** Intrinsic Gaussian extension, deg. */
  readonly extension: number;
}

const TARGETS: readonly Target[] = [
  { name: 'Crab Nebula', ra: 83.6331, dec: 22.0145, crabUnits: 1, index: 2.6, extension: 0 },
  { name: 'PKS 2155-304', ra: 329.7169, dec: -30.2256, crabUnits: 0.25, index: 3.3, extension: 0 },
  { name: 'MSH 15-52', ra: 228.5292, dec: -59.1575, crabUnits: 0.15, index: 2.3, extension: 0.1 },
  { name: 'RX J1713.7-3946', ra: 258.25, dec: -39.75, crabUnits: 0.6, index: 2.2, extension: 0.5 },
  { name: 'Sgr A*', ra: 266.4168, dec: -29.0078, crabUnits: 0.08, index: 2.3, extension: 0 },
];

const SITE = { lon: 16.5002, lat: -23.2718, altitude: 1835 };
const MJDREFI = 51910;
const MJDREFF = 0.000742870370370241;
const FIRST_NIGHT_MJD = 60310;
const RUN_SECONDS = 1680;
const WOBBLE_OFFSET = 0.5;
const CRAB_NORM = 3.45e-11; // cm^-2 s^-1 TeV^-1 at 1 TeV
const BKG_INDEX = 2.7;
const BKG_SIGMA = 1.5; // deg, radial acceptance
const FOV_RADIUS = 2.5;
const E_MIN = 0.1;
const E_MAX = 100;
const TELESCOP = 'HEARC-SIM';
const INSTRUME = 'Simulated 4-telescope IACT array';
const HDUDOC = 'https://github.com/open-gamma-ray-astro/gamma-astro-data-formats';

/** The instrument model: analytic functions sampled onto the IRF grids. */
const ENERGY_EDGES = logEdges(0.05, 100, 24);
const OFFSET_EDGES = [0, 0.5, 1, 1.5, 2, 2.5, 3];
const MIGRA_EDGES = linearEdges(0.2, 5, 60);

function logEdges(lo: number, hi: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => lo * Math.pow(hi / lo, i / bins));
}
function linearEdges(lo: number, hi: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}
const centres = (edges: readonly number[], log = false): number[] =>
  edges.slice(0, -1).map((lo, i) => {
    const hi = edges[i + 1] as number;
    return log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
  });

/** Effective area in m² at true energy E (TeV) and offset (deg). */
function effectiveArea(energy: number, offset: number): number {
  const threshold = 1 / (1 + Math.pow(energy / 0.15, -3));
  return 3.0e5 * threshold * Math.exp(-(offset * offset) / (2 * 1.6 * 1.6));
}
/** 68%-ish Gaussian PSF width in deg. */
function psfSigma(energy: number, offset: number): number {
  return Math.max(0.035, 0.1 * Math.pow(energy, -0.25)) * (1 + 0.1 * offset);
}
/** Energy resolution: sigma of ln(E_reco / E_true). */
function energyResolution(energy: number): number {
  return 0.1 + 0.05 / Math.sqrt(energy);
}
/** Background rate shape in s^-1 MeV^-1 sr^-1 before normalisation. */
function backgroundShape(energy: number, offset: number): number {
  return Math.pow(energy, -BKG_INDEX) * Math.exp(-(offset * offset) / (2 * BKG_SIGMA * BKG_SIGMA));
}

function card(keyword: string, value: HeaderValue, comment?: string): Card {
  return comment === undefined ? { keyword, value } : { keyword, value, comment };
}

function gadfClass(clas1: string, extra: readonly Card[] = []): Card[] {
  return [
    card('HDUCLASS', 'GADF', 'Signal conformance with the GADF conventions'),
    card('HDUDOC', HDUDOC),
    card('HDUVERS', '0.3'),
    card('HDUCLAS1', clas1),
    ...extra,
  ];
}

const VODF_DOC = 'https://vodf.readthedocs.io/en/latest/';

/** Rewrites a GADF 0.3 HDU of the simulator into what the VODF draft writes (see SimulateOptions.vodf). */
function asVodf(
  hdu: WritableHdu,
  obsId: string,
  options: { readonly obId?: string; readonly gpsTime?: boolean } = {},
): WritableHdu {
  const h = hdu.header;
  h.set('HDUCLASS', 'VODF', 'the VODF draft');
  h.set('HDUDOC', VODF_DOC);
  h.set('HDUVERS', '0.1');
  if (h.getString('HDUCLAS1')?.trim() === 'EVENTS') {
    h.set('HDUCLAS1', 'OGIP', 'OGIP-compatible (vodf_schema)');
    h.set('HDUCLAS2', 'EVENTS');
  }
  if (h.has('OBS_ID')) h.set('OBS_ID', obsId, 'a string in the VODF mock data');
  if (options.obId !== undefined) h.set('OB_ID', options.obId, 'observation block');
  for (const [gadf, vodf] of [
    ['GEOLON', 'OBSGEO-L'],
    ['GEOLAT', 'OBSGEO-B'],
    ['ALTITUDE', 'OBSGEO-H'],
  ] as const) {
    if (!h.has(gadf)) continue;
    h.set(vodf, h.getNumber(gadf) ?? 0);
    h.delete(gadf);
  }
  for (const keyword of ['RA_PNT', 'DEC_PNT', 'ALT_PNT', 'AZ_PNT', 'EV_CLASS', 'EUNIT'])
    h.delete(keyword);
  if (h.has('MJDREFI')) {
    h.set('TREFPOS', 'TOPOCENTER');
    if (options.gpsTime) {
      const mjdRef = (h.getNumber('MJDREFI') ?? 0) + (h.getNumber('MJDREFF') ?? 0);
      h.set('TIMESYS', 'GPS');
      h.set('DATEREF', isoOfMjd(mjdRef).join('T'), 'reference epoch (FITS 4), GPS');
      h.delete('MJDREFI');
      h.delete('MJDREFF');
    }
  }
  return hdu;
}

/** A FITS hierarchical grouping table, the VODF draft's observation table. */
function groupingTable(
  members: readonly { name: string; location: string; eventType: string }[],
  obsId: string,
  withTypes: boolean,
): WritableHdu {
  return asVodf(
    buildBinTable({
      name: 'GROUPING',
      columns: [
        stringColumn(
          'MEMBER_XTENSION',
          members.map(() => 'BINTABLE'),
        ),
        stringColumn(
          'MEMBER_NAME',
          members.map((m) => m.name),
        ),
        stringColumn(
          'MEMBER_LOCATION',
          members.map((m) => m.location),
        ),
        stringColumn(
          'MEMBER_URI_TYPE',
          members.map(() => 'URL'),
        ),
        ...(withTypes
          ? [
              stringColumn(
                'EVT_TYPE',
                members.map((m) => m.eventType),
              ),
            ]
          : []),
      ],
      header: [card('OBS_ID', obsId)],
    }),
    obsId,
  );
}

function irfAxes(withMigra = false): BinTableColumnSpec[] {
  const f32 = (values: readonly number[]): Float32Array => Float32Array.from(values);
  const nE = ENERGY_EDGES.length - 1;
  const nT = OFFSET_EDGES.length - 1;
  const axes: BinTableColumnSpec[] = [
    { name: 'ENERG_LO', format: `${nE}E`, unit: 'TeV', values: f32(ENERGY_EDGES.slice(0, -1)) },
    { name: 'ENERG_HI', format: `${nE}E`, unit: 'TeV', values: f32(ENERGY_EDGES.slice(1)) },
  ];
  if (withMigra) {
    const nM = MIGRA_EDGES.length - 1;
    axes.push(
      { name: 'MIGRA_LO', format: `${nM}E`, values: f32(MIGRA_EDGES.slice(0, -1)) },
      { name: 'MIGRA_HI', format: `${nM}E`, values: f32(MIGRA_EDGES.slice(1)) },
    );
  }
  axes.push(
    { name: 'THETA_LO', format: `${nT}E`, unit: 'deg', values: f32(OFFSET_EDGES.slice(0, -1)) },
    { name: 'THETA_HI', format: `${nT}E`, unit: 'deg', values: f32(OFFSET_EDGES.slice(1)) },
  );
  return axes;
}

/** A [offset][energy] table column (TDIM = (nE, nTheta) in FITS order). */
function offsetEnergyColumn(
  name: string,
  unit: string | undefined,
  f: (e: number, t: number) => number,
): BinTableColumnSpec {
  const energies = centres(ENERGY_EDGES, true);
  const offsets = centres(OFFSET_EDGES);
  const values = new Float32Array(energies.length * offsets.length);
  offsets.forEach((t, j) =>
    energies.forEach((e, i) => (values[j * energies.length + i] = f(e, t))),
  );
  return {
    name,
    format: `${values.length}E`,
    ...(unit ? { unit } : {}),
    dim: [energies.length, offsets.length],
    values,
  };
}

function responseHeader(clas2: string, clas4: string, obsCards: readonly Card[]): Card[] {
  return [
    ...gadfClass('RESPONSE', [
      card('HDUCLAS2', clas2),
      card('HDUCLAS3', 'FULL-ENCLOSURE'),
      card('HDUCLAS4', clas4),
    ]),
    ...obsCards,
  ];
}

/** The IRFs every simulated run carries: aeff_2d, edisp_2d, psf_3gauss, bkg_2d. */
function responseHdus(obsCards: readonly Card[], backgroundScale: number) {
  const aeffHdu = buildBinTable({
    name: 'AEFF',
    columns: [...irfAxes(), offsetEnergyColumn('EFFAREA', 'm2', effectiveArea)],
    header: [
      ...responseHeader('EFF_AREA', 'AEFF_2D', obsCards),
      card('LO_THRES', 0.1, '[TeV]'),
      card('HI_THRES', 100, '[TeV]'),
    ],
  });
  const nE = ENERGY_EDGES.length - 1;
  const nM = MIGRA_EDGES.length - 1;
  const nT = OFFSET_EDGES.length - 1;
  const matrix = new Float32Array(nE * nM * nT);
  const eCentres = centres(ENERGY_EDGES, true);
  const mCentres = centres(MIGRA_EDGES);
  for (let t = 0; t < nT; t++) {
    for (let m = 0; m < nM; m++) {
      for (let e = 0; e < nE; e++) {
        const sigma = energyResolution(eCentres[e] as number);
        const migra = mCentres[m] as number;
        // Log-normal probability density in migra.
        matrix[(t * nM + m) * nE + e] =
          Math.exp(-Math.pow(Math.log(migra), 2) / (2 * sigma * sigma)) /
          (migra * sigma * Math.sqrt(2 * Math.PI));
      }
    }
  }
  const edispHdu = buildBinTable({
    name: 'EDISP',
    columns: [
      ...irfAxes(true),
      { name: 'MATRIX', format: `${matrix.length}E`, dim: [nE, nM, nT], values: matrix },
    ],
    header: responseHeader('EDISP', 'EDISP_2D', obsCards),
  });
  const sigmaDeg = (e: number, t: number): number => psfSigma(e, t);
  const psfHdu = buildBinTable({
    name: 'PSF',
    columns: [
      ...irfAxes(),
      offsetEnergyColumn(
        'SCALE',
        'sr-1',
        (e, t) => 1 / (2 * Math.PI * Math.pow((sigmaDeg(e, t) * Math.PI) / 180, 2)),
      ),
      offsetEnergyColumn('SIGMA_1', 'deg', sigmaDeg),
      offsetEnergyColumn('AMPL_2', undefined, () => 0),
      offsetEnergyColumn('SIGMA_2', 'deg', (e, t) => 2 * sigmaDeg(e, t)),
      offsetEnergyColumn('AMPL_3', undefined, () => 0),
      offsetEnergyColumn('SIGMA_3', 'deg', (e, t) => 3 * sigmaDeg(e, t)),
    ],
    header: responseHeader('RPSF', 'PSF_3GAUSS', obsCards),
  });
  const bkgHdu = buildBinTable({
    name: 'BKG',
    columns: [
      ...irfAxes(),
      offsetEnergyColumn(
        'BKG',
        's-1 MeV-1 sr-1',
        (e, t) => backgroundScale * backgroundShape(e, t),
      ),
    ],
    header: [...responseHeader('BKG', 'BKG_2D', obsCards), card('FOVALIGN', 'RADEC')],
  });
  return { aeffHdu, edispHdu, psfHdu, bkgHdu };
}

/** The other GADF 0.3 IRF classes, from the same instrument model: psf_table, psf_king, bkg_3d, rad_max_2d. */
function moreResponseHdus(obsCards: readonly Card[], backgroundScale: number) {
  const f32 = (values: readonly number[]): Float32Array => Float32Array.from(values);
  const energies = centres(ENERGY_EDGES, true);
  const offsets = centres(OFFSET_EDGES);
  const radEdges = linearEdges(0, 1, 50);
  const rads = centres(radEdges);
  const rpsf = new Float32Array(energies.length * offsets.length * rads.length);
  rads.forEach((r, k) =>
    offsets.forEach((t, j) =>
      energies.forEach((e, i) => {
        const sigma = (psfSigma(e, t) * Math.PI) / 180;
        const rr = (r * Math.PI) / 180;
        rpsf[(k * offsets.length + j) * energies.length + i] =
          Math.exp(-(rr * rr) / (2 * sigma * sigma)) / (2 * Math.PI * sigma * sigma);
      }),
    ),
  );
  const psfTable = buildBinTable({
    name: 'PSF_TABLE',
    columns: [
      ...irfAxes(),
      {
        name: 'RAD_LO',
        format: `${rads.length}E`,
        unit: 'deg',
        values: f32(radEdges.slice(0, -1)),
      },
      { name: 'RAD_HI', format: `${rads.length}E`, unit: 'deg', values: f32(radEdges.slice(1)) },
      {
        name: 'RPSF',
        format: `${rpsf.length}E`,
        unit: 'sr-1',
        dim: [energies.length, offsets.length, rads.length],
        values: rpsf,
      },
    ],
    header: responseHeader('RPSF', 'PSF_TABLE', obsCards),
  });
  const psfKing = buildBinTable({
    name: 'PSF_KING',
    columns: [
      ...irfAxes(),
      offsetEnergyColumn('GAMMA', undefined, () => 2.5),
      offsetEnergyColumn('SIGMA', 'deg', (e, t) => psfSigma(e, t)),
    ],
    header: responseHeader('RPSF', 'PSF_KING', obsCards),
  });
  const detEdges = linearEdges(-FOV_RADIUS, FOV_RADIUS, 10);
  const det = centres(detEdges);
  const nE = ENERGY_EDGES.length - 1;
  const bkg3d = new Float32Array(nE * det.length * det.length);
  det.forEach((y, k) =>
    det.forEach((x, j) =>
      energies.forEach((e, i) => {
        bkg3d[(k * det.length + j) * nE + i] =
          backgroundScale * backgroundShape(e, Math.hypot(x, y));
      }),
    ),
  );
  const detAxis = (name: string): BinTableColumnSpec[] => [
    {
      name: `${name}_LO`,
      format: `${det.length}E`,
      unit: 'deg',
      values: f32(detEdges.slice(0, -1)),
    },
    { name: `${name}_HI`, format: `${det.length}E`, unit: 'deg', values: f32(detEdges.slice(1)) },
  ];
  const bkg3dHdu = buildBinTable({
    name: 'BKG_3D',
    columns: [
      ...irfAxes().slice(0, 2),
      ...detAxis('DETX'),
      ...detAxis('DETY'),
      {
        name: 'BKG',
        format: `${bkg3d.length}E`,
        unit: 's-1 MeV-1 sr-1',
        dim: [nE, det.length, det.length],
        values: bkg3d,
      },
    ],
    header: [...responseHeader('BKG', 'BKG_3D', obsCards), card('FOVALIGN', 'RADEC')],
  });
  const radMax = buildBinTable({
    name: 'RAD_MAX',
    columns: [...irfAxes(), offsetEnergyColumn('RAD_MAX', 'deg', (e, t) => 1.5 * psfSigma(e, t))],
    header: [
      ...gadfClass('RESPONSE', [
        card('HDUCLAS2', 'RAD_MAX'),
        card('HDUCLAS3', 'POINT-LIKE'),
        card('HDUCLAS4', 'RAD_MAX_2D'),
      ]),
      ...obsCards,
    ],
  });
  return { psfTable, psfKing, bkg3dHdu, radMax };
}

/**
 * A file of instrument responses alone (as instruments that share one set of IRFs
 * among runs publish them): every GADF 0.3 IRF class, one HDU each, no OBS_ID.
 */
export async function writeIrfFile(
  path: string,
  options: { readonly gzip?: boolean } = {},
): Promise<void> {
  const scale = backgroundNorm(1) * 3;
  const { aeffHdu, edispHdu, psfHdu, bkgHdu } = responseHdus([], scale);
  const { psfTable, psfKing, bkg3dHdu, radMax } = moreResponseHdus([], scale);
  await writeFits(
    path,
    [aeffHdu, edispHdu, psfHdu, psfTable, psfKing, bkgHdu, bkg3dHdu, radMax],
    options.gzip ? { gzip: true } : {},
  );
}

/** Background normalisation so that the whole field sees `rate` events per second. */
function backgroundNorm(rate: number): number {
  // Integrate the shape over energy (MeV) and solid angle (sr) numerically.
  let integral = 0;
  const eEdges = logEdges(E_MIN, E_MAX, 200);
  const steps = 200;
  for (let i = 0; i < eEdges.length - 1; i++) {
    const lo = eEdges[i] as number;
    const hi = eEdges[i + 1] as number;
    const e = Math.sqrt(lo * hi);
    for (let k = 0; k < steps; k++) {
      const t = ((k + 0.5) / steps) * FOV_RADIUS;
      const dOmega =
        (2 * Math.PI * Math.sin((t * Math.PI) / 180) * ((FOV_RADIUS / steps) * Math.PI)) / 180;
      integral += backgroundShape(e, t) * (hi - lo) * 1e6 * dOmega;
    }
  }
  return rate / integral;
}

function expectedSourceCounts(target: Target, offset: number, livetime: number): number {
  const edges = logEdges(E_MIN, E_MAX, 200);
  let counts = 0;
  for (let i = 0; i < edges.length - 1; i++) {
    const lo = edges[i] as number;
    const hi = edges[i + 1] as number;
    const e = Math.sqrt(lo * hi);
    const flux = CRAB_NORM * target.crabUnits * Math.pow(e, -target.index);
    counts += flux * effectiveArea(e, offset) * 1e4 * (hi - lo);
  }
  return counts * livetime;
}

/** MJD of the upper transit of right ascension `ra` at the site on the night starting at `mjd`. */
function transitMjd(night: number, ra: number): number {
  const gmst0 = (280.46061837 + 360.98564736629 * (night - 51544.5)) % 360;
  const hourAngle = (((gmst0 + SITE.lon - ra) % 360) + 360) % 360;
  return night + (360 - hourAngle) / 360.98564736629;
}

interface RunEvents {
  readonly time: Float64Array;
  readonly ra: Float32Array;
  readonly dec: Float32Array;
  readonly energy: Float32Array;
}

function drawEvents(
  rng: Random,
  target: Target,
  pointing: { ra: number; dec: number },
  gtis: readonly (readonly [number, number])[],
  livetime: number,
  backgroundRate: number,
): RunEvents {
  const sourceOffset = angularSeparation(pointing.ra, pointing.dec, target.ra, target.dec);
  const nSource = rng.poisson(expectedSourceCounts(target, sourceOffset, livetime));
  const nBackground = rng.poisson(backgroundRate * livetime);
  const total = nSource + nBackground;
  const ra = new Float32Array(total);
  const dec = new Float32Array(total);
  const energy = new Float32Array(total);
  const aeffMax = effectiveArea(E_MAX, sourceOffset);
  for (let i = 0; i < nSource; i++) {
    let eTrue: number;
    // Rejection sampling of spectrum × effective area.
    do eTrue = rng.powerLaw(target.index, E_MIN, E_MAX);
    while (rng.uniform() * aeffMax > effectiveArea(eTrue, sourceOffset));
    const spread = Math.hypot(psfSigma(eTrue, sourceOffset), target.extension);
    const r = spread * Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    const [eRa, eDec] = offsetPosition(target.ra, target.dec, r, rng.between(0, 360));
    ra[i] = eRa;
    dec[i] = eDec;
    energy[i] = eTrue * Math.exp(energyResolution(eTrue) * rng.gaussian());
  }
  for (let i = nSource; i < total; i++) {
    let offset: number;
    do offset = BKG_SIGMA * Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    while (offset > FOV_RADIUS);
    const [eRa, eDec] = offsetPosition(pointing.ra, pointing.dec, offset, rng.between(0, 360));
    ra[i] = eRa;
    dec[i] = eDec;
    energy[i] = rng.powerLaw(BKG_INDEX, E_MIN, E_MAX);
  }
  // Arrival times uniform over the good time, then everything sorted by time.
  const gtiTotal = gtis.reduce((s, [a, b]) => s + (b - a), 0);
  const times = Array.from({ length: total }, () => {
    let u = rng.uniform() * gtiTotal;
    for (const [a, b] of gtis) {
      if (u < b - a) return a + u;
      u -= b - a;
    }
    return (gtis[gtis.length - 1] as readonly [number, number])[1];
  });
  const order = times.map((_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number));
  return {
    time: Float64Array.from(order, (i) => times[i] as number),
    ra: Float32Array.from(order, (i) => ra[i] as number),
    dec: Float32Array.from(order, (i) => dec[i] as number),
    energy: Float32Array.from(order, (i) => energy[i] as number),
  };
}

/** Deals the events of a run among `n` classes at random, each keeping time order. */
function splitEvents(rng: Random, events: RunEvents, n: number): RunEvents[] {
  const owner = Array.from({ length: events.time.length }, () => Math.floor(rng.uniform() * n));
  return Array.from({ length: n }, (_, k) => {
    const rows = owner.flatMap((o, i) => (o === k ? [i] : []));
    return {
      time: Float64Array.from(rows, (i) => events.time[i] as number),
      ra: Float32Array.from(rows, (i) => events.ra[i] as number),
      dec: Float32Array.from(rows, (i) => events.dec[i] as number),
      energy: Float32Array.from(rows, (i) => events.energy[i] as number),
    };
  });
}

const mjdToMet = (mjd: number): number => (mjd - MJDREFI - MJDREFF) * 86400;

/** ALT and AZ of each event at its arrival time, a multiplicity and a gammaness score. */
function optionalEventColumns(rng: Random, events: RunEvents): BinTableColumnSpec[] {
  const count = events.time.length;
  const alt = new Float32Array(count);
  const az = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const mjd = MJDREFI + MJDREFF + (events.time[i] as number) / 86400;
    const h = equatorialToHorizontal(
      events.ra[i] as number,
      events.dec[i] as number,
      mjd,
      SITE.lon,
      SITE.lat,
    );
    alt[i] = h.alt;
    az[i] = h.az;
  }
  const multip = Int16Array.from({ length: count }, () => 2 + Math.floor(rng.uniform() * 3));
  const gammaness = Float32Array.from({ length: count }, () => rng.uniform());
  return [
    { name: 'ALT', format: '1E', unit: 'deg', values: alt },
    { name: 'AZ', format: '1E', unit: 'deg', values: az },
    { name: 'MULTIP', format: '1I', values: multip },
    { name: 'GAMMANESS', format: '1E', values: gammaness },
  ];
}

function isoOfMjd(mjd: number): [date: string, time: string] {
  const iso = new Date(Math.round((mjd - 40587) * 86400_000)).toISOString();
  return [iso.slice(0, 10), iso.slice(11, 23)];
}

function stringColumn(name: string, values: readonly string[]): BinTableColumnSpec {
  const width = Math.max(1, ...values.map((v) => v.length));
  return { name, format: `${width}A`, values: [...values] };
}

export async function simulateDataStore(options: SimulateOptions): Promise<SimulatedObservation[]> {
  if (!Number.isInteger(options.observations) || options.observations < 1) {
    throw new Error(
      `the number of observations must be a positive integer (got ${options.observations})`,
    );
  }
  const rng = new Random(options.seed);
  const gzip = options.gzip ?? true;
  const dataDir = join(options.outDir, 'data');
  await mkdir(dataDir, { recursive: true });
  const backgroundRate = ((options.eventsPerObservation ?? 6000) / RUN_SECONDS) * 0.8;
  const bkgNorm = backgroundNorm(1);

  const simulated: SimulatedObservation[] = [];
  const hduRows: {
    obsId: number;
    type: string;
    hduClass: string;
    fileName: string;
    hduName: string;
    eventClass: string;
  }[] = [];
  const classes = options.eventClasses ?? [];
  const drift = options.drift ?? false;
  const tag = options.name ? `${options.name}_` : '';
  const obsRows: Record<string, number | string>[] = [];
  const runsPerNight = 6;
  const targets: readonly Target[] =
    options.targets?.map((t) => ({ ...t, crabUnits: 0.2, index: 2.5, extension: 0 })) ?? TARGETS;

  for (let n = 0; n < options.observations; n++) {
    const obsId = 100001 + n;
    const target = targets[Math.floor(n / runsPerNight) % targets.length] as Target;
    const night = FIRST_NIGHT_MJD + Math.floor(n / runsPerNight);
    const slot = n % runsPerNight;
    const start =
      transitMjd(night, target.ra) + ((slot - runsPerNight / 2) * (RUN_SECONDS + 120)) / 86400;
    const stop = start + RUN_SECONDS / 86400;
    const wobbleAngle = [0, 180, 90, 270][slot % 4] as number;
    const [raPnt, decPnt] = offsetPosition(target.ra, target.dec, WOBBLE_OFFSET, wobbleAngle);
    const tstart = mjdToMet(start);
    const tstop = mjdToMet(stop);
    const gtis: [number, number][] =
      rng.uniform() < 0.3
        ? [
            [tstart, tstart + 800],
            [tstart + 860, tstop],
          ]
        : [[tstart, tstop]];
    const ontime = gtis.reduce((s, [a, b]) => s + (b - a), 0);
    const deadc = rng.between(0.9, 0.96);
    const livetime = ontime * deadc;
    const { alt, az } = equatorialToHorizontal(
      raPnt,
      decPnt,
      (start + stop) / 2,
      SITE.lon,
      SITE.lat,
    );
    const events = drawEvents(
      rng,
      target,
      { ra: raPnt, dec: decPnt },
      gtis,
      livetime,
      backgroundRate,
    );
    const [dateObs, timeObs] = isoOfMjd(start);
    const [dateEnd, timeEnd] = isoOfMjd(stop);

    const variant = options.variant ?? {};
    const zero = variant.timeZero ?? 0;
    const stored = (seconds: number): number => seconds - zero;
    const timeCards = [
      card('MJDREFI', MJDREFI, 'int part of reference MJD for times'),
      card('MJDREFF', MJDREFF, 'fractional part of reference MJD'),
      card('TIMEUNIT', 's'),
      card('TIMESYS', variant.lowerCaseTimesys ? 'tt' : 'TT'),
      card('TIMEREF', 'LOCAL'),
      ...(zero !== 0 ? [card('TIMEZERO', zero, '[s] added to every time in the HDU')] : []),
    ];
    const obsCards = [
      drift
        ? card('OBS_ID', `transit ${obsId}`, 'the transits this file holds')
        : card('OBS_ID', obsId, 'observation number'),
      card('TELESCOP', TELESCOP),
      card('INSTRUME', INSTRUME),
    ];
    const eventsHduOf = (events: RunEvents, eventClass: string) =>
      buildBinTable({
        name: 'EVENTS',
        columns: [
          {
            name: 'EVENT_ID',
            format: '1K',
            values: BigInt64Array.from({ length: events.time.length }, (_, i) => BigInt(i + 1)),
          },
          {
            name: 'TIME',
            format: '1D',
            unit: 's',
            values: zero === 0 ? events.time : events.time.map(stored),
          },
          { name: 'RA', format: '1E', unit: 'deg', values: events.ra },
          { name: 'DEC', format: '1E', unit: 'deg', values: events.dec },
          variant.energyInGeV
            ? {
                name: 'ENERGY',
                format: '1E',
                unit: 'GeV',
                values: events.energy.map((e) => e * 1e3),
              }
            : { name: 'ENERGY', format: '1E', unit: 'TeV', values: events.energy },
          ...(variant.optionalColumns ? optionalEventColumns(rng, events) : []),
        ],
        header: [
          ...gadfClass('EVENTS', [card('HDUCLAS2', 'ACCEPTED')]),
          card('ORIGIN', 'hearc simulator'),
          card('CREATOR', 'hearc simulate'),
          ...obsCards,
          card('OBSERVER', 'hearc demo'),
          card('OBJECT', target.name),
          card('RA_OBJ', target.ra, '[deg]'),
          card('DEC_OBJ', target.dec, '[deg]'),
          card('OBS_MODE', drift ? 'DRIFT' : 'WOBBLE'),
          ...(drift
            ? []
            : [
                card('RA_PNT', raPnt, '[deg] pointing right ascension'),
                card('DEC_PNT', decPnt, '[deg] pointing declination'),
                card('ALT_PNT', alt, '[deg] mean altitude'),
                card('AZ_PNT', az, '[deg] mean azimuth'),
              ]),
          card('RADECSYS', 'ICRS'),
          card('EQUINOX', 2000.0),
          card('DATE-OBS', dateObs),
          card('TIME-OBS', timeObs),
          card('DATE-END', dateEnd),
          card('TIME-END', timeEnd),
          card('TSTART', stored(tstart), '[s]'),
          card('TSTOP', stored(tstop), '[s]'),
          card('TELAPSE', tstop - tstart, '[s]'),
          ...timeCards,
          card('ONTIME', ontime, '[s] sum of GTIs'),
          card('LIVETIME', livetime, '[s] dead-time corrected'),
          card('DEADC', deadc),
          card('EV_CLASS', eventClass),
          card('N_TELS', 4),
          card('CONV_DEP', 0.0, 'parallel pointing'),
          card('GEOLON', SITE.lon, '[deg]'),
          card('GEOLAT', SITE.lat, '[deg]'),
          card('ALTITUDE', SITE.altitude, '[m]'),
          ...(variant.energyInGeV ? [] : [card('EUNIT', 'TeV')]),
        ],
      });
    const gtiHdu = buildBinTable({
      name: 'GTI',
      columns: [
        {
          name: 'START',
          format: '1D',
          unit: 's',
          values: Float64Array.from(gtis, ([a]) => stored(a)),
        },
        {
          name: 'STOP',
          format: '1D',
          unit: 's',
          values: Float64Array.from(gtis, ([, b]) => stored(b)),
        },
      ],
      header: [...gadfClass('GTI'), ...obsCards, ...timeCards],
    });
    const { aeffHdu, edispHdu, psfHdu, bkgHdu } = responseHdus(obsCards, backgroundRate * bkgNorm);

    const fileOf = (eventClass?: string): string =>
      `run_${tag}${String(obsId).padStart(6, '0')}${eventClass ? `_${eventClass}` : ''}.fits${gzip ? '.gz' : ''}`;
    // Each event class gets its own file with its share of the events.
    const split = classes.length > 0 ? splitEvents(rng, events, classes.length) : [events];
    const written: { name: string; fileName: string; eventCount: number }[] = [];
    for (const [k, classEvents] of split.entries()) {
      const eventClass = classes[k] ?? 'std';
      const fileName = fileOf(classes[k]);
      if (options.vodf) {
        // One observation per event type, as the VODF mock data split them.
        const id = classes.length > 0 ? String(obsId * 100 + k + 1) : String(obsId);
        const vodfOptions = {
          ...(classes.length > 0 ? { obId: String(obsId) } : {}),
          ...(options.vodf.gpsTime ? { gpsTime: true } : {}),
        };
        const name = `obs_${tag}${id}.fits${gzip ? '.gz' : ''}`;
        const irfName = `obs_${tag}${id}_irfs.fits${gzip ? '.gz' : ''}`;
        const irfs = responseHdus(obsCards, backgroundRate * bkgNorm);
        const irfHdus = [irfs.aeffHdu, irfs.edispHdu, irfs.psfHdu, irfs.bkgHdu];
        const type = classes[k] ?? 'none';
        const members = [
          { name: 'EVENTS', location: 'NULL', eventType: 'none' },
          { name: 'GTI', location: 'NULL', eventType: 'none' },
          ...['AEFF', 'EDISP', 'PSF', 'BKG'].map((n) => ({
            name: n,
            location: irfName,
            eventType: type,
          })),
        ];
        await writeFits(
          join(dataDir, name),
          [
            groupingTable(members, id, classes.length > 0),
            asVodf(eventsHduOf(classEvents, eventClass), id, vodfOptions),
            asVodf(gtiHdu, id, vodfOptions),
          ],
          { gzip },
        );
        await writeFits(
          join(dataDir, irfName),
          irfHdus.map((h) => asVodf(h, id, vodfOptions)),
          { gzip },
        );
        simulated.push({
          obsId: Number(id),
          target: target.name,
          fileName: `data/${name}`,
          eventCount: classEvents.time.length,
          ...(classes[k] !== undefined ? { eventType: classes[k] } : {}),
        });
        continue;
      }
      if (options.mapIrfs) {
        const irfFile = `irfmap_${fileName}`;
        await writeFits(join(dataDir, fileName), [eventsHduOf(classEvents, eventClass), gtiHdu], {
          gzip,
        });
        await writeFits(
          join(dataDir, irfFile),
          mapIrfHdus({ ra: target.ra, dec: target.dec, livetime }),
          { gzip },
        );
        hduRows.push({
          obsId,
          type: 'events',
          hduClass: 'events',
          fileName,
          hduName: 'EVENTS',
          eventClass,
        });
        hduRows.push({ obsId, type: 'gti', hduClass: 'gti', fileName, hduName: 'GTI', eventClass });
        for (const e of MAP_IRF_ENTRIES)
          hduRows.push({ obsId, ...e, fileName: irfFile, eventClass });
      } else {
        await writeFits(
          join(dataDir, fileName),
          [eventsHduOf(classEvents, eventClass), gtiHdu, aeffHdu, edispHdu, psfHdu, bkgHdu],
          { gzip },
        );
        for (const [type, hduClass, hduName] of [
          ['events', 'events', 'EVENTS'],
          ['gti', 'gti', 'GTI'],
          ['aeff', 'aeff_2d', 'AEFF'],
          ['edisp', 'edisp_2d', 'EDISP'],
          ['psf', 'psf_3gauss', 'PSF'],
          ['bkg', 'bkg_2d', 'BKG'],
        ] as const) {
          hduRows.push({ obsId, type, hduClass, fileName, hduName, eventClass });
        }
      }
      written.push({
        name: eventClass,
        fileName: `data/${fileName}`,
        eventCount: classEvents.time.length,
      });
    }
    if (options.vodf) continue;
    const fileName = fileOf(classes[0]);
    const count = events.time.length;
    obsRows.push({
      OBS_ID: obsId,
      ...(drift
        ? {}
        : { RA_PNT: raPnt, DEC_PNT: decPnt, ZEN_PNT: 90 - alt, ALT_PNT: alt, AZ_PNT: az }),
      OBJECT: target.name,
      TARGET_NAME: target.name,
      RA_OBJ: target.ra,
      DEC_OBJ: target.dec,
      ONTIME: ontime,
      LIVETIME: livetime,
      DEADC: deadc,
      TSTART: stored(tstart),
      TSTOP: stored(tstop),
      OBS_MODE: drift ? 'DRIFT' : 'WOBBLE',
      N_TELS: 4,
      EVENT_COUNT: count,
    });
    simulated.push({
      obsId,
      target: target.name,
      fileName: `data/${fileName}`,
      eventCount: count,
      ...(classes.length > 0 ? { classes: written } : {}),
    });
  }

  // The VODF draft has no index files: each observation file's GROUPING table is its index.
  if (options.vodf) return simulated;
  const indexCards = (clas2: string): Card[] => [
    ...gadfClass('INDEX', [card('HDUCLAS2', clas2)]),
    card('TELESCOP', TELESCOP),
    card('MJDREFI', MJDREFI),
    card('MJDREFF', MJDREFF),
    card('TIMEUNIT', 's'),
    card('TIMESYS', 'TT'),
    card('TIMEREF', 'LOCAL'),
    card('GEOLON', SITE.lon),
    card('GEOLAT', SITE.lat),
    card('ALTITUDE', SITE.altitude),
  ];
  const hduIndexOf = (eventClass: string | undefined) => {
    const rows =
      eventClass === undefined ? hduRows : hduRows.filter((r) => r.eventClass === eventClass);
    return buildBinTable({
      name: eventClass ?? 'HDU_INDEX',
      columns: [
        { name: 'OBS_ID', format: '1K', values: BigInt64Array.from(rows, (r) => BigInt(r.obsId)) },
        stringColumn(
          'HDU_TYPE',
          rows.map((r) => r.type),
        ),
        stringColumn(
          'HDU_CLASS',
          rows.map((r) => r.hduClass),
        ),
        stringColumn(
          'FILE_DIR',
          rows.map(() => 'data'),
        ),
        stringColumn(
          'FILE_NAME',
          rows.map((r) => r.fileName),
        ),
        stringColumn(
          'HDU_NAME',
          rows.map((r) => r.hduName),
        ),
      ],
      header: [...indexCards('HDU'), ...(eventClass ? [card('EV_CLASS', eventClass)] : [])],
    });
  };
  const numeric = (name: string, unit?: string): BinTableColumnSpec => ({
    name,
    format: '1D',
    ...(unit ? { unit } : {}),
    values: Float64Array.from(obsRows, (r) => Number(r[name])),
  });
  const obsIndex = buildBinTable({
    name: 'OBS_INDEX',
    columns: [
      {
        name: 'OBS_ID',
        format: '1K',
        values: BigInt64Array.from(obsRows, (r) => BigInt(r.OBS_ID as number)),
      },
      ...(drift
        ? []
        : [
            numeric('RA_PNT', 'deg'),
            numeric('DEC_PNT', 'deg'),
            numeric('ZEN_PNT', 'deg'),
            numeric('ALT_PNT', 'deg'),
            numeric('AZ_PNT', 'deg'),
          ]),
      stringColumn(
        'OBJECT',
        obsRows.map((r) => String(r.OBJECT)),
      ),
      stringColumn(
        'TARGET_NAME',
        obsRows.map((r) => String(r.TARGET_NAME)),
      ),
      numeric('RA_OBJ', 'deg'),
      numeric('DEC_OBJ', 'deg'),
      numeric('ONTIME', 's'),
      numeric('LIVETIME', 's'),
      numeric('DEADC'),
      numeric('TSTART', 's'),
      numeric('TSTOP', 's'),
      stringColumn(
        'OBS_MODE',
        obsRows.map((r) => String(r.OBS_MODE)),
      ),
      { name: 'N_TELS', format: '1J', values: Int32Array.from(obsRows, (r) => Number(r.N_TELS)) },
      {
        name: 'EVENT_COUNT',
        format: '1K',
        values: BigInt64Array.from(obsRows, (r) => BigInt(r.EVENT_COUNT as number)),
      },
    ],
    header: indexCards('OBS'),
  });
  const suffix = options.name ? `-${options.name}` : '';
  const hduTables =
    classes.length > 0 ? classes.map((c) => hduIndexOf(c)) : [hduIndexOf(undefined)];
  await writeFits(join(options.outDir, `hdu-index${suffix}.fits.gz`), hduTables, { gzip: true });
  await writeFits(join(options.outDir, `obs-index${suffix}.fits.gz`), [obsIndex], { gzip: true });
  return simulated;
}
