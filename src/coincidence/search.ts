/**
 * The coincidence search: which observations looked at an alert's localisation during
 * its time window, with the probability inside each field of view, the time from the
 * event to the nearest good time interval and the livetime within the window.
 */
import type { ProbabilityMap } from '../alerts/index.js';
import { type FieldOfView, polygonFieldOfView, SkyIndex } from './sky-index.js';

export interface ObservationFootprint {
  readonly did: string;
  readonly obsId: string;
  /** s_region as a DALI polygon (ra, dec pairs, deg); absent: the disc of `fovRadius` about (ra, dec). */
  readonly polygon?: readonly number[];
  readonly ra?: number;
  readonly dec?: number;
  readonly fovRadius?: number;
  /** Good time intervals, MJD (UTC), sorted. */
  readonly gtis: readonly (readonly [number, number])[];
  /** Livetime / ontime (1 when unknown). */
  readonly deadc: number;
}

export interface CoincidenceWindow {
  /** Event time, MJD. */
  readonly tEvent: number;
  /** Days before and after the event. */
  readonly before: number;
  readonly after: number;
}

export interface Coincidence {
  readonly observation: ObservationFootprint;
  /** Localisation probability inside the field of view. */
  readonly prob: number;
  /** Days from the event to the nearest GTI (0 inside one; negative when the GTI came before). */
  readonly dt: number;
  /** Livetime in the window, seconds. */
  readonly livetime: number;
}

/** Livetime (s) of the GTIs within [start, stop] and the signed distance (d) from t to the nearest GTI. */
export function timeOverlap(
  obs: ObservationFootprint,
  window: CoincidenceWindow,
): { livetime: number; dt: number } | undefined {
  const start = window.tEvent - window.before;
  const stop = window.tEvent + window.after;
  let overlap = 0;
  let dt = Number.POSITIVE_INFINITY;
  for (const [a, b] of obs.gtis) {
    const lo = Math.max(a, start);
    const hi = Math.min(b, stop);
    if (hi > lo) overlap += hi - lo;
    const d = window.tEvent < a ? a - window.tEvent : window.tEvent > b ? b - window.tEvent : 0;
    if (Math.abs(d) < Math.abs(dt)) dt = d;
  }
  if (!(overlap > 0)) return undefined;
  return { livetime: overlap * 86400 * obs.deadc, dt };
}

export function fieldOfViewOf(obs: ObservationFootprint): FieldOfView | undefined {
  if (obs.polygon && obs.polygon.length >= 6) return polygonFieldOfView(obs.polygon);
  if (obs.ra === undefined || obs.dec === undefined || obs.fovRadius === undefined)
    return undefined;
  return { ra: obs.ra, dec: obs.dec, outer: obs.fovRadius, inner: obs.fovRadius };
}

/** A sort key that puts observations near each other on the sky together: 1° bands of the first corner's dec, then ra. */
function skyKey(obs: ObservationFootprint): number | undefined {
  const [ra, dec] =
    obs.polygon && obs.polygon.length >= 6
      ? [obs.polygon[0] as number, obs.polygon[1] as number]
      : [obs.ra, obs.dec];
  return ra === undefined || dec === undefined ? undefined : Math.floor(dec + 90) * 360 + ra;
}

/**
 * Observations with their fields of view, neighbours on the sky one after the other (they
 * read the same part of the index): built once per catalog state and kept between requests.
 */
export class FieldsOfView {
  readonly observations: readonly ObservationFootprint[];
  readonly fields: readonly FieldOfView[];
  /** Per skymap index, the probability in each field worked out so far (NaN: not yet). */
  private readonly probabilities = new WeakMap<SkyIndex, Float64Array>();

  constructor(observations: Iterable<ObservationFootprint>) {
    const keyed: { observation: ObservationFootprint; fov: FieldOfView; key: number }[] = [];
    for (const observation of observations) {
      const key = skyKey(observation);
      const fov = key === undefined ? undefined : fieldOfViewOf(observation);
      if (key !== undefined && fov) keyed.push({ observation, fov, key });
    }
    keyed.sort((a, b) => a.key - b.key);
    this.observations = keyed.map((k) => k.observation);
    this.fields = keyed.map((k) => k.fov);
  }

  /**
   * The probability of `index` in field `i`, worked out once per kept index: both never
   * change, and a repeated search of an alert would otherwise spend most of its time here.
   */
  probabilityIn(index: SkyIndex, i: number): number {
    let known = this.probabilities.get(index);
    if (!known) {
      known = new Float64Array(this.fields.length).fill(Number.NaN);
      this.probabilities.set(index, known);
    }
    const prob = known[i] as number;
    if (!Number.isNaN(prob)) return prob;
    return (known[i] = index.probabilityIn(this.fields[i] as FieldOfView));
  }
}

/** Observations in the window whose field of view holds some of the probability, most probable first. */
export function searchCoincidences(
  map: ProbabilityMap | SkyIndex,
  observations: Iterable<ObservationFootprint> | FieldsOfView,
  window: CoincidenceWindow,
): Coincidence[] {
  const index = map instanceof SkyIndex ? map : new SkyIndex(map);
  // Not prepared beforehand: fields of view for the observations in the window only.
  const prepared =
    observations instanceof FieldsOfView
      ? observations
      : new FieldsOfView(inWindow(observations, window));
  const found: Coincidence[] = [];
  prepared.observations.forEach((observation, i) => {
    const time = timeOverlap(observation, window);
    if (!time) return;
    const prob = prepared.probabilityIn(index, i);
    if (prob > 0) found.push({ observation, prob, ...time });
  });
  return found.sort((a, b) => b.prob - a.prob || Math.abs(a.dt) - Math.abs(b.dt));
}

function* inWindow(
  observations: Iterable<ObservationFootprint>,
  window: CoincidenceWindow,
): Iterable<ObservationFootprint> {
  for (const observation of observations) {
    if (timeOverlap(observation, window)) yield observation;
  }
}
