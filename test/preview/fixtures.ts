/** Event lists written by code for the preview tests: a point source over a flat background. */
import { buildBinTable, type Card, writeFits } from '../../src/fits/index.js';

export interface SyntheticEventList {
  readonly events: number;
  /** Fraction of events from a point source at (sourceRa, sourceDec). */
  readonly sourceFraction: number;
  readonly pointing: readonly [number, number];
  readonly source: readonly [number, number];
  readonly gtis: readonly (readonly [number, number])[];
  /** Energy column unit (values are drawn in TeV and converted). */
  readonly energyUnit?: 'TeV' | 'GeV';
}

/** Writes EVENTS (RA, DEC, ENERGY, TIME) and GTI HDUs; deterministic. */
export async function writeSyntheticEventList(
  path: string,
  spec: SyntheticEventList,
): Promise<void> {
  let seed = 7;
  const uniform = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return (seed + 0.5) / 4294967296;
  };
  const n = spec.events;
  const ra = new Float64Array(n);
  const dec = new Float64Array(n);
  const energy = new Float64Array(n);
  const time = new Float64Array(n);
  const good = spec.gtis.reduce((s, [a, b]) => s + (b - a), 0);
  const cosDec = Math.cos((spec.pointing[1] * Math.PI) / 180);
  for (let i = 0; i < n; i++) {
    const fromSource = uniform() < spec.sourceFraction;
    const [cx, cy, spread] = fromSource ? [...spec.source, 0.03] : [...spec.pointing, 1.5];
    const r = spread * Math.sqrt(-2 * Math.log(uniform()));
    const phi = 2 * Math.PI * uniform();
    dec[i] = cy + r * Math.sin(phi);
    ra[i] = cx + (r * Math.cos(phi)) / cosDec;
    energy[i] = 0.1 * Math.pow(uniform(), -1 / 1.7) * (spec.energyUnit === 'GeV' ? 1000 : 1);
    let t = uniform() * good;
    for (const [a, b] of spec.gtis) {
      if (t <= b - a) {
        time[i] = a + t;
        break;
      }
      t -= b - a;
    }
  }
  const cards: Card[] = [
    { keyword: 'HDUCLASS', value: 'GADF' },
    { keyword: 'HDUCLAS1', value: 'EVENTS' },
    { keyword: 'OBS_ID', value: 4242 },
    { keyword: 'OBJECT', value: 'Test source' },
    { keyword: 'TELESCOP', value: 'TEST' },
    { keyword: 'RA_PNT', value: spec.pointing[0] },
    { keyword: 'DEC_PNT', value: spec.pointing[1] },
    { keyword: 'MJDREFI', value: 51910 },
    { keyword: 'MJDREFF', value: 0.000742870370370241 },
    { keyword: 'TIMESYS', value: 'TT' },
    { keyword: 'TSTART', value: spec.gtis[0]![0] },
    { keyword: 'TSTOP', value: spec.gtis[spec.gtis.length - 1]![1] },
  ];
  await writeFits(path, [
    buildBinTable({
      name: 'EVENTS',
      columns: [
        { name: 'TIME', format: '1D', unit: 's', values: time },
        { name: 'RA', format: '1D', unit: 'deg', values: ra },
        { name: 'DEC', format: '1D', unit: 'deg', values: dec },
        { name: 'ENERGY', format: '1E', unit: spec.energyUnit ?? 'TeV', values: energy },
      ],
      header: cards,
    }),
    buildBinTable({
      name: 'GTI',
      columns: [
        { name: 'START', format: '1D', unit: 's', values: spec.gtis.map(([a]) => a) },
        { name: 'STOP', format: '1D', unit: 's', values: spec.gtis.map(([, b]) => b) },
      ],
      header: [
        { keyword: 'HDUCLASS', value: 'GADF' },
        { keyword: 'HDUCLAS1', value: 'GTI' },
      ],
    }),
  ]);
}
