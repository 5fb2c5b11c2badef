/**
 * Synthetic neutrino samples: an IceCube-style point-source release (text tables per
 * season: events/, uptime/, irfs/), a HESE-style JSON column sample, and a KM3NeT-style
 * GADF store whose IRFs are in GeV with THETA as zenith angle. The edge cases are on
 * purpose: an empty season, a season of one event, comment lines between rows, a
 * comma-separated table, a season borrowing an earlier season's effective area, and a
 * season whose effective area covers only a declination band.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBinTable, type Card, writeFits } from '../fits/index.js';
import { Random } from './random.js';

export interface SimulatedSeason {
  readonly name: string;
  readonly events: number;
  /** Uptime intervals, MJD. */
  readonly uptime: readonly (readonly [number, number])[];
  /** Declination band where the effective area is non-zero (deg). */
  readonly band: readonly [number, number];
  readonly hasOwnEffectiveArea: boolean;
}

interface SeasonPlan {
  readonly name: string;
  readonly start: number;
  readonly days: number;
  readonly events: number;
  /** Effective-area declination band, or undefined to borrow the earlier season's. */
  readonly band?: readonly [number, number];
  readonly separator: ' ' | '\t' | ',';
}

const SEASONS: readonly SeasonPlan[] = [
  { name: 'IC79', start: 55347.28, days: 30, events: 40, band: [-90, 90], separator: '\t' },
  { name: 'IC86_I', start: 55694.41, days: 20, events: 1, band: [-90, 90], separator: ' ' },
  { name: 'IC86_II', start: 56062.42, days: 25, events: 0, band: [10, 90], separator: ',' },
  { name: 'IC86_III', start: 56414.42, days: 15, events: 25, separator: ' ' },
];

const LOG_E_EDGES = [2, 3, 4, 5, 6, 7];
const DEC_EDGES = [-90, -30, -5, 10, 30, 90];

const fixed = (v: number, digits: number) => v.toFixed(digits);

/** Writes an IceCube-style release into `dir`; returns what each season holds. */
export async function writeIceCubeRelease(
  dir: string,
  options: { readonly seed: number },
): Promise<SimulatedSeason[]> {
  const rng = new Random(options.seed);
  for (const sub of ['events', 'uptime', 'irfs']) await mkdir(join(dir, sub), { recursive: true });
  const seasons: SimulatedSeason[] = [];
  for (const plan of SEASONS) {
    // Uptime: daily runs with gaps.
    const uptime: [number, number][] = [];
    for (let d = 0; d < plan.days; d++) {
      const a = plan.start + d + rng.between(0, 0.1);
      uptime.push([a, a + rng.between(0.6, 0.85)]);
    }
    const sep = plan.separator;
    const uptimeLines = [`# MJD_start[days]${sep}MJD_stop[days]`];
    for (const [a, b] of uptime) uptimeLines.push(`${fixed(a, 8)}${sep}${fixed(b, 8)}`);
    await writeFile(join(dir, 'uptime', `${plan.name}_exp.csv`), `${uptimeLines.join('\n')}\n`);

    const header = [
      'MJD[days]',
      'log10(E/GeV)',
      'AngErr[deg]',
      'RA[deg]',
      'Dec[deg]',
      'Azimuth[deg]',
      'Zenith[deg]',
    ].join(sep);
    const lines = [`# IceCube-style synthetic season ${plan.name}`, `# ${header}`];
    for (let i = 0; i < plan.events; i++) {
      const [a, b] = uptime[Math.floor(rng.uniform() * uptime.length)] as [number, number];
      const dec = (Math.asin(rng.between(-1, 1)) * 180) / Math.PI;
      lines.push(
        [
          fixed(rng.between(a, b), 8),
          fixed(rng.between(2.2, 6.5), 3),
          fixed(rng.between(0.2, 3), 2),
          fixed(rng.between(0, 360), 3),
          fixed(dec, 3),
          fixed(rng.between(0, 360), 3),
          fixed(90 + dec, 3),
        ].join(sep),
      );
      if (i === 5) lines.push('# a comment between the rows');
    }
    await writeFile(join(dir, 'events', `${plan.name}_exp.csv`), `${lines.join('\n')}\n`);

    if (plan.band) {
      const [lo, hi] = plan.band;
      const aeff = [
        `# log10(E_nu/GeV)_min${sep}log10(E_nu/GeV)_max${sep}Dec_nu_min[deg]${sep}Dec_nu_max[deg]${sep}A_Eff[cm^2]`,
      ];
      for (let id = 0; id + 1 < DEC_EDGES.length; id++) {
        for (let ie = 0; ie + 1 < LOG_E_EDGES.length; ie++) {
          const d0 = DEC_EDGES[id] as number;
          const d1 = DEC_EDGES[id + 1] as number;
          const inside = d0 >= lo && d1 <= hi;
          const area = inside ? 10 ** (ie + 1) * (1 + 0.1 * id) : 0;
          aeff.push([LOG_E_EDGES[ie], LOG_E_EDGES[ie + 1], d0, d1, fixed(area, 4)].join(sep));
        }
      }
      await writeFile(join(dir, 'irfs', `${plan.name}_effectiveArea.csv`), `${aeff.join('\n')}\n`);
    }
    const band = plan.band ?? seasons[seasons.length - 1]?.band ?? [-90, 90];
    seasons.push({
      name: plan.name,
      events: plan.events,
      uptime,
      band,
      hasOwnEffectiveArea: plan.band !== undefined,
    });
  }
  return seasons;
}

