/**
 * OGIP photon lists, the second input family: Fermi-LAT FT1 photon files as the FSSC
 * serves them (EVENTS with TIME in mission elapsed seconds, ENERGY in MeV, RA/DEC, and
 * the selection cuts in the data-subspace (DSS) keywords; GTI), optionally with their
 * FT2 spacecraft file (SC_DATA: the livetime of each 30 s interval). The events go
 * through the one event-list reader; this module reads what is OGIP-specific.
 */
import type { Header, HduSummary, ScannedFile } from '../fits/index.js';
import { BinTableHdu } from '../fits/index.js';
import { GadfError } from './errors.js';
import { unitFactor } from './units.js';

/** True for the EVENTS header of an OGIP photon list (HDUCLASS 'OGIP', or a Fermi/GLAST file) that is not GADF. */
export function isOgipPhotonList(header: Header): boolean {
  if (header.getString('HDUCLASS')?.trim().toUpperCase() === 'GADF') return false;
  return (
    header.getString('HDUCLASS')?.trim().toUpperCase() === 'OGIP' ||
    /^(GLAST|FERMI)/i.test(header.getString('TELESCOP')?.trim() ?? '')
  );
}

/** The facility an OGIP header names: GLAST has been Fermi since 2008. */
export function facilityOf(header: Header): string | undefined {
  const telescop = header.getString('TELESCOP')?.trim();
  if (!telescop) return undefined;
  return /^(GLAST|FERMI)$/i.test(telescop) ? 'Fermi' : telescop;
}

/**
 * The OBS_ID of a photon list that has none: the integer part of TSTART (mission
 * elapsed seconds), unique per file of one mission and stable across re-ingests.
 */
export function photonListObsId(header: Header): string | undefined {
  const tstart = header.has('TSTART') ? header.getNumber('TSTART') : undefined;
  return tstart !== undefined && Number.isFinite(tstart) && tstart >= 0
    ? String(Math.floor(tstart))
    : undefined;
}

/** The selection a photon list was made with, from its DSS keywords. */
export interface DataSubspace {
  /** The cone of POS(RA,DEC), deg; absent for an all-sky selection. */
  readonly cone?: { readonly ra: number; readonly dec: number; readonly radius: number };
  /** The ENERGY range, TeV. */
  readonly energy?: readonly [number, number];
  /** Largest ZENITH_ANGLE, deg. */
  readonly zenithMax?: number;
  /** The event class of BIT_MASK(EVENT_CLASS, bit, pass), e.g. 'P8R3_SOURCE'. */
  readonly eventClass?: string;
}

/** Pass 8 event classes by their EVENT_CLASS bit value (FSSC Cicerone). */
const PASS8_CLASSES: Readonly<Record<number, string>> = {
  128: 'SOURCE',
  256: 'CLEAN',
  512: 'ULTRACLEAN',
  1024: 'ULTRACLEANVETO',
};

function range(value: string): [number, number] | undefined {
  const match = /^\s*([-+0-9.eE]*)\s*:\s*([-+0-9.eE]*)\s*$/.exec(value);
  if (!match) return undefined;
  const lo = match[1] === '' ? -Infinity : Number(match[1]);
  const hi = match[2] === '' ? Infinity : Number(match[2]);
  return Number.isNaN(lo) || Number.isNaN(hi) ? undefined : [lo, hi];
}

