/**
 * Writes a neutrino release as a GADF-like data store: one FITS file per season or
 * sample with EVENTS (energies in GeV, times from MJD UTC), GTI (the detector uptime)
 * and AEFF (effective area over true energy in GeV and THETA as zenith angle, as
 * KM3NeT/ANTARES publish theirs). The files are what DataLink serves as `#this` and
 * `#calibration`; a file whose content has not changed is left as it is, so that a
 * second ingest finds every season unchanged.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BinTableColumnSpec,
  buildBinTable,
  type Card,
  fitsFileBytes,
  type WritableHdu,
  writeFits,
} from '../fits/index.js';
import { GadfError } from './errors.js';
import type { NeutrinoEffectiveArea, NeutrinoRelease, NeutrinoSample } from './neutrino.js';
import { mjdUtcToMet, type TimeReference } from './time.js';

/** The epoch of the written TIME columns: 2001-01-01 00:00:00 UTC. */
const TIME_REFERENCE: TimeReference = { mjdRefInt: 51910, mjdRefFrac: 0, scale: 'UTC' };

/** Header keywords (hearc's, not GADF's) giving the declination band a sample covers, deg. */
export const DECLINATION_BAND_KEYWORDS = ['DEC_MIN', 'DEC_MAX'] as const;

export interface WrittenNeutrinoStore {
  readonly dir: string;
  /** The file of each sample, by sample name, relative to `dir`. */
  readonly files: ReadonlyMap<string, string>;
  /** Files written anew (the others were already up to date). */
  readonly written: readonly string[];
  readonly notes: readonly string[];
}

const card = (keyword: string, value: string | number, comment?: string): Card => ({
  keyword,
  value,
  ...(comment ? { comment } : {}),
});

/** Zenith angle at the South Pole of a declination: the detector sees declination δ at zenith 90° + δ. */
export function zenithOfDeclination(dec: number): number {
  return 90 + dec;
}

/** The declination band the sample covers: where its effective area is non-zero, else all the sky (IceCube sees every declination). */
function declinationBand(sample: NeutrinoSample): [number, number] {
  const aeff = sample.effectiveArea;
  if (aeff) {
    const rows = aeff.area.flatMap((row, id) => (row.some((a) => a > 0) ? [id] : []));
    if (rows.length > 0) {
      return [
        aeff.decEdges[Math.min(...rows)] as number,
        aeff.decEdges[Math.max(...rows) + 1] as number,
      ];
    }
  }
  return [-90, 90];
}

function gadfCards(clas1: string): Card[] {
  return [
    card('HDUCLASS', 'GADF'),
    card('HDUDOC', 'https://github.com/open-gamma-ray-astro/gamma-astro-data-formats'),
    card('HDUVERS', '0.3'),
    card('HDUCLAS1', clas1),
  ];
}

function eventsHdu(sample: NeutrinoSample, obsId: number, obsCards: readonly Card[]): WritableHdu {
  const { events } = sample;
  const n = events.mjd.length;
  const optional = (
    name: string,
    values: Float64Array | undefined,
    transform: (v: number) => number = (v) => v,
  ): BinTableColumnSpec[] =>
    values ? [{ name, format: '1D', unit: 'deg', values: values.map(transform) }] : [];
  const [decMin, decMax] = declinationBand(sample);
  return buildBinTable({
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
        values: events.mjd.map((m) => mjdUtcToMet(m, TIME_REFERENCE)),
      },
      { name: 'RA', format: '1D', unit: 'deg', values: events.ra },
      { name: 'DEC', format: '1D', unit: 'deg', values: events.dec },
      { name: 'ENERGY', format: '1D', unit: 'GeV', values: events.energyGeV },
      ...optional('DIR_ERR', events.angErr),
      ...optional('AZ', events.azimuth),
      ...optional('ALT', events.zenith, (z) => 90 - z),
    ],
    header: [
      ...gadfCards('EVENTS'),
      card('OBS_ID', obsId),
      ...obsCards,
      card('EV_CLASS', sample.eventClass, 'event selection of the sample'),
      card('DEC_MIN', decMin, '[deg] lowest declination the sample covers'),
      card('DEC_MAX', decMax, '[deg] highest declination the sample covers'),
    ],
  });
}

function gtiHdu(sample: NeutrinoSample, obsCards: readonly Card[]): WritableHdu {
  return buildBinTable({
    name: 'GTI',
    columns: [
      {
        name: 'START',
        format: '1D',
        unit: 's',
        values: Float64Array.from(sample.uptime, ([a]) => mjdUtcToMet(a, TIME_REFERENCE)),
      },
      {
        name: 'STOP',
        format: '1D',
        unit: 's',
        values: Float64Array.from(sample.uptime, ([, b]) => mjdUtcToMet(b, TIME_REFERENCE)),
      },
    ],
    header: [...gadfCards('GTI'), card('HDUCLAS2', 'STANDARD'), ...obsCards],
  });
}

