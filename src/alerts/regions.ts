/**
 * The credible regions of a stored alert as MOC files (MOC 2.0 FITS, JSON, ASCII), for
 * sky viewers: the 50 % or 90 % region of its latest revision, or of the one asked for.
 */
import { type MocFile, mocLibrary, spaceMocFile } from '../moc/index.js';
import type { Engine } from '../engine/index.js';
import { loadAlert } from './store.js';

/** The credible levels whose regions are stored (hearc.alerts moc50, moc90). */
export const CREDIBLE_LEVELS = [50, 90] as const;
export type CredibleLevel = (typeof CREDIBLE_LEVELS)[number];

export type CredibleRegionFile =
  | { readonly found: true; readonly file: MocFile; readonly revision: number }
  | { readonly found: false; readonly reason: string };

export async function credibleRegionFile(
  engine: Engine,
  alertId: string,
  level: CredibleLevel,
  revision?: number,
): Promise<CredibleRegionFile> {
  const alert = await loadAlert(engine, alertId, revision);
  if (!alert) {
    const which = revision === undefined ? '' : ` revision ${revision}`;
    return { found: false, reason: `no alert '${alertId}'${which} is stored here` };
  }
  const ascii = alert.row[`moc${level}`];
  if (typeof ascii !== 'string' || ascii.trim() === '') {
    return {
      found: false,
      reason: `alert '${alertId}' revision ${alert.revision} has no localisation map, so no ${level} % credible region`,
    };
  }
  const { MOC } = await mocLibrary();
  const moc = MOC.fromAscii(ascii);
  try {
    return { found: true, file: spaceMocFile(moc), revision: alert.revision };
  } finally {
    moc.free();
  }
}
