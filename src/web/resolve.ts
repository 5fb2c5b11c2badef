/**
 * Names to positions, offline: first the published target_name and object values
 * (with the catalogued target position the data carry), then the shipped list of
 * well-known sources. The answer says where the position comes from.
 */
import { tapRecords } from './api.js';
import type { SkyPosition } from './coords.js';
import { CATALOGUE_NAME, KNOWN_SOURCES, knownSource, nameKey } from './targets.js';

export interface Resolved extends SkyPosition {
  readonly name: string;
  /** Where the position comes from, for people. */
  readonly source: string;
}

interface PublishedTarget {
  target_name: string | null;
  object: string | null;
  obs_collection: string;
  ra: number | null;
  dec: number | null;
  n: number;
}

let published: Promise<PublishedTarget[]> | undefined;
function publishedTargets(): Promise<PublishedTarget[]> {
  published ??= tapRecords(
    `SELECT target_name, object, obs_collection, MIN(ra_obj) AS ra, MIN(dec_obj) AS dec, COUNT(*) AS n
FROM ivoa.obscore GROUP BY target_name, object, obs_collection`,
  ) as unknown as Promise<PublishedTarget[]>;
  return published;
}

export async function resolveName(name: string): Promise<Resolved> {
  const key = nameKey(name);
  if (key === '') throw new Error('give an object name, e.g. Crab');
  const rows = await publishedTargets();
  for (const column of ['target_name', 'object'] as const) {
    const hit = rows.find(
      (r) => r[column] !== null && nameKey(r[column]!) === key && r.ra !== null && r.dec !== null,
    );
    if (hit) {
      const n = rows
        .filter((r) => r[column] !== null && nameKey(r[column]!) === key)
        .reduce((sum, r) => sum + r.n, 0);
      return {
        name: hit[column]!,
        ra: hit.ra!,
        dec: hit.dec!,
        source: `the target position (ra_obj, dec_obj) published with ${n} observation${n === 1 ? '' : 's'} whose ${column} is '${hit[column]}' (${hit.obs_collection})`,
      };
    }
  }
  const known = knownSource(name);
  if (known)
    return {
      name: known.name,
      ra: known.ra,
      dec: known.dec,
      source: `${CATALOGUE_NAME}, shipped with hearc`,
    };
  const near = suggestions(key, rows);
  throw new Error(
    `'${name}' is neither a published target nor in the list of well-known sources shipped with hearc` +
      (near.length > 0 ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : '') +
      '. Search by position instead (RA, Dec).',
  );
}

function suggestions(key: string, rows: readonly PublishedTarget[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const n of [r.target_name, r.object]) if (n) names.add(n);
  for (const s of KNOWN_SOURCES) names.add(s.name);
  return [...names].filter((n) => nameKey(n).includes(key) || key.includes(nameKey(n))).slice(0, 5);
}