/** AEFF_2D over true energy (GeV) and THETA = zenith angle (deg); the area in m² (the release gives cm²). */
function aeffHdu(aeff: NeutrinoEffectiveArea): WritableHdu {
  const nE = aeff.energyEdges.length - 1;
  const nT = aeff.decEdges.length - 1;
  const edges = (values: readonly number[], from: number, count: number) =>
    Float64Array.from({ length: count }, (_, i) => values[from + i] as number);
  const area = new Float64Array(nE * nT);
  for (let it = 0; it < nT; it++)
    for (let ie = 0; ie < nE; ie++)
      area[it * nE + ie] = ((aeff.area[it] as number[])[ie] as number) * 1e-4;
  const theta = aeff.decEdges.map(zenithOfDeclination);
  return buildBinTable({
    name: 'EFFECTIVE AREA',
    columns: [
      { name: 'ENERG_LO', format: `${nE}D`, unit: 'GeV', values: edges(aeff.energyEdges, 0, nE) },
      { name: 'ENERG_HI', format: `${nE}D`, unit: 'GeV', values: edges(aeff.energyEdges, 1, nE) },
      { name: 'THETA_LO', format: `${nT}D`, unit: 'deg', values: edges(theta, 0, nT) },
      { name: 'THETA_HI', format: `${nT}D`, unit: 'deg', values: edges(theta, 1, nT) },
      { name: 'EFFAREA', format: `${nE * nT}D`, unit: 'm2', dim: [nE, nT], values: area },
    ],
    header: [
      ...gadfCards('RESPONSE'),
      card('HDUCLAS2', 'EFF_AREA'),
      card('HDUCLAS3', 'FULL-ENCLOSURE'),
      card('HDUCLAS4', 'AEFF_2D'),
      {
        keyword: 'COMMENT',
        comment: 'THETA is the zenith angle at the South Pole: 90 deg + declination',
      },
      card('CREATOR', `hearc, from ${aeff.relativePath}`),
    ],
  });
}

/** Whether two FITS files hold the same cards and data, their CHECKSUM/DATASUM cards (stamped with the time written) aside. */
function sameContent(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  const blank = (buffer: Buffer): Buffer => {
    const copy = Buffer.from(buffer);
    for (let at = 0; at + 80 <= copy.length; at += 80) {
      const keyword = copy.toString('latin1', at, at + 9);
      if (keyword === 'CHECKSUM=' || keyword === 'DATASUM =') copy.fill(0x20, at, at + 80);
    }
    return copy;
  };
  return blank(a).equals(blank(b));
}

/** A file name of a sample name: letters, digits, '.', '_' and '-' kept. */
function fileNameOf(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.fits`;
}

/**
 * Writes each sample of the release into `dir` (OBS_ID = its rank in time order, from 1).
 * Nothing is half-written: each file appears whole (temporary name, then rename).
 */
export async function writeNeutrinoStore(
  release: NeutrinoRelease,
  dir: string,
): Promise<WrittenNeutrinoStore> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new GadfError(
      `cannot create the folder for the FITS form of the neutrino release (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      dir,
    );
  }
  const files = new Map<string, string>();
  const written: string[] = [];
  const notes: string[] = [];
  for (const [i, sample] of release.samples.entries()) {
    const obsId = i + 1;
    const start = sample.uptime[0]?.[0] as number;
    const stop = Math.max(...sample.uptime.map(([, b]) => b));
    const tstart = mjdUtcToMet(start, TIME_REFERENCE);
    const tstop = mjdUtcToMet(stop, TIME_REFERENCE);
    const uptimeSeconds = sample.uptime.reduce(
      (sum, [a, b]) => sum + mjdUtcToMet(b, TIME_REFERENCE) - mjdUtcToMet(a, TIME_REFERENCE),
      0,
    );
    const obsCards = [
      card('TELESCOP', 'IceCube'),
      card('INSTRUME', sample.instrument),
      card('OBS_MODE', 'DRIFT', 'fixed to the Earth: the sky drifts through'),
      card('SEASON', sample.name, 'season or sample of the release'),
      card('MJDREFI', TIME_REFERENCE.mjdRefInt),
      card('MJDREFF', TIME_REFERENCE.mjdRefFrac),
      card('TIMESYS', TIME_REFERENCE.scale),
      card('TIMEUNIT', 's'),
      card('TIMEREF', 'LOCAL'),
      card('TSTART', tstart),
      card('TSTOP', tstop),
      card('ONTIME', uptimeSeconds, '[s] detector uptime'),
      card('LIVETIME', uptimeSeconds, '[s] detector uptime'),
      card('DEADC', 1),
      card('GEOLAT', -90),
      card('GEOLON', 0),
      card('ORIGIN', 'IceCube Collaboration'),
      card('CREATOR', `hearc, from ${sample.sources.join(' ')}`),
    ];
    const hdus = [eventsHdu(sample, obsId, obsCards), gtiHdu(sample, obsCards)];
    if (sample.effectiveArea) hdus.push(aeffHdu(sample.effectiveArea));
    const name = fileNameOf(sample.name);
    const path = join(dir, name);
    const bytes = fitsFileBytes(hdus, path);
    const existing = await readFile(path).catch(() => undefined);
    if (!existing || !sameContent(Buffer.from(bytes), existing)) {
      await writeFits(path, hdus);
      written.push(name);
    }
    files.set(sample.name, name);
    notes.push(...sample.notes);
  }
  return { dir, files, written, notes };
}
