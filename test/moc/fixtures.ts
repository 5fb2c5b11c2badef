/**
 * The coverage tests' store: simulated observations of two targets on either side of
 * RA=0, one in each hemisphere, served over HTTP as collection 'sim'; and its
 * observations as TAP gives them.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { simulateDataStore } from '../../src/sim/simulate.js';
import { serveStore } from '../datalink/fixtures.js';
import { tapRows } from '../helpers/tap.js';
import { tempDir } from '../helpers/tmp.js';

export const ACROSS_RA_ZERO_COLLECTION = 'sim';

/** Serves `observations` simulated across RA=0 in both hemispheres; its address. */
export async function serveAcrossRaZero(
  t: TestContext,
  observations: number,
  seed: number,
): Promise<string> {
  const dir = join(tempDir(t), 'store');
  await simulateDataStore({
    outDir: dir,
    observations,
    seed,
    eventsPerObservation: 150,
    targets: [
      { name: 'North of RA 0', ra: 359.7, dec: 25 },
      { name: 'South of RA 0', ra: 0.3, dec: -52 },
    ],
  });
  return (await serveStore(t, dir, ACROSS_RA_ZERO_COLLECTION)).address;
}

export interface ObservationRow {
  obs_id: string;
  s_region: unknown;
  s_ra: number;
  s_dec: number;
  t_intervals: string;
}

/** The served observations with their fields of view and GTIs, by obs_id. */
export async function observations(address: string): Promise<ObservationRow[]> {
  return (await tapRows(
    address,
    'SELECT o.obs_id, o.s_region, o.s_ra, o.s_dec, h.t_intervals FROM ivoa.obscore AS o ' +
      'JOIN ivoa.obscore_hea AS h ON o.obs_publisher_did = h.obs_publisher_did ORDER BY o.obs_id',
  )) as unknown as ObservationRow[];
}