/** Reads the DSS keywords (DSTYPn, DSUNIn, DSVALn); a value it cannot read is an error naming the keyword. */
export function dataSubspaceOf(header: Header, where: string): DataSubspace {
  let cone: DataSubspace['cone'];
  let energy: DataSubspace['energy'];
  let zenithMax: number | undefined;
  let eventClass: string | undefined;
  const count = header.getInteger('NDSKEYS') ?? 99;
  for (let n = 1; n <= count && header.has(`DSTYP${n}`); n++) {
    const type = (header.getString(`DSTYP${n}`) ?? '').trim().toUpperCase().replace(/\s+/g, '');
    const value = (header.getString(`DSVAL${n}`) ?? '').trim();
    const unit = header.getString(`DSUNI${n}`)?.trim() ?? '';
    const bad = (what: string): GadfError =>
      new GadfError(`DSVAL${n} '${value}' (${type}) is not ${what}`, where);
    if (type === 'POS(RA,DEC)') {
      const circle = /^CIRCLE\(([^,]+),([^,]+),([^)]+)\)$/i.exec(value.replace(/\s+/g, ''));
      if (!circle) throw bad('CIRCLE(ra,dec,radius)');
      const [ra, dec, radius] = circle.slice(1, 4).map(Number) as [number, number, number];
      if (![ra, dec, radius].every(Number.isFinite) || radius <= 0) throw bad('a cone');
      const factor = unitFactor('angle', unit || 'deg');
      if (factor === undefined)
        throw new GadfError(`DSUNI${n} '${unit}' is not a unit of angle`, where);
      // A cone of 180 deg or more is the whole sky.
      if (radius * factor < 180)
        cone = { ra: ra * factor, dec: dec * factor, radius: radius * factor };
    } else if (type === 'ENERGY') {
      const r = range(value);
      if (!r) throw bad('a range lo:hi');
      // OGIP photon lists state energies in MeV (FT1) when DSUNI does not say.
      const factor = unitFactor('energy', unit || 'MeV');
      if (factor === undefined)
        throw new GadfError(`DSUNI${n} '${unit}' is not a unit of energy`, where);
      energy = [r[0] * factor, r[1] * factor];
    } else if (type === 'ZENITH_ANGLE') {
      zenithMax = range(value)?.[1];
    } else {
      const mask = /^BIT_MASK\(EVENT_CLASS,(\d+),([^)]*)\)$/.exec(type);
      if (mask) {
        const bit = Number(mask[1]);
        const pass = mask[2] ?? '';
        eventClass = `${pass}${pass ? '_' : ''}${PASS8_CLASSES[bit] ?? `EVENT_CLASS_${bit}`}`;
      }
    }
  }
  return {
    ...(cone ? { cone } : {}),
    ...(energy ? { energy } : {}),
    ...(zenithMax !== undefined ? { zenithMax } : {}),
    ...(eventClass ? { eventClass } : {}),
  };
}

/** The spacecraft table of an FT2 file (SC_DATA with START, STOP, LIVETIME), when the file is one. */
export function spacecraftHdu(hdus: readonly HduSummary[]): HduSummary | undefined {
  return hdus.find((h) => {
    if (h.kind !== 'bintable' || h.name.toUpperCase() !== 'SC_DATA') return false;
    const names = new Set<string>();
    for (let i = 1; i <= (h.header.getInteger('TFIELDS') ?? 0); i++)
      names.add(h.header.getString(`TTYPE${i}`)?.trim().toUpperCase() ?? '');
    return ['START', 'STOP', 'LIVETIME'].every((c) => names.has(c));
  });
}

/**
 * The livetime within `gtis` (mission elapsed seconds) from an FT2 file, from the pass
 * over it that kept its SC_DATA table: each interval's LIVETIME, in the share of the
 * interval the GTIs cover.
 */
export function spacecraftLivetime(
  scan: ScannedFile,
  path: string,
  gtis: readonly (readonly [number, number])[],
): number {
  const summary = scan.hdus.find((h) => h.name.toUpperCase() === 'SC_DATA');
  const table = summary && scan.kept.get(summary.index);
  if (!(table instanceof BinTableHdu)) throw new GadfError('has no SC_DATA table', path);
  const rows = table.readRows(0, table.rowCount, ['START', 'STOP', 'LIVETIME']);
  const col = (name: string) => rows.column(name).values as ArrayLike<number>;
  const [start, stop, live] = [col('START'), col('STOP'), col('LIVETIME')];
  let total = 0;
  for (let i = 0; i < rows.rowCount; i++) {
    const [a, b] = [start[i] as number, stop[i] as number];
    if (!(b > a)) continue;
    let covered = 0;
    for (const [g0, g1] of gtis) covered += Math.max(0, Math.min(b, g1) - Math.max(a, g0));
    total += ((live[i] as number) * covered) / (b - a);
  }
  return total;
}
