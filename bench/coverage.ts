/**
 * Coverage of many observations: the unions per collection and for the service of their
 * fields of view's space MOCs, and the time MOCs of their GTIs, from ObsCore rows as the
 * catalog holds them. Measured in the same run:
 *  - baseline: making the rows and their field-of-view polygons;
 *  - ingest's share: each field of view's MOC (moc-wasm), once per observation, stored;
 *  - coverage now: the unions of the stored MOCs (what the server computes);
 *  - coverage before (--before): each MOC computed at coverage time and united pairwise
 *    with moc-wasm's `or`, as hearc did until the MOCs were stored.
 *
 *   node --import tsx bench/coverage.ts [--obs 100000] [--collections 10] [--before]
 */
import { parseArgs } from 'node:util';
import type { CatalogRow } from '../src/engine/types.js';
import { circleToPolygon } from '../src/gadf/geometry.js';
import {
  fieldOfViewMoc,
  type MocLibrary,
  mocLibrary,
  observationSpaceMoc,
  type SpaceMoc,
  summariseCoverage,
  timeMocFromJdIntervals,
} from '../src/moc/index.js';

const { values } = parseArgs({
  options: {
    obs: { type: 'string' },
    collections: { type: 'string' },
    before: { type: 'boolean' },
  },
});
const total = Number(values.obs ?? 100_000);
const collections = Number(values.collections ?? 10);

function seconds(work: () => void): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// Pointings spread over the sky like a survey: a few thousand targets, many runs each.
let seed = 42;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const targets = Array.from({ length: 3000 }, () => [
  360 * random(),
  (Math.asin(2 * random() - 1) * 180) / Math.PI,
]);
const obscore: CatalogRow[] = [];
const hea: CatalogRow[] = [];
const baseline = seconds(() => {
  for (let i = 0; i < total; i++) {
    const [ra, dec] = targets[i % targets.length]!;
    const did = `ivo://bench/c${i % collections}?${i}`;
    obscore.push({
      obs_publisher_did: did,
      obs_collection: `c${i % collections}`,
      s_region: circleToPolygon(ra! + 0.5 * random(), dec! * 0.99, 2.5),
      em_min: 1e-20,
      em_max: 1e-17,
    });
    const jd = 2_460_000.5 + i * 0.02;
    hea.push({
      obs_publisher_did: did,
      t_intervals: timeMocFromJdIntervals([[jd, jd + 0.0195]]),
      messenger: 'photon',
    });
  }
});
const row = (step: string, value: number): string =>
  `${step.padEnd(44)}${value.toFixed(2).padStart(8)}  ${(value / baseline).toFixed(2).padStart(6)}`;
console.log(`observations  ${total}  collections ${collections}`);
console.log(`${'step'.padEnd(44)} seconds   ratio to baseline`);
console.log(row('rows + polygons (baseline)', baseline));
const library = await mocLibrary();
const stored = new Map<string, string>();
const ingestShare = seconds(() => {
  for (const row of obscore) {
    const ascii = observationSpaceMoc(library, row);
    if (ascii !== undefined) stored.set(String(row.obs_publisher_did), ascii);
  }
});
console.log(row("ingest's share: one MOC per observation", ingestShare));
let cells = 0;
const now = seconds(() => {
  const result = summariseCoverage(library, obscore, hea, new Map(), undefined, stored);
  cells = result.service.space.fits.length;
});
console.log(row('coverage now: union of stored MOCs', now));

/** The union as hearc made it before: pairwise moc-wasm `or`, balanced; frees its inputs. */
function pairwiseUnion(lib: MocLibrary, mocs: SpaceMoc[]): SpaceMoc {
  let level = mocs;
  while (level.length > 1) {
    const next: SpaceMoc[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const [a, b] = [level[i]!, level[i + 1]];
      if (b === undefined) next.push(a);
      else {
        next.push(a.or(b));
        a.free();
        b.free();
      }
    }
    level = next;
  }
  return level[0]!;
}

let beforeCells = 0;
const before = values.before
  ? seconds(() => {
      const byCollection = new Map<string, SpaceMoc[]>();
      for (const row of obscore) {
        const mocs = byCollection.get(String(row.obs_collection)) ?? [];
        byCollection.set(String(row.obs_collection), mocs);
        mocs.push(fieldOfViewMoc(library, Float64Array.from(row.s_region as number[])));
      }
      const service = pairwiseUnion(
        library,
        [...byCollection.values()].map((mocs) => pairwiseUnion(library, mocs)),
      );
      beforeCells = service.toFits().length;
      service.free();
    })
  : undefined;

if (before !== undefined) {
  console.log(row('before: MOCs + pairwise or (space only)', before));
  console.log(`before / now: ${(before / now).toFixed(1)}x`);
  console.log(
    `service space MOC: ${cells} bytes (FITS, hearc), ${beforeCells} bytes (moc-wasm toFits) before`,
  );
} else {
  console.log(`service space MOC FITS: ${cells} bytes (--before also times the old way)`);
}
console.log('target: coverage of 1e5 observations under 10 s');