/** A HESE-style sample: JSON columns (mjd, ra, dec in deg, recoDepositedEnergy in GeV, ...). */
export async function writeHeseSample(
  path: string,
  options: {
    readonly seed: number;
    readonly events: number;
    readonly start: number;
    readonly stop: number;
  },
): Promise<void> {
  const rng = new Random(options.seed);
  const n = options.events;
  const column = (f: () => number) => Array.from({ length: n }, f);
  const doc = {
    mjd: column(() => rng.between(options.start, options.stop)).sort((a, b) => a - b),
    ra: column(() => rng.between(0, 360)),
    dec: column(() => (Math.asin(rng.between(-1, 1)) * 180) / Math.PI),
    recoDepositedEnergy: column(() => rng.powerLaw(2.5, 6e4, 2e6)),
    recoMorphology: column(() => Math.floor(rng.between(0, 3))),
    angErr: column(() => rng.between(1, 20)),
    livetime_mjd: [options.start, options.stop],
  };
  await writeFile(path, JSON.stringify(doc));
}

/**
 * A KM3NeT/ANTARES-style GADF event file: no pointing, ENERGY and the IRF axes in GeV,
 * THETA the zenith angle (0..180 deg), one observation (OBS_ID given).
 */
export async function writeKm3netEventFile(
  path: string,
  options: { readonly seed: number; readonly obsId: number; readonly events: number },
): Promise<void> {
  const rng = new Random(options.seed);
  const n = options.events;
  const tstart = 7.0e8;
  const tstop = tstart + 86_400;
  const common: Card[] = [
    { keyword: 'TELESCOP', value: 'KM3NeT' },
    { keyword: 'INSTRUME', value: 'ARCA' },
    { keyword: 'OBS_ID', value: options.obsId },
    { keyword: 'MJDREFI', value: 51910 },
    { keyword: 'MJDREFF', value: 0 },
    { keyword: 'TIMESYS', value: 'TT' },
    { keyword: 'TIMEUNIT', value: 's' },
    { keyword: 'TSTART', value: tstart },
    { keyword: 'TSTOP', value: tstop },
    { keyword: 'HDUCLASS', value: 'GADF' },
  ];
  const events = buildBinTable({
    name: 'EVENTS',
    columns: [
      {
        name: 'EVENT_ID',
        format: '1K',
        values: BigInt64Array.from({ length: n }, (_, i) => BigInt(i + 1)),
      },
      {
        name: 'TIME',
        format: '1D',
        unit: 's',
        values: Float64Array.from({ length: n }, () => rng.between(tstart, tstop)),
      },
      {
        name: 'RA',
        format: '1D',
        unit: 'deg',
        values: Float64Array.from({ length: n }, () => rng.between(0, 360)),
      },
      {
        name: 'DEC',
        format: '1D',
        unit: 'deg',
        values: Float64Array.from({ length: n }, () => rng.between(-80, 40)),
      },
      {
        name: 'ENERGY',
        format: '1D',
        unit: 'GeV',
        values: Float64Array.from({ length: n }, () => rng.powerLaw(2, 1e3, 1e6)),
      },
    ],
    header: [
      ...common,
      { keyword: 'HDUCLAS1', value: 'EVENTS' },
      { keyword: 'OBS_MODE', value: 'DRIFT' },
      { keyword: 'LIVETIME', value: 86_000 },
    ],
  });
  const gti = buildBinTable({
    name: 'GTI',
    columns: [
      { name: 'START', format: '1D', unit: 's', values: Float64Array.of(tstart) },
      { name: 'STOP', format: '1D', unit: 's', values: Float64Array.of(tstop) },
    ],
    header: [...common, { keyword: 'HDUCLAS1', value: 'GTI' }],
  });
  const nE = 4;
  const nT = 3;
  const aeff = buildBinTable({
    name: 'AEFF_NUMU',
    columns: [
      {
        name: 'ENERG_LO',
        format: `${nE}D`,
        unit: 'GeV',
        values: Float64Array.of(1e2, 1e3, 1e4, 1e5),
      },
      {
        name: 'ENERG_HI',
        format: `${nE}D`,
        unit: 'GeV',
        values: Float64Array.of(1e3, 1e4, 1e5, 1e6),
      },
      { name: 'THETA_LO', format: `${nT}D`, unit: 'deg', values: Float64Array.of(0, 60, 120) },
      { name: 'THETA_HI', format: `${nT}D`, unit: 'deg', values: Float64Array.of(60, 120, 180) },
      {
        name: 'EFFAREA',
        format: `${nE * nT}D`,
        unit: 'm2',
        dim: [nE, nT],
        values: Float64Array.from({ length: nE * nT }, (_, i) => 10 ** (i % nE)),
      },
    ],
    header: [
      ...common,
      { keyword: 'HDUCLAS1', value: 'RESPONSE' },
      { keyword: 'HDUCLAS2', value: 'EFF_AREA' },
      { keyword: 'HDUCLAS3', value: 'FULL-ENCLOSURE' },
      { keyword: 'HDUCLAS4', value: 'AEFF_2D' },
      { keyword: 'COMMENT', comment: 'THETA is the zenith angle; muon-neutrino effective area' },
    ],
  });
  await writeFits(path, [events, gti, aeff]);
}
