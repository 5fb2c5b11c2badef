/**
 * Unit conversion for IN_UNIT (ADQL 2.1 §4.8): parses VOUnit strings (IVOA VOUnits 1.0:
 * prefixes, products with '.', division with '/', powers with '**', numeric scale
 * factors) into a scale and a dimension, so that a value can be converted between
 * two units of the same dimension by one multiplication.
 */

/** Exponents of the base dimensions; angles count as their own dimension. */
type Dimension = readonly [
  m: number,
  kg: number,
  s: number,
  A: number,
  K: number,
  mol: number,
  cd: number,
  rad: number,
];

interface Quantity {
  readonly scale: number;
  readonly dim: Dimension;
}

const none: Dimension = [0, 0, 0, 0, 0, 0, 0, 0];
const dim = (...exponents: number[]): Dimension =>
  none.map((_, i) => exponents[i] ?? 0) as unknown as Dimension;

const degree = Math.PI / 180;
const lightSpeed = 299792458;
const electronVolt = 1.602176634e-19;
const astronomicalUnit = 1.495978707e11;
const julianYear = 365.25 * 86400;

/** Base units (VOUnits 1.0 Tables 1-3); `prefixes: false` for those that take none. */
const units: Readonly<Record<string, Quantity & { readonly prefixes?: boolean }>> = {
  m: { scale: 1, dim: dim(1) },
  g: { scale: 1e-3, dim: dim(0, 1) },
  s: { scale: 1, dim: dim(0, 0, 1) },
  A: { scale: 1, dim: dim(0, 0, 0, 1) },
  K: { scale: 1, dim: dim(0, 0, 0, 0, 1) },
  mol: { scale: 1, dim: dim(0, 0, 0, 0, 0, 1) },
  cd: { scale: 1, dim: dim(0, 0, 0, 0, 0, 0, 1) },
  rad: { scale: 1, dim: dim(0, 0, 0, 0, 0, 0, 0, 1) },
  sr: { scale: 1, dim: dim(0, 0, 0, 0, 0, 0, 0, 2) },
  Hz: { scale: 1, dim: dim(0, 0, -1) },
  N: { scale: 1, dim: dim(1, 1, -2) },
  J: { scale: 1, dim: dim(2, 1, -2) },
  W: { scale: 1, dim: dim(2, 1, -3) },
  Pa: { scale: 1, dim: dim(-1, 1, -2) },
  C: { scale: 1, dim: dim(0, 0, 1, 1) },
  V: { scale: 1, dim: dim(2, 1, -3, -1) },
  Ohm: { scale: 1, dim: dim(2, 1, -3, -2) },
  S: { scale: 1, dim: dim(-2, -1, 3, 2) },
  F: { scale: 1, dim: dim(-2, -1, 4, 2) },
  Wb: { scale: 1, dim: dim(2, 1, -2, -1) },
  T: { scale: 1, dim: dim(0, 1, -2, -1) },
  H: { scale: 1, dim: dim(2, 1, -2, -2) },
  lm: { scale: 1, dim: dim(0, 0, 0, 0, 0, 0, 1, 2) },
  lx: { scale: 1, dim: dim(-2, 0, 0, 0, 0, 0, 1, 2) },
  deg: { scale: degree, dim: dim(0, 0, 0, 0, 0, 0, 0, 1), prefixes: false },
  arcmin: { scale: degree / 60, dim: dim(0, 0, 0, 0, 0, 0, 0, 1), prefixes: false },
  arcsec: { scale: degree / 3600, dim: dim(0, 0, 0, 0, 0, 0, 0, 1), prefixes: false },
  mas: { scale: degree / 3.6e6, dim: dim(0, 0, 0, 0, 0, 0, 0, 1), prefixes: false },
  uas: { scale: degree / 3.6e9, dim: dim(0, 0, 0, 0, 0, 0, 0, 1), prefixes: false },
  min: { scale: 60, dim: dim(0, 0, 1), prefixes: false },
  h: { scale: 3600, dim: dim(0, 0, 1), prefixes: false },
  d: { scale: 86400, dim: dim(0, 0, 1), prefixes: false },
  a: { scale: julianYear, dim: dim(0, 0, 1) },
  yr: { scale: julianYear, dim: dim(0, 0, 1) },
  eV: { scale: electronVolt, dim: dim(2, 1, -2) },
  erg: { scale: 1e-7, dim: dim(2, 1, -2) },
  Ry: { scale: 13.605693122994 * electronVolt, dim: dim(2, 1, -2) },
  Jy: { scale: 1e-26, dim: dim(0, 1, -2) },
  Angstrom: { scale: 1e-10, dim: dim(1), prefixes: false },
  angstrom: { scale: 1e-10, dim: dim(1), prefixes: false },
  AU: { scale: astronomicalUnit, dim: dim(1), prefixes: false },
  au: { scale: astronomicalUnit, dim: dim(1), prefixes: false },
  pc: { scale: (astronomicalUnit * 648000) / Math.PI, dim: dim(1) },
  lyr: { scale: lightSpeed * julianYear, dim: dim(1) },
  solMass: { scale: 1.98847e30, dim: dim(0, 1), prefixes: false },
  solRad: { scale: 6.957e8, dim: dim(1), prefixes: false },
  solLum: { scale: 3.828e26, dim: dim(2, 1, -3), prefixes: false },
  barn: { scale: 1e-28, dim: dim(2) },
  b: { scale: 1e-28, dim: dim(2) },
  G: { scale: 1e-4, dim: dim(0, 1, -2, -1) },
  ct: { scale: 1, dim: none },
  count: { scale: 1, dim: none },
  ph: { scale: 1, dim: none },
  photon: { scale: 1, dim: none },
  pix: { scale: 1, dim: none },
  pixel: { scale: 1, dim: none },
  '%': { scale: 0.01, dim: none, prefixes: false },
};

