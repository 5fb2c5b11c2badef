/** The footprints of the published observations: field of view, GTIs and dead time from the catalog. */
import type { CatalogRow, Engine } from '../engine/index.js';
import { jdIntervalsOfTimeMoc } from '../moc/index.js';
import { obscoreHeaTable, obscoreTable } from '../obscore/schema.js';
import type { ObservationFootprint } from './search.js';

const MJD_JD = 2400000.5;

/**
 * GTIs in MJD (UTC) from an observation's time MOC (barycentric TCB) moved onto its
 * t_min: the light-time and time-scale offset is constant to milliseconds over a run.
 */
export function gtisOf(row: CatalogRow, timeMoc: string | undefined): [number, number][] {
  const tMin = Number(row.t_min);
  const tMax = Number(row.t_max);
  if (!Number.isFinite(tMin) || !Number.isFinite(tMax)) return [];
  if (timeMoc) {
    try {
      const jd = jdIntervalsOfTimeMoc(timeMoc);
      const first = jd[0];
      if (first) {
        const shift = tMin - (first[0] - MJD_JD);
        return jd.map(([a, b]) => [a - MJD_JD + shift, Math.min(tMax, b - MJD_JD + shift)]);
      }
    } catch {
      // An unreadable MOC: the run's span stands for its GTIs.
    }
  }
  return [[tMin, tMax]];
}

export function footprintOf(row: CatalogRow, timeMoc: string | undefined): ObservationFootprint {
  const polygon = Array.isArray(row.s_region) ? (row.s_region as readonly number[]) : undefined;
  const fov = Number(row.s_fov);
  const deadc = Number(row.deadc);
  return {
    did: String(row.obs_publisher_did),
    obsId: String(row.obs_id),
    ...(polygon ? { polygon } : {}),
    ...(typeof row.s_ra === 'number' ? { ra: row.s_ra } : {}),
    ...(typeof row.s_dec === 'number' ? { dec: row.s_dec } : {}),
    ...(Number.isFinite(fov) && fov > 0 ? { fovRadius: fov / 2 } : {}),
    gtis: gtisOf(row, timeMoc),
    deadc: Number.isFinite(deadc) && deadc > 0 && deadc <= 1 ? deadc : 1,
  };
}

/** Every published observation's footprint. */
export async function loadFootprints(engine: Engine): Promise<ObservationFootprint[]> {
  const [rows, hea] = await Promise.all([
    engine.selectRows(obscoreTable),
    engine.selectRows(obscoreHeaTable),
  ]);
  const mocs = new Map<string, string>();
  for (const h of hea) {
    if (typeof h.t_intervals === 'string') mocs.set(String(h.obs_publisher_did), h.t_intervals);
  }
  return rows.map((row) => footprintOf(row, mocs.get(String(row.obs_publisher_did))));
}
