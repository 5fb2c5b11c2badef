/**
 * Coverage of many observations: the space MOCs of their fields of view, the unions per
 * collection and for the service, and the time MOCs of their GTIs, from ObsCore rows as
 * the catalog holds them. The baseline, measured in the same run, is making the rows'
 * field-of-view polygons (what ingest does per observation).
 *
 *   node --import tsx bench/coverage.ts [--obs 100000] [--collections 10]
 */
import { parseArgs } from 'node:util';
import type { CatalogRow } from '../src/engine/types.js';
import { circleToPolygon } from '../src/gadf/geometry.js';
import { mocLibrary, summariseCoverage, timeMocFromJdIntervals } from '../src/moc/index.js';

const { values } = parseArgs({
  options: { obs: { type: 'string' }, collections: { type: 'string' } },
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
const library = await mocLibrary();
let cells = 0;
const coverage = seconds(() => {
  const result = summariseCoverage(library, obscore, hea, new Map());
  cells = result.service.space.fits.length;
});
console.log(`observations  ${total}  collections ${collections}`);
console.log('step                          seconds   ratio');
console.log(`rows + polygons (baseline)   ${baseline.toFixed(2).padStart(8)}    1.00`);
console.log(
  `coverage MOCs (space, time)  ${coverage.toFixed(2).padStart(8)}  ${(coverage / baseline).toFixed(2).padStart(6)}`,
);
console.log(`service space MOC FITS: ${cells} bytes; target: coverage under 10 s`);
