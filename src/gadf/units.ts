/**
 * The units event lists state (TUNITn, EUNIT, TIMEUNIT), as factors to the units hearc
 * computes in: TeV for energies, degrees for angles, seconds for times. Unit strings
 * follow the FITS standard (section 4.3): case matters (`MeV` is not `meV`).
 */

const ENERGY_PREFIX: Readonly<Record<string, number>> = {
  '': 1e-12,
  k: 1e-9,
  M: 1e-6,
  G: 1e-3,
  T: 1,
  P: 1e3,
  E: 1e6,
};

const ANGLE: Readonly<Record<string, number>> = {
  deg: 1,
  degree: 1,
  degrees: 1,
  rad: 180 / Math.PI,
  arcmin: 1 / 60,
  arcsec: 1 / 3600,
};

const TIME: Readonly<Record<string, number>> = {
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  min: 60,
  h: 3600,
  d: 86400,
};

export type Quantity = 'energy' | 'angle' | 'time';

/** TeV, deg or s per `unit`; undefined when the string is not a unit of that quantity. */
export function unitFactor(quantity: Quantity, unit: string): number | undefined {
  const u = unit.trim();
  switch (quantity) {
    case 'energy': {
      const match = /^([kMGTPE]?)eV$/.exec(u);
      if (match) return ENERGY_PREFIX[match[1]!];
      return u === 'erg' ? 1 / 1.602176634 : undefined;
    }
    case 'angle':
      return ANGLE[u];
    case 'time':
      return TIME[u];
  }
}

/** The unit hearc computes `quantity` in. */
export const CANONICAL_UNIT: Readonly<Record<Quantity, string>> = {
  energy: 'TeV',
  angle: 'deg',
  time: 's',
};
