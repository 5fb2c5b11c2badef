/**
 * An OGIP photon event file like the Fermi-LAT FT1 files of the FSSC: an EVENTS table
 * (ENERGY in MeV, times in mission elapsed seconds, no OBS_ID) and its GTI. hearc does
 * not publish these yet; the fixture checks that it says so, naming the file.
 */
import { type Card, buildBinTable, writeFits } from '../fits/index.js';
import { Random } from './random.js';

/** Fermi's mission epoch, 2001-01-01 00:00:00 UTC, as MJD (TT). */
const MJDREFI = 51910;
const MJDREFF = 7.428703703703703e-4;

export async function writeOgipPhotonFile(
  path: string,
  options: { readonly seed: number; readonly events: number },
): Promise<void> {
  const rng = new Random(options.seed);
  const n = options.events;
  const tstart = 700_000_000;
  const tstop = tstart + 86_400;
  const time = Float64Array.from({ length: n }, () => rng.between(tstart, tstop)).sort();
  const ogip: Card[] = [
    { keyword: 'TELESCOP', value: 'GLAST' },
    { keyword: 'INSTRUME', value: 'LAT' },
    { keyword: 'HDUCLASS', value: 'OGIP' },
    { keyword: 'TIMESYS', value: 'TT' },
    { keyword: 'TIMEUNIT', value: 's' },
    { keyword: 'TIMEREF', value: 'SOLARSYSTEM' },
    { keyword: 'MJDREFI', value: MJDREFI },
    { keyword: 'MJDREFF', value: MJDREFF },
    { keyword: 'TSTART', value: tstart },
    { keyword: 'TSTOP', value: tstop },
  ];
  const events = buildBinTable({
    name: 'EVENTS',
    columns: [
      {
        name: 'ENERGY',
        format: '1E',
        unit: 'MeV',
        values: Float32Array.from({ length: n }, () => rng.powerLaw(2.2, 100, 300_000)),
      },
      {
        name: 'RA',
        format: '1E',
        unit: 'deg',
        values: Float32Array.from({ length: n }, () => rng.between(0, 360)),
      },
      {
        name: 'DEC',
        format: '1E',
        unit: 'deg',
        values: Float32Array.from({ length: n }, () => rng.between(-90, 90)),
      },
      { name: 'TIME', format: '1D', unit: 's', values: time },
      {
        name: 'EVENT_CLASS',
        format: '1J',
        values: Int32Array.from({ length: n }, () => 128),
      },
    ],
    header: [
      ...ogip,
      { keyword: 'HDUCLAS1', value: 'EVENTS' },
      { keyword: 'HDUCLAS2', value: 'ALL' },
    ],
  });
  const gti = buildBinTable({
    name: 'GTI',
    columns: [
      { name: 'START', format: '1D', unit: 's', values: Float64Array.of(tstart) },
      { name: 'STOP', format: '1D', unit: 's', values: Float64Array.of(tstop) },
    ],
    header: [
      ...ogip,
      { keyword: 'HDUCLAS1', value: 'GTI' },
      { keyword: 'HDUCLAS2', value: 'STANDARD' },
    ],
  });
  await writeFits(path, [events, gti]);
}