const prefixes: Readonly<Record<string, number>> = {
  y: 1e-24,
  z: 1e-21,
  a: 1e-18,
  f: 1e-15,
  p: 1e-12,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  c: 1e-2,
  d: 1e-1,
  da: 1e1,
  h: 1e2,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Z: 1e21,
  Y: 1e24,
};

export class UnitError extends Error {}

function lookupSymbol(symbol: string): Quantity {
  const exact = units[symbol];
  if (exact) return exact;
  for (const [prefix, factor] of Object.entries(prefixes)) {
    if (symbol.length > prefix.length && symbol.startsWith(prefix)) {
      const base = units[symbol.slice(prefix.length)];
      if (base && base.prefixes !== false) return { scale: factor * base.scale, dim: base.dim };
    }
  }
  throw new UnitError(`'${symbol}' is not a unit this service knows`);
}

const multiply = (a: Quantity, b: Quantity, sign = 1): Quantity => ({
  scale: sign > 0 ? a.scale * b.scale : a.scale / b.scale,
  dim: a.dim.map((e, i) => e + sign * (b.dim[i] ?? 0)) as unknown as Dimension,
});

const power = (a: Quantity, p: number): Quantity => ({
  scale: a.scale ** p,
  dim: a.dim.map((e) => e * p) as unknown as Dimension,
});

/** A small recursive-descent reader of the VOUnit grammar. */
class UnitReader {
  private i = 0;
  constructor(private readonly text: string) {}

  read(): Quantity {
    if (this.text.trim() === '') throw new UnitError('the unit is empty');
    let q = this.scaleFactor();
    q = multiply(q, this.product());
    if (this.i < this.text.length) throw new UnitError(`unexpected '${this.text.slice(this.i)}'`);
    return q;
  }

  private scaleFactor(): Quantity {
    const m = /^(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?:\*\*([+-]?\d+))?\s*/.exec(
      this.text.slice(this.i),
    );
    if (!m || m[0].length === 0) return { scale: 1, dim: none };
    this.i += m[0].length;
    const base = Number(m[1]);
    return { scale: m[2] === undefined ? base : base ** Number(m[2]), dim: none };
  }

  private product(): Quantity {
    let q = this.term();
    while (this.text[this.i] === '.' || this.text[this.i] === '/') {
      const op = this.text[this.i++];
      q = multiply(q, this.term(), op === '.' ? 1 : -1);
    }
    return q;
  }

  private term(): Quantity {
    let q: Quantity;
    if (this.text[this.i] === '(') {
      this.i++;
      q = this.product();
      if (this.text[this.i++] !== ')') throw new UnitError("missing ')'");
    } else {
      const m = /^[A-Za-z%]+/.exec(this.text.slice(this.i));
      if (!m) throw new UnitError(`expected a unit symbol at '${this.text.slice(this.i)}'`);
      this.i += m[0].length;
      q = lookupSymbol(m[0]);
    }
    if (this.text.startsWith('**', this.i)) {
      this.i += 2;
      q = power(q, this.exponent());
    }
    return q;
  }

  private exponent(): number {
    const m = /^(?:\(([+-]?\d+(?:\.\d+)?)(?:\/(\d+))?\)|([+-]?\d+(?:\.\d+)?))/.exec(
      this.text.slice(this.i),
    );
    if (!m) throw new UnitError('expected a number after **');
    this.i += m[0].length;
    if (m[3] !== undefined) return Number(m[3]);
    return Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2]));
  }
}

export function parseUnit(text: string): Quantity {
  return new UnitReader(text.trim()).read();
}

/**
 * The factor f such that value_in_`to` = value_in_`from` * f.
 * Throws UnitError when a unit is unknown or the dimensions differ.
 */
export function conversionFactor(from: string, to: string): number {
  const a = parseUnit(from);
  const b = parseUnit(to);
  const same = a.dim.every((e, i) => Math.abs(e - (b.dim[i] ?? 0)) < 1e-12);
  if (!same)
    throw new UnitError(`'${from}' cannot be converted to '${to}': they measure different things`);
  return a.scale / b.scale;
}
