/** Where axes get ticks and how their labels read: nice linear steps, decades, short numbers. */

/** The step among 1, 2, 2.5, 5 x 10^k closest above `range / target`. */
export function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw * 0.999) return m * power;
  return 10 * power;
}

/** Multiples of `step` within [lo, hi]. */
export function stepTicks(lo: number, hi: number, step: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return ticks;
}

/** About `target` round values between lo and hi. */
export function linearTicks(lo: number, hi: number, target = 5): number[] {
  return stepTicks(lo, hi, niceStep(hi - lo, target));
}

/** Decades (major) and 2..9 times decades (minor) within [lo, hi], lo > 0. */
export function logTicks(lo: number, hi: number): { major: number[]; minor: number[] } {
  const major: number[] = [];
  const minor: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (let m = 1; m <= 9; m++) {
      const v = Number((m * Math.pow(10, k)).toPrecision(12));
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      (m === 1 ? major : minor).push(v);
    }
  }
  return { major, minor };
}

/** A short label: plain decimals from 0.001 to 99999, else 1e6 style; no float noise. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e5) return String(Number(value.toPrecision(6)));
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  const m = String(Number(Number(mantissa).toPrecision(3)));
  return `${m}e${Number(exponent)}`;
}
